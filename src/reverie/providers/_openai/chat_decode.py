"""The Chat Completions wire, decoding, pure: a completion's JSON → :class:`Response`.

Shared with the stream decoder (:mod:`.chat_stream`): finish reasons, usage (``prompt_tokens``
includes cached tokens, which we count apart), reasoning fields, URL citations, and the
shapes hosts add to the wire:

- ``refusal`` on the message (OpenAI's structured outputs): a :class:`RefusalPart`, and the
  finish reason ``content-filter``;
- ``content`` as a list of chunks (Mistral's thinking models): ``text`` chunks are text,
  ``thinking`` chunks (whose ``thinking`` is itself a list of text chunks) are reasoning;
  any other chunk type is skipped with a warning;
- usage where vendors put it: ``usage``, else Groq's ``x_groq.usage``, else the choice's own
  ``usage`` (Moonshot); DeepSeek's ``prompt_cache_hit_tokens`` as cached input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from reverie._redact import excerpt
from reverie.content import (
    Part,
    ReasoningPart,
    RefusalPart,
    SourcePart,
    TextPart,
    ToolCallPart,
)
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
    # DeepSeek reports cache hits in its own field (prompt_tokens still includes them).
    cached = untrusted.count(prompt_details.get("cached_tokens")) or untrusted.count(
        usage.get("prompt_cache_hit_tokens")
    )
    prompt = untrusted.count(usage.get("prompt_tokens"))
    return Usage(
        input_tokens=max(prompt - cached, 0),
        output_tokens=untrusted.count(usage.get("completion_tokens")),
        total_tokens=untrusted.count(usage.get("total_tokens")),
        reasoning_tokens=untrusted.count(completion_details.get("reasoning_tokens")),
        cache_read_tokens=cached,
    )


def usage_of(data: Mapping[str, Any], choice: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The usage object wherever the host put it: ``usage``, Groq's ``x_groq.usage``, or the
    choice's ``usage`` (Moonshot); None when there is none. A field of the wrong JSON type
    counts as absent (:func:`reverie.providers._untrusted.mapping`)."""
    if usage := untrusted.mapping(data.get("usage")):
        return usage
    if usage := untrusted.mapping(untrusted.mapping(data.get("x_groq")).get("usage")):
        return usage
    if choice is not None and (usage := untrusted.mapping(choice.get("usage"))):
        return usage
    return None


ContentPiece = tuple[bool, str]
"""A piece of a message's content: (is reasoning, text)."""


def content_pieces(content: Any, provider: str, skipped: set[str]) -> list[ContentPiece]:
    """A content list's text and thinking chunks, in order (see the module docstring).

    Chunk types that are neither are added to ``skipped`` (the caller warns, once each);
    a string is one text piece; anything else is skipped as ``"<type name>"``.
    """
    if isinstance(content, str):
        return [(False, content)] if content else []
    if not isinstance(content, list):
        skipped.add(f"<{type(content).__name__}>")
        return []
    pieces: list[ContentPiece] = []
    for chunk in cast(list[Any], content):
        if isinstance(chunk, str):
            pieces.append((False, chunk))
            continue
        if not isinstance(chunk, dict):
            skipped.add(f"<{type(chunk).__name__}>")
            continue
        chunk = cast(dict[str, Any], chunk)
        kind = chunk.get("type")
        if kind == "text" and isinstance(chunk.get("text"), str):
            pieces.append((False, chunk["text"]))
        elif kind == "thinking":
            for inner in content_pieces(chunk.get("thinking"), provider, skipped):
                pieces.append((True, inner[1]))
        else:
            skipped.add(str(kind))
    return [p for p in pieces if p[1]]


def skipped_warnings(provider: str, kinds: set[str]) -> list[CallWarning]:
    """One warning per content chunk type that was skipped."""
    return [
        CallWarning(
            "other", f"{provider}: content chunks of type {kind!r} are not supported; skipped"
        )
        for kind in sorted(kinds)
    ]


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
    warnings = list(warnings)
    if isinstance(text, str):
        if text:
            content.append(TextPart(text))
    elif text is not None:
        skipped: set[str] = set()
        pieces = content_pieces(text, dialect.name, skipped)
        thinking = "".join(t for is_reasoning, t in pieces if is_reasoning)
        if thinking and not any(isinstance(p, ReasoningPart) for p in content):
            content.append(ReasoningPart(thinking))
        if answer := "".join(t for is_reasoning, t in pieces if not is_reasoning):
            content.append(TextPart(answer))
        warnings += skipped_warnings(dialect.name, skipped)
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        content.append(RefusalPart(refusal))
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
    if isinstance(refusal, str) and refusal and finish in (FinishReason.STOP, FinishReason.UNKNOWN):
        finish = FinishReason.CONTENT_FILTER
    usage = usage_of(data, choice)
    return Response(
        content=tuple(content),
        finish_reason=finish,
        usage=ext.decode_usage(usage or {}) if ext is not None else decode_usage(usage),
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
