"""The local model as a real server: llama.cpp streams, reverie's Chat Completions parser reads.

These are live tests, not recordings: each request goes over HTTP to llama.cpp's server
started in this process. They skip (saying why) only when the engine or model file is not
installed or the server cannot start. The server is shared, so all of them take seconds.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
import pytest

from reverie import Agent, tool
from reverie.content import user
from reverie.errors import AuthenticationError, ConfigurationError
from reverie.events import Finish, StreamEvent, TextDelta, TextEnd, TextStart
from reverie.model import Call, FinishReason
from reverie.providers import get_model
from tests.local_model import local_host, local_model_or_skip


def _chat_model() -> Any:
    """The plain OpenAI-compatible model pointed at the running server (no tool wrapper)."""
    from reverie.providers._local.server import shared_server
    from reverie.providers._openai.provider import chat_model

    local: Any = local_model_or_skip()
    server = shared_server(local_host(local).settings)
    return chat_model("smollm2", base_url=server.base_url, api_key=server.api_key,
                           provider="local")  # fmt: skip


def test_chat_stream_from_a_real_server_parses_into_events() -> None:
    model = _chat_model()

    async def collect() -> list[StreamEvent]:
        call = Call([user("Say hi in Portuguese")], max_output_tokens=24, temperature=0.0)
        return [e async for e in model.stream(call)]

    events = asyncio.run(collect())
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1  # token by token, not one blob
    assert isinstance(events[0], TextStart) or isinstance(events[1], TextStart)
    assert any(isinstance(e, TextEnd) for e in events)
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert finish.finish_reason in (FinishReason.STOP, FinishReason.LENGTH)
    assert finish.usage.input_tokens > 0
    assert finish.usage.output_tokens >= len(deltas) - 1  # a delta is about a token
    assert finish.usage.total_tokens >= finish.usage.input_tokens + finish.usage.output_tokens


def test_chat_generate_from_a_real_server() -> None:
    model = _chat_model()
    call = Call([user("What is 2 plus 3?")], max_output_tokens=16, temperature=0.0)
    response = asyncio.run(model.generate(call))
    assert response.text.strip()
    assert response.usage.output_tokens > 0
    assert response.finish_reason in (FinishReason.STOP, FinishReason.LENGTH)


def test_length_limit_is_reported() -> None:
    model = _chat_model()
    call = Call([user("Count from one to one hundred in words.")], max_output_tokens=3)
    response = asyncio.run(model.generate(call))
    assert response.finish_reason == FinishReason.LENGTH
    assert response.usage.output_tokens == 3


def test_server_listens_on_loopback_and_requires_its_token() -> None:
    from reverie.providers._local.server import shared_server
    from reverie.providers._openai.provider import chat_model

    local: Any = local_model_or_skip()
    server = shared_server(local_host(local).settings)
    assert server.base_url.startswith("http://127.0.0.1:")
    stranger = chat_model("smollm2", base_url=server.base_url, api_key="wrong",
                               provider="local")  # fmt: skip
    with pytest.raises(AuthenticationError):
        asyncio.run(stranger.generate(Call([user("hi")], max_output_tokens=1)))


@tool
def weather(location: str) -> str:
    """Get weather information for a location"""
    return "40 C"


def test_agent_calls_a_tool_through_constrained_json_then_answers() -> None:
    # tool_choice="required": the schema forces a call in step 1 whatever the model "thinks",
    # and, once every tool has answered, the answer in step 2: this tests the mechanism, not
    # a 135M model's judgment. (A first reply of calls is pretty-printed: ~40 tokens a call.)
    model: Any = local_model_or_skip()
    agent = Agent(model, system="You are a helpful assistant", tools=[weather],
                  max_output_tokens=120, temperature=0.0, tool_choice="required")  # fmt: skip
    result = asyncio.run(agent.stream("What's the weather in Florence, Italy?").collect())
    first = result.steps[0]
    assert len(first.tool_calls) == 1
    assert first.tool_calls[0].tool_name == "weather"
    assert first.tool_results[0].output == weather_output()
    assert len(result.steps) == 2  # the answer is forced after the tool result
    assert result.steps[1].finish_reason in (FinishReason.STOP, FinishReason.LENGTH)
    assert result.usage.total_tokens > 0


def weather_output() -> Any:
    from reverie.content import TextOutput

    return TextOutput("40 C")


def test_get_model_names_the_local_provider() -> None:
    local_model_or_skip()
    model = get_model("local:smollm2")
    assert (model.provider, model.model_id) == ("local", "smollm2")
    assert "small local model" in model.label  # type: ignore[attr-defined]
    settings: Any = local_host(model).settings
    assert settings.max_tokens == 256  # it loops; an uncapped call could run for minutes
    assert dict(settings.sampling)["temp"] == 0.2


def test_local_model_accepts_an_http_client() -> None:
    local_model_or_skip()

    async def run() -> str:
        async with httpx2.AsyncClient() as http:
            model = get_model("local:smollm2", http_client=http)
            response = await model.generate(Call([user("hi")], max_output_tokens=4))
            return response.text

    assert isinstance(asyncio.run(run()), str)


def test_missing_model_file_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVERIE_LOCAL_MODEL", "/nonexistent/model.gguf")
    with pytest.raises(ConfigurationError, match="REVERIE_LOCAL_MODEL"):
        get_model("local:smollm2")


def test_unknown_model_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match="smollm2"):
        get_model("local:nosuchmodel")


def test_uninstalled_model_says_uv_sync(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from reverie.providers._local import files

    monkeypatch.setattr(files, "_package_file", lambda known: None)  # pyright: ignore[reportUnknownLambdaType]
    monkeypatch.setenv("REVERIE_CACHE_DIR", str(tmp_path))
    with pytest.raises(ConfigurationError, match="uv sync"):
        files.require_model("smollm2")


def test_missing_engine_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from reverie.providers._local import files

    monkeypatch.setattr(files, "engine_available", lambda: False)
    with pytest.raises(ConfigurationError, match="xllamacpp"):
        files.require_engine()


def test_local_takes_no_key_or_url() -> None:
    with pytest.raises(ConfigurationError, match="llamacpp"):
        get_model("local:smollm2", base_url="http://localhost:1/v1")
