"""The Anthropic Messages stream, pure: decoded events in, :mod:`reverie.events` out.

:class:`MessagesStreamDecoder` is fed each event's JSON (already parsed, from SSE or from a
Bedrock event-stream frame) and returns the events it completes. Blocks are told apart by
their ``index`` (text and reasoning ids are the index as text; tool blocks use the call id):

- ``content_block_start`` opens a block: text, thinking, redacted_thinking, tool_use,
  server_tool_use, or a ``<tool>_tool_result`` (complete at start, emitted at stop);
- ``content_block_delta`` carries ``text_delta``, ``thinking_delta``, ``signature_delta``,
  ``input_json_delta`` (``citations_delta`` is ignored: sources come from the results);
- ``content_block_stop`` closes it: a reasoning block's end holds its signature (or its
  redacted data), a tool block's end is followed by the whole ``ToolCall``;
- ``message_start`` / ``message_delta`` carry usage and the stop reason, ``ping`` nothing;
- an ``error`` event (``overloaded_error`` in a 200 stream, ...) raises a typed, retryable
  where it should be, provider error.

:meth:`MessagesStreamDecoder.finish` emits ``Finish``, or raises
:class:`~reverie.errors.IncompleteStreamError` when ``message_stop`` or the stop reason never
came: a connection that closed early must not pass for a complete answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from reverie.content import SourcePart, ToolCallPart, ToolResultPart
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
    ToolResult,
)
from reverie.providers import _untrusted as untrusted
from reverie.providers._anthropic.decode import (
    decode_usage,
    map_finish_reason,
    merge_usage,
    reasoning_metadata,
    response_identity,
    response_metadata,
    server_tool_result,
)
from reverie.providers._errors import error_from_event


class _Block:
    __slots__ = ("data", "kind", "parts", "signature")

    def __init__(self, kind: str, data: Mapping[str, Any]) -> None:
        self.kind = kind
        self.data = data
        self.parts: list[str] = []
        self.signature = ""


class MessagesStreamDecoder:
    """Turns one streamed message into events. One instance per stream."""

    __slots__ = ("_blocks", "_message", "_provider", "_stop_reason", "_stopped", "_usage")

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._blocks: dict[int, _Block] = {}
        self._message: dict[str, Any] = {}
        self._usage: dict[str, Any] = {}
        self._stop_reason: str | None = None
        self._stopped = False

    def feed(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        """The events completed by one decoded stream event."""
        kind = event.get("type")
        if kind in ("content_block_delta", "content_block_start", "content_block_stop"):
            # A block event with an unusable index (negative, absurd, not a number) names
            # no block: it is dropped rather than crash the decoder.
            index = untrusted.index(event.get("index", 0))
            if index is None:
                return []
            if kind == "content_block_delta":
                return self._delta(index, untrusted.mapping(event.get("delta")))
            if kind == "content_block_start":
                return self._start(index, untrusted.mapping(event.get("content_block")))
            return self._stop(index)
        if kind == "message_start":
            message = untrusted.mapping(event.get("message"))
            self._message = {k: message[k] for k in ("id", "model") if message.get(k)}
            self._usage = merge_usage({}, message.get("usage"))
        elif kind == "message_delta":
            delta = untrusted.mapping(event.get("delta"))
            if delta.get("stop_reason"):
                self._stop_reason = str(delta["stop_reason"])
            self._usage = merge_usage(self._usage, event.get("usage"))
        elif kind == "message_stop":
            self._stopped = True
        elif kind == "error":
            raise error_from_event(event.get("error") or event, self._provider)
        # "ping" and event types added later carry nothing we need.
        return []

    def _start(self, index: int, block: Mapping[str, Any]) -> list[StreamEvent]:
        kind = str(block.get("type", ""))
        state = _Block(kind, block)
        self._blocks[index] = state
        bid = str(index)
        if kind == "text":
            text = str(block.get("text") or "")
            return [TextStart(bid), *([TextDelta(bid, text)] if text else [])]
        if kind == "thinking":
            state.signature = str(block.get("signature") or "")
            text = str(block.get("thinking") or "")
            return [ReasoningStart(bid), *([ReasoningDelta(bid, text)] if text else [])]
        if kind == "redacted_thinking":
            meta = reasoning_metadata(redacted=str(block.get("data") or ""))
            return [ReasoningStart(bid, meta)]
        if kind in ("tool_use", "server_tool_use"):
            # Input arrives as input_json_delta fragments; a start that already holds the
            # whole input (some proxies send it so) is kept in case no fragment follows.
            return [
                ToolInputStart(
                    str(block.get("id", "")),
                    str(block.get("name", "")),
                    provider_executed=kind == "server_tool_use",
                )
            ]
        return []

    def _delta(self, index: int, delta: Mapping[str, Any]) -> list[StreamEvent]:
        state = self._blocks.get(index)
        kind = delta.get("type")
        bid = str(index)
        if kind == "text_delta":
            text = str(delta.get("text") or "")
            return [TextDelta(bid, text)] if text else []
        if kind == "thinking_delta":
            text = str(delta.get("thinking") or "")
            return [ReasoningDelta(bid, text)] if text else []
        if kind == "signature_delta" and state is not None:
            state.signature += str(delta.get("signature") or "")
        elif kind == "input_json_delta" and state is not None:
            fragment = str(delta.get("partial_json") or "")
            if fragment:
                state.parts.append(fragment)
                return [ToolInputDelta(str(state.data.get("id", "")), fragment)]
        return []

    def _stop(self, index: int) -> list[StreamEvent]:
        state = self._blocks.pop(index, None)
        if state is None:
            return []
        bid = str(index)
        block = state.data
        if state.kind == "text":
            return [TextEnd(bid)]
        if state.kind == "thinking":
            return [ReasoningEnd(bid, reasoning_metadata(signature=state.signature))]
        if state.kind == "redacted_thinking":
            return [ReasoningEnd(bid, reasoning_metadata(redacted=str(block.get("data") or "")))]
        if state.kind in ("tool_use", "server_tool_use"):
            call_id = str(block.get("id", ""))
            if state.parts:
                arguments = "".join(state.parts)
            else:
                initial = block.get("input")
                arguments = orjson.dumps(initial).decode() if initial else "{}"
            call = ToolCallPart(
                call_id,
                str(block.get("name", "")),
                arguments,
                provider_executed=state.kind == "server_tool_use",
            )
            return [ToolInputEnd(call_id), ToolCall(call)]
        if state.kind.endswith("_tool_result") and "tool_use_id" in block:
            events: list[StreamEvent] = []
            for part in server_tool_result(block):
                if isinstance(part, SourcePart):
                    events.append(Source(part))
                elif isinstance(part, ToolResultPart):
                    events.append(ToolResult(part))
            return events
        return []

    def finish(self) -> list[StreamEvent]:
        """The final ``Finish``; raises IncompleteStreamError for a stream cut short."""
        if not self._stopped or self._stop_reason is None:
            missing = "message_stop" if not self._stopped else "a stop reason"
            raise IncompleteStreamError(
                f"{self._provider}: the stream ended without {missing}; the answer is "
                "incomplete (retrying the request usually helps)"
            )
        return [
            Finish(
                map_finish_reason(self._stop_reason),
                decode_usage(self._usage),
                response_metadata(self._message),
                *response_identity(self._message),
            )
        ]
