"""A :class:`~reverie.model.LanguageModel` over Bedrock's Converse / ConverseStream.

The wire is pure (:mod:`.converse`, :mod:`.converse_decode`, :mod:`.converse_stream`); the
host is the same :class:`~reverie.providers._anthropic.hosts.Bedrock` that serves Claude's
invoke body, so both sign (SigV4) or authenticate (a Bedrock API key as bearer token) the
same way; the binary event stream is decoded by
:mod:`reverie.providers._anthropic.eventstream`. I/O goes through
:mod:`reverie.providers._http`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx2
import orjson

from reverie.errors import ProtocolError
from reverie.events import StreamEvent, Warnings
from reverie.model import Call, Response, TokenCount
from reverie.providers import _http
from reverie.providers._anthropic.eventstream import EventStreamDecoder, converse_event
from reverie.providers._anthropic.hosts import Bedrock
from reverie.providers._bedrock.converse import encode_request
from reverie.providers._bedrock.converse_decode import decode_response
from reverie.providers._bedrock.converse_stream import ConverseStreamDecoder
from reverie.providers._counting import converse_body, read_count
from reverie.timeouts import Timeouts

USER_AGENT = "reverie/0.1"


class ConverseModel:
    """Any Bedrock chat model (Nova, Llama, Mistral, Cohere, DeepSeek, Claude, ...) through
    ``POST /model/{id}/converse`` and ``/converse-stream``.

    ``host`` says where and how to authenticate (region, base URL, key or AWS credentials);
    ``headers`` are added to every request; ``http_client`` replaces the shared client
    (cassettes, proxies); ``timeouts`` bound each request phase.
    """

    def __init__(
        self,
        model_id: str,
        *,
        host: Bedrock,
        headers: Mapping[str, str] | None = None,
        http_client: httpx2.AsyncClient | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self._model_id = model_id
        self._host = host
        self._headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **(headers or {}),
        }
        self._client = http_client
        self._timeouts = timeouts

    @property
    def provider(self) -> str:
        return self._host.name

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def host(self) -> Bedrock:
        """The Bedrock host (region, endpoint, auth) this model uses."""
        return self._host

    def __repr__(self) -> str:
        return f"ConverseModel({self.provider}:{self._model_id})"

    async def post(
        self, action: str, body: Mapping[str, Any], call_headers: Mapping[str, str]
    ) -> tuple[str, bytes, dict[str, str]]:
        """URL, body bytes and signed headers for one operation on this model."""
        url = self._host.endpoint(self._model_id, action)
        raw = orjson.dumps(body)
        headers = {**self._headers, **call_headers}
        added = await self._host.auth_headers(url, raw, headers, ())
        replaced = {k.lower() for k in added}
        return url, raw, {k: v for k, v in headers.items() if k.lower() not in replaced} | added

    async def count_tokens(self, call: Call) -> TokenCount:
        """Bedrock's CountTokens for ``call`` as Converse would send it (models that Bedrock
        cannot count for answer 400: :func:`reverie.tokens.count_tokens` then estimates)."""
        body, _ = encode_request(call, self._model_id, self.provider, stream=False)
        url, raw, headers = await self.post("count-tokens", converse_body(body), call.headers)
        data = await _http.post_json(
            self._client, url, raw, headers, provider=self.provider, timeouts=self._timeouts
        )
        return TokenCount(read_count(data, self.provider))

    async def generate(self, call: Call) -> Response:
        body, warnings = encode_request(call, self._model_id, self.provider, stream=False)
        url, raw, headers = await self.post("converse", body, call.headers)
        data: Any = await _http.post_json(
            self._client, url, raw, headers, provider=self.provider, timeouts=self._timeouts
        )
        if not isinstance(data, dict):
            raise ProtocolError(f"{self.provider}: expected a JSON object, got {str(data)[:200]}")
        return decode_response(data, self.provider, warnings)  # pyright: ignore[reportUnknownArgumentType]

    async def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        body, warnings = encode_request(call, self._model_id, self.provider, stream=True)
        if warnings:
            yield Warnings(tuple(warnings))
        url, raw, headers = await self.post("converse-stream", body, call.headers)
        decoder = ConverseStreamDecoder(self.provider)
        frames = EventStreamDecoder()
        chunks = _http.post_stream(
            self._client, url, raw, headers, provider=self.provider, timeouts=self._timeouts
        )
        try:
            async for data in chunks:
                for frame in frames.feed(data):
                    name, payload = converse_event(frame, self.provider)
                    for event in decoder.feed(name, payload):
                        yield event
            frames.close()
        finally:
            await chunks.aclose()
        for event in decoder.finish():
            yield event
