"""What a wire is: a pure codec between reverie's types and one provider API's JSON.

A wire encodes a :class:`~reverie.model.Call` into a request body (with what it had to
leave out, and any flags the host must carry, such as Anthropic's beta names), decodes a
whole JSON answer into a :class:`~reverie.model.Response`, and makes a decoder that turns a
stream's JSON events into stream events. A wire does no I/O and imports nothing of the HTTP
layer, so every wire is tested from JSON alone; :class:`~reverie.providers._model.WireModel`
pairs it with a host and does the sending.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from reverie.errors import ProviderError
from reverie.model import Call, CallWarning, Response, StreamEvent


@dataclass(frozen=True, slots=True)
class Encoded:
    """A request body, the settings it could not honour, and flags for the host."""

    body: dict[str, Any]
    warnings: tuple[CallWarning, ...] = ()
    flags: tuple[str, ...] = ()
    """Features the request needs the host to announce (Anthropic beta names)."""


class StreamDecoder(Protocol):
    """Turns one stream's JSON events into stream events; one instance per stream.

    :meth:`finish` is called once the stream ended and returns what is still open, ending
    with the ``Finish`` event (or raises :class:`~reverie.errors.IncompleteStreamError`).
    """

    def feed(self, data: Mapping[str, Any], /) -> list[StreamEvent]: ...

    def finish(self) -> list[StreamEvent]: ...


class Wire(Protocol):
    """One provider API's request and response format, pure.

    Subclass it to get the defaults of :meth:`refine_error` and :meth:`object_request`.
    """

    def encode(self, call: Call, model_id: str, *, stream: bool) -> Encoded:
        """The request for ``call``; raises ConfigurationError for an unusable option."""
        ...

    def decode(self, data: Mapping[str, Any], warnings: tuple[CallWarning, ...]) -> Response:
        """A whole (non-streamed) answer; raises ProtocolError when it is not one."""
        ...

    def stream_decoder(self) -> StreamDecoder:
        """A fresh decoder for one streamed answer."""
        ...

    def refine_error(self, error: ProviderError) -> ProviderError:
        """A sharper type for an error this API reports in its own way (default: as is)."""
        return error

    def object_request(
        self, call: Call, schema: Mapping[str, Any], name: str, description: str
    ) -> Call | None:
        """``call`` asking for native structured output (see :mod:`reverie.output`), or
        None when this API has none for it (the default): a forced tool is used instead."""
        return None
