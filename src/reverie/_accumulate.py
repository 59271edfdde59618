"""Fold a model's event stream back into a :class:`~reverie.model.Response`.

The agent uses this for streamed steps, so a streamed step and a generated one yield the
same parts; users can use it to ``collect`` a stream they consumed themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping
from typing import Any

from reverie._redact import excerpt
from reverie.content import (
    Part,
    ProviderData,
    ReasoningPart,
    RefusalPart,
    SourcePart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from reverie.errors import IncompleteStreamError, ProtocolError
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
from reverie.model import CallWarning, Response


class ResponseAccumulator:
    """Feed every event of one model stream to :meth:`add`; read :meth:`response` at the end.

    Parts keep the order in which their blocks started; a block's text is the concatenation
    of its deltas; metadata from a block's start and end events are merged (end wins).

    This is the boundary every streamed step crosses, so it checks what decoders promise: a
    text or reasoning delta that is not a string (a provider's unexpected shape that slipped
    through) raises :class:`~reverie.errors.ProtocolError` naming it, never a ``TypeError``
    from deep inside ``"".join``.
    """

    __slots__ = ("_blocks", "_finish", "_open", "_parts", "_warnings")

    def __init__(self) -> None:
        # Each slot is a finished part, or a [kind, texts, metadata] list for an open block.
        self._parts: list[Part | list[Any]] = []
        self._open: dict[tuple[str, str], list[Any]] = {}
        self._finish: Finish | None = None
        self._warnings: list[CallWarning] = []
        self._blocks = 0

    def add(self, event: StreamEvent) -> None:
        """Take one event into account."""
        if isinstance(event, TextDelta):
            if type(event.delta) is not str:
                raise _not_text(event)
            block = self._open.get(("text", event.id))
            if block is None:
                block = self._start("text", event.id, {})
            block[1].append(event.delta)
        elif isinstance(event, ReasoningDelta):
            if type(event.delta) is not str:
                raise _not_text(event)
            block = self._open.get(("reasoning", event.id))
            if block is None:
                block = self._start("reasoning", event.id, {})
            block[1].append(event.delta)
        elif isinstance(event, TextStart):
            self._start("text", event.id, {})
        elif isinstance(event, ReasoningStart):
            self._start("reasoning", event.id, event.provider_metadata)
        elif isinstance(event, TextEnd | ReasoningEnd):
            kind = "text" if isinstance(event, TextEnd) else "reasoning"
            block = self._open.pop((kind, event.id), None)
            if block is not None:
                block[2] = _merge(block[2], event.provider_metadata)
        elif isinstance(event, ToolCall):
            self._parts.append(event.call)
        elif isinstance(event, ToolResult):
            self._parts.append(event.result)
        elif isinstance(event, Source):
            self._parts.append(event.source)
        elif isinstance(event, Refusal):
            self._parts.append(event.refusal)
        elif isinstance(event, Warnings):
            self._warnings.extend(event.warnings)
        elif isinstance(event, Finish):
            self._finish = event

    def _start(self, kind: str, block_id: str, metadata: ProviderData) -> list[Any]:
        block: list[Any] = [kind, [], dict(metadata)]
        self._open[(kind, block_id)] = block
        self._parts.append(block)
        return block

    @property
    def finished(self) -> bool:
        """Whether the stream's ``Finish`` event was seen."""
        return self._finish is not None

    def response(self) -> Response:
        """The response the events describe; raises if the stream had no ``Finish``."""
        if self._finish is None:
            raise IncompleteStreamError("the stream ended without a finish event")
        parts: list[Part] = []
        for item in self._parts:
            if isinstance(item, list):
                kind, texts, metadata = item
                text = "".join(texts)
                if kind == "text":
                    if text:
                        parts.append(TextPart(text, provider_metadata=metadata))
                else:
                    parts.append(ReasoningPart(text, provider_metadata=metadata))
            else:
                parts.append(item)
        return Response(
            content=tuple(parts),
            finish_reason=self._finish.finish_reason,
            usage=self._finish.usage,
            warnings=tuple(self._warnings),
            provider_metadata=self._finish.provider_metadata,
            response_id=self._finish.response_id,
            response_model=self._finish.response_model,
        )


async def collect(events: AsyncIterable[StreamEvent]) -> Response:
    """Consume a model stream and return the response it amounts to."""
    acc = ResponseAccumulator()
    async for event in events:
        acc.add(event)
    return acc.response()


def _not_text(event: TextDelta | ReasoningDelta) -> ProtocolError:
    shown = excerpt(repr(event.delta), 200)
    return ProtocolError(
        f"a {event.type} event carried {type(event.delta).__name__} {shown}, not a string: "
        "the provider sent a shape its decoder does not know (please report it)",
        line=shown,
    )


def _merge(a: Mapping[str, Mapping[str, Any]], b: ProviderData) -> dict[str, Any]:
    if not b:
        return dict(a)
    merged: dict[str, Any] = dict(a)
    for provider, values in b.items():
        merged[provider] = {**merged.get(provider, {}), **values}
    return merged


def response_events(response: Response, chunk_size: int | None = None) -> list[StreamEvent]:
    """The events a provider would stream for ``response``: each part as a block, its text
    in deltas of ``chunk_size`` characters (whole when None), then ``Finish``. The agent
    uses it to run generated steps through the same path as streamed ones."""
    events: list[StreamEvent] = []
    if response.warnings:
        events.append(Warnings(response.warnings))
    for i, part in enumerate(response.content):
        block = str(i)
        if isinstance(part, TextPart):
            events.append(TextStart(block))
            events += [TextDelta(block, piece) for piece in _cuts(part.text, chunk_size)]
            events.append(TextEnd(block, part.provider_metadata))
        elif isinstance(part, ReasoningPart):
            events.append(ReasoningStart(block))
            events += [ReasoningDelta(block, piece) for piece in _cuts(part.text, chunk_size)]
            events.append(ReasoningEnd(block, part.provider_metadata))
        elif isinstance(part, ToolCallPart):
            events.append(ToolInputStart(part.tool_call_id, part.tool_name))
            events += [
                ToolInputDelta(part.tool_call_id, piece) for piece in _cuts(part.input, chunk_size)
            ]
            events.append(ToolInputEnd(part.tool_call_id))
            events.append(ToolCall(part))
        elif isinstance(part, ToolResultPart):
            events.append(ToolResult(part))
        elif isinstance(part, SourcePart):
            events.append(Source(part))
        elif isinstance(part, RefusalPart):
            events.append(Refusal(part))
    events.append(
        Finish(
            response.finish_reason,
            response.usage,
            response.provider_metadata,
            response.response_id,
            response.response_model,
        )
    )
    return events


def _cuts(text: str, size: int | None) -> list[str]:
    if size is None or size >= len(text):
        return [text] if text else []
    return [text[i : i + size] for i in range(0, len(text), size)]
