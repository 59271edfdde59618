"""Embeddings end to end over a loopback server that computes an answer from each request:
batching to each provider's limit, order kept whatever order answers arrive in, bounded
concurrency (proved by a server that holds an answer until a second request is in flight),
retries and errors as for chat, and each provider's URL and auth."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import orjson
import pytest

from reverie import RetryPolicy
from reverie.embeddings import embed, embed_many, get_embedding_model
from reverie.errors import AuthenticationError, RetryError

from .conftest import TEST_TIMEOUTS, assert_no_key
from .wires import FAKE_KEY

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30, method="thread")]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: Any


Handler = Callable[[Seen], Awaitable[tuple[int, Any]]]


@dataclass
class EmbeddingServer:
    """Answers every request with ``handler(request)``: (status, JSON body)."""

    handler: Handler
    requests: list[Seen] = field(default_factory=list[Seen])
    in_flight: int = 0
    most_in_flight: int = 0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in lines[1:] if ":" in line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            seen = Seen(path, headers, orjson.loads(body))
            self.requests.append(seen)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                status, answer = await self.handler(seen)
            finally:
                self.in_flight -= 1
            payload = orjson.dumps(answer)
            extra = "Retry-After: 0\r\n" if status == 429 else ""
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{extra}"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()
                await writer.wait_closed()


@contextlib.asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[EmbeddingServer]:
    server = EmbeddingServer(handler)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()
        await listener.wait_closed()


def value_of(text: str) -> float:
    """The fake embedding of ``t<n>``: [n, n+0.5]."""
    return float(text.removeprefix("t"))


def openai_answer(texts: list[str], reverse: bool = False) -> dict[str, Any]:
    data = [
        {"index": i, "embedding": [value_of(t), value_of(t) + 0.5]} for i, t in enumerate(texts)
    ]
    if reverse:
        data.reverse()  # index, not position, says which text a vector belongs to
    return {
        "data": data,
        "model": "m",
        "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)},
    }


def policy(sleeps: list[float]) -> RetryPolicy:
    async def sleep(delay: float) -> None:
        sleeps.append(delay)

    return RetryPolicy(sleeper=sleep, random=lambda low, high: high)


TEXTS = [f"t{i}" for i in range(5000)]


async def test_openai_batches_of_2048_in_order_with_at_most_two_in_flight():
    second_in_flight = asyncio.Event()

    async def handler(seen: Seen) -> tuple[int, Any]:
        texts = seen.body["input"]
        if texts[0] == "t0":
            await second_in_flight.wait()  # never answered if batches were sent one by one
        else:
            second_in_flight.set()
        return 200, openai_answer(texts, reverse=True)

    async with serving(handler) as server:
        model = get_embedding_model(
            "openai:text-embedding-3-small",
            api_key=FAKE_KEY,
            base_url=server.url,
            timeouts=TEST_TIMEOUTS,
        )
        result = await embed_many(model, TEXTS, max_concurrency=2, dimensions=2)
    assert [len(r.body["input"]) for r in server.requests] == [2048, 2048, 904]
    assert server.most_in_flight == 2
    assert result.vectors == [[float(i), i + 0.5] for i in range(5000)]
    assert result.requests == 3
    assert result.usage.input_tokens == 5000
    for request in server.requests:
        assert request.path == "/v1/embeddings"
        assert request.headers["authorization"] == f"Bearer {FAKE_KEY}"
        assert request.body["model"] == "text-embedding-3-small"
        assert request.body["dimensions"] == 2


async def test_a_rate_limited_batch_is_retried_and_the_rest_kept():
    calls = {"t2": 0}

    async def handler(seen: Seen) -> tuple[int, Any]:
        texts = seen.body["input"]
        if texts[0] == "t2" and calls["t2"] == 0:
            calls["t2"] += 1
            return 429, {"error": {"message": "Rate limit reached", "type": "rate_limit_exceeded"}}
        return 200, openai_answer(texts)

    sleeps: list[float] = []
    async with serving(handler) as server:
        model = get_embedding_model(
            "openai-compatible:embedder", base_url=server.url, timeouts=TEST_TIMEOUTS
        )
        result = await embed_many(model, TEXTS[:5], batch_size=2, retry=policy(sleeps))
    assert result.vectors == [[float(i), i + 0.5] for i in range(5)]
    assert len(server.requests) == 4 and sleeps == [0.0]
    assert "authorization" not in server.requests[0].headers  # a keyless local host


async def test_an_auth_failure_is_not_retried_and_never_shows_the_key():
    async def handler(seen: Seen) -> tuple[int, Any]:
        return 401, {
            "error": {
                "message": f"Incorrect API key provided: {FAKE_KEY}",
                "type": "invalid_request_error",
            }
        }

    async with serving(handler) as server:
        model = get_embedding_model(
            "openai:e", api_key=FAKE_KEY, base_url=server.url, timeouts=TEST_TIMEOUTS
        )
        with pytest.raises(AuthenticationError) as info:
            await embed(model, "t1", retry=policy([]))
    assert len(server.requests) == 1
    assert_no_key(info.value)


async def test_retries_run_out_as_for_chat():
    async def handler(seen: Seen) -> tuple[int, Any]:
        return 503, {"error": {"message": "overloaded", "type": "server_error"}}

    sleeps: list[float] = []
    async with serving(handler) as server:
        model = get_embedding_model("vllm:e", base_url=server.url, timeouts=TEST_TIMEOUTS)
        with pytest.raises(RetryError):
            await embed(model, "t1", retry=policy(sleeps))
    assert len(server.requests) == 3 and len(sleeps) == 2


async def test_azure_deployment_with_an_api_key_header():
    async def handler(seen: Seen) -> tuple[int, Any]:
        return 200, openai_answer(seen.body["input"])

    async with serving(handler) as server:
        model = get_embedding_model(
            "azure:my-embedder", api_key=FAKE_KEY, base_url=server.url, timeouts=TEST_TIMEOUTS
        )
        result = await embed(model, "t7")
    (request,) = server.requests
    assert request.path == "/v1/embeddings"
    assert request.headers["api-key"] == FAKE_KEY and "authorization" not in request.headers
    assert request.body["model"] == "my-embedder"
    assert result.vector == [7.0, 7.5]


async def test_gemini_embed_content_and_batch_embed_contents():
    async def handler(seen: Seen) -> tuple[int, Any]:
        if seen.path.endswith(":embedContent"):
            text = seen.body["content"]["parts"][0]["text"]
            return 200, {"embedding": {"values": [value_of(text)]}}
        requests = seen.body["requests"]
        return 200, {
            "embeddings": [
                {"values": [value_of(r["content"]["parts"][0]["text"])]} for r in requests
            ]
        }

    async with serving(handler) as server:
        model = get_embedding_model(
            "google:gemini-embedding-001",
            api_key=FAKE_KEY,
            base_url=server.url,
            timeouts=TEST_TIMEOUTS,
        )
        one = await embed(model, "t3", task_type="RETRIEVAL_QUERY")
        many = await embed_many(model, TEXTS[:150], task_type="RETRIEVAL_DOCUMENT")
    assert one.vector == [3.0]
    assert many.vectors == [[float(i)] for i in range(150)]
    paths = [r.path for r in server.requests]
    assert paths == [
        "/v1/models/gemini-embedding-001:embedContent",
        "/v1/models/gemini-embedding-001:batchEmbedContents",
        "/v1/models/gemini-embedding-001:batchEmbedContents",
    ]
    assert [len(r.body.get("requests", [1])) for r in server.requests] == [1, 100, 50]
    assert all(r.headers["x-goog-api-key"] == FAKE_KEY for r in server.requests)
    assert server.requests[0].body["taskType"] == "RETRIEVAL_QUERY"


async def test_vertex_predict_with_an_access_token():
    async def handler(seen: Seen) -> tuple[int, Any]:
        predictions = [
            {"embeddings": {"values": [value_of(i["content"])], "statistics": {"token_count": 2}}}
            for i in seen.body["instances"]
        ]
        return 200, {"predictions": predictions}

    async with serving(handler) as server:
        model = get_embedding_model(
            "vertex:text-embedding-005",
            project="proj",
            location="europe-west4",
            access_token="ya29.token",
            base_url=server.url,
            timeouts=TEST_TIMEOUTS,
        )
        result = await embed_many(model, TEXTS[:3])
    (request,) = server.requests
    assert request.path == (
        "/v1/projects/proj/locations/europe-west4/publishers/google/models/text-embedding-005:predict"
    )
    assert request.headers["authorization"] == "Bearer ya29.token"
    assert result.vectors == [[0.0], [1.0], [2.0]] and result.usage.input_tokens == 6


async def test_bedrock_titan_one_text_per_request_and_cohere_96():
    async def handler(seen: Seen) -> tuple[int, Any]:
        if "titan" in seen.path:
            text = seen.body["inputText"]
            return 200, {"embedding": [value_of(text)], "inputTextTokenCount": 1}
        texts = seen.body["texts"]
        return 200, {"embeddings": {"float": [[value_of(t)] for t in texts]}, "texts": texts}

    async with serving(handler) as server:
        options = {"api_key": FAKE_KEY, "base_url": server.url, "timeouts": TEST_TIMEOUTS}
        titan = get_embedding_model("bedrock:amazon.titan-embed-text-v2:0", **options)
        cohere = get_embedding_model("bedrock:cohere.embed-english-v3", **options)
        titan_result = await embed_many(titan, TEXTS[:3], dimensions=256)
        cohere_result = await embed_many(cohere, TEXTS[:100], task_type="RETRIEVAL_QUERY")
    assert titan_result.vectors == [[0.0], [1.0], [2.0]] and titan_result.usage.input_tokens == 3
    assert cohere_result.vectors == [[float(i)] for i in range(100)]
    paths = sorted({unquote(r.path) for r in server.requests})
    assert paths == [
        "/v1/model/amazon.titan-embed-text-v2:0/invoke",
        "/v1/model/cohere.embed-english-v3/invoke",
    ]
    cohere_sizes = [len(r.body["texts"]) for r in server.requests if "cohere" in r.path]
    assert sorted(cohere_sizes) == [4, 96]
    assert all(
        r.body["input_type"] == "search_query" for r in server.requests if "cohere" in r.path
    )
    assert all(r.headers["authorization"] == f"Bearer {FAKE_KEY}" for r in server.requests)
