"""The OpenAI Responses wire, decoding a whole response, pure: JSON → :class:`Response`.

Also holds the pieces the stream decoder shares: usage, finish reason, and how each output
item becomes parts. Output items map to parts like this:

- ``message`` → a :class:`TextPart` per ``output_text`` (``item_id`` in its metadata), then a
  :class:`SourcePart` per URL or file citation; a :class:`RefusalPart` per ``refusal``;
- ``function_call`` → a :class:`ToolCallPart` (the ``call_id``; ``item_id`` in metadata); a
  call whose ``status`` is ``incomplete`` (its arguments were cut off by
  ``max_output_tokens``) is dropped with a warning, so nothing can run it;
- ``web_search_call`` → a provider-executed :class:`ToolCallPart` named ``web_search`` (its
  input is the search action) and its :class:`ToolResultPart`;
- ``reasoning`` → a :class:`ReasoningPart` whose text is its ``reasoning_text`` content
  parts (the raw reasoning of gpt-oss and DeepSeek on the Responses API) then its summary
  parts, joined by a blank line, and whose metadata keeps ``item_id``,
  ``encrypted_content`` and ``summary`` (the list). An item with no text and no encrypted
  content carries nothing and is dropped.

The finish reason: an ``incomplete`` response says why (``max_output_tokens`` → ``length``,
``content_filter`` → ``content-filter``) even when it holds calls; else tool calls; else a
refusal (``content-filter``); else ``stop``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import orjson

from reverie._redact import excerpt
from reverie.content import (
    JsonOutput,
    Part,
    ProviderData,
    ReasoningPart,
    RefusalPart,
    SourcePart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from reverie.errors import ProtocolError, ProviderError
from reverie.model import CallWarning, FinishReason, Response, Usage
from reverie.providers import _untrusted as untrusted
from reverie.providers._errors import error_from_event
from reverie.providers._openai.responses import ResponsesDialect

WEB_SEARCH = "web_search"
SUMMARY_SEPARATOR = "\n\n"


def decode_response(
    data: Mapping[str, Any], dialect: ResponsesDialect, warnings: Sequence[CallWarning]
) -> Response:
    """A non-streamed response as a :class:`Response`; an ``error`` in it is raised."""
    error = data.get("error")
    if error:
        raise response_error(error, dialect.name)
    output: Any = data.get("output")
    if not isinstance(output, list):
        raise ProtocolError(
            f"{dialect.name}: the response has no output: {excerpt(str(data), 300)}"
        )
    content: list[Part] = []
    notes = list(warnings)
    has_call = False
    for item in _dicts(cast(list[Any], output)):
        if item.get("type") == "function_call" and item.get("status") == "incomplete":
            notes.append(incomplete_call_warning(item, dialect.name))
            continue
        content.extend(item_parts(item, dialect.name))
        has_call = has_call or item.get("type") == "function_call"
    refused = any(isinstance(p, RefusalPart) for p in content)
    return Response(
        content=tuple(content),
        finish_reason=finish_reason(data, has_call, refused),
        usage=decode_usage(data.get("usage")),
        warnings=tuple(notes),
        provider_metadata=response_metadata(data, dialect.name),
        response_id=untrusted.identifier(data.get("id")),
        response_model=untrusted.identifier(data.get("model")),
    )


def item_parts(item: Mapping[str, Any], provider: str) -> list[Part]:
    """The parts one output item becomes (see the module docstring)."""
    kind = item.get("type")
    item_id = str(item.get("id") or "")
    if kind == "message":
        parts: list[Part] = []
        for block in _dicts(item.get("content")):
            kind = block.get("type")
            if kind == "refusal":
                parts.append(
                    RefusalPart(
                        str(block.get("refusal") or ""), provider_metadata=_meta(provider, item_id)
                    )
                )
            elif kind == "output_text":
                parts.append(
                    TextPart(
                        str(block.get("text") or ""), provider_metadata=_meta(provider, item_id)
                    )
                )
                parts.extend(sources(block.get("annotations")))
        return parts
    if kind == "function_call":
        return [function_call(item, provider)]
    if kind == "web_search_call":
        call, result = web_search_parts(item, provider)
        return [call, result]
    if kind == "reasoning":
        metadata = reasoning_metadata(item)
        texts = [*reasoning_texts(item), *metadata["summary"]]
        if not any(texts) and not metadata.get("encrypted_content"):
            return []
        text = SUMMARY_SEPARATOR.join(texts)
        return [ReasoningPart(text, provider_metadata={provider: metadata})]
    return []


def reasoning_texts(item: Mapping[str, Any]) -> list[str]:
    """A reasoning item's ``content`` parts of type ``reasoning_text``."""
    return [
        str(c.get("text") or "")
        for c in _dicts(item.get("content"))
        if c.get("type") == "reasoning_text"
    ]


def incomplete_call_warning(item: Mapping[str, Any], provider: str) -> CallWarning:
    return CallWarning(
        "other",
        f"{provider}: tool call {str(item.get('name') or '')!r} was cut off by "
        "max_output_tokens; it was dropped, not run (raise max_output_tokens)",
    )


def function_call(item: Mapping[str, Any], provider: str) -> ToolCallPart:
    return ToolCallPart(
        tool_call_id=str(item.get("call_id") or item.get("id") or ""),
        tool_name=str(item.get("name") or ""),
        input=str(item.get("arguments") or "") or "{}",
        provider_metadata=_meta(provider, str(item.get("id") or "")),
    )


