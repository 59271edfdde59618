"""Stream events: one small frozen dataclass each, and the :data:`StreamEvent` union.

A model's stream yields, per content block, ``*Start`` → ``*Delta``… → ``*End`` (blocks are
told apart by ``id``), complete ``ToolCall`` events once a call's arguments are whole, and
ends with one ``Finish``. An agent's stream wraps each model step in ``StepStart`` /
``StepFinish``, adds a ``ToolResult`` for every tool it runs, and ends with ``RunFinish``.
A step that is retried after a transient failure is preceded by a ``Retry`` event, so a
consumer can discard what it showed of the failed attempt.

Errors are not events: a failed stream raises a :class:`reverie.errors.ReverieError` from
the ``async for``, which is where Python code expects them.

Match on them with ``match event: case TextDelta(delta=d): ...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from reverie.content import EMPTY_DATA, ProviderData, SourcePart, ToolCallPart, ToolResultPart

if TYPE_CHECKING:
    from reverie.model import CallWarning, FinishReason, Usage
    from reverie.steps import RunResult, Step

_EMPTY = EMPTY_DATA


@dataclass(frozen=True, slots=True)
class TextStart:
    id: str
    type: Literal["text-start"] = "text-start"


@dataclass(frozen=True, slots=True)
class TextDelta:
    id: str
    delta: str
    type: Literal["text-delta"] = "text-delta"


@dataclass(frozen=True, slots=True)
class TextEnd:
    id: str
    provider_metadata: ProviderData = _EMPTY
    type: Literal["text-end"] = "text-end"


@dataclass(frozen=True, slots=True)
class ReasoningStart:
    id: str
    provider_metadata: ProviderData = _EMPTY
    type: Literal["reasoning-start"] = "reasoning-start"


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    id: str
    delta: str
    type: Literal["reasoning-delta"] = "reasoning-delta"


@dataclass(frozen=True, slots=True)
class ReasoningEnd:
    """Closes a reasoning block; ``provider_metadata`` holds what must go back (signatures)."""

    id: str
    provider_metadata: ProviderData = _EMPTY
    type: Literal["reasoning-end"] = "reasoning-end"


@dataclass(frozen=True, slots=True)
class ToolInputStart:
    id: str
    tool_name: str
    provider_executed: bool = False
    type: Literal["tool-input-start"] = "tool-input-start"


@dataclass(frozen=True, slots=True)
class ToolInputDelta:
    id: str
    delta: str
    type: Literal["tool-input-delta"] = "tool-input-delta"


@dataclass(frozen=True, slots=True)
class ToolInputEnd:
    id: str
    type: Literal["tool-input-end"] = "tool-input-end"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A complete tool call (arguments whole). In an agent stream: after validation."""

    call: ToolCallPart
    type: Literal["tool-call"] = "tool-call"


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool's result: run by the agent, or by the provider (``provider_executed``)."""

    result: ToolResultPart
    type: Literal["tool-result"] = "tool-result"


@dataclass(frozen=True, slots=True)
class Source:
    source: SourcePart
    type: Literal["source"] = "source"


@dataclass(frozen=True, slots=True)
class Warnings:
    """Settings the provider could not honour for this call; sent before any content."""

    warnings: tuple[CallWarning, ...]
    type: Literal["warnings"] = "warnings"


@dataclass(frozen=True, slots=True)
class Finish:
    """The end of one model call: why it stopped, what it used, and the provider's id and
    model name for the response (as in :class:`~reverie.model.Response`)."""

    finish_reason: FinishReason
    usage: Usage
    provider_metadata: ProviderData = field(default_factory=dict[str, Any])
    response_id: str | None = None
    response_model: str | None = None
    type: Literal["finish"] = "finish"


@dataclass(frozen=True, slots=True)
class StepStart:
    step_number: int
    type: Literal["step-start"] = "step-start"


@dataclass(frozen=True, slots=True)
class StepFinish:
    step: Step
    type: Literal["step-finish"] = "step-finish"


@dataclass(frozen=True, slots=True)
class Retry:
    """The step's attempt ``attempt`` failed with ``error`` and is about to be retried."""

    attempt: int
    error: BaseException
    delay: float
    type: Literal["retry"] = "retry"


@dataclass(frozen=True, slots=True)
class PartialObject:
    """Structured output so far: the JSON value parsed from the text received until now.

    Emitted by :func:`reverie.output.stream_object` and by an agent with an ``output_type``,
    each time the value changes. It is not validated (required keys may still be missing,
    the last string may be cut short); the final, validated object comes at the end.
    """

    value: Any
    type: Literal["partial-object"] = "partial-object"


@dataclass(frozen=True, slots=True)
class RunFinish:
    """The end of an agent run; ``result`` is what ``Agent.generate`` would have returned."""

    result: RunResult
    type: Literal["run-finish"] = "run-finish"


StreamEvent: TypeAlias = (
    TextStart
    | TextDelta
    | TextEnd
    | ReasoningStart
    | ReasoningDelta
    | ReasoningEnd
    | ToolInputStart
    | ToolInputDelta
    | ToolInputEnd
    | ToolCall
    | ToolResult
    | Source
    | Warnings
    | Finish
)
"""What a model's stream yields."""

AgentEvent: TypeAlias = StreamEvent | StepStart | StepFinish | Retry | PartialObject | RunFinish
"""What an agent's stream yields."""
