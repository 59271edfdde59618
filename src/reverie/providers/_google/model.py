"""A :class:`~reverie.model.LanguageModel` over Google's ``generateContent`` wire.

One class serves the Gemini API and Vertex AI: they differ in URL, auth, and whether
function call ids may be sent, which is configuration (:class:`GoogleDialect`), not code.
Claude models on Vertex speak the Anthropic wire instead; see
:func:`reverie.providers._google.model.is_claude_model`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx2
import orjson

from reverie.errors import ConfigurationError, ProtocolError, ProviderError
from reverie.events import StreamEvent, Warnings
from reverie.model import Call, Response
from reverie.providers import _http
from reverie.providers._google.auth import TokenFunction, VertexAuth, api_key_headers
from reverie.providers._google.decode import decode_response, refine_error
from reverie.providers._google.encode import GoogleDialect, encode_request
from reverie.providers._google.stream import GeminiStreamDecoder
from reverie.providers._sse import SSEDecoder, json_object

if TYPE_CHECKING:
    from reverie.model import TokenCount

USER_AGENT = "reverie/0.1"
GEMINI_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"


def vertex_base_url(location: str) -> str:
    """Vertex's regional endpoint (``global`` has no region prefix), API version included."""
    host = (
        "aiplatform.googleapis.com"
        if location == "global"
        else f"{location}-aiplatform.googleapis.com"
    )
    return f"https://{host}/v1beta1"


def is_claude_model(model_id: str) -> bool:
    """Whether Vertex serves ``model_id`` through the Anthropic wire (publisher anthropic)."""
    lowered = model_id.lower()
    return "claude" in lowered or "anthropic" in lowered


def _new_uuid() -> str:
    return str(uuid.uuid4())


