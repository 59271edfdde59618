"""The Anthropic Messages wire, decoding a whole response: JSON → :class:`Response`. Pure.

Blocks become parts in order: ``text`` → TextPart; ``thinking`` → ReasoningPart with
``provider_metadata["anthropic"]["signature"]``; ``redacted_thinking`` → an empty
ReasoningPart with ``["redacted_data"]``; ``tool_use`` → ToolCallPart; ``server_tool_use``
→ a provider-executed ToolCallPart; ``<tool>_tool_result`` → a SourcePart per search
result, then a provider-executed ToolResultPart whose JsonOutput holds the block's content
exactly as it must go back (nulls dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from reverie._redact import excerpt
from reverie.content import (
    JsonOutput,
    Part,
    ReasoningPart,
    SourcePart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from reverie.errors import ProtocolError
from reverie.model import CallWarning, FinishReason, Response, Usage
from reverie.providers import _untrusted as untrusted
from reverie.providers._anthropic.encode import WIRE


def map_finish_reason(reason: str | None) -> FinishReason:
    """Anthropic's ``stop_reason`` (and Bedrock's guardrail ones) as a FinishReason."""
    match reason:
        case "end_turn" | "stop_sequence" | "pause_turn":
            return FinishReason.STOP
        case "max_tokens" | "model_context_window_exceeded":
            return FinishReason.LENGTH
        case "tool_use":
            return FinishReason.TOOL_CALLS
        case "refusal" | "content_filtered" | "guardrail_intervened":
            return FinishReason.CONTENT_FILTER
        case _:
            return FinishReason.UNKNOWN


def decode_usage(usage: Mapping[str, Any] | None) -> Usage:
    """Anthropic usage; its ``input_tokens`` already excludes cache reads and writes."""
    usage = untrusted.mapping(usage)
    if not usage:
        return Usage()
    inp = untrusted.count(usage.get("input_tokens"))
    out = untrusted.count(usage.get("output_tokens"))
    return Usage(
        input_tokens=inp,
        output_tokens=out,
        total_tokens=inp + out,
        cache_read_tokens=untrusted.count(usage.get("cache_read_input_tokens")),
        cache_write_tokens=untrusted.count(usage.get("cache_creation_input_tokens")),
    )


def merge_usage(current: Mapping[str, Any], update: Mapping[str, Any] | None) -> dict[str, Any]:
    """``message_delta`` usage over ``message_start``'s: fields present and not null win
    (Bedrock's delta carries only ``output_tokens``; Anthropic's repeats the input counts)."""
    merged = dict(current)
    for key, value in untrusted.mapping(update).items():
        if value is not None:
            merged[key] = value
    return merged


def strip_nulls(value: Any) -> Any:
    """``value`` without null-valued keys, recursively: what the API accepts back."""
    if isinstance(value, Mapping):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value


def server_tool_result(block: Mapping[str, Any]) -> list[Part]:
    """Sources (for search results with a URL) then the provider-executed result part."""
    block_type = str(block.get("type", ""))
    tool_name = block_type.removesuffix("_tool_result")
    content = strip_nulls(block.get("content"))
    parts: list[Part] = []
    if isinstance(content, list):
        for item in content:  # pyright: ignore[reportUnknownVariableType]
            if isinstance(item, dict) and item.get("url"):  # pyright: ignore[reportUnknownMemberType]
                url = str(item["url"])  # pyright: ignore[reportUnknownArgumentType]
                parts.append(
                    SourcePart(source_id=url, url=url, title=str(item.get("title", "")))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
                )
    parts.append(
        ToolResultPart(
            tool_call_id=str(block.get("tool_use_id", "")),
            tool_name=tool_name,
            output=JsonOutput(content),
            provider_executed=True,
        )
    )
    return parts


def reasoning_metadata(*, signature: str = "", redacted: str = "") -> dict[str, Any]:
    """What a thinking block needs back on the next turn, keyed by the wire's name."""
    if signature:
        return {WIRE: {"signature": signature}}
    if redacted:
        return {WIRE: {"redacted_data": redacted}}
    return {}


def decode_block(block: Mapping[str, Any]) -> list[Part]:
    """The parts one content block becomes (none for a block type we do not know)."""
    kind = block.get("type")
    if kind == "text":
        text = str(block.get("text") or "")
        return [TextPart(text)] if text else []
    if kind == "thinking":
        return [
            ReasoningPart(
                str(block.get("thinking") or ""),
                provider_metadata=reasoning_metadata(signature=str(block.get("signature") or "")),
            )
        ]
    if kind == "redacted_thinking":
        return [
            ReasoningPart(
                "", provider_metadata=reasoning_metadata(redacted=str(block.get("data") or ""))
            )
        ]
    if kind in ("tool_use", "server_tool_use"):
        raw = block.get("input")
        return [
            ToolCallPart(
                tool_call_id=str(block.get("id", "")),
                tool_name=str(block.get("name", "")),
                input=orjson.dumps(raw if raw is not None else {}).decode(),
                provider_executed=kind == "server_tool_use",
            )
        ]
    if isinstance(kind, str) and kind.endswith("_tool_result") and "tool_use_id" in block:
        return server_tool_result(block)
    return []


def decode_response(
    data: Mapping[str, Any], provider: str, warnings: list[CallWarning]
) -> Response:
    """A non-streamed Messages response (``{"type": "message", ...}``) as a Response."""
    content = data.get("content")
    if not isinstance(content, list):
        raise ProtocolError(
            f"{provider}: the response has no content list: {excerpt(str(data), 300)}"
        )
    parts: list[Part] = []
    for block in content:  # pyright: ignore[reportUnknownVariableType]
        if isinstance(block, Mapping):
            parts.extend(decode_block(block))  # pyright: ignore[reportUnknownArgumentType]
    stop = data.get("stop_reason")
    return Response(
        content=tuple(parts),
        finish_reason=map_finish_reason(stop if isinstance(stop, str) else None),
        usage=decode_usage(data.get("usage")),
        warnings=tuple(warnings),
        provider_metadata=response_metadata(data),
        response_id=untrusted.identifier(data.get("id")),
        response_model=untrusted.identifier(data.get("model")),
    )


def response_metadata(message: Mapping[str, Any]) -> dict[str, Any]:
    meta = {k: message[k] for k in ("id", "model") if message.get(k)}
    return {WIRE: meta} if meta else {}


def response_identity(message: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The message's ``id`` and ``model`` (None when absent): Response.response_id/_model."""
    return untrusted.identifier(message.get("id")), untrusted.identifier(message.get("model"))
