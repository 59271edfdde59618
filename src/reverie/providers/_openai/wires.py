"""OpenAI's two wires as :class:`~reverie.providers._wire.Wire` objects: Chat Completions
and Responses. Pure: they tie together the encoders and decoders of this package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from reverie._jsonschema import close_objects
from reverie.model import Call, CallWarning, Response
from reverie.providers._openai import chat, chat_decode, chat_object, responses
from reverie.providers._openai.chat_stream import ChatStreamDecoder
from reverie.providers._openai.dialect import ChatDialect
from reverie.providers._openai.responses import ResponsesDialect
from reverie.providers._openai.responses_decode import decode_response
from reverie.providers._openai.responses_stream import ResponsesStreamDecoder
from reverie.providers._wire import Encoded, Wire

CHAT_PATH = "/chat/completions"
RESPONSES_PATH = "/responses"


@dataclass(frozen=True, slots=True)
class ChatWire(Wire):
    """Chat Completions (``POST .../chat/completions``), as ``dialect`` speaks it.

    ``native_json``: the host takes ``response_format`` json_schema (OpenAI and Azure do;
    compatible hosts are asked for objects with a forced tool unless told otherwise).
    """

    dialect: ChatDialect
    native_json: bool = False

    def encode(self, call: Call, model_id: str, *, stream: bool) -> Encoded:
        body, warnings = chat.encode_request(call, model_id, self.dialect, stream=stream)
        return Encoded(body, tuple(warnings))

    def decode(self, data: Mapping[str, Any], warnings: tuple[CallWarning, ...]) -> Response:
        return chat_decode.decode_response(data, self.dialect, warnings)

    def stream_decoder(self) -> ChatStreamDecoder:
        return ChatStreamDecoder(self.dialect)

    def object_request(
        self, call: Call, schema: Mapping[str, Any], name: str, description: str
    ) -> Call | None:
        if not self.native_json:
            return None
        return chat_object.object_request(self.dialect.name, call, schema, name, description)


@dataclass(frozen=True, slots=True)
class ResponsesWire(Wire):
    """The Responses API (``POST .../responses``), as ``dialect`` speaks it."""

    dialect: ResponsesDialect

    def encode(self, call: Call, model_id: str, *, stream: bool) -> Encoded:
        body, warnings = responses.encode_request(call, model_id, self.dialect, stream=stream)
        return Encoded(body, tuple(warnings))

    def decode(self, data: Mapping[str, Any], warnings: tuple[CallWarning, ...]) -> Response:
        return decode_response(data, self.dialect, warnings)

    def stream_decoder(self) -> ResponsesStreamDecoder:
        return ResponsesStreamDecoder(self.dialect)

    def object_request(
        self, call: Call, schema: Mapping[str, Any], name: str, description: str
    ) -> Call | None:
        """``text.format`` json_schema, with ``additionalProperties: false`` on every
        object, as the API requires."""
        fmt = {"type": "json_schema", "name": name, "schema": close_objects(schema)}
        options = dict(call.provider_options)
        provider = self.dialect.name
        options[provider] = {**options.get(provider, {}), "text_format": fmt}
        return replace(call, provider_options=options)
