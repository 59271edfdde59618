"""``streamGenerateContent?alt=sse``, pure: decoded chunks in, :mod:`reverie.events` out.

Each SSE event is a whole ``GenerateContentResponse`` holding the next few parts (no
``[DONE]``; Gemini separates events with ``\\r\\n\\r\\n``, which the SSE decoder handles).
:class:`GeminiStreamDecoder` is fed each chunk's JSON and returns the events it completes:

- consecutive text parts form one text block, consecutive thought parts one reasoning
  block; a new kind of part closes the open block;
- a part's ``thoughtSignature`` goes on the block it arrived in (``TextEnd`` /
  ``ReasoningEnd`` metadata) or on its tool call, so the encoder can send it back on the
  same part; a second signature in one block starts a new block, since it belongs to a
  different part; an empty text part that only carries a signature (Gemini 3's last chunk)
  gives it to the open text block;
- a ``functionCall`` arrives whole: ``ToolInputStart`` / ``Delta`` / ``End`` and ``ToolCall``
  at once, with the id rules of :mod:`reverie.providers._google.decode`;
- ``usageMetadata`` is cumulative: the last non-empty one wins; a final chunk with only a
  finish reason and usage is fine;
- an ``error`` object inside the stream is raised as a typed provider error.

A stream that ends without any ``finishReason`` (and no blocked prompt) was cut off:
:meth:`GeminiStreamDecoder.finish` raises :class:`~reverie.errors.IncompleteStreamError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reverie.errors import IncompleteStreamError
from reverie.events import (
    Finish,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningStart,
    Source,
    StreamEvent,
    TextDelta,
    TextEnd,
    TextStart,
    ToolCall,
    ToolInputDelta,
    ToolInputEnd,
    ToolInputStart,
)
from reverie.model import FinishReason, Usage
from reverie.providers import _untrusted as untrusted
from reverie.providers._errors import error_from_event
from reverie.providers._google.decode import (
    CallIds,
    IdFactory,
    decode_usage,
    map_finish_reason,
    metadata,
    response_identity,
    response_metadata,
    sources,
    tool_call,
)
from reverie.providers._google.encode import GoogleDialect


class _Block:
    __slots__ = ("id", "kind", "signature")

    def __init__(self, kind: str, block_id: str) -> None:
        self.kind = kind
        self.id = block_id
        self.signature: str | None = None


class GeminiStreamDecoder:
    """Turns one streamed ``generateContent`` answer into events. One instance per stream."""

    __slots__ = (
        "_blocked",
        "_blocks",
        "_calls",
        "_dialect",
        "_finish_reason",
        "_ids",
        "_metadata",
        "_open",
        "_usage",
    )

    def __init__(self, dialect: GoogleDialect, new_id: IdFactory) -> None:
        self._dialect = dialect
        self._ids = CallIds(new_id)
        self._open: _Block | None = None
        self._blocks = 0
        self._calls = 0
        self._finish_reason: str | None = None
        self._blocked = False
        self._usage = Usage()
        self._metadata: dict[str, Any] = {}

    def feed(self, chunk: Mapping[str, Any]) -> list[StreamEvent]:
        """The events completed by one chunk."""
        error = chunk.get("error")
        if error:
            raise error_from_event(error, self._dialect.name)
        usage = untrusted.mapping(chunk.get("usageMetadata"))
        if usage.get("totalTokenCount"):
            self._usage = decode_usage(usage)
        meta = response_metadata(chunk, self._dialect).get(self._dialect.name)
        if meta:
            self._metadata.update(meta)
        feedback: Mapping[str, Any] = chunk.get("promptFeedback") or {}
        if feedback.get("blockReason"):
            self._blocked = True
        events: list[StreamEvent] = []
        candidates = chunk.get("candidates") or ()
        if not candidates:
            return events
        candidate: Mapping[str, Any] = candidates[0]
        content: Mapping[str, Any] = candidate.get("content") or {}
        for part in content.get("parts") or ():
            if isinstance(part, Mapping):
                self._part(part, events)  # pyright: ignore[reportUnknownArgumentType]
        events.extend(Source(s) for s in sources(candidate))
        reason = candidate.get("finishReason")
        if reason:
            self._finish_reason = str(reason)
        return events

    def _part(self, part: Mapping[str, Any], events: list[StreamEvent]) -> None:
        signature = part.get("thoughtSignature")
        signature = signature if isinstance(signature, str) and signature else None
        function = part.get("functionCall")
        if isinstance(function, Mapping):
            self._close(events)
            call = tool_call(function, signature, self._ids, self._dialect)  # pyright: ignore[reportUnknownArgumentType]
            self._calls += 1
            events.append(ToolInputStart(call.tool_call_id, call.tool_name))
            events.append(ToolInputDelta(call.tool_call_id, call.input))
            events.append(ToolInputEnd(call.tool_call_id))
            events.append(ToolCall(call))
            return
        text = part.get("text")
        if not isinstance(text, str):
            return
        kind = "reasoning" if part.get("thought") else "text"
        block = self._open
        if not text:
            if signature is None:
                return
            if block is not None and block.kind == kind and block.signature is None:
                block.signature = signature
            elif kind == "reasoning":
                # A signed empty thought is a part of its own (as in a generated response).
                self._close(events)
                self._open = self._start(kind, events)
                self._open.signature = signature
            return
        if block is not None and (
            block.kind != kind or (signature is not None and block.signature is not None)
        ):
            self._close(events)
            block = None
        if block is None:
            block = self._open = self._start(kind, events)
        if signature is not None:
            block.signature = signature
        events.append(
            TextDelta(block.id, text) if kind == "text" else ReasoningDelta(block.id, text)
        )

    def _start(self, kind: str, events: list[StreamEvent]) -> _Block:
        block = _Block(kind, str(self._blocks))
        self._blocks += 1
        events.append(TextStart(block.id) if kind == "text" else ReasoningStart(block.id))
        return block

    def _close(self, events: list[StreamEvent]) -> None:
        block = self._open
        if block is None:
            return
        self._open = None
        meta = metadata(block.signature, self._dialect)
        events.append(
            TextEnd(block.id, meta) if block.kind == "text" else ReasoningEnd(block.id, meta)
        )

    def finish(self) -> list[StreamEvent]:
        """Close the stream: end the open block, then ``Finish``; raises
        :class:`IncompleteStreamError` when no finish reason ever came."""
        events: list[StreamEvent] = []
        self._close(events)
        if self._finish_reason is not None:
            reason = map_finish_reason(self._finish_reason, self._calls > 0)
        elif self._blocked:
            reason = FinishReason.CONTENT_FILTER
        else:
            raise IncompleteStreamError(
                f"{self._dialect.name}: the stream ended without a finish reason; "
                "the answer is incomplete (retrying may help)"
            )
        meta = {self._dialect.name: self._metadata} if self._metadata else {}
        events.append(Finish(reason, self._usage, meta, *response_identity(self._metadata)))
        return events
