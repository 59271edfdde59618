"""Chat Completions streaming, pure: decoded chunks in, :mod:`reverie.events` out.

:class:`ChatStreamDecoder` is fed each chunk's JSON (already parsed) and returns the events
it completes; :meth:`ChatStreamDecoder.finish` closes open blocks, emits each tool call whole
(in index order) and the final ``Finish``. It copes with what hosts really send:

- tool calls whole in one delta (Cerebras) or arguments in fragments (OpenAI), several calls
  in one delta, text and tool calls in the same delta;
- deltas without ``index`` (matched by id, else the latest call) and without ``id``
  (``tool-call-<index>`` is made up); empty arguments become ``{}``;
- ``reasoning_content`` / ``reasoning`` deltas as a reasoning block;
- usage in the final chunk (or any chunk), under ``x_groq`` (Groq) or in the choice
  (Moonshot); empty ``choices`` (Azure filter results);
- ``content`` as a list of ``text`` / ``thinking`` chunks (Mistral's thinking models): text
  and reasoning; other chunk types are skipped with a warning (one ``Warnings`` event per
  type), and a delta is always a string;
- ``refusal`` deltas: one :class:`~reverie.events.Refusal` at the end, finish
  ``content-filter``;
- an ``error`` object inside the stream, raised as a typed provider error;
- a dialect extension's reasoning format (gateways' ``reasoning_details``), decoded by its
  :class:`ReasoningStream`.

How a stream ends: a finish reason says why. A stream that ends with ``[DONE]`` (fed as
:data:`~reverie.providers._sse.DONE` by the SSE framing) but no finish reason ended on
purpose (hosts such as Snowflake Cortex send usage, then ``[DONE]``): it finishes ``stop``,
or ``tool-calls`` when it carried tool calls whose arguments are whole JSON, with a warning;
a call whose arguments are not whole is dropped (with a warning), never emitted to be run. A
stream cut with neither a finish reason nor ``[DONE]`` is incomplete: ``finish`` raises
:class:`~reverie.errors.IncompleteStreamError` rather than report a false success.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from reverie.content import RefusalPart, ToolCallPart
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
    Warnings,
)
from reverie.model import CallWarning, FinishReason, Usage
from reverie.providers import _untrusted as untrusted
from reverie.providers._errors import error_from_event
from reverie.providers._openai.chat_decode import (
    content_pieces,
    decode_usage,
    map_finish_reason,
    skipped_warnings,
    sources,
    usage_of,
)
from reverie.providers._openai.dialect import ChatDialect, ReasoningStream
from reverie.providers._sse import DONE

TEXT_ID = "0"
REASONING_ID = "reasoning-0"


class _PendingCall:
    """A call whose arguments are still arriving: kept as fragments and joined once at the
    end (``+=`` on an attribute copies the whole text each time: quadratic in its size)."""

    __slots__ = ("ended", "fragments", "id", "name")

    def __init__(self, call_id: str, name: str, arguments: str) -> None:
        self.id = call_id
        self.name = name
        self.fragments = [arguments]
        self.ended = False

    @property
    def arguments(self) -> str:
        return "".join(self.fragments)


class ChatStreamDecoder:
    """Turns one streamed completion into events. One instance per stream."""

    __slots__ = (
        "_calls",
        "_dialect",
        "_done",
        "_finish_reason",
        "_last_index",
        "_metadata",
        "_reasoning",
        "_reasoning_open",
        "_refusal",
        "_skipped",
        "_text_open",
        "_usage",
    )

    def __init__(self, dialect: ChatDialect) -> None:
        self._dialect = dialect
        self._text_open = False
        self._reasoning_open = False
        self._calls: dict[int, _PendingCall] = {}
        self._last_index = -1
        self._finish_reason: str | None = None
        self._usage = Usage()
        self._metadata: dict[str, Any] = {}
        self._refusal: list[str] = []
        self._skipped: set[str] = set()  # content chunk types already warned about
        self._done = False
        ext = dialect.extension
        self._reasoning: ReasoningStream | None = ext.reasoning_stream() if ext else None

    def feed(self, chunk: Mapping[str, Any]) -> list[StreamEvent]:
        """The events completed by one chunk (:data:`~reverie.providers._sse.DONE` marks
        ``[DONE]``)."""
        if chunk is DONE:
            self._done = True
            return []
        error = chunk.get("error")
        if error:
            raise error_from_event(error, self._dialect.name)
        usage = chunk.get("usage")
        if usage or "x_groq" in chunk:  # the vendor field only when there is one
            usage = usage_of(chunk, None)
            if usage:
                self._set_usage(usage)
        ext = self._dialect.extension
        if "id" not in self._metadata and chunk.get("id"):
            self._metadata = {"id": chunk["id"], "model": chunk.get("model", "")}
        if ext is not None:
            self._metadata.update(ext.response_metadata(chunk))
        choices = chunk.get("choices")
        if not choices:
            return []
        events: list[StreamEvent] = []
        for choice in choices:
            reason = choice.get("finish_reason")
            if reason:
                self._finish_reason = reason
            if reason and choice.get("usage"):  # Moonshot: usage in the final choice
                self._set_usage(choice["usage"])
            delta = choice.get("delta")
            if delta:
                self._delta(delta, events)
        return events

    def _set_usage(self, usage: Mapping[str, Any]) -> None:
        ext = self._dialect.extension
        self._usage = ext.decode_usage(usage) if ext is not None else decode_usage(usage)

    def _delta(self, delta: Mapping[str, Any], events: list[StreamEvent]) -> None:
        reasoning = delta.get("reasoning_content")
        if reasoning is None:
            reasoning = delta.get("reasoning")
        if self._reasoning is not None:
            reasoning = None  # the extension decodes it, after text and tool calls
        if isinstance(reasoning, str) and (reasoning or not self._reasoning_open):
            self._reasoning_piece(reasoning, events)
        text = delta.get("content")
        if text and type(text) is not str:
            self._chunks(text, events)
            text = None
        tool_deltas = delta.get("tool_calls")
        if self._reasoning_open and (text or tool_deltas):
            self._reasoning_open = False
            events.append(ReasoningEnd(REASONING_ID))
        if text:
            if not self._text_open:  # _text_piece, inline: this is the hot path
                self._text_open = True
                events.append(TextStart(TEXT_ID))
            events.append(TextDelta(TEXT_ID, text))
        refusal = delta.get("refusal")
        if refusal and isinstance(refusal, str):
            self._refusal.append(refusal)
        if tool_deltas:
            if self._text_open:
                self._text_open = False
                events.append(TextEnd(TEXT_ID))
            for tool_delta in tool_deltas:
                self._tool_delta(tool_delta, events)
        if self._reasoning is not None:
            events.extend(self._reasoning.feed(delta))
        annotations = delta.get("annotations")
        if annotations:
            events.extend(Source(s) for s in sources(annotations))

    def _reasoning_piece(self, reasoning: str, events: list[StreamEvent]) -> None:
        if not self._reasoning_open:
            self._reasoning_open = True
            events.append(ReasoningStart(REASONING_ID))
        if reasoning:
            events.append(ReasoningDelta(REASONING_ID, reasoning))

    def _text_piece(self, text: str, events: list[StreamEvent]) -> None:
        if self._reasoning_open:
            self._reasoning_open = False
            events.append(ReasoningEnd(REASONING_ID))
        if not self._text_open:
            self._text_open = True
            events.append(TextStart(TEXT_ID))
        events.append(TextDelta(TEXT_ID, text))

    def _chunks(self, content: Any, events: list[StreamEvent]) -> None:
        """Content as a list of chunks: each text or thinking chunk in order; a chunk type
        first seen here is warned about once."""
        skipped: set[str] = set()
        for is_reasoning, piece in content_pieces(content, self._dialect.name, skipped):
            if is_reasoning:
                self._reasoning_piece(piece, events)
            else:
                self._text_piece(piece, events)
        if new := skipped - self._skipped:
            self._skipped |= new
            events.append(Warnings(tuple(skipped_warnings(self._dialect.name, new))))

    def _tool_delta(self, tool_delta: Mapping[str, Any], events: list[StreamEvent]) -> None:
        fn: Mapping[str, Any] = tool_delta.get("function") or {}
        name: str = fn.get("name") or ""
        args: str = fn.get("arguments") or ""
        index = self._index_of(tool_delta)
        call = self._calls.get(index)
        if call is not None:
            if args and not call.ended:
                call.fragments.append(args)
                events.append(ToolInputDelta(call.id, args))
            return
        if not name and not args:
            return  # Ollama sends empty placeholders
        # A new index means every earlier call is complete.
        for idx in sorted(self._calls):
            earlier = self._calls[idx]
            if idx < index and not earlier.ended:
                earlier.ended = True
                events.append(ToolInputEnd(earlier.id))
        call_id = tool_delta.get("id") or f"tool-call-{index}"
        call = _PendingCall(call_id, name, args)
        self._calls[index] = call
        self._last_index = max(self._last_index, index)
        events.append(ToolInputStart(call_id, name))
        if args:
            events.append(ToolInputDelta(call_id, args))

    def _index_of(self, tool_delta: Mapping[str, Any]) -> int:
        index = tool_delta.get("index")
        if isinstance(index, int):
            return index
        call_id = tool_delta.get("id")
        if call_id:
            for idx, call in self._calls.items():
                if call.id == call_id:
                    return idx
            return self._last_index + 1
        return max(self._last_index, 0)

    def finish(self) -> list[StreamEvent]:
        """Close the stream: end open blocks, emit whole tool calls, then ``Finish``; raises
        :class:`IncompleteStreamError` for a stream cut short (see the module docstring)."""
        if not self._finish_reason and not self._done:
            raise IncompleteStreamError(
                f"{self._dialect.name}: the stream ended without a finish reason or [DONE]; "
                "the answer is incomplete (retrying the request usually helps)"
            )
        events: list[StreamEvent] = []
        if self._reasoning is not None:
            events.extend(self._reasoning.finish())
        if self._reasoning_open:
            self._reasoning_open = False
            events.append(ReasoningEnd(REASONING_ID))
        if self._text_open:
            self._text_open = False
            events.append(TextEnd(TEXT_ID))
        if self._refusal:
            events.append(Refusal(RefusalPart("".join(self._refusal))))
        notes: list[CallWarning] = []
        emitted = 0
        for idx in sorted(self._calls):
            call = self._calls[idx]
            if not call.ended:
                call.ended = True
                events.append(ToolInputEnd(call.id))
            if not self._finish_reason and not _whole_json(call.arguments):
                notes.append(
                    CallWarning(
                        "other",
                        f"{self._dialect.name}: tool call {call.name!r} ({call.id}) ended "
                        "with incomplete arguments and no finish reason; it was dropped",
                    )
                )
                continue
            emitted += 1
            events.append(ToolCall(ToolCallPart(call.id, call.name, call.arguments or "{}")))
        if emitted and self._finish_reason != "length":  # a call cut off says "length"
            reason = FinishReason.TOOL_CALLS
        elif self._finish_reason:
            reason = map_finish_reason(self._finish_reason)
        else:
            reason = FinishReason.STOP
        if not self._finish_reason:
            notes.append(
                CallWarning(
                    "other",
                    f"{self._dialect.name}: the stream ended with [DONE] but no finish reason; "
                    f"taken as finish {reason.value!r}",
                )
            )
        if self._refusal and reason in (FinishReason.STOP, FinishReason.UNKNOWN):
            reason = FinishReason.CONTENT_FILTER
        if notes:
            events.append(Warnings(tuple(notes)))
        metadata = {self._dialect.name: self._metadata} if self._metadata else {}
        meta = self._metadata
        events.append(
            Finish(
                reason,
                self._usage,
                metadata,
                untrusted.identifier(meta.get("id")),
                untrusted.identifier(meta.get("model")),
            )
        )
        return events


def _whole_json(arguments: str) -> bool:
    """Whether a call's arguments are a whole JSON value (empty counts: it means ``{}``)."""
    if not arguments:
        return True
    try:
        orjson.loads(arguments)
    except orjson.JSONDecodeError:
        return False
    return True
