"""The embedding wires from JSON alone, in the shapes each API reference documents: OpenAI
(and every compatible host), Gemini ``embedContent`` / ``batchEmbedContents``, Vertex
``predict``, Bedrock Titan and Cohere; and which providers have embedding models."""

from __future__ import annotations

import asyncio
import base64
import struct
from typing import Any

import httpx2
import pytest

from reverie.embeddings import EmbedSettings
from reverie.errors import ConfigurationError, ProtocolError
from reverie.model import CallWarning
from reverie.providers import get_embedding_model, get_model, providers
from reverie.providers._bedrock.embeddings import (
    CohereEmbeddingWire,
    TitanEmbeddingWire,
    bedrock_embedding_wire,
)
from reverie.providers._embedding import HttpEmbeddingModel
from reverie.providers._google.embeddings import GeminiEmbeddingWire, VertexEmbeddingWire
from reverie.providers._model import WireModel
from reverie.providers._openai.embeddings import OpenAIEmbeddingWire
from reverie.testing import FakeModel


def encode(
    wire: Any, texts: list[str], **settings: Any
) -> tuple[str, dict[str, Any], list[CallWarning]]:
    warnings: list[CallWarning] = []
    operation, body = wire.encode(texts, EmbedSettings(**settings), warnings)
    return operation, body, warnings


# ---------------------------------------------------------------------------------------
# OpenAI and compatible hosts


def test_openai_request() -> None:
    wire = OpenAIEmbeddingWire("text-embedding-3-small")
    operation, body, warnings = encode(
        wire,
        ["a", "b"],
        dimensions=256,
        provider_options={"openai": {"user": "u-1", "extra_body": {"encoding_format": "float"}}},
    )
    assert operation == "embeddings"
    assert body == {
        "model": "text-embedding-3-small",
        "input": ["a", "b"],
        "dimensions": 256,
        "user": "u-1",
        "encoding_format": "float",
    }
    assert warnings == []


def test_openai_task_type_is_a_warning() -> None:
    _, body, warnings = encode(OpenAIEmbeddingWire("m", "vllm"), ["a"], task_type="RETRIEVAL_QUERY")
    assert "task_type" not in body
    assert warnings[0].setting == "task_type"


def test_openai_answer_in_index_order_with_usage() -> None:
    data = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": 1, "embedding": [0.3, 0.4]},
            {"object": "embedding", "index": 0, "embedding": [0.1, -2]},
        ],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 8, "total_tokens": 8},
    }
    batch = OpenAIEmbeddingWire("text-embedding-3-small").decode(data, 2)
    assert batch.vectors == [[0.1, -2.0], [0.3, 0.4]]
    assert all(type(x) is float for v in batch.vectors for x in v)
    assert (batch.usage.input_tokens, batch.usage.total_tokens) == (8, 8)
    assert batch.provider_metadata == {"openai": {"model": "text-embedding-3-small"}}


def test_openai_base64_embeddings_are_decoded() -> None:
    raw = base64.b64encode(struct.pack("<3f", 0.5, -1.0, 2.25)).decode()
    batch = OpenAIEmbeddingWire("m").decode({"data": [{"index": 0, "embedding": raw}]}, 1)
    assert batch.vectors == [[0.5, -1.0, 2.25]]


