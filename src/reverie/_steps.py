"""What an agent run produces and the hooks that steer it: steps, stop conditions, hooks.

:class:`Step` records one model call and the tool runs it led to (a whole run's result,
:class:`~reverie.run_state.RunResult`, is defined with the run's state). Stop conditions
are plain callables over the steps so far. ``prepare_step`` and ``repair_tool_call``
receive the small context objects defined here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from reverie.content import (
    Message,
    Part,
    ProviderData,
    ReasoningPart,
    RefusalPart,
    SourcePart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from reverie.model import CallWarning, FinishReason, LanguageModel, Response, ToolChoice, Usage

if TYPE_CHECKING:
    from reverie._pricing import Cost
    from reverie.tool import FunctionTool


@dataclass(frozen=True, slots=True)
class Step:
    """One model call and the tool runs it led to.

    ``content`` is what the model returned, with client tool calls as validated (and
    repaired) and followed by their results; ``messages`` are what this step added to the
    conversation (an assistant message, then a tool message when tools ran).

    ``provider`` and ``model_id`` name the model that was called (``prepare_step`` may change
    it from step to step); ``response_id`` and ``response_model`` are what the provider said
    about its answer (see :class:`~reverie.model.Response`); ``finished_at`` is when the
    model's answer was complete (UTC), the date its price is looked up for.
    """

    number: int
    content: tuple[Part, ...]
    finish_reason: FinishReason
    usage: Usage
    messages: tuple[Message, ...]
    warnings: tuple[CallWarning, ...] = ()
    provider_metadata: ProviderData = field(default_factory=dict[str, Mapping[str, Any]])
    provider: str = ""
    model_id: str = ""
    response_id: str | None = None
    response_model: str | None = None
    finished_at: datetime | None = None

    @property
    def cost(self) -> Cost | None:
        """What this step's model call cost in USD, None when its price is unknown (see
        :mod:`reverie.cost`)."""
        from reverie._pricing import price, web_searches

        return price(
            self.provider,
            (self.response_model, self.model_id),
            self.usage,
            self.finished_at,
            self.provider_metadata,
            web_searches(self.tool_calls),
        )

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.content if isinstance(p, TextPart))

    @property
    def refusal(self) -> str:
        """The model's refusal in this step (it finished with ``content-filter``), or ``""``."""
        return "".join(p.text for p in self.content if isinstance(p, RefusalPart))

    @property
    def reasoning(self) -> tuple[ReasoningPart, ...]:
        return tuple(p for p in self.content if isinstance(p, ReasoningPart))

    @property
    def tool_calls(self) -> tuple[ToolCallPart, ...]:
        return tuple(p for p in self.content if isinstance(p, ToolCallPart))

    @property
    def tool_results(self) -> tuple[ToolResultPart, ...]:
        return tuple(p for p in self.content if isinstance(p, ToolResultPart))

    @property
    def sources(self) -> tuple[SourcePart, ...]:
        return tuple(p for p in self.content if isinstance(p, SourcePart))


@dataclass(frozen=True, slots=True)
class StopReason:
    """Why a run stopped before the model was done; a stop condition may return one.

    ``kind`` is ``"max-steps"`` (:func:`step_count_is`), ``"tool"`` (a tool ended the turn),
    ``"budget"`` (:class:`~reverie.cost.BudgetExceeded`), or ``"condition"`` (any other stop
    condition, including one that returned plain ``True``); ``message`` says it in words.
    A run's state keeps it (``RunState.stopped_by``); a subclass other than
    ``BudgetExceeded`` is saved as its ``kind`` and ``message``.
    """

    kind: str
    message: str

    def __str__(self) -> str:
        return self.message


# Stop conditions

StopCondition: TypeAlias = Callable[[Sequence[Step]], "bool | StopReason | None"]
"""Called after each step that would continue the run; a truthy answer stops it. Returning
a :class:`StopReason` says why (it becomes ``RunResult.stopped_by``)."""


def step_count_is(count: int) -> StopCondition:
    """Stop once ``count`` steps have run."""
    reason = StopReason("max-steps", f"the run reached its limit of {count} steps")
    return lambda steps: reason if len(steps) >= count else None


def has_tool_call(tool_name: str) -> StopCondition:
    """Stop after a step in which the model called ``tool_name``."""
    return lambda steps: bool(steps) and any(c.tool_name == tool_name for c in steps[-1].tool_calls)


def finish_reason_is(reason: FinishReason) -> StopCondition:
    """Stop after a step that finished for ``reason``."""
    return lambda steps: bool(steps) and steps[-1].finish_reason == reason


def max_tokens_used(limit: int) -> StopCondition:
    """Stop once the run's total tokens reach ``limit``."""
    return lambda steps: sum(s.usage.total_tokens for s in steps) >= limit


# Hooks


@dataclass(frozen=True, slots=True)
class StepContext:
    """What ``prepare_step`` sees before step ``step_number`` (0-based)."""

    step_number: int
    steps: tuple[Step, ...]
    model: LanguageModel
    messages: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class StepOverrides:
    """What ``prepare_step`` may change for one step; ``None`` keeps the agent's setting.

    ``system`` replaces the system prompt (the first message, when it is a system message);
    ``active_tools`` names the tools offered; ``tools_enabled=False`` offers none.
    """

    model: LanguageModel | None = None
    messages: Sequence[Message] | None = None
    system: str | None = None
    tool_choice: ToolChoice | None = None
    active_tools: Sequence[str] | None = None
    tools_enabled: bool = True


@dataclass(frozen=True, slots=True)
class RepairContext:
    """What ``repair_tool_call`` sees: the failing call, why it failed, and the context."""

    call: ToolCallPart
    error: str
    tools: Mapping[str, FunctionTool]
    messages: tuple[Message, ...]
    system: str | None


PrepareStep: TypeAlias = Callable[
    [StepContext], "StepOverrides | Awaitable[StepOverrides | None] | None"
]


RepairToolCall: TypeAlias = Callable[
    [RepairContext], "ToolCallPart | Awaitable[ToolCallPart | None] | None"
]


DEFAULT_MAX_STEPS = 20


def make_step(
    number: int,
    response: Response,
    results: Sequence[ToolResultPart],
    *,
    provider: str = "",
    model_id: str = "",
    finished_at: datetime | None = None,
) -> Step:
    """The step record; ``response`` already holds the validated tool calls. ``provider``
    and ``model_id`` name the model that was called, ``finished_at`` when it answered."""
    content = (*response.content, *results)
    assistant = tuple(
        p
        for p in response.content
        if not isinstance(p, SourcePart)
        and not (isinstance(p, ToolResultPart) and not p.provider_executed)
    )
    messages: list[Message] = []
    if assistant:
        messages.append(Message("assistant", assistant))
    if results:
        messages.append(Message("tool", tuple(results)))
    return Step(
        number=number,
        content=content,
        finish_reason=response.finish_reason,
        usage=response.usage,
        messages=tuple(messages),
        warnings=response.warnings,
        provider_metadata=response.provider_metadata,
        provider=provider,
        model_id=model_id,
        response_id=response.response_id,
        response_model=response.response_model,
        finished_at=finished_at,
    )
