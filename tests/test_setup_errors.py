"""Bad input gets a clear, typed error: provider names, keys, cassettes, replay misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from reverie import Agent, get_model, tool
from reverie.errors import CassetteFormatError, CassetteMissError, ConfigurationError
from reverie.providers._host import BaseURLHost
from reverie.providers._model import WireModel
from reverie.providers._openai.wires import ChatWire
from reverie.testing._cassette import load_cassette, parse_cassette
from reverie.testing._transport import CassetteTransport

SEED = Path(__file__).resolve().parents[1] / "src/reverie/_data/seed_multi_tool_streaming.yaml"


def test_unknown_provider_names_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown provider 'nope'.*cerebras"):
        get_model("nope:model")
    with pytest.raises(ConfigurationError, match="provider:model-id"):
        get_model("gpt-4o")


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CEREBRAS_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="CEREBRAS_API_KEY"):
        get_model("cerebras:qwen-3-coder-480b")


def test_keys_come_from_the_environment_and_local_servers_need_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "gsk-test")
    model = get_model("groq:llama")
    assert isinstance(model, WireModel) and isinstance(model.wire, ChatWire)
    assert isinstance(model.host, BaseURLHost)
    assert model.host.url == "https://api.groq.com/openai/v1/chat/completions"
    local = get_model("vllm:my-model", base_url="http://127.0.0.1:9999/v1/")
    assert isinstance(local, WireModel) and isinstance(local.host, BaseURLHost)
    assert local.host.url == "http://127.0.0.1:9999/v1/chat/completions"
    with pytest.raises(ConfigurationError, match="base_url"):
        get_model("openai-compatible:m")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just a list", "expected a mapping"),
        ("version: 1\ninteractions: []", "unsupported cassette version"),
        ("version: 2\ninteractions: {}", "must be a list"),
        ("version: 2\ninteractions:\n- request: {}\n  response: {code: 200}", "method"),
        ("version: 2\ninteractions: [\n", "not valid YAML"),
    ],
)
def test_malformed_cassettes_raise_format_errors_naming_the_problem(
    text: str, message: str
) -> None:
    with pytest.raises(CassetteFormatError, match=message):
        parse_cassette(text)


def test_a_missing_cassette_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(CassetteFormatError, match="cannot read"):
        load_cassette(tmp_path / "absent.yaml")


@tool
def add(a: int, b: int) -> str:
    """Add two numbers"""
    return str(a + b)


@pytest.mark.anyio
async def test_a_request_that_matches_nothing_shows_the_json_difference() -> None:
    transport = CassetteTransport.from_file(SEED)
    async with transport.client() as http:
        model = get_model("cerebras:qwen-3-coder-480b", api_key="k", http_client=http)
        agent = Agent(
            model, system="A different system prompt", tools=[add], max_output_tokens=4000
        )
        with pytest.raises(CassetteMissError) as info:
            await agent.generate("Add and multiply the number 2 and 3")
    message = str(info.value)
    assert "$.messages[0].content" in message
    assert "A different system prompt" in message
    assert "$.tools: 2 items recorded, 1 sent" in message
