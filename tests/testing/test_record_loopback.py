"""Record from a real HTTP server on 127.0.0.1, then replay the cassette with the server gone.

The whole path is real: the agent, ``get_model("openai-compatible:...")``, httpx2 and its
socket transport, an http.server answering JSON and chunked SSE. The cassette reverie
writes must have go-vcr's layout and replay through the same agent without a network.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from reverie import Agent, get_model
from reverie.testing._cassette import dump_cassette, load_cassette
from reverie.testing._transport import CassetteTransport
from tests.testing.fake_openai import FakeOpenAI


def weather(location: str) -> str:
    """Get weather information for a location"""
    return "40 C"


async def _run(transport: CassetteTransport, base_url: str, *, stream: bool) -> list[object]:
    async with transport.client() as http:
        model = get_model(
            "openai-compatible:fake-model",
            base_url=base_url,
            api_key="sk-loopback-key-123456",
            http_client=http,
        )
        agent = Agent(model, system="You are a helpful assistant", tools=[weather])
        prompt = "What's the weather in Florence?"
        result = await (agent.stream(prompt).collect() if stream else agent.generate(prompt))
    return [result.text, len(result.steps), [c.tool_name for c in result.steps[0].tool_calls]]


@pytest.mark.anyio
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_a_cassette_recorded_from_a_live_server_replays_without_it(
    tmp_path: Path, stream: bool
) -> None:
    path = tmp_path / "cassettes" / "weather.yaml"
    with FakeOpenAI() as server:
        recorded = await _run(
            CassetteTransport.open(path, mode="once"), server.base_url, stream=stream
        )
        assert len(server.requests) == 2
        base_url = server.base_url
    assert recorded[0] == "The weather in Florence is 40 C. Olá!" or "40 C" in str(recorded[0])
    assert recorded[1:] == [2, ["weather"]]

    # The server is gone: replay must not touch the network, and must give the same run.
    replay = CassetteTransport.open(path, mode="replay", require_all_played=True)
    assert await _run(replay, base_url, stream=stream) == recorded
    assert replay.all_played


@pytest.mark.anyio
async def test_a_recorded_cassette_has_the_go_vcr_layout(tmp_path: Path) -> None:
    path = tmp_path / "sse.yaml"
    with FakeOpenAI() as server:
        await _run(CassetteTransport.open(path, mode="once"), server.base_url, stream=True)
        url = server.base_url + "/chat/completions"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        "---\nversion: 2\ninteractions:\n- id: 0\n  request:\n"
        "    proto: HTTP/1.1\n    proto_major: 1\n    proto_minor: 1\n    content_length: "
    )
    data = yaml.safe_load(text)
    first = data["interactions"][0]
    assert list(first["request"]) == [
        "proto",
        "proto_major",
        "proto_minor",
        "content_length",
        "host",
        "body",
        "headers",
        "url",
        "method",
    ]
    assert list(first["response"]) == [
        "proto",
        "proto_major",
        "proto_minor",
        "transfer_encoding",
        "content_length",
        "body",
        "headers",
        "status",
        "code",
        "duration",
    ]
    assert first["request"]["url"] == url
    assert first["request"]["method"] == "POST"
    assert first["request"]["host"] == ""
    assert first["request"]["headers"] == {
        "Accept": ["application/json"],
        "Content-Type": ["application/json"],
        "User-Agent": ["reverie/0.1"],
    }
    response = first["response"]
    assert response["status"] == "200 OK"
    assert response["code"] == 200
    assert response["content_length"] == -1
    assert response["transfer_encoding"] == ["chunked"]
    assert re.fullmatch(r"\d+(\.\d+)?(ms|s|µs)", response["duration"])
    assert response["headers"] == {"Content-Type": ["text/event-stream; charset=utf-8"]}
    # The SSE body is a literal block that keeps its final blank line.
    assert "\n    body: |+\n      data: {" in text
    assert response["body"].endswith("data: [DONE]\n\n")
    # Request bodies are JSON on one line, single-quoted as go-yaml does.
    assert '\n    body: \'{"messages":' in text
    # Writing what was read gives back the same bytes (the emitter is stable).
    assert dump_cassette(load_cassette(path)) == text


@pytest.mark.anyio
async def test_once_mode_replays_an_existing_cassette_without_calling_the_server(
    tmp_path: Path,
) -> None:
    path = tmp_path / "weather.yaml"
    with FakeOpenAI() as server:
        first = await _run(CassetteTransport.open(path, mode="once"), server.base_url, stream=False)
        again = await _run(CassetteTransport.open(path, mode="once"), server.base_url, stream=False)
        assert len(server.requests) == 2  # the second run was served from the file
    assert again == first