def web_search_parts(item: Mapping[str, Any], provider: str) -> tuple[ToolCallPart, ToolResultPart]:
    """A hosted web search: the call (input: the action taken) and its result."""
    item_id = str(item.get("id") or "")
    action: Any = item.get("action")
    action = cast(dict[str, Any], action) if isinstance(action, dict) else {}
    metadata: dict[str, Any] = {"item_id": item_id}
    if action:
        metadata["action"] = action
    call = ToolCallPart(
        tool_call_id=item_id,
        tool_name=WEB_SEARCH,
        input=orjson.dumps(action).decode(),
        provider_executed=True,
        provider_metadata={provider: metadata},
    )
    result = ToolResultPart(
        tool_call_id=item_id,
        tool_name=WEB_SEARCH,
        output=JsonOutput({"status": item.get("status"), "action": action}),
        provider_executed=True,
        provider_metadata={provider: metadata},
    )
    return call, result


def reasoning_metadata(item: Mapping[str, Any]) -> dict[str, Any]:
    """``item_id``, ``encrypted_content`` (when included) and the ``summary`` texts."""
    metadata: dict[str, Any] = {
        "item_id": str(item.get("id") or ""),
        "summary": [str(s.get("text") or "") for s in _dicts(item.get("summary"))],
    }
    encrypted = item.get("encrypted_content")
    if encrypted:
        metadata["encrypted_content"] = encrypted
    return metadata


def sources(annotations: Any) -> list[SourcePart]:
    """URL and file citations as sources (other annotation kinds are ignored)."""
    out: list[SourcePart] = []
    for ann in _dicts(annotations):
        source = source_of(ann)
        if source is not None:
            out.append(source)
    return out


def source_of(ann: Mapping[str, Any]) -> SourcePart | None:
    kind = ann.get("type")
    if kind == "url_citation":
        url = str(ann.get("url") or "")
        return SourcePart(source_id=url, url=url, title=str(ann.get("title") or ""))
    if kind == "file_citation":
        filename = str(ann.get("filename") or "")
        return SourcePart(
            source_id=str(ann.get("file_id") or filename),
            title=filename or "Document",
            media_type="text/plain",
            source_type="document",
        )
    return None


def finish_reason(
    response: Mapping[str, Any], has_function_call: bool, refused: bool = False
) -> FinishReason:
    """Why the response ended (see the module docstring): an incomplete response's reason
    first, then tool calls, then a refusal."""
    details: Any = response.get("incomplete_details")
    reason: Any = cast(dict[str, Any], details).get("reason") if isinstance(details, dict) else None
    if not reason and response.get("status") == "incomplete":
        reason = "unknown"
    match reason:
        case None | "":
            pass
        case "max_output_tokens" | "max_tokens":
            return FinishReason.LENGTH
        case "content_filter":
            return FinishReason.CONTENT_FILTER
        case _:
            return FinishReason.OTHER
    if has_function_call:
        return FinishReason.TOOL_CALLS
    return FinishReason.CONTENT_FILTER if refused else FinishReason.STOP


def decode_usage(usage: Any) -> Usage:
    """Responses usage; ``input_tokens`` includes cached tokens, which we count separately."""
    usage = untrusted.mapping(usage)
    if not usage:
        return Usage()
    input_details = untrusted.mapping(usage.get("input_tokens_details"))
    output_details = untrusted.mapping(usage.get("output_tokens_details"))
    cached = untrusted.count(input_details.get("cached_tokens"))
    prompt = untrusted.count(usage.get("input_tokens"))
    completion = untrusted.count(usage.get("output_tokens"))
    return Usage(
        input_tokens=max(prompt - cached, 0),
        output_tokens=completion,
        total_tokens=untrusted.count(usage.get("total_tokens")) or prompt + completion,
        reasoning_tokens=untrusted.count(output_details.get("reasoning_tokens")),
        cache_read_tokens=cached,
    )


def response_metadata(response: Mapping[str, Any], provider: str) -> dict[str, Mapping[str, Any]]:
    """``response_id`` (usable as ``previous_response_id`` when stored) and ``model``."""
    meta: dict[str, Any] = {}
    if response.get("id"):
        meta["response_id"] = response["id"]
    for key in ("model", "service_tier"):
        if response.get(key):
            meta[key] = response[key]
    return {provider: meta} if meta else {}


def response_error(error: Any, provider: str) -> ProviderError:
    """The typed error for a failed response's ``error`` (``{code, message}``)."""
    if isinstance(error, dict):
        error = cast(dict[str, Any], error)
        code = error.get("type") or error.get("code") or ""
        error = {**error, "type": str(code)}
    return error_from_event(error, provider)


def response_identity(metadata: ProviderData, provider: str) -> tuple[str | None, str | None]:
    """The response id and model name from :func:`response_metadata`'s output."""
    meta: Mapping[str, Any] = metadata.get(provider) or {}
    return untrusted.identifier(meta.get("response_id")), untrusted.identifier(meta.get("model"))


def _meta(provider: str, item_id: str) -> dict[str, Mapping[str, Any]]:
    return {provider: {"item_id": item_id}} if item_id else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [cast(dict[str, Any], v) for v in cast(list[Any], value) if isinstance(v, dict)]
