"""What reading the run log gives: a run's summary, its steps, its tool calls, and JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from reverie._steps import Step
from reverie.codec import encode_json, encode_messages, encode_step
from reverie.content import Message
from reverie.model import Usage

__all__ = ["LoggedRun", "LoggedStep", "LoggedToolCall", "RunDetail"]


def _time(seconds: float | None) -> str | None:
    """An ISO 8601 UTC time, to the millisecond."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def _usage_json(usage: Usage) -> dict[str, int]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
    }


def _cost_json(cost: Decimal | None) -> float | None:
    return None if cost is None else float(cost)


@dataclass(frozen=True, slots=True)
class LoggedRun:
    """One run as the log lists it.

    ``status`` is ``running`` (or a process that died mid-run), ``finished``, ``paused``,
    ``failed`` (``error_type``, ``error``) or ``cancelled``. ``model`` is
    ``provider:model-id``; ``prompt`` the last user message's text; ``answer`` the final
    text. ``cost`` is in US dollars, None when the price of any step is unknown. Times are
    seconds since the epoch.
    """

    run_id: str
    thread_id: str | None
    status: str
    started_at: float
    finished_at: float | None
    model: str
    prompt: str
    answer: str
    steps: int
    usage: Usage
    cost: Decimal | None
    finish_reason: str | None = None
    stopped_by: str | None = None
    error_type: str | None = None
    error: str | None = None

    @property
    def seconds(self) -> float | None:
        """How long the run took, None while it runs."""
        return None if self.finished_at is None else self.finished_at - self.started_at

    def to_json(self) -> dict[str, Any]:
        """This run as JSON values (what ``reverie logs --json`` prints)."""
        seconds = self.seconds
        return {
            "run_id": self.run_id,
            "thread_id": self.thread_id,
            "status": self.status,
            "started_at": _time(self.started_at),
            "finished_at": _time(self.finished_at),
            "seconds": None if seconds is None else round(seconds, 3),
            "model": self.model,
            "prompt": self.prompt,
            "answer": self.answer,
            "steps": self.steps,
            "finish_reason": self.finish_reason,
            "stopped_by": self.stopped_by,
            "usage": _usage_json(self.usage),
            "cost_usd": _cost_json(self.cost),
            "error_type": self.error_type,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class LoggedToolCall:
    """A tool call of a step: its arguments (JSON text as the model wrote it) and the text
    of its result (None while it waits for approval or an external result). Times are
    when the tool ran in this process (None when it did not run here: a validation error,
    a denial, an external result, a provider's own tool)."""

    step: int
    call_id: str
    tool_name: str
    arguments: str
    output: str | None
    is_error: bool
    provider_executed: bool
    started_at: float | None
    finished_at: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "call_id": self.call_id,
            "tool_name": self.tool_name,
            "arguments": self.arguments,
            "output": self.output,
            "is_error": self.is_error,
            "provider_executed": self.provider_executed,
            "started_at": _time(self.started_at),
            "finished_at": _time(self.finished_at),
        }


@dataclass(frozen=True, slots=True)
class LoggedStep:
    """One model call of a run: the step itself (parts, usage, provider data, decoded with
    :mod:`reverie.codec`), which model answered, when, after how many attempts (``retries``
    says why each failed one failed), and its cost."""

    step: Step
    model: str
    response_model: str | None
    response_id: str | None
    started_at: float | None
    finished_at: float | None
    attempts: int
    retries: tuple[str, ...]
    cost: Decimal | None

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.step.number,
            "model": self.model,
            "response_model": self.response_model,
            "response_id": self.response_id,
            "started_at": _time(self.started_at),
            "finished_at": _time(self.finished_at),
            "attempts": self.attempts,
            "retries": list(self.retries),
            "finish_reason": self.step.finish_reason.value,
            "usage": _usage_json(self.step.usage),
            "cost_usd": _cost_json(self.cost),
            "content": encode_step(self.step),
        }


@dataclass(frozen=True, slots=True)
class RunDetail:
    """Everything the log keeps of one run (``reverie logs show``)."""

    run: LoggedRun
    input: tuple[Message, ...]
    steps: tuple[LoggedStep, ...]
    tool_calls: tuple[LoggedToolCall, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict[str, Any])

    @property
    def messages(self) -> tuple[Message, ...]:
        """The conversation: the input, then what each step added."""
        return (*self.input, *(m for s in self.steps for m in s.step.messages))

    def to_json(self) -> dict[str, Any]:
        out = self.run.to_json()
        out.update(
            {
                "metadata": encode_json(dict(self.metadata), "metadata"),
                "input": encode_messages(self.input),
                "steps": [s.to_json() for s in self.steps],
                "tool_calls": [c.to_json() for c in self.tool_calls],
            }
        )
        return out
