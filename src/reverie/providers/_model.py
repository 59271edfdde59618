"""The one model class: a wire (how to say it) and a host (where, and with what key).

Every built-in provider is a :class:`WireModel`: OpenAI Chat Completions and Responses,
Anthropic Messages, Gemini, every OpenAI-compatible host, the gateways, the local model.
The wire is pure (:mod:`reverie.providers._wire`), the host says where a request goes and
how it is authorised (:mod:`reverie.providers._host`); this class holds the two together
and is the only one that does I/O, through :mod:`reverie.providers._http`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

import httpx2
import orjson

from reverie._redact import excerpt, seal
from reverie.errors import ProtocolError, ProviderError
from reverie.model import Call, Response, StreamEvent, Warnings
from reverie.providers import _http
from reverie.providers._host import Host, Request, address
from reverie.providers._wire import Encoded, Wire
from reverie.timeouts import Timeouts

USER_AGENT = "reverie/0.1"


class WireModel:
    """A :class:`~reverie.model.LanguageModel` speaking ``wire`` to ``host``.

    ``headers`` are added to every request (a call's own ``headers`` over them, the host's
    auth over both); ``http_client`` replaces the shared default client (cassettes,
    proxies); ``timeouts`` (:class:`~reverie.timeouts.Timeouts`) bound each request phase.
    """

    def __init__(
        self,
        model_id: str,
        *,
        wire: Wire,
        host: Host,
        headers: Mapping[str, str] | None = None,
        http_client: httpx2.AsyncClient | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self._model_id = model_id
        self._wire = wire
        self._host = host
        base = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if host.accept:
            base = {"Accept": host.accept, **base}
        self._headers = {**base, **(headers or {})}
        self._client = http_client
        self._timeouts = timeouts

    @property
    def provider(self) -> str:
        return self._host.name

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def wire(self) -> Wire:
        return self._wire

    @property
    def host(self) -> Host:
        return self._host

    @property
    def label(self) -> str:
        """The host's word on what this model is (shown by ``reverie run``), or ``""``."""
        return self._host.label

    def __repr__(self) -> str:
        return f"WireModel({self.provider}:{self._model_id}, {type(self._wire).__name__})"

    def object_request(
        self, call: Call, schema: Mapping[str, Any], name: str, description: str
    ) -> Call | None:
        """The wire's native structured output, if it has one (see :mod:`reverie.output`)."""
        return self._wire.object_request(self._with_aliases(call), schema, name, description)

    async def generate(self, call: Call) -> Response:
        encoded = self._wire.encode(self._with_aliases(call), self._model_id, stream=False)
        url, body, headers = await self._request(call, encoded, stream=False)
        try:
            data: Any = await _http.post_json(
                self._client, url, body, headers, provider=self.provider, timeouts=self._timeouts
            )
        except ProviderError as exc:
            refined = self._wire.refine_error(exc)
            if refined is exc:
                raise
            raise refined from exc
        if not isinstance(data, dict):
            raise ProtocolError(
                f"{self.provider}: expected a JSON object, got {excerpt(str(data), 200)}"
            )
        return self._wire.decode(data, encoded.warnings)  # pyright: ignore[reportUnknownArgumentType]

    async def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        encoded = self._wire.encode(self._with_aliases(call), self._model_id, stream=True)
        url, body, headers = await self._request(call, encoded, stream=True)
        if encoded.warnings:
            yield Warnings(encoded.warnings)
        decoder = self._wire.stream_decoder()
        framing = self._host.framing()
        chunks = _http.post_stream(
            self._client, url, body, headers, provider=self.provider, timeouts=self._timeouts
        )
        try:
            async for chunk in chunks:
                for data in framing.feed(chunk):
                    for event in decoder.feed(data):
                        yield event
            for data in framing.close():
                for event in decoder.feed(data):
                    yield event
        except ProviderError as exc:
            refined = self._wire.refine_error(exc)
            if refined is exc:
                raise
            raise refined from exc
        except Exception as exc:
            seal(exc)  # a decoder's error may chain one that quotes the stream
            raise
        finally:
            await chunks.aclose()
        for event in decoder.finish():
            yield event

    def _with_aliases(self, call: Call) -> Call:
        """``call`` with the options given under the host's aliases merged under its name."""
        aliased: dict[str, Any] = {}
        for alias in self._host.option_aliases:
            aliased.update(call.provider_options.get(alias, {}))
        if not aliased:
            return call
        own: Mapping[str, Any] = call.provider_options.get(self.provider, {})
        options = {**call.provider_options, self.provider: {**aliased, **own}}
        return replace(call, provider_options=options)

    async def _request(
        self, call: Call, encoded: Encoded, *, stream: bool
    ) -> tuple[str, bytes, dict[str, str]]:
        body = orjson.dumps(encoded.body)
        headers = {**self._headers, **call.headers} if call.headers else self._headers
        url, headers = await address(
            self._host, Request(self._model_id, stream, body, headers, encoded.flags)
        )
        return url, body, headers
