"""Testing an agent offline with reverie's pytest plugin (installed with reverie).

    uv run pytest examples/testing                       # replays the cassettes: no network
    uv run pytest examples/testing --record-mode=once    # records the missing ones

The ``reverie_cassette`` fixture gives each test its own cassette,
``cassettes/<module>/<test name>.yaml`` next to this file. ``reverie_cassette.model(name)``
is ``get_model(name)`` with its HTTP client on that cassette: on replay the real provider
code builds the real requests, each must match a recorded one (else the test fails with
the JSON difference), and the recorded responses are decoded as if they had just arrived.

These cassettes were recorded with ``--record-mode=once`` from SmolLM2-135M served by
llama.cpp at its default address, localhost:8080 (``uv run python tests/examples/record.py
--serve-llamacpp`` starts one). With a hosted model the fixture below is one line:
``return reverie_cassette.model("openai:gpt-4o-mini")``, recorded with your key once.
"""

from __future__ import annotations

import pytest
from weather_agent import build_agent

from reverie import LanguageModel
from reverie.providers import ConstrainedToolModel
from reverie.testing import CassetteSession


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # run the async tests once, on asyncio (anyio's plugin runs them)


@pytest.fixture
def model(reverie_cassette: CassetteSession) -> LanguageModel:
    # SmolLM2 has no tool-call format of its own: the wrapper forces calls through
    # schema-constrained JSON (docs/local-model.md).
    return ConstrainedToolModel(reverie_cassette.model("llamacpp:smollm2"))


@pytest.mark.anyio
async def test_the_agent_calls_the_weather_tool(model: LanguageModel) -> None:
    result = await build_agent(model).generate("What's the weather in Florence, Italy?")

    first = result.steps[0]
    assert [call.tool_name for call in first.tool_calls] == ["weather"]
    assert "Florence" in first.tool_calls[0].input  # the arguments, as JSON text
    assert "40 C" in str(first.tool_results[0].output)  # the tool ran; the model saw it
    assert result.text  # and the run ended with an answer


@pytest.mark.anyio
async def test_a_question_without_tools_gets_a_plain_answer(model: LanguageModel) -> None:
    result = await build_agent(model).generate("Hi! Who are you? Answer in one sentence.")

    assert result.text.strip()
    assert len(result.steps) == 1  # no tool call, one step
