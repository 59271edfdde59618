"""How ``reverie run`` and ``reverie chat`` show an agent's events.

:class:`EventPrinter` writes the answer's text to one console (stdout) and everything else
(reasoning, tool calls and results, usage) to another: stderr when output is piped, so
``reverie run "..." > answer.txt`` keeps only the answer; the same terminal, in colour,
otherwise. When a run stops short of a finished answer (the output token limit, the step
limit) the printer says so after the text: ``… [stopped: max tokens]``.

:func:`event_json` is the ``--json`` form, one JSON object per event, written by
:class:`JsonEventWriter` (``reverie run --json`` and ``reverie demo --json`` alike).
"""

from __future__ import annotations

import json
import time
from typing import Any, TextIO

from reverie.agent import RunResult
from reverie.cli._console import Console
from reverie.content import ErrorOutput, JsonOutput, MediaOutput, TextOutput, ToolOutput
from reverie.cost import Cost
from reverie.events import (
    AgentEvent,
    Finish,
    ReasoningDelta,
    ReasoningEnd,
    Refusal,
    Retry,
    RunFinish,
    RunPaused,
    StepFinish,
    StepStart,
    TextDelta,
    TextEnd,
    ToolCall,
    ToolResult,
    Warnings,
)
from reverie.model import FinishReason, Usage


def output_text(output: ToolOutput) -> tuple[str, bool]:
    """A tool output as display text, and whether it is an error."""
    if isinstance(output, TextOutput):
        return output.text, False
    if isinstance(output, ErrorOutput):
        return output.message, True
    if isinstance(output, MediaOutput):
        return output.text or f"({output.media_type}, {len(output.data)} bytes)", False
    if isinstance(output, JsonOutput):  # pyright: ignore[reportUnnecessaryIsInstance]
        return json.dumps(output.value, default=str)[:500], False
    return str(output), False


def usage_text(usage: Usage) -> str:
    """``184 in (3 cached), 45 out, 229 total``: input counts every prompt token, the ones
    the provider read from (or wrote to) its cache included, so in + out = total."""
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    cache = [
        f"{n} {what}"
        for n, what in (
            (usage.cache_read_tokens, "cached"),
            (usage.cache_write_tokens, "written to cache"),
        )
        if n
    ]
    text = f"{prompt} in" + (f" ({', '.join(cache)})" if cache else "")
    text += f", {usage.output_tokens} out"
    if usage.reasoning_tokens:
        text += f" ({usage.reasoning_tokens} reasoning)"
    return f"{text}, {usage.total_tokens} total"


def usage_line(usage: Usage, steps: int, seconds: float, cost: Cost | None = None) -> str:
    """The line after a run; its cost in USD when the price is known and not nothing (a
    local model's runs cost nothing: ``--json`` says 0, the line stays as it was)."""
    plural = "s" if steps != 1 else ""
    price = f" · {cost}" if cost is not None and cost.total else ""
    return f"usage: {usage_text(usage)}{price} · {steps} step{plural} · {seconds:.1f} s"


def stopped_short(result: RunResult) -> str:
    """Why the run's answer is not a finished one (empty when it is)."""
    if not result.steps:
        return ""
    last = result.steps[-1]
    if last.finish_reason == FinishReason.LENGTH:
        return "stopped: max tokens (raise --max-tokens for a longer answer)"
    if last.finish_reason == FinishReason.TOOL_CALLS and not any(
        r.stop_turn for r in last.tool_results
    ):
        return f"stopped: step limit ({len(result.steps)} steps) while still calling tools"
    return ""