@pytest.mark.parametrize(
    "data",
    [
        {"error": "nope"},
        {"data": [{"index": 0, "embedding": ["x"]}]},
        {"data": [{"index": 0, "embedding": "%%"}]},
    ],
)
def test_openai_answer_that_is_not_embeddings_is_a_protocol_error(data: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        OpenAIEmbeddingWire("m").decode(data, 1)


# ---------------------------------------------------------------------------------------
# Gemini API


def test_gemini_one_text_uses_embed_content() -> None:
    operation, body, _ = encode(
        GeminiEmbeddingWire("models/gemini-embedding-001"),
        ["What is the meaning of life?"],
        task_type="RETRIEVAL_DOCUMENT",
        dimensions=768,
        provider_options={"google": {"title": "Life"}},
    )
    assert operation == "embedContent"
    assert body == {
        "content": {"parts": [{"text": "What is the meaning of life?"}]},
        "taskType": "RETRIEVAL_DOCUMENT",
        "title": "Life",
        "outputDimensionality": 768,
    }
    batch = GeminiEmbeddingWire("gemini-embedding-001").decode(
        {"embedding": {"values": [0.1, 0.2]}}, 1
    )
    assert batch.vectors == [[0.1, 0.2]]


def test_gemini_several_texts_use_batch_embed_contents() -> None:
    wire = GeminiEmbeddingWire("gemini-embedding-001")
    assert wire.max_batch_size == 100
    operation, body, _ = encode(wire, ["a", "b"], task_type="SEMANTIC_SIMILARITY")
    assert operation == "batchEmbedContents"
    assert body == {
        "requests": [
            {
                "model": "models/gemini-embedding-001",
                "content": {"parts": [{"text": "a"}]},
                "taskType": "SEMANTIC_SIMILARITY",
            },
            {
                "model": "models/gemini-embedding-001",
                "content": {"parts": [{"text": "b"}]},
                "taskType": "SEMANTIC_SIMILARITY",
            },
        ]
    }
    batch = wire.decode({"embeddings": [{"values": [1, 2]}, {"values": [3, 4]}]}, 2)
    assert batch.vectors == [[1.0, 2.0], [3.0, 4.0]]


# ---------------------------------------------------------------------------------------
# Vertex AI


def test_vertex_predict_request_and_answer() -> None:
    wire = VertexEmbeddingWire("text-embedding-005")
    assert wire.max_batch_size == 250
    operation, body, _ = encode(
        wire,
        ["banana muffins", "apple pie"],
        task_type="RETRIEVAL_DOCUMENT",
        dimensions=256,
        provider_options={"google": {"auto_truncate": False, "title": "Recipes"}},
    )
    assert operation == "predict"
    assert body == {
        "instances": [
            {"content": "banana muffins", "task_type": "RETRIEVAL_DOCUMENT", "title": "Recipes"},
            {"content": "apple pie", "task_type": "RETRIEVAL_DOCUMENT", "title": "Recipes"},
        ],
        "parameters": {"outputDimensionality": 256, "autoTruncate": False},
    }
    data = {
        "predictions": [
            {"embeddings": {"statistics": {"truncated": False, "token_count": 4}, "values": [0.1]}},
            {"embeddings": {"statistics": {"truncated": True, "token_count": 3}, "values": [0.2]}},
        ],
        "metadata": {"billableCharacterCount": 23},
    }
    batch = wire.decode(data, 2)
    assert batch.vectors == [[0.1], [0.2]]
    assert batch.usage.input_tokens == 7
    assert batch.provider_metadata == {
        "vertex": {"billable_character_count": 23, "truncated_inputs": 1}
    }


def test_vertex_gemini_embedding_takes_one_text_per_request() -> None:
    assert VertexEmbeddingWire("gemini-embedding-001").max_batch_size == 1


# ---------------------------------------------------------------------------------------
# Bedrock


def test_titan_v2_request_and_answer() -> None:
    wire = bedrock_embedding_wire("amazon.titan-embed-text-v2:0")
    assert isinstance(wire, TitanEmbeddingWire) and wire.max_batch_size == 1
    operation, body, warnings = encode(
        wire, ["hello"], dimensions=512, provider_options={"bedrock": {"normalize": True}}
    )
    assert (operation, body, warnings) == (
        "invoke",
        {"inputText": "hello", "dimensions": 512, "normalize": True},
        [],
    )
    data = {
        "embedding": [0.1, 0.2],
        "inputTextTokenCount": 2,
        "embeddingsByType": {"float": [0.1, 0.2]},
    }
    batch = wire.decode(data, 1)
    assert batch.vectors == [[0.1, 0.2]] and batch.usage.input_tokens == 2


def test_titan_v1_takes_no_dimensions() -> None:
    _, body, warnings = encode(
        bedrock_embedding_wire("amazon.titan-embed-text-v1"), ["x"], dimensions=256
    )
    assert body == {"inputText": "x"}
    assert warnings[0].setting == "dimensions"


@pytest.mark.parametrize(
    ("task", "input_type"),
    [
        (None, "search_document"),
        ("RETRIEVAL_DOCUMENT", "search_document"),
        ("RETRIEVAL_QUERY", "search_query"),
        ("CLASSIFICATION", "classification"),
        ("CLUSTERING", "clustering"),
    ],
)
def test_cohere_request_maps_the_task_type(task: str | None, input_type: str) -> None:
    wire = bedrock_embedding_wire("cohere.embed-english-v3")
    assert isinstance(wire, CohereEmbeddingWire) and wire.max_batch_size == 96
    _, body, _ = encode(wire, ["a", "b"], task_type=task)
    assert body == {"texts": ["a", "b"], "input_type": input_type, "embedding_types": ["float"]}


def test_cohere_options_and_v4_dimensions() -> None:
    options = {"bedrock": {"input_type": "search_query", "truncate": "END"}}
    _, body, warnings = encode(
        bedrock_embedding_wire("cohere.embed-v4:0"),
        ["q"],
        dimensions=1024,
        provider_options=options,
    )
    assert body["input_type"] == "search_query" and body["truncate"] == "END"
    assert body["output_dimension"] == 1024 and warnings == []
    _, body, warnings = encode(
        bedrock_embedding_wire("cohere.embed-multilingual-v3"), ["q"], dimensions=8
    )
    assert "output_dimension" not in body and warnings[0].setting == "dimensions"


@pytest.mark.parametrize(
    "data",
    [
        {
            "id": "e1",
            "response_type": "embeddings_by_type",
            "embeddings": {"float": [[1, 2], [3, 4]]},
            "texts": ["a", "b"],
        },
        {
            "id": "e1",
            "response_type": "embeddings_floats",
            "embeddings": [[1, 2], [3, 4]],
            "texts": ["a", "b"],
        },
    ],
)
def test_cohere_answers_by_type_and_as_floats(data: dict[str, Any]) -> None:
    batch = bedrock_embedding_wire("cohere.embed-english-v3").decode(data, 2)
    assert batch.vectors == [[1.0, 2.0], [3.0, 4.0]]
    assert batch.provider_metadata == {"bedrock": {"id": "e1"}}


def test_cohere_billed_units_count_as_usage() -> None:
    data = {"embeddings": {"float": [[1.0]]}, "meta": {"billed_units": {"input_tokens": 5}}}
    assert bedrock_embedding_wire("cohere.embed-v4:0").decode(data, 1).usage.input_tokens == 5


def test_unknown_bedrock_embedding_model_says_which_are_known() -> None:
    with pytest.raises(ConfigurationError, match="titan-embed-text-v2"):
        bedrock_embedding_wire("amazon.nova-pro-v1:0")


# ---------------------------------------------------------------------------------------
# The registry


def test_providers_with_embedding_models() -> None:
    able = {p.name for p in providers() if p.embedding_factory is not None}
    assert {
        "openai",
        "azure",
        "google",
        "vertex",
        "bedrock",
        "local",
        "openai-compatible",
        "ollama",
    } <= able
    assert "anthropic" not in able and "cerebras" not in able


def test_a_provider_without_embeddings_says_which_have_them() -> None:
    with pytest.raises(ConfigurationError, match=r"no embedding models; these do: .*openai"):
        get_embedding_model("anthropic:claude-x", api_key="k")


def test_embedding_models_need_their_keys_like_chat_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        get_embedding_model("openai:text-embedding-3-small")
    model = get_embedding_model("ollama:nomic-embed-text")
    assert (model.provider, model.model_id, model.max_batch_size) == (
        "ollama",
        "nomic-embed-text",
        2048,
    )


def test_an_embedding_model_shares_its_chat_models_host_headers_and_client() -> None:
    client = httpx2.AsyncClient()
    options = {"api_key": "k", "resource": "res", "http_client": client}
    chat = get_model("azure:my-deployment", **options)
    model = get_embedding_model("azure:my-deployment", **options)
    assert isinstance(chat, WireModel) and isinstance(model, HttpEmbeddingModel)
    assert model.host == chat.host and dict(model.headers) == dict(chat.headers)
    assert model.headers["api-key"] == "k" and model.http_client is client
    assert (model.provider, model.model_id) == ("azure", "my-deployment")
    asyncio.run(client.aclose())


def test_no_embedding_model_beside_a_chat_model_reverie_does_not_speak_to() -> None:
    with pytest.raises(ConfigurationError, match="not reverie's own"):
        HttpEmbeddingModel.beside(FakeModel([]), OpenAIEmbeddingWire("m"))
