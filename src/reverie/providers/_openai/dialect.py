"""How one host speaks Chat Completions: :class:`ChatDialect` and the gateway hook.

Shared by the encoder (:mod:`.chat`), the decoder (:mod:`.chat_decode`) and the stream
decoder (:mod:`.chat_stream`), so none of them imports another for it. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from reverie.content import Message, ReasoningPart
from reverie.model import CallWarning, StreamEvent, Usage


class ReasoningStream(Protocol):
    """A dialect extension's decoder for the reasoning carried in stream deltas.

    ``feed`` sees each delta after its text and tool calls were handled (so a block it
    closes because text arrived closes after that text started) and returns the reasoning
    events the delta completes; ``finish`` closes whatever is still open.
    """

    def feed(self, delta: Mapping[str, Any]) -> list[StreamEvent]: ...

    def finish(self) -> list[StreamEvent]: ...


class ChatExtension(Protocol):
    """Host-specific behaviour layered over the wire (gateways such as OpenRouter, Vercel).

    A dialect with an extension keeps the shared parts (tools, sampling, tool calls, finish
    reasons) and hands these over to it: provider options, message encoding, reasoning
    decoding (whole and streamed), usage, and extra response metadata. Implementations are
    pure, like this module.
    """

    def apply_options(
        self,
        body: dict[str, Any],
        options: Mapping[str, Any],
        model_id: str,
        warnings: list[CallWarning],
    ) -> None:
        """Add the caller's provider options (and the host's defaults) to ``body``."""
        ...

    def encode_messages(
        self, messages: Sequence[Message], model_id: str, warnings: list[CallWarning]
    ) -> list[dict[str, Any]]:
        """The request's ``messages``."""
        ...

    def decode_reasoning(self, message: Mapping[str, Any]) -> list[ReasoningPart]:
        """The reasoning parts of a whole (non-streamed) choice message."""
        ...

    def reasoning_stream(self) -> ReasoningStream:
        """A fresh decoder for the reasoning in one stream's deltas."""
        ...

    def decode_usage(self, usage: Mapping[str, Any]) -> Usage:
        """The usage object of a response or of a stream's final chunk."""
        ...

    def response_metadata(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Extra provider metadata from a response or a stream chunk (cost, upstream)."""
        ...


@dataclass(frozen=True, slots=True)
class ChatDialect:
    """How one host speaks Chat Completions.

    ``name`` keys the caller's provider options and our provider metadata.
    ``send_reasoning`` echoes reasoning back as ``reasoning_content`` (compatible hosts that
    think need it; OpenAI itself returns no reasoning text).
    ``extension`` takes over what a gateway does differently (see :class:`ChatExtension`).
    """

    name: str
    send_reasoning: bool = True
    extension: ChatExtension | None = None
