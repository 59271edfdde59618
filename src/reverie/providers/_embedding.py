"""One :class:`~reverie.embeddings.EmbeddingModel` for every provider: a pure *wire* (texts
and settings → operation and body; JSON answer → vectors and usage) over a *host* (where
the operation goes, and how it is authenticated). I/O goes through
:mod:`reverie.providers._http`, so timeouts, redaction and error types are the chat
models' own; retries happen above, in :func:`reverie.embeddings.embed_many`.

Wires: :mod:`reverie.providers._openai.embeddings` (OpenAI, Azure, every compatible host),
:mod:`reverie.providers._google.embeddings` (Gemini API, Vertex AI),
:mod:`reverie.providers._bedrock.embeddings` (Titan, Cohere on Bedrock).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, cast

import httpx2
import orjson

from reverie._embedding_model import EmbeddingBatch, EmbedSettings
from reverie.errors import ProtocolError
from reverie.model import CallWarning
from reverie.providers import _http
from reverie.timeouts import Timeouts

USER_AGENT = "reverie/0.1"


class EmbeddingWire(Protocol):
    """A provider's embedding request and answer, pure."""

    @property
    def max_batch_size(self) -> int: ...

    def encode(
        self, texts: Sequence[str], settings: EmbedSettings, warnings: list[CallWarning]
    ) -> tuple[str, dict[str, Any]]:
        """``(operation, body)``: the host turns the operation into a URL."""
        ...

    def decode(self, data: Mapping[str, Any], count: int) -> EmbeddingBatch:
        """The answer to a request for ``count`` texts."""
        ...


Headers = dict[str, str]
Target = Callable[[str, bytes, Headers], Awaitable[tuple[str, Headers]]]
"""A host: ``(operation, body, headers)`` → ``(url, headers to send)``, signing if need be."""


class HttpEmbeddingModel:
    """``wire`` spoken to ``target`` over HTTP; see the module docstring."""

    def __init__(
        self,
        model_id: str,
        *,
        provider: str,
        wire: EmbeddingWire,
        target: Target,
        headers: Mapping[str, str] | None = None,
        http_client: httpx2.AsyncClient | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self._model_id = model_id
        self._provider = provider
        self._wire = wire
        self._target = target
        self._headers: Headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **(headers or {}),
        }
        self._client = http_client
        self._timeouts = timeouts

    @property
    def provider(self) -> str:
        return self._provider

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def max_batch_size(self) -> int:
        return self._wire.max_batch_size

    def __repr__(self) -> str:
        return f"EmbeddingModel({self._provider}:{self._model_id})"

    async def embed_batch(self, texts: Sequence[str], settings: EmbedSettings) -> EmbeddingBatch:
        warnings: list[CallWarning] = []
        operation, body = self._wire.encode(texts, settings, warnings)
        raw = orjson.dumps(body)
        url, headers = await self._target(operation, raw, {**self._headers, **settings.headers})
        data: Any = await _http.post_json(
            self._client, url, raw, headers, provider=self._provider, timeouts=self._timeouts
        )
        if not isinstance(data, dict):
            raise ProtocolError(f"{self._provider}: expected a JSON object, got {str(data)[:200]}")
        batch = self._wire.decode(data, len(texts))  # pyright: ignore[reportUnknownArgumentType]
        if warnings:
            batch = EmbeddingBatch(
                batch.vectors, batch.usage, (*warnings, *batch.warnings), batch.provider_metadata
            )
        return batch


def url_target(base_url: str, auth: Mapping[str, str] | None = None) -> Target:
    """A host at ``base_url`` (the operation is appended with ``/``, or directly when it
    starts with ``:`` as Google's do), with fixed auth headers."""
    base = base_url.rstrip("/")
    fixed = dict(auth or {})

    async def target(operation: str, body: bytes, headers: Headers) -> tuple[str, Headers]:
        url = base + operation if operation.startswith(":") else f"{base}/{operation}"
        return url, {**headers, **fixed}

    return target


def vectors_of(values: Any, what: str, provider: str) -> list[float]:
    """A JSON list of numbers as floats, or ProtocolError naming ``what``."""
    items: list[Any] = cast(list[Any], values) if isinstance(values, list) else []
    if not items or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in items):
        shown = repr(cast(object, values))[:200]
        raise ProtocolError(f"{provider}: {what} is not a list of numbers: {shown}")
    return [float(v) for v in items]


def option(settings: EmbedSettings, names: Sequence[str], key: str) -> Any:
    """``provider_options[name][key]`` for the first of ``names`` that sets it."""
    for name in names:
        value = settings.provider_options.get(name, {}).get(key)
        if value is not None:
            return value
    return None