class EventPrinter:
    """Shows one run's events as they arrive; see the module docstring."""

    def __init__(self, out: Console, info: Console) -> None:
        self.out = out
        self.info = info
        self._at_line_start = True  # on the answer console
        self._reasoning = False

    def _end_line(self) -> None:
        if not self._at_line_start:
            self.out.line()
            self._at_line_start = True

    def event(self, event: AgentEvent) -> None:
        if isinstance(event, TextDelta):
            if self._reasoning:
                self._close_reasoning()
            self.out.write(event.delta)
            self._at_line_start = event.delta.endswith("\n")
        elif isinstance(event, ReasoningDelta):
            if not self._reasoning:
                self._end_line()
                self._reasoning = True
                self.info.write("thinking: ", "dim bold")
            self.info.write(event.delta, "dim italic")
        elif isinstance(event, ReasoningEnd):
            self._close_reasoning()
        elif isinstance(event, TextEnd):
            self._end_line()
        elif isinstance(event, ToolCall):
            self._end_line()
            call = event.call
            where = " (by the provider)" if call.provider_executed else ""
            self.info.line(f"→ {call.tool_name}({call.input}){where}", "cyan")
        elif isinstance(event, ToolResult):
            text, is_error = output_text(event.result.output)
            shown = text if len(text) <= 400 else text[:400] + "…"
            label = "error" if is_error else "result"
            style = "red" if is_error else "green"
            self.info.line(f"← {event.result.tool_name} {label}: {shown}", style)
        elif isinstance(event, Retry):
            self._end_line()
            self.info.line(
                f"retrying in {event.delay:.1f} s (attempt {event.attempt} failed: {event.error})",
                "yellow",
            )
        elif isinstance(event, Refusal):
            self._end_line()
            self.info.write("refused: ", "red bold")
            self.out.write(event.refusal.text)
            self._at_line_start = False
        elif isinstance(event, Warnings):
            for warning in event.warnings:
                self.info.line(f"warning: {warning.message}", "yellow")
        elif isinstance(event, RunPaused):
            self._end_line()
            for call in event.pending:
                wants = "approval" if call.kind == "approval" else "a result"
                self.info.line(f"⏸ {call.tool_name} waits for {wants} (call {call.id})", "yellow")
        elif isinstance(event, Finish | StepFinish | StepStart | RunFinish):
            self._end_line()

    def _close_reasoning(self) -> None:
        if self._reasoning:
            self._reasoning = False
            self.info.line()

    def finish(self, result: RunResult, seconds: float) -> None:
        """After the run: why it stopped short, if it did, and the usage line."""
        self._close_reasoning()
        self._end_line()
        short = stopped_short(result)
        if short:
            self.info.line(f"… [{short}]", "yellow")
        self.info.line(usage_line(result.usage, len(result.steps), seconds, result.cost), "dim")


def _usage_json(usage: Usage) -> dict[str, int]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
    }


def _cost_json(cost: Cost | None) -> float | None:
    """USD as a JSON number; null when the price is unknown (never a guess)."""
    return None if cost is None else float(cost.total)


def event_json(event: AgentEvent) -> dict[str, Any] | None:
    """One event as a JSON-able dict (``type`` first), or None for block start/end noise."""
    if isinstance(event, TextDelta | ReasoningDelta):
        return {"type": event.type, "delta": event.delta}
    if isinstance(event, ToolCall):
        call = event.call
        return {
            "type": event.type,
            "id": call.tool_call_id,
            "name": call.tool_name,
            "input": call.input,
        }
    if isinstance(event, ToolResult):
        text, is_error = output_text(event.result.output)
        return {
            "type": event.type,
            "id": event.result.tool_call_id,
            "name": event.result.tool_name,
            "output": text,
            "error": is_error,
        }
    if isinstance(event, StepStart):
        return {"type": event.type, "step": event.step_number}
    if isinstance(event, StepFinish):
        step = event.step
        return {
            "type": event.type,
            "step": step.number,
            "finish_reason": str(step.finish_reason),
            "usage": _usage_json(step.usage),
            "cost_usd": _cost_json(step.cost),
        }
    if isinstance(event, Retry):
        return {
            "type": event.type,
            "attempt": event.attempt,
            "error": str(event.error),
            "delay": event.delay,
        }
    if isinstance(event, Refusal):
        return {"type": event.type, "refusal": event.refusal.text}
    if isinstance(event, Warnings):
        return {"type": event.type, "warnings": [w.message for w in event.warnings]}
    if isinstance(event, RunPaused):
        pending = [
            {"id": c.id, "name": c.tool_name, "arguments": dict(c.arguments), "kind": c.kind}
            for c in event.pending
        ]
        return {"type": event.type, "pending": pending}
    if isinstance(event, RunFinish):
        result = event.result
        return {
            "type": event.type,
            "status": result.status,
            "text": result.text,
            "steps": len(result.steps),
            "finish_reason": str(result.finish_reason),
            "usage": _usage_json(result.usage),
            "cost_usd": _cost_json(result.cost),
        }
    return None


class JsonEventWriter:
    """Writes events as JSON lines (:func:`event_json`); ``run-finish`` gets the seconds the
    run took since ``started`` (a ``time.perf_counter()`` value)."""

    def __init__(self, stream: TextIO, started: float | None = None) -> None:
        self.stream = stream
        self.started = time.perf_counter() if started is None else started

    def event(self, event: AgentEvent) -> None:
        data = event_json(event)
        if data is None:
            return
        if isinstance(event, RunFinish):
            data["seconds"] = round(time.perf_counter() - self.started, 3)
        self.stream.write(json.dumps(data) + "\n")
        self.stream.flush()