class GeminiModel:
    """A Gemini model on the Gemini API, or on Vertex AI with ``vertex=True``.

    Gemini API: ``api_key`` goes in the ``x-goog-api-key`` header; ``base_url`` defaults to
    :data:`GEMINI_BASE_URL`. Vertex AI: ``project`` and ``location`` pick the endpoint
    (``base_url`` defaults to :func:`vertex_base_url`); auth is ``access_token`` or
    ``credentials`` (see :class:`~reverie.providers._google.auth.VertexAuth`), or an
    ``api_key`` (express mode, where ``project`` may be left out), else google-auth's
    application-default credentials.

    ``tool_call_id_factory`` makes the ids of function calls Gemini gives none for (default:
    a random UUID); tests pass a counter for reproducible requests. ``http_client`` replaces
    the shared default client (cassettes, proxies); ``timeouts`` bound each request phase
    (:class:`~reverie.timeouts.Timeouts`). ``provider`` keys provider
    options and part metadata (``"google"`` on both hosts).
    """

    def __init__(
        self,
        model_id: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        vertex: bool = False,
        project: str | None = None,
        location: str | None = None,
        access_token: str | TokenFunction | None = None,
        credentials: Any = None,
        headers: Mapping[str, str] | None = None,
        http_client: httpx2.AsyncClient | None = None,
        timeouts: _http.Timeouts | None = None,
        tool_call_id_factory: Callable[[], str] | None = None,
        provider: str = "google",
    ) -> None:
        model = model_id.removeprefix("models/")
        escaped = quote(model, safe="@._-")
        self._vertex_auth: VertexAuth | None = None
        if vertex:
            if is_claude_model(model):
                raise ConfigurationError(
                    f"{model_id!r} is a Claude model: on Vertex it speaks the Anthropic wire; "
                    "use get_model('vertex:<model>'), which routes it there"
                )
            location = location or "global"
            base = (base_url or vertex_base_url(location)).rstrip("/")
            if project:
                path = f"{base}/projects/{project}/locations/{location}/publishers/google"
            elif api_key:
                path = f"{base}/publishers/google"
            else:
                raise ConfigurationError(
                    "Vertex AI needs a project: pass project=... or set GOOGLE_CLOUD_PROJECT"
                )
            self._model_url = f"{path}/models/{escaped}"
            if access_token is not None or credentials is not None or not api_key:
                self._vertex_auth = VertexAuth(access_token=access_token, credentials=credentials)
        else:
            if project or location or access_token is not None or credentials is not None:
                raise ConfigurationError(
                    "project, location, access_token and credentials are Vertex AI settings: "
                    "pass vertex=True (or use the 'vertex' provider)"
                )
            self._model_url = f"{(base_url or GEMINI_BASE_URL).rstrip('/')}/models/{escaped}"
        self._model_id = model
        self._dialect = GoogleDialect(provider, vertex=vertex)
        self._headers: dict[str, str] = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **(api_key_headers(api_key) if api_key else {}),
            **(headers or {}),
        }
        self._client = http_client
        self._timeouts = timeouts
        self._new_id: Callable[[], str] = tool_call_id_factory or _new_uuid

    @property
    def provider(self) -> str:
        return self._dialect.name

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def vertex_ai(self) -> bool:
        """Whether this model is reached through Vertex AI."""
        return self._dialect.vertex

    @property
    def url(self) -> str:
        """The ``generateContent`` endpoint (streaming uses ``streamGenerateContent``)."""
        return f"{self._model_url}:generateContent"

    def __repr__(self) -> str:
        where = "vertex" if self._dialect.vertex else "gemini"
        return f"GeminiModel({self._model_id} on {where} at {self._model_url})"

    async def _request_headers(self, call: Call) -> dict[str, str]:
        headers = dict(self._headers)
        if self._vertex_auth is not None:
            headers.update(await self._vertex_auth.headers())
        headers.update(call.headers)
        return headers

    def object_request(
        self, call: Call, schema: Mapping[str, Any], name: str, description: str
    ) -> Call | None:
        """Native structured output (:mod:`reverie.output`): ``responseJsonSchema`` with a
        JSON MIME type. None when the call offers tools, which then force the object."""
        if call.tools:
            return None
        options = dict(call.provider_options)
        mine = {**options.get(self.provider, {}), "response_json_schema": dict(schema)}
        options[self.provider] = mine
        return replace(call, provider_options=options)

    async def generate(self, call: Call) -> Response:
        body, warnings = encode_request(call, self._model_id, self._dialect)
        try:
            data: Any = await _http.post_json(
                self._client,
                self.url,
                orjson.dumps(body),
                await self._request_headers(call),
                provider=self.provider,
                timeouts=self._timeouts,
            )
        except ProviderError as exc:
            refined = refine_error(exc)
            if refined is exc:
                raise
            raise refined from exc
        if not isinstance(data, dict):
            raise ProtocolError(f"{self.provider}: expected a JSON object, got {str(data)[:200]}")
        return decode_response(data, self._dialect, self._new_id, tuple(warnings))  # pyright: ignore[reportUnknownArgumentType]

    async def count_tokens(self, call: Call) -> TokenCount:
        """``countTokens`` for ``call`` as it would be sent (:mod:`reverie.tokens`)."""
        from reverie.model import TokenCount
        from reverie.providers._counting import gemini_body, read_count

        body, _ = encode_request(call, self._model_id, self._dialect)
        data = await _http.post_json(
            self._client,
            f"{self._model_url}:countTokens",
            orjson.dumps(gemini_body(body, self._model_id, vertex=self._dialect.vertex)),
            await self._request_headers(call),
            provider=self.provider,
            timeouts=self._timeouts,
        )
        return TokenCount(read_count(data, self.provider))

    async def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        body, warnings = encode_request(call, self._model_id, self._dialect)
        if warnings:
            yield Warnings(tuple(warnings))
        decoder = GeminiStreamDecoder(self._dialect, self._new_id)
        sse = SSEDecoder()
        chunks = _http.post_stream(  # an async generator: closed below
            self._client,
            f"{self._model_url}:streamGenerateContent?alt=sse",
            orjson.dumps(body),
            await self._request_headers(call),
            provider=self.provider,
            timeouts=self._timeouts,
        )
        try:
            async for raw in chunks:
                for _event, data in sse.feed(raw):
                    for ev in decoder.feed(json_object(data, self.provider)):
                        yield ev
            for _event, data in sse.close():
                for ev in decoder.feed(json_object(data, self.provider)):
                    yield ev
        except ProviderError as exc:
            refined = refine_error(exc)
            if refined is exc:
                raise
            raise refined from exc
        finally:
            await chunks.aclose()
        for ev in decoder.finish():
            yield ev
