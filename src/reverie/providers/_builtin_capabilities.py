"""The built-in providers' embedding models and token counting, added to their registry
entries (what ``reverie models`` shows; :mod:`reverie.tokens` asks the model itself).

An embedding factory takes the model id and the options a chat model of that provider takes
(key, base URL, ``headers``, ``http_client``, ``timeouts``, and the provider's own: Azure's
``resource``/``token``, Vertex's ``project``/``location``/``access_token``/ ``credentials``,
Bedrock's ``region``). It asks the provider's chat factory for a model with them and builds
an :class:`~reverie.providers._embedding.HttpEmbeddingModel` beside it
(:meth:`~reverie.providers._embedding.HttpEmbeddingModel.beside`): the same host, so keys,
URLs and auth are resolved once, one way. Modules load only when a factory is called.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from reverie.providers._registry import (
    _REGISTRY,  # pyright: ignore[reportPrivateUsage]
    EmbeddingFactory,
)

if TYPE_CHECKING:
    from reverie._embedding_model import EmbeddingModel
    from reverie.providers._embedding import EmbeddingWire

WireFor = Callable[[str, str, dict[str, Any]], "EmbeddingWire"]
"""``(model id, provider name, options) -> wire``; it pops the options that are its own."""


def _beside_chat(name: str, wire_for: WireFor, **fixed: Any) -> EmbeddingFactory:
    """Provider ``name``'s embedding factory: its chat factory's host (given ``fixed``
    options too), spoken to with the wire ``wire_for`` makes."""

    def factory(model_id: str, **options: Any) -> EmbeddingModel:
        from reverie.providers._embedding import HttpEmbeddingModel

        wire = wire_for(model_id, name, options)
        chat = _REGISTRY[name].factory(model_id, **fixed, **options)
        return HttpEmbeddingModel.beside(chat, wire)

    return factory


def _openai_wire(model_id: str, name: str, options: dict[str, Any]) -> EmbeddingWire:
    from reverie.providers._openai.embeddings import MAX_INPUTS, OpenAIEmbeddingWire

    batch = int(options.pop("max_batch_size", MAX_INPUTS))
    return OpenAIEmbeddingWire(model_id, name, batch)


def _gemini_wire(model_id: str, name: str, options: dict[str, Any]) -> EmbeddingWire:
    from reverie.providers._google.embeddings import GeminiEmbeddingWire

    return GeminiEmbeddingWire(model_id, name)


def _vertex_wire(model_id: str, name: str, options: dict[str, Any]) -> EmbeddingWire:
    from reverie.providers._google.embeddings import VertexEmbeddingWire

    # Google's embedding models are served in the regions, not on the "global" endpoint
    # the chat models default to.
    options["location"] = (
        options.get("location") or os.environ.get("GOOGLE_CLOUD_LOCATION") or "us-central1"
    )
    return VertexEmbeddingWire(model_id, name)


def _bedrock_wire(model_id: str, name: str, options: dict[str, Any]) -> EmbeddingWire:
    from reverie.providers._bedrock.embeddings import bedrock_embedding_wire

    return bedrock_embedding_wire(model_id, name)


def _local(model_id: str, **options: Any) -> EmbeddingModel:
    from reverie.providers._local.embeddings import create

    return create(model_id, **options)


_FACTORIES: dict[str, EmbeddingFactory] = {
    "openai": _beside_chat("openai", _openai_wire),
    "azure": _beside_chat("azure", _openai_wire),
    "google": _beside_chat("google", _gemini_wire),
    "vertex": _beside_chat("vertex", _vertex_wire),
    # Embedding models take Bedrock's invoke bodies (Titan, Cohere), never Converse.
    "bedrock": _beside_chat("bedrock", _bedrock_wire, api="invoke"),
    "local": _local,
}
_COMPATIBLE = (
    "openai-compatible",
    "llamacpp",
    "vllm",
    "ollama",
    "lmstudio",
    "mistral",
    "together",
    "fireworks",
    "openrouter",
    "vercel",
)

# The endpoint each provider counts tokens with (reverie.tokens); others estimate.
_COUNTING = {
    "anthropic": "/v1/messages/count_tokens",
    "vertex-anthropic": "count-tokens:rawPredict",
    "bedrock": "CountTokens (Claude and some Converse models)",
    "bedrock-converse": "CountTokens (the models Bedrock counts for)",
    "google": "countTokens",
    "vertex": "countTokens",
    "openai-responses": "/responses/input_tokens",
    "azure-responses": "/responses/input_tokens",
}

for _name, _endpoint in _COUNTING.items():
    if _name in _REGISTRY:
        _REGISTRY[_name] = replace(_REGISTRY[_name], token_counting=_endpoint)
for _name, _factory in _FACTORIES.items():
    if _name in _REGISTRY:
        _REGISTRY[_name] = replace(_REGISTRY[_name], embedding_factory=_factory)
for _name in _COMPATIBLE:
    if _name in _REGISTRY:
        _REGISTRY[_name] = replace(
            _REGISTRY[_name], embedding_factory=_beside_chat(_name, _openai_wire)
        )
