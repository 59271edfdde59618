"""One :class:`~reverie.embeddings.EmbeddingModel` for every provider: a pure *wire* (texts and
settings → operation and body; JSON answer → vectors and usage) over the provider's *host*
(:mod:`reverie.providers._host`: where the operation goes, and how it is authorised), the
same host its chat models use. The URL and headers come from
:func:`~reverie.providers._host.address` and the sending from
:meth:`~reverie.providers._model.HostedModel.post` (as for chat models), so timeouts,
redaction and error types are the chat models' own; retries happen above, in
:func:`reverie.embeddings.embed_many`.

Wires: :mod:`reverie.providers._openai.embeddings` (OpenAI, Azure, every compatible host),
:mod:`reverie.providers._google.embeddings` (Gemini API, Vertex AI),
:mod:`reverie.providers._bedrock.embeddings` (Titan, Cohere on Bedrock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, cast

import orjson

from reverie._embedding_model import EmbeddingBatch, EmbedSettings
from reverie._redact import excerpt
from reverie.errors import ConfigurationError, ProtocolError
from reverie.model import CallWarning, LanguageModel
from reverie.providers._host import Request
from reverie.providers._model import HostedModel, WireModel


class EmbeddingWire(Protocol):
    """A provider's embedding request and answer, pure."""

    @property
    def max_batch_size(self) -> int: ...

    def encode(
        self, texts: Sequence[str], settings: EmbedSettings, warnings: list[CallWarning]
    ) -> tuple[str, dict[str, Any]]:
        """``(operation, body)``: the operation is the API method the host puts in the URL
        (:attr:`~reverie.providers._host.Request.operation`)."""
        ...

    def decode(self, data: Mapping[str, Any], count: int) -> EmbeddingBatch:
        """The answer to a request for ``count`` texts."""
        ...


class HttpEmbeddingModel(HostedModel[EmbeddingWire]):
    """``wire`` spoken to ``host`` over HTTP; see the module docstring (arguments as for
    :class:`~reverie.providers._model.HostedModel`)."""

    @classmethod
    def beside(cls, chat: LanguageModel, wire: EmbeddingWire) -> HttpEmbeddingModel:
        """The embedding model served where ``chat`` is: the model a provider's chat factory
        made for the same id and options, whose host, headers, HTTP client and timeouts it
        shares (so keys, URLs and auth are resolved once, one way)."""
        if not isinstance(chat, WireModel):
            raise ConfigurationError(
                f"{chat.provider}: its chat models are not reverie's own "
                f"({type(chat).__name__}), so reverie cannot make an embedding model beside them"
            )
        return cls(
            chat.model_id,
            wire=wire,
            host=chat.host,
            headers=chat.headers,
            http_client=chat.http_client,
            timeouts=chat.timeouts,
        )

    @property
    def max_batch_size(self) -> int:
        return self.wire.max_batch_size

    def __repr__(self) -> str:
        return f"EmbeddingModel({self.provider}:{self.model_id})"

    async def embed_batch(self, texts: Sequence[str], settings: EmbedSettings) -> EmbeddingBatch:
        warnings: list[CallWarning] = []
        operation, body = self.wire.encode(texts, settings, warnings)
        headers = {**self.headers, **settings.headers}
        request = Request(self.model_id, False, orjson.dumps(body), headers, (), operation)
        batch = self.wire.decode(await self.post(request), len(texts))
        if warnings:
            batch = EmbeddingBatch(
                batch.vectors, batch.usage, (*warnings, *batch.warnings), batch.provider_metadata
            )
        return batch


def vectors_of(values: Any, what: str, provider: str) -> list[float]:
    """A JSON list of numbers as floats, or ProtocolError naming ``what``."""
    items: list[Any] = cast(list[Any], values) if isinstance(values, list) else []
    if not items or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in items):
        shown = excerpt(repr(cast(object, values)), 200)
        raise ProtocolError(f"{provider}: {what} is not a list of numbers: {shown}", line=shown)
    return [float(v) for v in items]


def option(settings: EmbedSettings, names: Sequence[str], key: str) -> Any:
    """``provider_options[name][key]`` for the first of ``names`` that sets it."""
    for name in names:
        value = settings.provider_options.get(name, {}).get(key)
        if value is not None:
            return value
    return None
