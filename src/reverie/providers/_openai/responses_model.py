"""A :class:`~reverie.model.LanguageModel` over the OpenAI Responses wire.

Serves OpenAI and Azure OpenAI; what differs (base URL, how the key is sent, the name that
keys options) is configuration. Encoding and decoding are in the pure ``responses*`` modules;
this class only sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx2
import orjson

from reverie.errors import ProtocolError
from reverie.events import StreamEvent, Warnings
from reverie.model import Call, Response
from reverie.providers import _http
from reverie.providers._openai.model import USER_AGENT
from reverie.providers._openai.responses import ResponsesDialect, encode_request
from reverie.providers._openai.responses_decode import decode_response
from reverie.providers._openai.responses_stream import ResponsesStreamDecoder
from reverie.timeouts import Timeouts

if TYPE_CHECKING:
    from reverie.model import TokenCount


class OpenAIResponsesModel:
    """A model reached through ``POST {base_url}/responses``.

    ``api_key`` is sent as a bearer token; hosts that want another header (Azure's
    ``api-key``) pass ``api_key=None`` and the header in ``headers``. ``http_client``
    replaces the shared default client (cassettes, proxies); ``timeouts``
    (:class:`~reverie.timeouts.Timeouts`) bound each request phase.
    """

    def __init__(
        self,
        model_id: str,
        *,
        base_url: str = "https://api.openai.com/v1",
        api_key: str | None = None,
        provider: str = "openai",
        headers: Mapping[str, str] | None = None,
        http_client: httpx2.AsyncClient | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self._model_id = model_id
        self._dialect = ResponsesDialect(provider)
        self._url = base_url.rstrip("/") + "/responses"
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
        return f"OpenAIResponsesModel({self.provider}:{self._model_id} at {self._url})"

    def _request_headers(self, call: Call) -> dict[str, str]:
        return {**self._headers, **call.headers} if call.headers else self._headers

    def object_request(
        self, call: Call, schema: Mapping[str, Any], name: str, description: str
    ) -> Call | None:
        """Native structured output (:mod:`reverie.output`): ``text.format`` json_schema,
        with ``additionalProperties: false`` on every object, as the API requires."""
        from reverie._jsonschema import close_objects

        fmt = {"type": "json_schema", "name": name, "schema": close_objects(schema)}
        options = dict(call.provider_options)
        options[self.provider] = {**options.get(self.provider, {}), "text_format": fmt}
        return replace(call, provider_options=options)

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
            raise ProtocolError(f"{self.provider}: expected a JSON object, got {str(data)[:200]}")
        return decode_response(data, self._dialect, warnings)  # pyright: ignore[reportUnknownArgumentType]

    async def count_tokens(self, call: Call) -> TokenCount:
        """``POST {base_url}/responses/input_tokens`` for ``call`` (:mod:`reverie.tokens`)."""
        from reverie.model import TokenCount
        from reverie.providers._counting import read_count, responses_body

        body, _ = encode_request(call, self._model_id, self._dialect, stream=False)
        data = await _http.post_json(
            self._client,
            self._url + "/input_tokens",
            orjson.dumps(responses_body(body)),
            self._request_headers(call),
            provider=self.provider,
            timeouts=self._timeouts,
        )
        return TokenCount(read_count(data, self.provider))

    async def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        body, warnings = encode_request(call, self._model_id, self._dialect, stream=True)
        if warnings:
            yield Warnings(tuple(warnings))
        decoder = ResponsesStreamDecoder(self._dialect)
        objects = _http.post_sse_objects(
            self._client,
            self._url,
            orjson.dumps(body),
            self._request_headers(call),
            provider=self.provider,
            timeouts=self._timeouts,
        )
        async with aclosing(objects):
            async for event in objects:
                for ev in decoder.feed(event):
                    yield ev
        for ev in decoder.finish():
            yield ev
