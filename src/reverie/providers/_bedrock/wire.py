"""Bedrock's Converse API as a :class:`~reverie.providers._wire.Wire`. Pure: it ties together
:mod:`.converse` (encoding), :mod:`.converse_decode` and :mod:`.converse_stream`.

Served by :class:`~reverie.providers._bedrock.host.ConverseHost` (``/converse``,
``/converse-stream`` as event-stream frames, CountTokens with the Converse fields).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reverie.model import Call, CallWarning, Response
from reverie.providers._bedrock.converse import encode_request
from reverie.providers._bedrock.converse_decode import decode_response
from reverie.providers._bedrock.converse_stream import ConverseStreamDecoder
from reverie.providers._wire import Encoded, Wire


@dataclass(frozen=True, slots=True)
class ConverseWire(Wire):
    """Converse and ConverseStream (one request body for both). ``provider`` keys the
    options read (after ``"bedrock"``'s) and the metadata written. No native structured
    output: a forced tool is used."""

    provider: str

    def encode(self, call: Call, model_id: str, *, stream: bool) -> Encoded:
        body, warnings = encode_request(call, model_id, self.provider, stream=stream)
        return Encoded(body, tuple(warnings))

    def decode(self, data: Mapping[str, Any], warnings: tuple[CallWarning, ...]) -> Response:
        return decode_response(data, self.provider, warnings)

    def stream_decoder(self) -> ConverseStreamDecoder:
        return ConverseStreamDecoder(self.provider)
