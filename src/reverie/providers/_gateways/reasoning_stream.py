"""Streamed ``reasoning_details``: deltas in, reasoning events out. Pure.

One :class:`DetailsStream` per stream. It looks at the first detail of each delta (the
gateways send one at a time) and opens, extends and closes one reasoning block at a time:

- Responses formats (OpenAI, xAI): summaries accumulate (a new ``index`` starts a new
  summary line); the encrypted item closes the block with its metadata. A first detail
  that already carries the encrypted item is a whole block on its own.
- Anthropic: text accumulates; the detail with the ``signature`` closes the block. On
  OpenRouter the signature may come after the tool calls, so the block is held open
  (``hold_anthropic``).
- Gemini: text accumulates; the encrypted detail (thought signature) closes the block, or
  is a block of its own when it comes first.
- Otherwise a delta with text or tool calls and no reasoning closes the block.

The text a block opens with is the first detail's summary (Responses) or text (Anthropic,
Gemini; and for Vercel any format): for other formats on OpenRouter the opening detail adds
no text. That and the grouping above are the reference library's behaviour, which the
recorded follow-up requests carry; a block still open when the stream ends is closed then.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reverie.events import ReasoningDelta, ReasoningEnd, ReasoningStart, StreamEvent
from reverie.providers._gateways.reasoning import (
    details_of,
    family_of,
    field,
    index_of,
    responses_metadata,
)

BLOCK_ID = "reasoning-0"


class _Block:
    __slots__ = ("encrypted", "family", "format", "item_id", "summary")

    def __init__(self, fmt: str) -> None:
        self.format = fmt
        self.family = family_of(fmt)
        self.summary: list[str] = []
        self.encrypted: str | None = None
        self.item_id = ""


class DetailsStream:
    """Reasoning events from a gateway's stream deltas (see the module docstring).

    ``hold_anthropic``: keep an Anthropic block open through deltas without reasoning
    (OpenRouter). ``plain``: a bare ``reasoning`` string opens and extends blocks too, and
    the opening detail always contributes its text (Vercel).
    """

    __slots__ = ("_block", "_gateway", "_hold_anthropic", "_plain")

    def __init__(self, gateway: str, *, hold_anthropic: bool, plain: bool) -> None:
        self._gateway = gateway
        self._hold_anthropic = hold_anthropic
        self._plain = plain
        self._block: _Block | None = None

    def _meta(self, meta: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {self._gateway: meta}

    def feed(self, delta: Mapping[str, Any]) -> list[StreamEvent]:
        """The reasoning events one delta completes."""
        details = details_of(delta)
        plain = delta.get("reasoning") if self._plain else None
        plain = plain if isinstance(plain, str) else ""
        if self._block is None:
            return self._open(details, plain)
        if not details and not plain:
            if self._hold_anthropic and self._block.family == "anthropic":
                return []
            if delta.get("content") or delta.get("tool_calls"):
                return self._close(None)
            return []
        if not details:
            return [ReasoningDelta(BLOCK_ID, plain)]
        return self._extend(details[0])

    def finish(self) -> list[StreamEvent]:
        """Close a block still open at the end of the stream."""
        if self._block is None:
            return []
        block = self._block
        meta: dict[str, Any] | None = None
        if block.family == "responses":
            meta = responses_metadata(block.format, block.summary, block.encrypted, block.item_id)
        return self._close(meta)

    def _close(self, meta: dict[str, Any] | None) -> list[StreamEvent]:
        self._block = None
        return [ReasoningEnd(BLOCK_ID, self._meta(meta) if meta is not None else {})]

    def _open(self, details: list[dict[str, Any]], plain: str) -> list[StreamEvent]:
        if not details and not plain:
            return []
        if not details:
            self._block = _Block("")
            return [ReasoningStart(BLOCK_ID), ReasoningDelta(BLOCK_ID, plain)]
        detail = details[0]
        fmt = field(detail, "format")
        block = _Block(fmt)
        start_meta: dict[str, Any] = {}
        if block.family == "responses":
            summary = field(detail, "summary")
            block.summary = [summary]
            if field(detail, "data"):
                # The whole item at once: a block of its own.
                meta = responses_metadata(
                    fmt, [summary], field(detail, "data"), field(detail, "id")
                )
                events: list[StreamEvent] = [ReasoningStart(BLOCK_ID)]
                if summary:
                    events.append(ReasoningDelta(BLOCK_ID, summary))
                events.append(ReasoningEnd(BLOCK_ID, self._meta(meta)))
                return events
            start_meta = {"format": fmt, "summary": [summary]}
        elif block.family == "google":
            if field(detail, "type") == "reasoning.encrypted":
                meta = {
                    "format": fmt,
                    "signature": field(detail, "data"),
                    "id": field(detail, "id"),
                }
                return [ReasoningStart(BLOCK_ID), ReasoningEnd(BLOCK_ID, self._meta(meta))]
            start_meta = {"format": fmt}
        self._block = block
        events = [ReasoningStart(BLOCK_ID, self._meta(start_meta) if start_meta else {})]
        if block.family in ("google", "anthropic"):
            text = field(detail, "text")
        elif self._plain:
            text = field(detail, "summary") or field(detail, "text")
        else:
            text = field(detail, "summary")
        if text:
            events.append(ReasoningDelta(BLOCK_ID, text))
        return events

    def _extend(self, detail: Mapping[str, Any]) -> list[StreamEvent]:
        block = self._block
        assert block is not None
        kind = family_of(field(detail, "format"))
        if kind == "responses":
            if block.family != "responses":
                block.format, block.family = field(detail, "format"), "responses"
            if field(detail, "data"):
                block.encrypted, block.item_id = field(detail, "data"), field(detail, "id")
                meta = responses_metadata(
                    block.format, block.summary, block.encrypted, block.item_id
                )
                return self._close(meta)
            summary = field(detail, "summary")
            index = index_of(detail)
            if index < len(block.summary):
                block.summary[index] += summary
                text = summary
            else:
                block.summary.append(summary)
                text = "\n" + summary
            return [ReasoningDelta(BLOCK_ID, text)] if text else []
        if kind == "anthropic":
            text = field(detail, "text")
            events: list[StreamEvent] = [ReasoningDelta(BLOCK_ID, text)] if text else []
            signature = field(detail, "signature")
            if signature:
                events += self._close({"format": field(detail, "format"), "signature": signature})
            return events
        if kind == "google" and field(detail, "type") == "reasoning.encrypted":
            meta = {
                "format": field(detail, "format"),
                "signature": field(detail, "data"),
                "id": field(detail, "id"),
            }
            return self._close(meta)
        text = field(detail, "text")
        return [ReasoningDelta(BLOCK_ID, text)] if text else []
