"""Who serves the ``generateContent`` wire: the Gemini API and Vertex AI.

They differ in URL, auth, and whether function call ids may be sent (the
:class:`~reverie.providers._google.encode.GoogleDialect` the wire gets), which is all
configuration: :func:`gemini_model` builds either as a
:class:`~reverie.providers._model.WireModel`. Claude models on Vertex speak the Anthropic
wire instead (see :func:`is_claude_model`); neither host sends an ``Accept`` header.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx2

from reverie.errors import ConfigurationError
from reverie.providers import _counting
from reverie.providers._google.auth import TokenFunction, VertexAuth, api_key_headers
from reverie.providers._google.encode import GoogleDialect
from reverie.providers._google.wire import GeminiWire
from reverie.providers._host import COUNT_TOKENS, Host, Request, Target
from reverie.providers._model import WireModel
from reverie.timeouts import Timeouts

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


class GoogleHost(Host):
    """``POST {models URL}/{model}:generateContent`` (``:streamGenerateContent?alt=sse``),
    authorised by an API key header and/or Vertex's OAuth token (``auth``). Token counts go
    to ``:countTokens``, another operation to ``:{operation}`` (the embedding methods);
    ``vertex`` says which of the two APIs this is (their counting bodies differ)."""

    accept = None

    def __init__(
        self,
        name: str,
        models_url: str,
        *,
        api_key: str | None,
        auth: VertexAuth | None,
        vertex: bool = False,
    ) -> None:
        self.name = name
        self.models_url = models_url.rstrip("/")
        self.vertex = vertex
        self._key = api_key
        self._auth = auth

    def count_body(self, body: Mapping[str, Any], model_id: str) -> dict[str, Any]:
        return _counting.gemini_body(body, model_id, vertex=self.vertex)

    async def target(self, request: Request) -> Target:
        if request.operation == COUNT_TOKENS:
            method = "countTokens"
        elif request.operation:
            method = request.operation
        else:
            method = "streamGenerateContent?alt=sse" if request.stream else "generateContent"
        url = f"{self.models_url}/{quote(request.model_id, safe='@._-')}:{method}"
        added = api_key_headers(self._key) if self._key else {}
        if self._auth is not None:
            added.update(await self._auth.headers())
        return Target(url, added)


def gemini_model(
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
    timeouts: Timeouts | None = None,
    tool_call_id_factory: Callable[[], str] | None = None,
    provider: str = "google",
) -> WireModel:
    """A Gemini model on the Gemini API, or on Vertex AI with ``vertex=True``.

    Gemini API: ``api_key`` goes in the ``x-goog-api-key`` header; ``base_url`` defaults to
    :data:`GEMINI_BASE_URL`. Vertex AI: ``project`` and ``location`` pick the endpoint
    (``base_url`` defaults to :func:`vertex_base_url`); auth is ``access_token`` or
    ``credentials`` (see :class:`~reverie.providers._google.auth.VertexAuth`), or an
    ``api_key`` (express mode, where ``project`` may be left out), else google-auth's
    application-default credentials. ``provider`` keys provider options and part metadata
    (``"google"`` on both hosts); ``tool_call_id_factory``: see
    :class:`~reverie.providers._google.wire.GeminiWire`.
    """
    model = model_id.removeprefix("models/")
    auth: VertexAuth | None = None
    if vertex:
        if is_claude_model(model):
            raise ConfigurationError(
                f"{model_id!r} is a Claude model: on Vertex it speaks the Anthropic wire; "
                "use get_model('vertex:<model>'), which routes it there"
            )
        location = location or "global"
        base = (base_url or vertex_base_url(location)).rstrip("/")
        if project:
            models_url = f"{base}/projects/{project}/locations/{location}/publishers/google/models"
        elif api_key:
            models_url = f"{base}/publishers/google/models"
        else:
            raise ConfigurationError(
                "Vertex AI needs a project: pass project=... or set GOOGLE_CLOUD_PROJECT"
            )
        if access_token is not None or credentials is not None or not api_key:
            auth = VertexAuth(access_token=access_token, credentials=credentials)
    else:
        if project or location or access_token is not None or credentials is not None:
            raise ConfigurationError(
                "project, location, access_token and credentials are Vertex AI settings: "
                "pass vertex=True (or use the 'vertex' provider)"
            )
        models_url = f"{(base_url or GEMINI_BASE_URL).rstrip('/')}/models"
    dialect = GoogleDialect(provider, vertex=vertex)
    wire = (
        GeminiWire(dialect, tool_call_id_factory) if tool_call_id_factory else GeminiWire(dialect)
    )
    return WireModel(
        model,
        wire=wire,
        host=GoogleHost(provider, models_url, api_key=api_key, auth=auth, vertex=vertex),
        headers=headers,
        http_client=http_client,
        timeouts=timeouts,
    )
