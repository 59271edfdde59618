"""The one model class: a wire (how to say it) and a host (where, and with what key).

Every built-in provider is a :class:`WireModel`: OpenAI Chat Completions and Responses,
Anthropic Messages, Gemini, Bedrock Converse, every OpenAI-compatible host, the gateways,
the local model. The wire is pure (:mod:`reverie.providers._wire`), the host says where a
request goes and how it is authorised (:mod:`reverie.providers._host`); this class holds the
two together and is the only one that does I/O, through :mod:`reverie.providers._http` (the
embedding model, :mod:`reverie.providers._embedding`, is a :class:`HostedModel` too).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from typing import Any, Generic, NoReturn, TypeVar, cast

import httpx2
import orjson

from reverie._redact import excerpt, seal
from reverie.errors import ProtocolError, ProviderError
from reverie.model import Call, Response, StreamEvent, TokenCount, Warnings
from reverie.providers import _http
from reverie.providers._counting import read_count
from reverie.providers._host import COUNT_TOKENS, Host, Request, address
from reverie.providers._wire import Wire
from reverie.timeouts import Timeouts

USER_AGENT = "reverie/0.1"


W = TypeVar("W")


class HostedModel(Generic[W]):
    """A model of any kind (chat, embeddings) whose requests ``wire`` encodes and ``host``
    addresses and authorises.

    ``headers`` are added to every request (a call's own headers over them, the host's auth
    over both); ``http_client`` replaces the shared default client (cassettes, proxies);
    ``timeouts`` (:class:`~reverie.timeouts.Timeouts`) bound each request phase. Every
    whole (non-streamed) request of every kind goes through :meth:`post`.
    """

    def __init__(
        self,
        model_id: str,
        *,
        wire: W,
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
    def wire(self) -> W:
        return self._wire

    @property
    def host(self) -> Host:
        return self._host

    @property
    def headers(self) -> Mapping[str, str]:
        """What every request sends before a call's own headers and the host's auth."""
        return self._headers

    @property
    def http_client(self) -> httpx2.AsyncClient | None:
        """The client given as ``http_client``; None: reverie's default one."""
        return self._client

    @property
    def timeouts(self) -> Timeouts | None:
        return self._timeouts

    async def post(
        self, request: Request, refine: Callable[[ProviderError], ProviderError] | None = None
    ) -> dict[str, Any]:
        """``request`` sent where the host says, with the headers it adds, and its answer,
        which must be a JSON object (else :class:`~reverie.errors.ProtocolError`).
        ``refine`` may sharpen a provider error
        (:meth:`~reverie.providers._wire.Wire.refine_error`)."""
        url, headers = await address(self._host, request)
        try:
            data: Any = await _http.post_json(
                self._client,
                url,
                request.body,
                headers,
                provider=self.provider,
                timeouts=self._timeouts,
            )
        except ProviderError as exc:
            if refine is None:
                raise
            _raise_refined(exc, refine)
        if not isinstance(data, dict):
            shown = excerpt(str(data), 200)
            raise ProtocolError(f"{self.provider}: expected a JSON object, got {shown}")
        return cast(dict[str, Any], data)


def _raise_refined(
    error: ProviderError, refine: Callable[[ProviderError], ProviderError]
) -> NoReturn:
    """Raise ``refine(error)`` (from ``error``), or ``error`` itself when it is not refined."""
    refined = refine(error)
    if refined is error:
        raise error
    raise refined from error


class WireModel(HostedModel[Wire]):
    """A :class:`~reverie.model.LanguageModel` speaking ``wire`` to ``host`` (arguments as
    for :class:`HostedModel`). It is a :class:`~reverie.model.TokenCounter` through its
    host (:meth:`count_tokens`).
    """

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
        data = await self._post(self._request(call, encoded.body, encoded.flags, stream=False))
        return self._wire.decode(data, encoded.warnings)

    async def count_tokens(self, call: Call) -> TokenCount | None:
        """The host's count of the input tokens of ``call``, encoded as :meth:`generate`
        would send it; None when the host has no counting endpoint for this wire
        (:func:`reverie.tokens.count_tokens` then estimates)."""
        encoded = self._wire.encode(self._with_aliases(call), self._model_id, stream=False)
        body = self._host.count_body(encoded.body, self._model_id)
        if body is None:
            return None
        request = self._request(call, body, encoded.flags, stream=False, operation=COUNT_TOKENS)
        return TokenCount(read_count(await self._post(request), self.provider))

    async def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        encoded = self._wire.encode(self._with_aliases(call), self._model_id, stream=True)
        request = self._request(call, encoded.body, encoded.flags, stream=True)
        url, headers = await address(self._host, request)
        if encoded.warnings:
            yield Warnings(encoded.warnings)
        decoder = self._wire.stream_decoder()
        framing = self._host.framing()
        chunks = _http.post_stream(
            self._client,
            url,
            request.body,
            headers,
            provider=self.provider,
            timeouts=self._timeouts,
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
            _raise_refined(exc, self._wire.refine_error)
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

    def _request(
        self,
        call: Call,
        body: Mapping[str, Any],
        flags: tuple[str, ...],
        *,
        stream: bool,
        operation: str = "",
    ) -> Request:
        headers = {**self._headers, **call.headers} if call.headers else self._headers
        return Request(self._model_id, stream, orjson.dumps(body), headers, flags, operation)

    async def _post(self, request: Request) -> dict[str, Any]:
        return await self.post(request, self._wire.refine_error)
