"""The Bedrock ConverseStream wire, pure: stream events in, :mod:`reverie.events` out.

ConverseStream answers in AWS event-stream frames (decoded, CRCs checked, by
:mod:`reverie.providers._anthropic.eventstream`); each frame's ``:event-type`` header names
the event and its payload is the event's JSON. :class:`ConverseStreamDecoder` is fed
``(event type, payload)`` and returns the events completed:

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
        self._blocks: dict[Any, _Block] = {}
        self._calls = 0
        self._stop: str | None = None
        self._usage = Usage()
        self._metadata: dict[str, Any] = {}

    def feed(self, event_type: str, payload: Mapping[str, Any]) -> list[StreamEvent]:
        """The events completed by one stream event."""
        out: list[StreamEvent] = []
        index = payload.get("contentBlockIndex", 0)
        if event_type == "contentBlockDelta":
            delta: Any = payload.get("delta")
            if isinstance(delta, dict):
                self._delta(str(index), index, cast(dict[str, Any], delta), out)
        elif event_type == "contentBlockStart":
            start: Any = payload.get("start")
            tool: Any = (
                cast(dict[str, Any], start).get("toolUse") if isinstance(start, dict) else None
            )
            if isinstance(tool, dict):
                tool = cast(dict[str, Any], tool)
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
        elif event_type == "messageStop":
            self._stop = str(payload.get("stopReason") or "")
            self._metadata.update(response_metadata(payload, self._provider))
        elif event_type == "metadata":
            self._usage = decode_usage(payload.get("usage"))
            self._metadata.update(response_metadata(payload, self._provider))
        return out

    def _delta(
        self, block_id: str, index: Any, delta: Mapping[str, Any], out: list[StreamEvent]
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
            if reasoning.get("signature"):
                block.meta["signature"] = block.meta.get("signature", "") + reasoning["signature"]
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
