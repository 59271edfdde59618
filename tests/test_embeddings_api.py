"""``embed`` / ``embed_many`` over an in-process embedding model: batching, order, usage,
bounded concurrency, retries per batch, failures, and the checks on what callers pass."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from reverie import RetryPolicy
from reverie.embeddings import (
    EmbeddingBatch,
    EmbedSettings,
    embed,
    embed_many,
    embed_many_sync,
    embed_sync,
)
from reverie.errors import ConfigurationError, ProtocolError, RateLimitError, RetryError
from reverie.model import CallWarning, Usage


class Embedder:
    """Embeds ``t<n>`` as ``[n]``; scripted failures by first text; records the batches."""

    provider = "fake"
    model_id = "embedder"

    def __init__(self, max_batch_size: int = 3, fail: dict[str, list[Exception]] | None = None):
        self.max_batch_size = max_batch_size
        self.batches: list[list[str]] = []
        self.fail = fail or {}
        self.in_flight = 0
        self.most_in_flight = 0
        self.drop_one = False

    async def embed_batch(self, texts: Sequence[str], settings: EmbedSettings) -> EmbeddingBatch:
        self.batches.append(list(texts))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            failures = self.fail.get(texts[0])
            if failures:
                raise failures.pop(0)
            vectors = [[float(t.removeprefix("t"))] for t in texts]
            if self.drop_one:
                vectors.pop()
            warning = CallWarning("other", f"dimensions={settings.dimensions}")
            return EmbeddingBatch(
                vectors, Usage(input_tokens=len(texts)), (warning,), {"fake": {"last": texts[-1]}}
            )
        finally:
            self.in_flight -= 1


def texts(n: int) -> list[str]:
    return [f"t{i}" for i in range(n)]


def no_wait() -> RetryPolicy:
    async def sleep(delay: float) -> None:
        return None

    return RetryPolicy(sleeper=sleep, random=lambda low, high: high)


@pytest.mark.anyio
async def test_batches_keep_order_sum_usage_and_merge_metadata() -> None:
    model = Embedder(max_batch_size=3)
    result = await embed_many(model, texts(8), dimensions=4, max_concurrency=2)
    assert result.vectors == [[float(i)] for i in range(8)]
    assert [len(b) for b in model.batches] == [3, 3, 2]
    assert result.requests == 3 and result.usage.input_tokens == 8
    assert result.warnings == (CallWarning("other", "dimensions=4"),)  # once, not per batch
    assert result.provider_metadata == {"fake": {"last": "t7"}}
    assert model.most_in_flight <= 2


@pytest.mark.anyio
async def test_a_smaller_batch_size_and_no_texts() -> None:
    model = Embedder(max_batch_size=3)
    assert len((await embed_many(model, texts(5), batch_size=2)).vectors) == 5
    assert [len(b) for b in model.batches] == [2, 2, 1]
    empty = await embed_many(model, [])
    assert (empty.vectors, empty.requests) == ([], 0)


@pytest.mark.anyio
async def test_each_batch_is_retried_on_its_own() -> None:
    model = Embedder(fail={"t3": [RateLimitError("slow down", status=429)]})
    result = await embed_many(model, texts(6), retry=no_wait())
    assert result.vectors == [[float(i)] for i in range(6)]
    assert [b[0] for b in model.batches].count("t3") == 2
    assert [b[0] for b in model.batches].count("t0") == 1


@pytest.mark.anyio
async def test_a_failing_batch_raises_its_own_error_not_a_group() -> None:
    model = Embedder(fail={"t3": [ConfigurationError("bad model")]})
    with pytest.raises(ConfigurationError, match="bad model"):
        await embed_many(model, texts(9), retry=no_wait())
    model = Embedder(fail={"t0": [RateLimitError("slow", status=429)] * 3})
    with pytest.raises(RetryError):
        await embed(model, "t0", retry=no_wait())


@pytest.mark.anyio
async def test_a_provider_that_answers_too_few_vectors_is_a_protocol_error() -> None:
    model = Embedder()
    model.drop_one = True
    with pytest.raises(ProtocolError, match="3 texts were sent but 2 embeddings came back"):
        await embed_many(model, texts(3))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: embed_many(m, "t1"), "sequence of texts"),
        (lambda m: embed_many(m, ["t1", 2]), "sequence of texts"),
        (lambda m: embed(m, ["t1"]), "one text"),
        (lambda m: embed_many(m, ["t1"], max_concurrency=0), "max_concurrency"),
        (lambda m: embed_many(m, ["t1"], batch_size=0), "batch_size"),
    ],
)
async def test_what_callers_pass_is_checked(call, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        await call(Embedder())


def test_sync_versions() -> None:
    model = Embedder()
    assert embed_sync(model, "t7").vector == [7.0]
    assert embed_many_sync(model, texts(4)).vectors == [[0.0], [1.0], [2.0], [3.0]]


@pytest.mark.anyio
async def test_a_model_named_by_string_is_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        await embed("openai:text-embedding-3-small", "x")
