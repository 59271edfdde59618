"""The Bedrock ConverseStream wire, pure: stream events in, :mod:`reverie.events` out.

ConverseStream answers in AWS event-stream frames (decoded, CRCs checked, by
:mod:`reverie.providers._eventstream`); each frame's ``:event-type`` header names the event
and its payload is the event's JSON. The Converse host's framing gives each as
``{event type: payload}``; :class:`ConverseStreamDecoder` is fed those and returns the
events completed:

- ``messageStart`` opens the message; ``contentBlockStart`` with ``start.toolUse`` opens a
  tool input (text and reasoning blocks have no start event: their first delta opens them);
- ``contentBlockDelta``: ``text``, ``reasoningContent.text`` / ``.signature`` /
  ``.redactedContent``, ``toolUse.input`` (argument fragments);
- ``contentBlockStop`` closes a block: a reasoning block ends with its signature in the
  metadata, a tool block with its whole ``ToolCall``;
- ``messageStop`` gives the stop reason; ``metadata`` (after it) usage, latency and trace.

A stream that ends before ``messageStop`` is cut short: :meth:`finish` raises
:class:`~reverie.errors.IncompleteStreamError`. A tool block still open at the end (the
output limit cut it) ends its tool input but yields no ``ToolCall``. Exception frames are
raised by the event-stream layer before they reach this decoder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from reverie.content import ToolCallPart
from reverie.errors import IncompleteStreamError
from reverie.events import (
    Finish,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningStart,
    StreamEvent,
    TextDelta,
    TextEnd,
    TextStart,
    ToolCall,
    ToolInputDelta,
    ToolInputEnd,
    ToolInputStart,
)
from reverie.model import Usage
from reverie.providers import _untrusted as untrusted
from reverie.providers._bedrock.converse_decode import (
    decode_usage,
    map_stop_reason,
    response_metadata,
)


class _Block:
    __slots__ = ("arguments", "call_id", "kind", "meta", "name")

    def __init__(self, kind: str, call_id: str = "", name: str = "") -> None:
        self.kind = kind  # "text", "reasoning" or "tool"
        self.call_id = call_id
        self.name = name
        self.arguments: list[str] = []
        self.meta: dict[str, Any] = {}


class ConverseStreamDecoder:
    """Turns one ConverseStream answer into events. One instance per stream."""

    __slots__ = ("_blocks", "_calls", "_metadata", "_provider", "_stop", "_usage")

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._blocks: dict[int, _Block] = {}
        self._calls = 0
        self._stop: str | None = None
        self._usage = Usage()
        self._metadata: dict[str, Any] = {}

    def feed(self, event: Mapping[str, Any], /) -> list[StreamEvent]:
        """The events completed by one stream event, ``{event type: payload}`` (anything
        else is no Converse event, and says nothing)."""
        out: list[StreamEvent] = []
        if len(event) != 1:
            return out
        ((event_type, value),) = event.items()
        payload = untrusted.mapping(value)
        if event_type == "messageStop":
            self._stop = str(payload.get("stopReason") or "")
            self._metadata.update(response_metadata(payload, self._provider))
        elif event_type == "metadata":
            self._usage = decode_usage(payload.get("usage"))
            self._metadata.update(response_metadata(payload, self._provider))
        elif event_type.startswith("contentBlock"):
            # A block event with an unusable index (negative, absurd, not a number) names
            # no block: it is dropped rather than crash the decoder.
            index = untrusted.index(payload.get("contentBlockIndex", 0))
            if index is not None:
                self._block_event(event_type, index, payload, out)
        return out

    def _block_event(
        self, event_type: str, index: int, payload: Mapping[str, Any], out: list[StreamEvent]
    ) -> None:
        if event_type == "contentBlockDelta":
            delta = untrusted.mapping(payload.get("delta"))
            if delta:
                self._delta(str(index), index, delta, out)
        elif event_type == "contentBlockStart":
            start = untrusted.mapping(payload.get("start"))
            tool = start.get("toolUse")
            if isinstance(tool, Mapping):
                tool = cast(Mapping[str, Any], tool)
                block = _Block(
                    "tool",
                    str(tool.get("toolUseId") or f"tool-{index}"),
                    str(tool.get("name") or ""),
                )
                self._blocks[index] = block
                out.append(ToolInputStart(block.call_id, block.name))
        elif event_type == "contentBlockStop":
            block = self._blocks.pop(index, None)
            if block is not None:
                self._close(str(index), block, out, whole=True)

    def _delta(
        self, block_id: str, index: int, delta: Mapping[str, Any], out: list[StreamEvent]
    ) -> None:
        block = self._blocks.get(index)
        text = delta.get("text")
        if isinstance(text, str):
            if block is None:
                block = self._blocks[index] = _Block("text")
                out.append(TextStart(block_id))
            if text:
                out.append(TextDelta(block_id, text))
            return
        reasoning: Any = delta.get("reasoningContent")
        if isinstance(reasoning, dict):
            reasoning = cast(dict[str, Any], reasoning)
            if block is None:
                block = self._blocks[index] = _Block("reasoning")
                out.append(ReasoningStart(block_id))
            if isinstance(reasoning.get("text"), str) and reasoning["text"]:
                out.append(ReasoningDelta(block_id, reasoning["text"]))
            signature = reasoning.get("signature")
            if isinstance(signature, str) and signature:
                block.meta["signature"] = block.meta.get("signature", "") + signature
            if reasoning.get("redactedContent"):
                block.meta["redacted_content"] = reasoning["redactedContent"]
            return
        tool: Any = delta.get("toolUse")
        if isinstance(tool, dict) and block is not None and block.kind == "tool":
            piece = str(cast(dict[str, Any], tool).get("input") or "")
            if piece:
                block.arguments.append(piece)
                out.append(ToolInputDelta(block.call_id, piece))

    def _close(self, block_id: str, block: _Block, out: list[StreamEvent], *, whole: bool) -> None:
        if block.kind == "text":
            out.append(TextEnd(block_id))
        elif block.kind == "reasoning":
            meta = {self._provider: block.meta} if block.meta else {}
            out.append(ReasoningEnd(block_id, meta))
        else:
            out.append(ToolInputEnd(block.call_id))
            if whole:
                self._calls += 1
                arguments = "".join(block.arguments) or "{}"
                out.append(ToolCall(ToolCallPart(block.call_id, block.name, arguments)))

    def finish(self) -> list[StreamEvent]:
        """Close the stream with ``Finish``; raises if ``messageStop`` never came."""
        if self._stop is None:
            raise IncompleteStreamError(
                f"{self._provider}: the stream ended before messageStop; the answer is "
                "incomplete (retrying the request usually helps)"
            )
        out: list[StreamEvent] = []
        for index, block in self._blocks.items():
            self._close(str(index), block, out, whole=False)  # cut off: no ToolCall
        self._blocks.clear()
        reason = map_stop_reason(self._stop, self._calls > 0)
        metadata = {self._provider: self._metadata} if self._metadata else {}
        out.append(Finish(reason, self._usage, metadata))
        return out
