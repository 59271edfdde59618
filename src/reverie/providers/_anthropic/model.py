"""A :class:`~reverie.model.LanguageModel` over the Anthropic Messages wire, on any host.

The encoding and decoding are pure (:mod:`.encode`, :mod:`.decode`, :mod:`.stream`,
:mod:`.eventstream`); the host (:mod:`.hosts`) says where a request goes and how it is
authenticated; I/O goes through :mod:`reverie.providers._http`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx2
import orjson

from reverie.errors import ContextTooLargeError, InvalidRequestError, ProtocolError
from reverie.events import StreamEvent, Warnings
from reverie.model import Call, CallWarning, Response, TokenCount
from reverie.providers import _http
from reverie.providers._anthropic.decode import decode_response
from reverie.providers._anthropic.encode import EncodedRequest, encode_request
from reverie.providers._anthropic.eventstream import EventStreamDecoder, bedrock_event
from reverie.providers._anthropic.hosts import MessagesHost
from reverie.providers._anthropic.stream import MessagesStreamDecoder
from reverie.providers._counting import read_count
from reverie.providers._sse import SSEDecoder, json_object
from reverie.timeouts import Timeouts

USER_AGENT = "reverie/0.1"
_CONTEXT_TOO_LONG = re.compile(r"prompt is too long:\s*(\d+)\s*tokens?\s*>\s*(\d+)\s*maximum")


class AnthropicModel:
    """A Claude model reached through ``host`` (Anthropic API, Bedrock or Vertex AI).

    ``headers`` are added to every request; ``http_client`` replaces the shared default
    client (cassettes, proxies); ``timeouts`` (:class:`~reverie.timeouts.Timeouts`) bound
    each request phase.
    """

    def __init__(
        self,
        model_id: str,
        *,
        host: MessagesHost,
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

    def __repr__(self) -> str:
        return f"AnthropicModel({self.provider}:{self._model_id})"

    async def _prepare(
        self, call: Call, *, stream: bool
    ) -> tuple[str, bytes, dict[str, str], list[CallWarning]]:
        encoded: EncodedRequest = encode_request(
            call, self._model_id, self._host.dialect, stream=stream
        )
        url = self._host.url(self._model_id, stream=stream, betas=encoded.betas)
        body = orjson.dumps(encoded.body)
        headers = await self._signed(url, body, call, encoded.betas)
        return url, body, headers, encoded.warnings

    async def _signed(self, url: str, body: bytes, call: Call, betas: list[str]) -> dict[str, str]:
        headers = {**self._headers, **call.headers}
        betas = [] if self._host.dialect.betas_in_body else betas
        added = await self._host.auth_headers(url, body, headers, betas)
        # Replace, whatever its case, a header the host sets (it merged any beta flags).
        replaced = {k.lower() for k in added}
        return {k: v for k, v in headers.items() if k.lower() not in replaced} | added

    async def count_tokens(self, call: Call) -> TokenCount:
        """The host's count of ``call``'s input tokens (:mod:`reverie.tokens`)."""
        encoded = encode_request(call, self._model_id, self._host.dialect, stream=False)
        url, body = self._host.count_request(self._model_id, encoded.body, encoded.betas)
        raw = orjson.dumps(body)
        headers = await self._signed(url, raw, call, encoded.betas)
        data = await _http.post_json(
            self._client, url, raw, headers, provider=self.provider, timeouts=self._timeouts
        )
        return TokenCount(read_count(data, self.provider))

    async def generate(self, call: Call) -> Response:
        url, body, headers, warnings = await self._prepare(call, stream=False)
        try:
            data: Any = await _http.post_json(
                self._client, url, body, headers, provider=self.provider, timeouts=self._timeouts
            )
        except InvalidRequestError as exc:
            _raise_context_error(exc)
            raise
        if not isinstance(data, dict):
            raise ProtocolError(f"{self.provider}: expected a JSON object, got {str(data)[:200]}")
        return decode_response(data, self.provider, warnings)  # pyright: ignore[reportUnknownArgumentType]

    async def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        url, body, headers, warnings = await self._prepare(call, stream=True)
        if warnings:
            yield Warnings(tuple(warnings))
        decoder = MessagesStreamDecoder(self.provider)
        chunks = _http.post_stream(
            self._client, url, body, headers, provider=self.provider, timeouts=self._timeouts
        )
        try:
            if self._host.binary_stream:
                frames = EventStreamDecoder()
                async for raw in chunks:
                    for frame in frames.feed(raw):
                        event = bedrock_event(frame, self.provider)
                        if event is not None:
                            for ev in decoder.feed(event):
                                yield ev
                frames.close()
            else:
                sse = SSEDecoder()
                async for raw in chunks:
                    for _name, data in sse.feed(raw):
                        for ev in decoder.feed(json_object(data, self.provider)):
                            yield ev
                for _name, data in sse.close():
                    for ev in decoder.feed(json_object(data, self.provider)):
                        yield ev
        except InvalidRequestError as exc:
            _raise_context_error(exc)
            raise
        finally:
            await chunks.aclose()
        for ev in decoder.finish():
            yield ev


def _raise_context_error(exc: InvalidRequestError) -> None:
    """Raise ``exc`` as a ContextTooLargeError when Anthropic says the prompt is too long."""
    match = _CONTEXT_TOO_LONG.search(exc.message)
    if match is None or isinstance(exc, ContextTooLargeError):
        return
    raise ContextTooLargeError(
        exc.message + " (shorten the conversation or use a model with a larger context)",
        used_tokens=int(match.group(1)),
        max_tokens=int(match.group(2)),
        status=exc.status,
        error_type=exc.error_type,
        request_id=exc.request_id,
        body=exc.body,
        headers=exc.headers,
        provider=exc.provider,
    ) from exc
