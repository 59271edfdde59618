"""The Anthropic Messages wire as a :class:`~reverie.providers._wire.Wire`. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reverie.model import Call, CallWarning, Response
from reverie.providers._anthropic.decode import decode_response
from reverie.providers._anthropic.encode import MessagesDialect, encode_request
from reverie.providers._anthropic.stream import MessagesStreamDecoder
from reverie.providers._wire import Encoded, Wire


@dataclass(frozen=True, slots=True)
class MessagesWire(Wire):
    """Messages, as the host's ``dialect`` wants the body. Beta flags go to the host as
    :attr:`~reverie.providers._wire.Encoded.flags`, unless the dialect puts them in the
    body (Bedrock). Anthropic has no native structured output: a forced tool is used."""

    dialect: MessagesDialect

    def encode(self, call: Call, model_id: str, *, stream: bool) -> Encoded:
        encoded = encode_request(call, model_id, self.dialect, stream=stream)
        flags = () if self.dialect.betas_in_body else tuple(encoded.betas)
        return Encoded(encoded.body, tuple(encoded.warnings), flags)

    def decode(self, data: Mapping[str, Any], warnings: tuple[CallWarning, ...]) -> Response:
        return decode_response(data, self.dialect.name, list(warnings))

    def stream_decoder(self) -> MessagesStreamDecoder:
        return MessagesStreamDecoder(self.dialect.name)
