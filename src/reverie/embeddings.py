"""Embeddings: texts in, vectors out, on any provider that has an embedding model.

::

    from reverie.embeddings import embed, embed_many

    one = await embed("openai:text-embedding-3-small", "sunny in Rome")
    one.vector                       # list[float]
    many = await embed_many("google:gemini-embedding-001", docs, task_type="RETRIEVAL_DOCUMENT")
    many.vectors                     # one list[float] per text, in order
    many.usage.input_tokens

A model name is ``"provider:model-id"`` as for chat (:func:`get_embedding_model`); providers
with embedding models: ``openai``, ``azure``, ``google``, ``vertex``, ``bedrock`` (Titan
and Cohere embed models), ``local`` (a llama.cpp embedding model), and every
OpenAI-compatible host (``openai-compatible``, ``llamacpp``, ``vllm``, ``ollama``, ``mistral``,
``together``, ...). Vectors are plain ``list[float]``: no numpy needed (``numpy.array(v)``
takes them as they are).

:func:`embed_many` cuts the texts into batches of the provider's limit (OpenAI 2048 per
request, Gemini 100, Vertex 250 or 1, Cohere on Bedrock 96, Titan 1), sends at most
``max_concurrency`` batches at once, retries each batch on transient failures exactly as
the agent retries a model call (:class:`~reverie.retry.RetryPolicy`), and returns the
vectors in input order with the usage summed. Failures raise :mod:`reverie.errors` types.

Settings every provider understands where it can: ``dimensions`` (shorter vectors, on the
models that support it) and ``task_type`` (Google's names: ``RETRIEVAL_QUERY``,
``RETRIEVAL_DOCUMENT``, ``SEMANTIC_SIMILARITY``, ``CLASSIFICATION``, ``CLUSTERING``, ...;
mapped to Cohere's ``input_type``); a setting a provider cannot honour comes back as a
warning in the result. Anything else goes in ``provider_options``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from reverie import _sync
from reverie._embedding_model import EmbeddingBatch, EmbeddingModel, EmbedSettings
from reverie.content import ProviderData
from reverie.errors import ConfigurationError
from reverie.model import CallWarning, Usage

if TYPE_CHECKING:
    from reverie.retry import RetryPolicy

__all__ = [
    "EmbedManyResult",
    "EmbedResult",
    "EmbedSettings",
    "EmbeddingBatch",
    "EmbeddingModel",
    "embed",
    "embed_many",
    "embed_many_sync",
    "embed_sync",
    "get_embedding_model",
]

_DEFAULT_CONCURRENCY = 4


@dataclass(frozen=True, slots=True)
class EmbedResult:
    """:func:`embed`'s answer: one vector."""

    vector: list[float]
    usage: Usage
    warnings: tuple[CallWarning, ...] = ()
    provider_metadata: ProviderData = field(default_factory=dict[str, Mapping[str, Any]])


@dataclass(frozen=True, slots=True)
class EmbedManyResult:
    """:func:`embed_many`'s answer: ``vectors[i]`` is the vector of ``texts[i]``.

    ``usage`` is summed over the requests; ``requests`` says how many were made;
    ``provider_metadata`` is merged over them (the last request's values win).
    """

    vectors: list[list[float]]
    usage: Usage
    requests: int
    warnings: tuple[CallWarning, ...] = ()
    provider_metadata: ProviderData = field(default_factory=dict[str, Mapping[str, Any]])


def get_embedding_model(name: str, **options: Any) -> EmbeddingModel:
    """The embedding model ``"provider:model-id"``, configured as :func:`reverie.get_model`
    configures chat models (``api_key``, ``base_url``, ``http_client``, ``timeouts``, ...).

    Raises :class:`~reverie.errors.ConfigurationError` for an unknown provider, one without
    embedding models, or a missing key.
    """
    from reverie.providers import get_embedding_model as resolve

    return resolve(name, **options)


def _resolve(model: EmbeddingModel | str) -> EmbeddingModel:
    return get_embedding_model(model) if isinstance(model, str) else model


