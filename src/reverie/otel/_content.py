"""Messages as the GenAI conventions' JSON (``gen_ai.input.messages`` and friends).

Only used when the application opts in to content capture. Each value is a JSON text (span
attributes cannot nest): a list of ``{"role", "parts": [...]}`` messages whose parts are
``text``, ``reasoning``, ``tool_call`` (``arguments`` parsed from the model's JSON when it
parses), ``tool_call_response`` and ``blob`` (files, base64) parts. Sources (citations) are
not part of a message's content and are left out.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import orjson

from reverie.content import (
    ErrorOutput,
    FilePart,
    JsonOutput,
    MediaOutput,
    Message,
    Part,
    ReasoningPart,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolOutput,
    ToolResultPart,
)
from reverie.model import FinishReason, Tool, ToolSpec

# FinishReason -> the conventions' finish reasons.
FINISH_REASONS = {
    FinishReason.STOP: "stop",
    FinishReason.LENGTH: "length",
    FinishReason.CONTENT_FILTER: "content_filter",
    FinishReason.TOOL_CALLS: "tool_call",
    FinishReason.ERROR: "error",
    FinishReason.OTHER: "other",
    FinishReason.UNKNOWN: "unknown",
}


def dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def input_messages(messages: Sequence[Message]) -> str:
    """Every non-system message of a call."""
    return dumps([_message(m) for m in messages if m.role != "system"])


def system_instructions(messages: Sequence[Message]) -> str | None:
    """The text of the call's system messages, or None when it has none."""
    parts = [_part(p) for m in messages if m.role == "system" for p in m.content]
    return dumps(parts) if parts else None


def output_messages(content: Sequence[Part], finish: FinishReason) -> str:
    """A model's answer as the one assistant message of ``gen_ai.output.messages``."""
    parts = [_part(p) for p in content]
    message = {"role": "assistant", "parts": [p for p in parts if p is not None]}
    return dumps([{**message, "finish_reason": FINISH_REASONS[finish]}])


def tool_definitions(tools: Sequence[Tool]) -> str | None:
    """The function tools offered to the model (provider tools by name and type)."""
    out: list[dict[str, Any]] = []
    for tool in tools:
        if isinstance(tool, ToolSpec):
            out.append(
                {
                    "type": "function",
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.input_schema,
                }
            )
        else:
            out.append({"type": tool.id, "name": tool.name})
    return dumps(out) if out else None


def arguments(call: ToolCallPart) -> Any:
    """The call's arguments as JSON values, or the raw text when it is not valid JSON."""
    try:
        return orjson.loads(call.input or "{}")
    except orjson.JSONDecodeError:
        return call.input


def tool_output(output: ToolOutput) -> Any:
    """A tool's result as JSON values."""
    if isinstance(output, TextOutput):
        return output.text
    if isinstance(output, ErrorOutput):
        return {"error": output.message}
    if isinstance(output, JsonOutput):
        return output.value
    assert isinstance(output, MediaOutput)
    return [
        {"type": "text", "content": output.text},
        _blob(output.data, output.media_type),
    ]


def _message(message: Message) -> dict[str, Any]:
    parts = [_part(p) for p in message.content]
    return {"role": message.role, "parts": [p for p in parts if p is not None]}


def _part(part: Part) -> dict[str, Any] | None:
    if isinstance(part, TextPart):
        return {"type": "text", "content": part.text}
    if isinstance(part, ReasoningPart):
        return {"type": "reasoning", "content": part.text}
    if isinstance(part, ToolCallPart):
        return {
            "type": "tool_call",
            "id": part.tool_call_id,
            "name": part.tool_name,
            "arguments": arguments(part),
        }
    if isinstance(part, ToolResultPart):
        return {
            "type": "tool_call_response",
            "id": part.tool_call_id,
            "response": tool_output(part.output),
        }
    if isinstance(part, FilePart):
        return _blob(part.data, part.media_type)
    return None  # a source: a citation, not content


def _blob(data: bytes, media_type: str) -> dict[str, Any]:
    kind = media_type.partition("/")[0]
    modality = kind if kind in ("image", "audio", "video") else "file"
    return {
        "type": "blob",
        "modality": modality,
        "mime_type": media_type,
        "content": base64.b64encode(data).decode(),
    }
