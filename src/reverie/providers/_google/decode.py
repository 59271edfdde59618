"""The ``generateContent`` response, pure: JSON → :class:`~reverie.model.Response`.

- Parts: ``text`` becomes a :class:`TextPart`, ``text`` with ``thought: true`` a
  :class:`ReasoningPart`, ``functionCall`` a :class:`ToolCallPart` (arguments as JSON text).
  A ``thoughtSignature`` stays on the part it came with, in
  ``provider_metadata[dialect.name]["thought_signature"]``, so the encoder sends it back
  unchanged; an empty text part that only carries a signature hands it to the text part
  before it.
- Tool call ids: Gemini gives none (2.5) or its own (3); reverie uses Gemini's when it is
  present and not already used in this response, else one from the model's id factory.
- Finish reasons: see :func:`map_finish_reason`. A ``STOP`` with function calls is
  ``tool-calls``; a blocked prompt (no candidates, ``promptFeedback.blockReason``) is
  ``content-filter``; nothing is ever reported as an empty success.
- Usage: see :func:`decode_usage`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, cast

import orjson

from reverie._redact import excerpt
from reverie.content import Part, ReasoningPart, SourcePart, TextPart, ToolCallPart
from reverie.errors import (
    AuthenticationError,
    ContextTooLargeError,
    InvalidRequestError,
    ProtocolError,
    ProviderError,
)
from reverie.model import CallWarning, FinishReason, Response, Usage
from reverie.providers import _untrusted as untrusted
from reverie.providers._google.encode import SIGNATURE_KEY, GoogleDialect

IdFactory = Callable[[], str]

_BLOCKED = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
    }
)
_ERRORS = frozenset(
    {"MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS", "LANGUAGE"}
)


def map_finish_reason(reason: str | None, has_tool_calls: bool = False) -> FinishReason:
    """Gemini's ``finishReason`` as ours.

    STOP → stop (tool-calls when the turn made function calls); MAX_TOKENS → length; SAFETY,
    RECITATION and the other blocked reasons → content-filter; MALFORMED_FUNCTION_CALL and
    the other failed-call reasons → error; OTHER and FINISH_REASON_UNSPECIFIED → other;
    anything new → unknown.
    """
    if reason == "STOP":
        return FinishReason.TOOL_CALLS if has_tool_calls else FinishReason.STOP
    if reason == "MAX_TOKENS":
        return FinishReason.LENGTH
    if reason in _BLOCKED:
        return FinishReason.CONTENT_FILTER
    if reason in _ERRORS:
        return FinishReason.ERROR
    if reason in ("OTHER", "FINISH_REASON_UNSPECIFIED", "NO_IMAGE"):
        return FinishReason.OTHER
    return FinishReason.UNKNOWN


def decode_usage(meta: Mapping[str, Any] | None) -> Usage:
    """``usageMetadata`` as :class:`Usage`.

    ``promptTokenCount`` includes cached tokens, which are counted apart (input excludes
    them); ``candidatesTokenCount`` excludes thoughts, which are added to the output so that
    ``reasoning_tokens`` is part of ``output_tokens`` as :class:`Usage` promises.
    """
    meta = untrusted.mapping(meta)
    if not meta:
        return Usage()
    prompt = untrusted.count(meta.get("promptTokenCount"))
    cached = untrusted.count(meta.get("cachedContentTokenCount"))
    candidates = untrusted.count(meta.get("candidatesTokenCount"))
    thoughts = untrusted.count(meta.get("thoughtsTokenCount"))
    tool_prompt = untrusted.count(meta.get("toolUsePromptTokenCount"))
    total = untrusted.count(meta.get("totalTokenCount")) or (
        prompt + candidates + thoughts + tool_prompt
    )
    return Usage(
        input_tokens=max(prompt - cached, 0) + tool_prompt,
        output_tokens=candidates + thoughts,
        total_tokens=total,
        reasoning_tokens=thoughts,
        cache_read_tokens=cached,
    )


class CallIds:
    """Assigns tool call ids within one response: Gemini's own when present and unique,
    else a new one from ``factory`` (Gemini 2.5 sends none; a repeated id would make two
    calls indistinguishable to the agent)."""

    __slots__ = ("_factory", "_seen")

    def __init__(self, factory: IdFactory) -> None:
        self._factory = factory
        self._seen: set[str] = set()

    def assign(self, given: Any) -> str:
        call_id = given if isinstance(given, str) and given and given not in self._seen else ""
        if not call_id:
            call_id = self._factory()
        self._seen.add(call_id)
        return call_id


def metadata(signature: Any, dialect: GoogleDialect) -> dict[str, Mapping[str, Any]]:
    """Part metadata holding ``signature`` (empty when there is none)."""
    if isinstance(signature, str) and signature:
        return {dialect.name: {SIGNATURE_KEY: signature}}
    return {}


def tool_call(
    function: Mapping[str, Any], signature: Any, ids: CallIds, dialect: GoogleDialect
) -> ToolCallPart:
    """A ``functionCall`` part as a :class:`ToolCallPart`."""
    args = function.get("args")
    return ToolCallPart(
        tool_call_id=ids.assign(function.get("id")),
        tool_name=str(function.get("name") or ""),
        input=orjson.dumps(args).decode() if args is not None else "{}",
        provider_metadata=metadata(signature, dialect),
    )


def sources(candidate: Mapping[str, Any]) -> list[SourcePart]:
    """Web sources from a candidate's ``groundingMetadata`` (Google Search grounding)."""
    grounding: Mapping[str, Any] = candidate.get("groundingMetadata") or {}
    out: list[SourcePart] = []
    for chunk in grounding.get("groundingChunks") or ():
        web = cast("Mapping[str, Any]", chunk).get("web") if isinstance(chunk, Mapping) else None
        if not isinstance(web, Mapping):
            continue
        web = cast("Mapping[str, Any]", web)
        uri = web.get("uri")
        if isinstance(uri, str) and uri:
            out.append(SourcePart(source_id=uri, url=uri, title=str(web.get("title") or "")))
    return out


