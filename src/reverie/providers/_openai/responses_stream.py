"""The OpenAI Responses wire, streaming, pure: typed SSE events in, :mod:`reverie.events` out.

:class:`ResponsesStreamDecoder` is fed each event's JSON (already parsed; the event's own
``type`` field says what it is) and returns the events it completes. Blocks are the output
items, told apart by item id (a function call by its ``call_id``):

- ``response.output_item.added`` opens a text block (``message``), a tool input
  (``function_call``, provider-executed ``web_search_call``) or a reasoning block;
- ``response.output_text.delta``, ``response.function_call_arguments.delta``,
  ``response.reasoning_text.delta`` (raw reasoning: gpt-oss, DeepSeek) and
  ``response.reasoning_summary_text.delta`` fill them; each new reasoning part after the
  first adds a blank line;
- ``response.refusal.delta`` / ``.done`` collect a refusal, sent as one
  :class:`~reverie.events.Refusal` when done;
- ``response.output_text.annotation.added`` yields a source;
- ``response.output_item.done`` closes a block: a whole tool call, a web search call and its
  result, a reasoning block with its final ``encrypted_content`` and summary list. A
  function call whose item is ``incomplete`` (cut off by ``max_output_tokens``), or that
  never got its ``done``, ends its tool input but yields no ``ToolCall``, with a warning:
  nothing can run it;
- ``response.completed`` / ``response.incomplete`` end the stream (usage, finish reason:
  an incomplete response's reason wins over tool calls, as in a whole response).

``response.failed`` and ``error`` events raise typed provider errors. A stream that ends
without ``response.completed`` or ``response.incomplete`` is cut short: :meth:`finish` raises
:class:`~reverie.errors.IncompleteStreamError` rather than report a false success.

Reasoning items that carry neither summary nor encrypted content (what reasoning models send
when neither was asked for) yield no block, exactly as in a generated response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from reverie.content import RefusalPart
from reverie.errors import IncompleteStreamError
from reverie.events import (
    Finish,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningStart,
    Refusal,
    Source,
    StreamEvent,
    TextDelta,
    TextEnd,
    TextStart,
    ToolCall,
    ToolInputDelta,
    ToolInputEnd,
    ToolInputStart,
    ToolResult,
    Warnings,
)
from reverie.model import Usage
from reverie.providers import _untrusted as untrusted
from reverie.providers._errors import error_from_event
from reverie.providers._openai.responses import ResponsesDialect
from reverie.providers._openai.responses_decode import (
    SUMMARY_SEPARATOR,
    WEB_SEARCH,
    decode_usage,
    finish_reason,
    function_call,
    incomplete_call_warning,
    reasoning_metadata,
    reasoning_texts,
    response_error,
    response_identity,
    response_metadata,
    source_of,
    web_search_parts,
)


class _Reasoning:
    __slots__ = ("content", "encrypted", "parts", "started", "summary")

    def __init__(self, encrypted: str | None) -> None:
        self.encrypted = encrypted
        self.started = False
        self.summary: list[str] = []
        self.content: dict[int, str] = {}  # reasoning_text parts by content_index
        self.parts = 0  # parts begun (content or summary): each after the first gets a separator


class ResponsesStreamDecoder:
    """Turns one streamed response into events. One instance per stream."""

    __slots__ = (
        "_calls",
        "_finish",
        "_has_call",
        "_metadata",
        "_open_calls",
        "_open_text",
        "_provider",
        "_reasoning",
        "_refusals",
        "_refusals_sent",
        "_response",
    )

    def __init__(self, dialect: ResponsesDialect) -> None:
        self._provider = dialect.name
        self._calls: dict[Any, str] = {}  # output_index or item id -> call_id
        self._reasoning: dict[str, _Reasoning] = {}
        self._open_text: set[str] = set()
        self._open_calls: dict[str, str] = {}  # call_id -> tool name, until its item is done
        self._has_call = False
        self._refusals: dict[str, str] = {}  # item id -> refusal text not yet sent
        self._refusals_sent: set[str] = set()  # item ids
        self._metadata: dict[str, Mapping[str, Any]] = {}
        self._finish: Usage | None = None  # set by the terminal event
        self._response: Mapping[str, Any] = {}

    def feed(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        """The events completed by one SSE event."""
        kind = event.get("type")
        out: list[StreamEvent] = []
        if kind == "response.output_item.added":
            self._added(event.get("item") or {}, event.get("output_index"), out)
        elif kind == "response.output_item.done":
            self._done(event.get("item") or {}, out)
        elif kind == "response.output_text.delta":
            item_id = str(event.get("item_id") or "")
            if item_id not in self._open_text:
                self._open_text.add(item_id)
                out.append(TextStart(item_id))
            out.append(TextDelta(item_id, str(event.get("delta") or "")))
        elif kind == "response.function_call_arguments.delta":
            call_id = self._calls.get(event.get("output_index"))
            call_id = call_id or self._calls.get(event.get("item_id"))
            if call_id is not None:
                out.append(ToolInputDelta(call_id, str(event.get("delta") or "")))
        elif kind == "response.output_text.annotation.added":
            annotation: Any = event.get("annotation")
            source = (
                source_of(cast(dict[str, Any], annotation))
                if isinstance(annotation, dict)
                else None
            )
            if source is not None:
                out.append(Source(source))
        elif kind == "response.reasoning_summary_part.added":
            item_id = str(event.get("item_id") or "")
            state = self._start_reasoning(item_id, out)
            if state is not None:
                self._new_part(state, item_id, out)
                state.summary.append("")
        elif kind == "response.reasoning_summary_text.delta":
            item_id = str(event.get("item_id") or "")
            state = self._start_reasoning(item_id, out)
            if state is not None:
                delta = str(event.get("delta") or "")
                if not state.summary:
                    self._new_part(state, item_id, out)
                    state.summary.append("")
                state.summary[-1] += delta
                out.append(ReasoningDelta(item_id, delta))
        elif kind == "response.reasoning_text.delta":
            item_id = str(event.get("item_id") or "")
            state = self._start_reasoning(item_id, out)
            if state is not None:
                # An unusable index (not a small non-negative int) counts as the first part.
                index = untrusted.index(event.get("content_index", 0)) or 0
                if index not in state.content:
                    self._new_part(state, item_id, out)
                    state.content[index] = ""
                delta = str(event.get("delta") or "")
                state.content[index] += delta
                out.append(ReasoningDelta(item_id, delta))
        elif kind == "response.refusal.delta":
            item_id = str(event.get("item_id") or "")
            self._refusals[item_id] = self._refusals.get(item_id, "") + str(
                event.get("delta") or ""
            )
        elif kind == "response.refusal.done":
            item_id = str(event.get("item_id") or "")
            self._refusals[item_id] = str(event.get("refusal") or "") or self._refusals.get(
                item_id, ""
            )
            self._send_refusal(item_id, out)
        elif kind in ("response.created", "response.in_progress"):
            self._metadata = response_metadata(event.get("response") or {}, self._provider)
        elif kind in ("response.completed", "response.incomplete"):
            response: Mapping[str, Any] = event.get("response") or {}
            self._metadata = response_metadata(response, self._provider) or self._metadata
            self._response = response
            self._finish = decode_usage(response.get("usage"))
        elif kind == "response.failed":
            response = event.get("response") or {}
            error = response.get("error") or {"message": "the response failed without a reason"}
            raise response_error(error, self._provider)
        elif kind == "error":
            raise error_from_event(_event_error(event), self._provider)
        return out

    def _added(self, item: Mapping[str, Any], index: Any, out: list[StreamEvent]) -> None:
        kind = item.get("type")
        item_id = str(item.get("id") or "")
        if kind == "message":
            if item_id not in self._open_text:
                self._open_text.add(item_id)
                out.append(TextStart(item_id))
        elif kind == "function_call":
            call_id = str(item.get("call_id") or item_id)
            self._calls[index] = call_id
            self._calls[item_id] = call_id
            self._open_calls[call_id] = str(item.get("name") or "")
            out.append(ToolInputStart(call_id, str(item.get("name") or "")))
        elif kind == "web_search_call":
            out.append(ToolInputStart(item_id, WEB_SEARCH, provider_executed=True))
        elif kind == "reasoning":
            state = _Reasoning(item.get("encrypted_content") or None)
            self._reasoning[item_id] = state
            if state.encrypted:
                self._start_reasoning(item_id, out)

    def _new_part(self, state: _Reasoning, item_id: str, out: list[StreamEvent]) -> None:
        if state.parts:
            out.append(ReasoningDelta(item_id, SUMMARY_SEPARATOR))
        state.parts += 1

    def _send_refusal(self, item_id: str, out: list[StreamEvent]) -> None:
        text = self._refusals.pop(item_id, "")
        if text and item_id not in self._refusals_sent:
            self._refusals_sent.add(item_id)
            metadata = {self._provider: {"item_id": item_id}} if item_id else {}
            out.append(Refusal(RefusalPart(text, provider_metadata=metadata)))

    def _start_reasoning(self, item_id: str, out: list[StreamEvent]) -> _Reasoning | None:
        state = self._reasoning.get(item_id)
        if state is not None and not state.started:
            state.started = True
            metadata: dict[str, Any] = {"item_id": item_id}
            if state.encrypted:
                metadata["encrypted_content"] = state.encrypted
            out.append(ReasoningStart(item_id, {self._provider: metadata}))
        return state

    def _done(self, item: Mapping[str, Any], out: list[StreamEvent]) -> None:
        kind = item.get("type")
        item_id = str(item.get("id") or "")
        if kind == "message":
            if item_id in self._open_text:
                self._open_text.discard(item_id)
                out.append(TextEnd(item_id, {self._provider: {"item_id": item_id}}))
            for block in item.get("content") or ():
                if isinstance(block, dict) and block.get("type") == "refusal":  # pyright: ignore[reportUnknownMemberType]
                    text = str(block.get("refusal") or "")  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
                    self._refusals[item_id] = text or self._refusals.get(item_id, "")
            self._send_refusal(item_id, out)
        elif kind == "function_call":
            call = function_call(item, self._provider)
            if self._open_calls.pop(call.tool_call_id, None) is not None:
                out.append(ToolInputEnd(call.tool_call_id))
            if item.get("status") == "incomplete":
                out.append(Warnings((incomplete_call_warning(item, self._provider),)))
                return
            self._has_call = True
            out.append(ToolCall(call))
        elif kind == "web_search_call":
            call, result = web_search_parts(item, self._provider)
            out += [ToolInputEnd(item_id), ToolCall(call), ToolResult(result)]
        elif kind == "reasoning":
            self._reasoning_done(item, out)

    def _reasoning_done(self, item: Mapping[str, Any], out: list[StreamEvent]) -> None:
        item_id = str(item.get("id") or "")
        state = self._reasoning.pop(item_id, None) or _Reasoning(None)
        metadata = reasoning_metadata(item)
        if not metadata["summary"]:
            metadata["summary"] = state.summary
        if not metadata.get("encrypted_content") and state.encrypted:
            metadata["encrypted_content"] = state.encrypted
        if not state.started:
            texts = [*(reasoning_texts(item) or state.content.values()), *metadata["summary"]]
            if not any(texts) and not metadata.get("encrypted_content"):
                return
            # Nothing was streamed for this item: it arrives whole.
            out.append(ReasoningStart(item_id, {self._provider: {"item_id": item_id}}))
            out.append(ReasoningDelta(item_id, SUMMARY_SEPARATOR.join(texts)))
        out.append(ReasoningEnd(item_id, {self._provider: metadata}))

    def finish(self) -> list[StreamEvent]:
        """Close the stream with ``Finish``; raises if the terminal event never came."""
        if self._finish is None:
            raise IncompleteStreamError(
                f"{self._provider}: the stream ended before response.completed; the answer is "
                "incomplete (retrying the request usually helps)"
            )
        out: list[StreamEvent] = [TextEnd(i) for i in sorted(self._open_text)]
        self._open_text.clear()
        for item_id, state in self._reasoning.items():
            if state.started:
                out.append(ReasoningEnd(item_id))
        self._reasoning.clear()
        for item_id in list(self._refusals):
            self._send_refusal(item_id, out)
        for call_id, name in self._open_calls.items():
            out.append(ToolInputEnd(call_id))
            out.append(Warnings((incomplete_call_warning({"name": name}, self._provider),)))
        self._open_calls.clear()
        reason = finish_reason(self._response, self._has_call, bool(self._refusals_sent))
        out.append(
            Finish(
                reason,
                self._finish,
                dict(self._metadata),
                *response_identity(self._metadata, self._provider),
            )
        )
        return out


def _event_error(event: Mapping[str, Any]) -> Any:
    """An ``error`` event's error: nested under ``error`` or spread over the event."""
    nested = event.get("error")
    if isinstance(nested, dict):
        return nested  # pyright: ignore[reportUnknownVariableType]
    code = event.get("code") or ""
    return {"message": event.get("message") or "", "type": str(code), "code": code}
