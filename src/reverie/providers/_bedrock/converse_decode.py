"""The Bedrock Converse wire, decoding a whole response, pure: JSON → :class:`Response`.

Also holds what the stream decoder (:mod:`.converse_stream`) shares: stop reasons, usage and
metadata. ``output.message.content`` blocks become parts:

- ``text`` → :class:`TextPart`;
- ``reasoningContent.reasoningText`` → :class:`ReasoningPart` with its ``signature`` in
  the metadata (under the provider's name); ``redactedContent`` → an empty reasoning part
  keeping ``redacted_content``; both go back unchanged on the next turn;
- ``toolUse`` → :class:`ToolCallPart` (``input``, a JSON object, as JSON text);
- ``citationsContent`` → its text, then a document :class:`SourcePart` per citation.

Stop reasons: ``end_turn`` and ``stop_sequence`` → stop, ``tool_use`` → tool-calls,
``max_tokens`` and ``model_context_window_exceeded`` → length, ``guardrail_intervened``
and ``content_filtered`` → content-filter, ``malformed_model_output`` and
``malformed_tool_use`` → error. Usage: ``inputTokens`` excludes the cache, whose reads and
writes are ``cacheReadInputTokens`` / ``cacheWriteInputTokens``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import orjson

from reverie._redact import excerpt
from reverie.content import Part, ReasoningPart, SourcePart, TextPart, ToolCallPart
from reverie.errors import ProtocolError
from reverie.model import CallWarning, FinishReason, Response, Usage
from reverie.providers import _untrusted as untrusted

_STOP_REASONS = {
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "tool_use": FinishReason.TOOL_CALLS,
    "max_tokens": FinishReason.LENGTH,
    "model_context_window_exceeded": FinishReason.LENGTH,
    "guardrail_intervened": FinishReason.CONTENT_FILTER,
    "content_filtered": FinishReason.CONTENT_FILTER,
    "malformed_model_output": FinishReason.ERROR,
    "malformed_tool_use": FinishReason.ERROR,
}


def map_stop_reason(reason: Any, has_tool_calls: bool) -> FinishReason:
    """Converse's ``stopReason`` as ours (calls made under ``end_turn`` still say tool-calls)."""
    mapped = _STOP_REASONS.get(str(reason), FinishReason.UNKNOWN)
    if has_tool_calls and mapped == FinishReason.STOP:
        return FinishReason.TOOL_CALLS
    return mapped


def decode_usage(usage: Any) -> Usage:
    """Converse's ``TokenUsage`` (camel case; cache tokens apart from ``inputTokens``)."""
    usage = untrusted.mapping(usage)
    if not usage:
        return Usage()
    input_tokens = untrusted.count(usage.get("inputTokens"))
    output_tokens = untrusted.count(usage.get("outputTokens"))
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=untrusted.count(usage.get("totalTokens")) or input_tokens + output_tokens,
        cache_read_tokens=untrusted.count(usage.get("cacheReadInputTokens")),
        cache_write_tokens=untrusted.count(usage.get("cacheWriteInputTokens")),
    )


def response_metadata(data: Mapping[str, Any], provider: str) -> dict[str, Any]:
    """What a response or the stream's ``messageStop`` / ``metadata`` events say besides
    content: the raw stop reason, latency, guardrail trace, model-specific fields."""
    meta: dict[str, Any] = {}
    if data.get("stopReason"):
        meta["stop_reason"] = data["stopReason"]
    metrics: Any = data.get("metrics")
    if isinstance(metrics, dict) and "latencyMs" in metrics:
        meta["latency_ms"] = cast(dict[str, Any], metrics)["latencyMs"]
    for key, name in (
        ("trace", "trace"),
        ("additionalModelResponseFields", "additional_model_response_fields"),
        ("performanceConfig", "performance_config"),
        ("serviceTier", "service_tier"),
    ):
        if data.get(key):
            meta[name] = data[key]
    return meta


def decode_response(
    data: Mapping[str, Any], provider: str, warnings: Sequence[CallWarning]
) -> Response:
    """A ``Converse`` response as a :class:`Response`."""
    output: Any = data.get("output")
    message: Any = cast(dict[str, Any], output).get("message") if isinstance(output, dict) else None
    if not isinstance(message, dict) or "stopReason" not in data:
        raise ProtocolError(f"{provider}: not a Converse response: {excerpt(str(data), 300)}")
    content: list[Part] = []
    for block in _dicts(cast(dict[str, Any], message).get("content")):
        content.extend(block_parts(block, provider))
    has_calls = any(isinstance(p, ToolCallPart) for p in content)
    meta = response_metadata(data, provider)
    return Response(
        content=tuple(content),
        finish_reason=map_stop_reason(data.get("stopReason"), has_calls),
        usage=decode_usage(data.get("usage")),
        warnings=tuple(warnings),
        provider_metadata={provider: meta} if meta else {},
    )


def block_parts(block: Mapping[str, Any], provider: str) -> list[Part]:
    """The parts one content block becomes (see the module docstring)."""
    if isinstance(block.get("text"), str):
        return [TextPart(block["text"])] if block["text"] else []
    reasoning: Any = block.get("reasoningContent")
    if isinstance(reasoning, dict):
        reasoning = cast(dict[str, Any], reasoning)
        text: Any = reasoning.get("reasoningText")
        if isinstance(text, dict):
            text = cast(dict[str, Any], text)
            signature = text.get("signature")
            meta = {provider: {"signature": signature}} if signature else {}
            return [ReasoningPart(str(text.get("text") or ""), provider_metadata=meta)]
        if reasoning.get("redactedContent"):
            redacted = {provider: {"redacted_content": reasoning["redactedContent"]}}
            return [ReasoningPart("", provider_metadata=redacted)]
        return []
    tool: Any = block.get("toolUse")
    if isinstance(tool, dict):
        tool = cast(dict[str, Any], tool)
        return [
            ToolCallPart(
                tool_call_id=str(tool.get("toolUseId") or ""),
                tool_name=str(tool.get("name") or ""),
                input=orjson.dumps(tool.get("input") or {}).decode(),
            )
        ]
    cited: Any = block.get("citationsContent")
    if isinstance(cited, dict):
        return _citations(cast(dict[str, Any], cited))
    return []


def _citations(block: Mapping[str, Any]) -> list[Part]:
    parts: list[Part] = []
    text = "".join(str(c.get("text") or "") for c in _dicts(block.get("content")))
    if text:
        parts.append(TextPart(text))
    for i, citation in enumerate(_dicts(block.get("citations"))):
        title = str(citation.get("title") or citation.get("source") or "Document")
        parts.append(
            SourcePart(
                source_id=str(citation.get("source") or f"citation-{i}"),
                title=title,
                source_type="document",
            )
        )
    return parts


def _dicts(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [cast(dict[str, Any], v) for v in cast(list[Any], value) if isinstance(v, dict)]
