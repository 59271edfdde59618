"""Every event a stream yields: the model's, and the agent's around them.

A model's stream (:meth:`reverie.model.LanguageModel.stream`) yields, per content block,
``*Start`` → ``*Delta``… → ``*End`` (blocks are told apart by ``id``), complete
``ToolCall`` events once a call's arguments are whole, and ends with one ``Finish``. Those
events are defined with the model contract in :mod:`reverie.model` and re-exported here.

An agent's stream wraps each model step in ``StepStart`` / ``StepFinish``, adds a
``ToolResult`` for every tool it runs, and ends with ``RunFinish`` (preceded by
``RunPaused`` when the run stops to wait for approvals or external results). A step that
is retried after a transient failure is preceded by a ``Retry`` event, so a consumer can
discard what it showed of the failed attempt.

Errors are not events: a failed stream raises a :class:`reverie.errors.ReverieError` from
the ``async for``, which is where Python code expects them.

Match on them with ``match event: case TextDelta(delta=d): ...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from reverie._steps import Step
from reverie.model import (
    Finish,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningStart,
    Refusal,
    Source,
    StreamEvent,
    TextDelta,
    TextEnd,
    TextStart,
    ToolCall,
    ToolInputDelta,
    ToolInputEnd,
    ToolInputStart,
    ToolResult,
    Warnings,
)
from reverie.run_state import RunResult

if TYPE_CHECKING:
    from reverie.approval import PendingCall

__all__ = [
    "AgentEvent",
    "Finish",
    "PartialObject",
    "ReasoningDelta",
    "ReasoningEnd",
    "ReasoningStart",
    "Refusal",
    "Retry",
    "RunFinish",
    "RunPaused",
    "Source",
    "StepFinish",
    "StepStart",
    "StreamEvent",
    "TextDelta",
    "TextEnd",
    "TextStart",
    "ToolCall",
    "ToolInputDelta",
    "ToolInputEnd",
    "ToolInputStart",
    "ToolResult",
    "Warnings",
]


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
class RunPaused:
    """The approval request: the run stops here, waiting on ``pending`` tool calls (approval,
    or a result from outside). ``RunFinish`` follows, with a result whose ``status`` is
    ``"paused"`` and whose ``state`` :meth:`reverie.Agent.resume` continues from."""

    pending: tuple[PendingCall, ...]
    type: Literal["run-paused"] = "run-paused"


@dataclass(frozen=True, slots=True)
class RunFinish:
    """The end of an agent run's events; ``result`` is what ``Agent.generate`` would have
    returned (``result.status`` is ``"paused"`` when the run stopped to wait)."""

    result: RunResult
    type: Literal["run-finish"] = "run-finish"


AgentEvent: TypeAlias = (
    StreamEvent | StepStart | StepFinish | Retry | PartialObject | RunPaused | RunFinish
)
"""What an agent's stream yields."""
