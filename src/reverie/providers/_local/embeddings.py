"""Embeddings from a GGUF model run in-process by llama.cpp: ``local:<model or path>``.

The first request starts a llama.cpp server of its own for the file, in embedding mode
(llama.cpp then serves ``/v1/embeddings`` only, so it is a different server from the chat
one), and every request goes over real HTTP through the OpenAI embeddings wire, to the
same kind of host as the chat model's (:class:`~reverie.providers._local.model.LocalHost`).

An embedding model (a GGUF whose metadata names a pooling, such as nomic-embed-text or
bge) works as it is. A chat model has no pooling, and llama.cpp refuses to embed with it:
that refusal comes back as a :class:`~reverie.errors.ConfigurationError` saying to use an
embedding model, or to pass ``pooling="mean"`` (``"cls"``, ``"last"``) to pool the chat
model's hidden states anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx2

from reverie._embedding_model import EmbeddingBatch, EmbedSettings
from reverie.errors import ConfigurationError, ProviderError
from reverie.providers._embedding import HttpEmbeddingModel
from reverie.providers._local.files import require_engine, require_model
from reverie.providers._local.model import LocalHost, refuse_remote_options
from reverie.providers._local.server import DEFAULT_CONTEXT, ServerSettings
from reverie.providers._openai.embeddings import OpenAIEmbeddingWire
from reverie.timeouts import Timeouts

POOLINGS = ("mean", "cls", "last")
# llama.cpp's batch is its context: texts beyond it in one request fail, so batches stay small.
MAX_BATCH = 32


class LocalEmbeddingModel:
    """A local GGUF file embedding through llama.cpp; see the module docstring."""

    def __init__(
        self,
        model: str,
        *,
        pooling: str | None = None,
        context: int = DEFAULT_CONTEXT,
        threads: int = 0,
        headers: Mapping[str, str] | None = None,
        http_client: httpx2.AsyncClient | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        if pooling is not None and pooling not in POOLINGS:
            raise ConfigurationError(
                f"pooling must be one of {', '.join(POOLINGS)}, not {pooling!r}"
            )
        require_engine()
        path = require_model(model)
        self._model_id = model
        self._pooling = pooling or ""
        alias = Path(path).stem
        settings = ServerSettings(
            str(path), context, threads, alias, embedding=True, pooling=self._pooling
        )
        self._http = HttpEmbeddingModel(
            alias,
            wire=OpenAIEmbeddingWire(alias, "local", MAX_BATCH),
            host=LocalHost(settings, label=f"{path.name} (embeddings)"),
            headers=headers,
            http_client=http_client,
            timeouts=timeouts,
        )

    @property
    def provider(self) -> str:
        return "local"

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def max_batch_size(self) -> int:
        return MAX_BATCH

    def __repr__(self) -> str:
        return f"LocalEmbeddingModel({self._model_id!r})"

    async def embed_batch(self, texts: Sequence[str], settings: EmbedSettings) -> EmbeddingBatch:
        try:
            return await self._http.embed_batch(texts, settings)
        except ProviderError as exc:
            if "pooling" in exc.message.lower() and not self._pooling:
                raise ConfigurationError(
                    f"local:{self._model_id} is not an embedding model (llama.cpp: "
                    f"{exc.message.strip()}). Use a GGUF embedding model (for example "
                    "nomic-embed-text or bge), or pass pooling='mean' to pool this model's "
                    "hidden states anyway"
                ) from exc
            raise


def create(model_id: str, **options: Any) -> LocalEmbeddingModel:
    """The registry's factory: ``get_embedding_model("local:<name or path>", pooling=...)``."""
    refuse_remote_options(options)
    return LocalEmbeddingModel(model_id, **options)
