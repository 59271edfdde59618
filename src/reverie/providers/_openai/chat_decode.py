"""The Chat Completions wire, decoding, pure: a completion's JSON → :class:`Response`.

Shared with the stream decoder (:mod:`.chat_stream`): finish reasons, usage (``prompt_tokens``
includes cached tokens, which we count apart), reasoning fields, URL citations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from reverie._redact import excerpt
from reverie.content import Part, ReasoningPart, SourcePart, TextPart, ToolCallPart
from reverie.model import CallWarning, FinishReason, Response, Usage
from reverie.providers import _untrusted as untrusted
from reverie.providers._openai.dialect import ChatDialect


def map_finish_reason(reason: str | None) -> FinishReason:
    match reason:
        case "stop":
            return FinishReason.STOP
        case "length":
            return FinishReason.LENGTH
        case "content_filter":
            return FinishReason.CONTENT_FILTER
        case "tool_calls" | "function_call":
            return FinishReason.TOOL_CALLS
        case _:
            return FinishReason.UNKNOWN


def decode_usage(usage: Mapping[str, Any] | None) -> Usage:
    """Chat usage; ``prompt_tokens`` includes cached tokens, which we count separately."""
    usage = untrusted.mapping(usage)
    if not usage:
        return Usage()
    prompt_details = untrusted.mapping(usage.get("prompt_tokens_details"))
    completion_details = untrusted.mapping(usage.get("completion_tokens_details"))
    cached = untrusted.count(prompt_details.get("cached_tokens"))
    prompt = untrusted.count(usage.get("prompt_tokens"))
    return Usage(
        input_tokens=max(prompt - cached, 0),
        output_tokens=untrusted.count(usage.get("completion_tokens")),
        total_tokens=untrusted.count(usage.get("total_tokens")),
        reasoning_tokens=untrusted.count(completion_details.get("reasoning_tokens")),
        cache_read_tokens=cached,
    )


def reasoning_of(message: Mapping[str, Any]) -> str | None:
    """The reasoning text a compatible host put on a message or delta, None when absent."""
    for key in ("reasoning_content", "reasoning"):
        value = message.get(key)
        if isinstance(value, str):
            return value
    return None


def decode_response(
    data: Mapping[str, Any], dialect: ChatDialect, warnings: Sequence[CallWarning]
) -> Response:
    """A non-streamed completion as a :class:`Response`."""
    from reverie.errors import ProtocolError

    choices: list[Any] = data.get("choices") or []
    if not choices:
        raise ProtocolError(
            f"{dialect.name}: the response has no choices: {excerpt(str(data), 300)}"
        )
    choice: dict[str, Any] = choices[0]
    message: dict[str, Any] = choice.get("message") or {}
    content: list[Part] = []
    ext = dialect.extension
    if ext is not None:
        content.extend(ext.decode_reasoning(message))
    elif reasoning := reasoning_of(message):
        content.append(ReasoningPart(reasoning))
    text: Any = message.get("content")
    if isinstance(text, str) and text:
        content.append(TextPart(text))
    calls: list[dict[str, Any]] = message.get("tool_calls") or []
    for i, tc in enumerate(calls):
        fn: dict[str, Any] = tc.get("function") or {}
        content.append(
            ToolCallPart(
                tool_call_id=tc.get("id") or f"tool-call-{i}",
                tool_name=fn.get("name") or "",
                input=fn.get("arguments") or "{}",
            )
        )
    content.extend(sources(message.get("annotations")))
    reason = choice.get("finish_reason")
    # "length" with calls means one was cut off mid-arguments: say so, not "tool-calls".
    finish = FinishReason.TOOL_CALLS if calls and reason != "length" else map_finish_reason(reason)
    return Response(
        content=tuple(content),
        finish_reason=finish,
        usage=ext.decode_usage(data.get("usage") or {})
        if ext is not None
        else decode_usage(data.get("usage")),
        warnings=tuple(warnings),
        provider_metadata=_metadata(data, dialect),
        response_id=untrusted.identifier(data.get("id")),
        response_model=untrusted.identifier(data.get("model")),
    )


def sources(annotations: Any) -> list[SourcePart]:
    out: list[SourcePart] = []
    items = cast(list[Any], annotations) if isinstance(annotations, list) else []
    for ann in items:
        if not isinstance(ann, dict):
            continue
        ann = cast(dict[str, Any], ann)
        if ann.get("type") == "url_citation":
            cite: dict[str, Any] = ann.get("url_citation") or {}
            url = str(cite.get("url", ""))
            out.append(SourcePart(source_id=url, url=url, title=str(cite.get("title", ""))))
    return out


def _metadata(data: Mapping[str, Any], dialect: ChatDialect) -> dict[str, Mapping[str, Any]]:
    meta: dict[str, Any] = {}
    for key in ("id", "model", "system_fingerprint", "service_tier"):
        if data.get(key):
            meta[key] = data[key]
    if dialect.extension is not None:
        meta.update(dialect.extension.response_metadata(data))
    return {dialect.name: meta} if meta else {}