def response_metadata(data: Mapping[str, Any], dialect: GoogleDialect) -> dict[str, Any]:
    """What a response says about itself, under ``dialect.name``."""
    meta: dict[str, Any] = {}
    for src, dst in (("responseId", "response_id"), ("modelVersion", "model_version")):
        if data.get(src):
            meta[dst] = data[src]
    feedback = data.get("promptFeedback")
    if feedback:
        meta["prompt_feedback"] = feedback
    candidates = data.get("candidates") or ()
    if candidates:
        first: Mapping[str, Any] = candidates[0]
        for src, dst in (
            ("safetyRatings", "safety_ratings"),
            ("groundingMetadata", "grounding_metadata"),
            ("finishMessage", "finish_message"),
        ):
            if first.get(src):
                meta[dst] = first[src]
    return {dialect.name: meta} if meta else {}


def response_identity(meta: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``responseId`` and ``modelVersion`` from :func:`response_metadata`'s inner dict."""
    return untrusted.identifier(meta.get("response_id")), untrusted.identifier(
        meta.get("model_version")
    )


def decode_response(
    data: Mapping[str, Any],
    dialect: GoogleDialect,
    new_id: IdFactory,
    warnings: tuple[CallWarning, ...] = (),
) -> Response:
    """A non-streamed ``generateContent`` answer as a :class:`Response`."""
    candidates = data.get("candidates") or ()
    usage = decode_usage(data.get("usageMetadata"))
    meta = response_metadata(data, dialect)
    identity = response_identity(meta.get(dialect.name) or {})
    if not candidates:
        feedback: Mapping[str, Any] = data.get("promptFeedback") or {}
        if feedback.get("blockReason"):
            return Response((), FinishReason.CONTENT_FILTER, usage, warnings, meta, *identity)
        raise ProtocolError(
            f"{dialect.name}: the response has no candidates: {excerpt(str(data), 300)}"
        )
    candidate: Mapping[str, Any] = candidates[0]
    content: Mapping[str, Any] = candidate.get("content") or {}
    parts: list[Part] = []
    ids = CallIds(new_id)
    for raw in content.get("parts") or ():
        if not isinstance(raw, Mapping):
            continue
        part: Mapping[str, Any] = raw  # pyright: ignore[reportUnknownVariableType]
        signature = part.get("thoughtSignature")
        function = part.get("functionCall")
        if isinstance(function, Mapping):
            parts.append(tool_call(function, signature, ids, dialect))  # pyright: ignore[reportUnknownArgumentType]
            continue
        text = part.get("text")
        if not isinstance(text, str):
            continue  # executable code, inline output data: not represented yet
        if part.get("thought"):
            parts.append(ReasoningPart(text, provider_metadata=metadata(signature, dialect)))
        elif text:
            parts.append(TextPart(text, provider_metadata=metadata(signature, dialect)))
        elif signature and parts and isinstance(parts[-1], TextPart):
            # An empty part that only carries a signature belongs to the text before it.
            last = parts[-1]
            if dialect.name not in last.provider_metadata:
                parts[-1] = replace(last, provider_metadata=metadata(signature, dialect))
    parts.extend(sources(candidate))
    has_calls = any(isinstance(p, ToolCallPart) for p in parts)
    reason = map_finish_reason(candidate.get("finishReason"), has_calls)
    if candidate.get("finishReason") is None and has_calls:
        reason = FinishReason.TOOL_CALLS
    return Response(tuple(parts), reason, usage, warnings, meta, *identity)


_TOKEN_LIMIT = re.compile(
    r"input token count \(?(\d+)\)? exceeds the maximum number of tokens allowed \(?(\d+)\)?"
)


def refine_error(error: ProviderError) -> ProviderError:
    """A sharper type for Google's 400s: an invalid API key is an authentication error,
    a prompt over the context window a :class:`ContextTooLargeError`; others unchanged."""
    if not isinstance(error, InvalidRequestError) or isinstance(error, ContextTooLargeError):
        return error
    common: dict[str, Any] = {
        "status": error.status,
        "error_type": error.error_type,
        "request_id": error.request_id,
        "body": error.body,
        "headers": error.headers,
        "retry_after": error.retry_after,
        "provider": error.provider,
    }
    if "API_KEY_INVALID" in error.body or "API key not valid" in error.body:
        return AuthenticationError(
            f"{error.message} (check GEMINI_API_KEY / the api_key passed)", **common
        )
    match = _TOKEN_LIMIT.search(error.body)
    if match is not None:
        return ContextTooLargeError(
            f"{error.message} (shorten the conversation or pick a model with a larger window)",
            used_tokens=untrusted.count(match[1]) or None,
            max_tokens=untrusted.count(match[2]) or None,
            **common,
        )
    return error
