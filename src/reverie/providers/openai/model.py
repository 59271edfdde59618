"""A :class:`~reverie.model.LanguageModel` over the Chat Completions wire.

One class serves OpenAI and every OpenAI-compatible host; what differs (base URL, key, the
name that keys options, whether reasoning is echoed back) is configuration.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from typing import Any

import httpx2
import orjson

from reverie._redact import display_url, excerpt
from reverie.errors import ProtocolError
from reverie.events import StreamEvent, Warnings
from reverie.model import Call, Response
from reverie.providers import _http
from reverie.providers.openai.chat import ChatDialect, ChatExtension, encode_request
from reverie.providers.openai.chat_decode import decode_response
from reverie.providers.openai.chat_stream import ChatStreamDecoder

USER_AGENT = "reverie/0.1"


class OpenAIChatModel:
    """A model reached through ``POST {base_url}/chat/completions``.

    ``api_key`` is sent as a bearer token (omit it for local servers that need none);
    ``http_client`` replaces the shared default client (cassettes, proxies);
    ``timeouts`` (:class:`~reverie.timeouts.Timeouts`) bound each request phase;
    ``extension`` is a gateway's behaviour over the wire (:class:`ChatExtension`).
    """

    def __init__(
        self,
        model_id: str,
        *,
        base_url: str,
        api_key: str | None = None,
        provider: str = "openai",
        send_reasoning: bool = True,
        headers: Mapping[str, str] | None = None,
        http_client: httpx2.AsyncClient | None = None,
        timeouts: _http.Timeouts | None = None,
        extension: ChatExtension | None = None,
        native_json: bool | None = None,
    ) -> None:
        self._model_id = model_id
        self._dialect = ChatDialect(provider, send_reasoning=send_reasoning, extension=extension)
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **(headers or {}),
        }
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._client = http_client
        self._timeouts = timeouts
        # Native json_schema output: OpenAI's own API has it; compatible hosts are asked
        # for objects with a forced tool unless told otherwise (see chat_object).
        self._native_json = provider == "openai" if native_json is None else native_json

    @property
    def provider(self) -> str:
        return self._dialect.name

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def url(self) -> str:
        """The endpoint requests go to."""
        return self._url

    def __repr__(self) -> str:
        return f"OpenAIChatModel({self.provider}:{self._model_id} at {display_url(self._url)})"

    def object_request(
        self, call: Call, schema: Mapping[str, Any], name: str, description: str
    ) -> Call | None:
        """The structured-output hook (:mod:`reverie.output`): ``response_format``
        json_schema when this host supports it, else None (a forced tool is used)."""
        if not self._native_json:
            return None
        from reverie.providers.openai.chat_object import object_request

        return object_request(self._dialect.name, call, schema, name, description)

    def _request_headers(self, call: Call) -> dict[str, str]:
        return {**self._headers, **call.headers} if call.headers else self._headers

    async def generate(self, call: Call) -> Response:
        body, warnings = encode_request(call, self._model_id, self._dialect, stream=False)
        data: Any = await _http.post_json(
            self._client,
            self._url,
            orjson.dumps(body),
            self._request_headers(call),
            provider=self.provider,
            timeouts=self._timeouts,
        )
        if not isinstance(data, dict):
            raise ProtocolError(
                f"{self.provider}: expected a JSON object, got {excerpt(str(data), 200)}"
            )
        return decode_response(data, self._dialect, warnings)  # pyright: ignore[reportUnknownArgumentType]

    async def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        body, warnings = encode_request(call, self._model_id, self._dialect, stream=True)
        if warnings:
            yield Warnings(tuple(warnings))
        decoder = ChatStreamDecoder(self._dialect)
        objects = _http.post_sse_objects(
            self._client,
            self._url,
            orjson.dumps(body),
            self._request_headers(call),
            provider=self.provider,
            timeouts=self._timeouts,
        )
        async with aclosing(objects):
            async for chunk in objects:
                for ev in decoder.feed(chunk):
                    yield ev
        for ev in decoder.finish():
            yield ev
