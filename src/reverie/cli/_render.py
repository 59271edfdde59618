"""How ``reverie run`` and ``reverie chat`` show an agent's events.

:class:`EventPrinter` writes the answer's text to one console (stdout) and everything else
(reasoning, tool calls and results, usage) to another: stderr when output is piped, so
``reverie run "..." > answer.txt`` keeps only the answer; the same terminal, in colour,
otherwise. :func:`event_json` is the ``--json`` form: one JSON object per event.
"""

from __future__ import annotations

from typing import Any

from reverie.cli._console import Console
from reverie.content import ErrorOutput, JsonOutput, MediaOutput, TextOutput, ToolOutput
from reverie.events import (
    AgentEvent,
    Finish,
    ReasoningDelta,
    ReasoningEnd,
    Refusal,
    Retry,
    RunFinish,
    StepFinish,
    StepStart,
    TextDelta,
    TextEnd,
    ToolCall,
    ToolResult,
    Warnings,
)
from reverie.model import Usage


def output_text(output: ToolOutput) -> tuple[str, bool]:
    """A tool output as display text, and whether it is an error."""
    if isinstance(output, TextOutput):
        return output.text, False
    if isinstance(output, ErrorOutput):
        return output.message, True
    if isinstance(output, MediaOutput):
        return output.text or f"({output.media_type}, {len(output.data)} bytes)", False
    if isinstance(output, JsonOutput):  # pyright: ignore[reportUnnecessaryIsInstance]
        import json

        return json.dumps(output.value, default=str)[:500], False
    return str(output), False


def usage_line(usage: Usage, steps: int, seconds: float) -> str:
    text = f"{usage.input_tokens} in, {usage.output_tokens} out, {usage.total_tokens} total"
    if usage.reasoning_tokens:
        text += f" ({usage.reasoning_tokens} reasoning)"
    if usage.cache_read_tokens:
        text += f", {usage.cache_read_tokens} cached"
    plural = "s" if steps != 1 else ""
    return f"usage: {text} · {steps} step{plural} · {seconds:.1f} s"


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
        elif isinstance(event, Finish | StepFinish | StepStart | RunFinish):
            self._end_line()

    def _close_reasoning(self) -> None:
        if self._reasoning:
            self._reasoning = False
            self.info.line()

    def finish(self, usage: Usage, steps: int, seconds: float) -> None:
        self._close_reasoning()
        self._end_line()
        self.info.line(usage_line(usage, steps, seconds), "dim")


def _usage_json(usage: Usage) -> dict[str, int]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
    }


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
    if isinstance(event, RunFinish):
        result = event.result
        return {
            "type": event.type,
            "text": result.text,
            "steps": len(result.steps),
            "finish_reason": str(result.finish_reason),
            "usage": _usage_json(result.usage),
        }
    return None