async def embed(
    model: EmbeddingModel | str,
    text: str,
    *,
    dimensions: int | None = None,
    task_type: str | None = None,
    headers: Mapping[str, str] | None = None,
    provider_options: ProviderData | None = None,
    retry: RetryPolicy | None = None,
) -> EmbedResult:
    """The vector of one text (see the module docstring for the settings)."""
    if not isinstance(text, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigurationError(
            f"embed takes one text (a str), not {type(text).__name__}: for several texts "
            "use embed_many"
        )
    many = await embed_many(
        model,
        [text],
        dimensions=dimensions,
        task_type=task_type,
        headers=headers,
        provider_options=provider_options,
        retry=retry,
    )
    return EmbedResult(many.vectors[0], many.usage, many.warnings, many.provider_metadata)


async def embed_many(
    model: EmbeddingModel | str,
    texts: Sequence[str],
    *,
    dimensions: int | None = None,
    task_type: str | None = None,
    headers: Mapping[str, str] | None = None,
    provider_options: ProviderData | None = None,
    batch_size: int | None = None,
    max_concurrency: int = _DEFAULT_CONCURRENCY,
    retry: RetryPolicy | None = None,
) -> EmbedManyResult:
    """The vectors of ``texts``, in order: batched to the provider's limit (or a smaller
    ``batch_size``), at most ``max_concurrency`` requests at once, each retried per
    ``retry`` (the agent's default policy when None)."""
    if isinstance(texts, str) or any(not isinstance(t, str) for t in texts):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigurationError("embed_many takes a sequence of texts (str); for one use embed")
    if max_concurrency < 1:
        raise ConfigurationError("max_concurrency must be at least 1")
    resolved = _resolve(model)
    size = (
        resolved.max_batch_size if batch_size is None else min(batch_size, resolved.max_batch_size)
    )
    if size < 1:
        raise ConfigurationError("batch_size must be at least 1")
    settings = EmbedSettings(
        dimensions, task_type, dict(headers or {}), dict(provider_options or {})
    )
    batches = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
    if retry is None:
        from reverie.retry import RetryPolicy

        retry = RetryPolicy()
    policy = retry
    limit = asyncio.Semaphore(max_concurrency)

    async def one(batch: list[str]) -> EmbeddingBatch:
        async with limit:  # each batch retried on its own, as a model call is
            return await policy.call(lambda: resolved.embed_batch(batch, settings))

    if len(batches) == 1:
        results = [await one(batches[0])]
    else:
        try:
            async with asyncio.TaskGroup() as group:  # a failure cancels the other batches
                tasks = [group.create_task(one(b)) for b in batches]
        except BaseExceptionGroup as failed:
            raise _first(failed) from None
        results = [t.result() for t in tasks]
    return _combine(resolved, batches, results)


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first real error in a task group's failure (the others were cancelled by it)."""
    errors: Sequence[BaseException] = group.exceptions
    while errors:
        first = errors[0]
        if not isinstance(first, BaseExceptionGroup):
            return first
        errors = cast(BaseExceptionGroup[BaseException], first).exceptions
    return group


def _combine(
    model: EmbeddingModel, batches: list[list[str]], results: list[EmbeddingBatch]
) -> EmbedManyResult:
    from reverie.errors import ProtocolError

    vectors: list[list[float]] = []
    usage = Usage()
    warnings: list[CallWarning] = []
    metadata: dict[str, dict[str, Any]] = {}
    for batch, result in zip(batches, results, strict=True):
        if len(result.vectors) != len(batch):
            raise ProtocolError(
                f"{model.provider}: {len(batch)} texts were sent but {len(result.vectors)} "
                "embeddings came back"
            )
        vectors.extend(result.vectors)
        usage = usage + result.usage
        warnings.extend(w for w in result.warnings if w not in warnings)
        for provider, values in result.provider_metadata.items():
            metadata.setdefault(provider, {}).update(values)
    return EmbedManyResult(vectors, usage, len(results), tuple(warnings), metadata)


def embed_sync(model: EmbeddingModel | str, text: str, **options: Any) -> EmbedResult:
    """:func:`embed` for synchronous code (also inside a running event loop)."""
    return _sync.run(embed(model, text, **options))


def embed_many_sync(
    model: EmbeddingModel | str, texts: Sequence[str], **options: Any
) -> EmbedManyResult:
    """:func:`embed_many` for synchronous code (also inside a running event loop)."""
    return _sync.run(embed_many(model, texts, **options))
