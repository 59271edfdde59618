"""Google's ``generateContent`` wire as a :class:`~reverie.providers._wire.Wire`. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from reverie.errors import ProviderError
from reverie.model import Call, CallWarning, Response
from reverie.providers._google.decode import decode_response, refine_error
from reverie.providers._google.encode import GoogleDialect, encode_request
from reverie.providers._google.stream import GeminiStreamDecoder
from reverie.providers._wire import Encoded, Wire


def new_uuid() -> str:
    """A random UUID: the default id of a function call Gemini gave none."""
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class GeminiWire(Wire):
    """``generateContent`` as ``dialect`` (Gemini API or Vertex) speaks it.

    ``new_id`` makes the ids of function calls Gemini gives none for (default: a random
    UUID); tests pass a counter for reproducible requests.
    """

    dialect: GoogleDialect
    new_id: Callable[[], str] = field(default=new_uuid)

    def encode(self, call: Call, model_id: str, *, stream: bool) -> Encoded:
        body, warnings = encode_request(call, model_id, self.dialect)  # the same for both
        return Encoded(body, tuple(warnings))

    def decode(self, data: Mapping[str, Any], warnings: tuple[CallWarning, ...]) -> Response:
        return decode_response(data, self.dialect, self.new_id, warnings)

    def stream_decoder(self) -> GeminiStreamDecoder:
        return GeminiStreamDecoder(self.dialect, self.new_id)

    def refine_error(self, error: ProviderError) -> ProviderError:
        return refine_error(error)

    def object_request(
        self, call: Call, schema: Mapping[str, Any], name: str, description: str
    ) -> Call | None:
        """``responseJsonSchema`` with a JSON MIME type. None when the call offers tools,
        which then force the object."""
        if call.tools:
            return None
        options = dict(call.provider_options)
        mine = {**options.get(self.dialect.name, {}), "response_json_schema": dict(schema)}
        options[self.dialect.name] = mine
        return replace(call, provider_options=options)
