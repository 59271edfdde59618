"""Budgets stop real runs: an OpenAI-compatible server on 127.0.0.1 that asks for a tool
on every step (the run would go on until the step limit), and the agent's budget ends it.

Each answer reports 1000 prompt tokens and 100 completion tokens; a step's cost is
computed here from the unit prices genai-prices lists for the model, not from reverie.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import genai_prices
import orjson
import pytest
from pydantic import BaseModel

from reverie import Agent
from reverie.cost import Budget, BudgetExceeded
from reverie.errors import ConfigurationError
from reverie.providers import get_model
from tests.reliability.server import Reply, ScriptedServer

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30, method="thread")]

PROMPT, COMPLETION = 1000, 100


def weather(location: str) -> str:
    """Get weather information for a location."""
    return "40 C"


def tool_call_answer(n: int, model: str) -> Reply:
    body = {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"call_{n}",
                            "type": "function",
                            "function": {"name": "weather", "arguments": '{"location":"Rome"}'},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": PROMPT,
            "completion_tokens": COMPLETION,
            "total_tokens": PROMPT + COMPLETION,
        },
    }
    return Reply(frames=[orjson.dumps(body)], chunked=False, content_type="application/json")


def tool_call_stream(n: int, model: str) -> Reply:
    def chunk(delta: dict[str, object], finish: str | None = None, **extra: object) -> bytes:
        payload = {
            "id": f"chatcmpl-{n}",
            "object": "chat.completion.chunk",
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return b"data: " + orjson.dumps(payload) + b"\n\n"

    call = {
        "index": 0,
        "id": f"call_{n}",
        "type": "function",
        "function": {"name": "weather", "arguments": '{"location":"Rome"}'},
    }
    usage = {"prompt_tokens": PROMPT, "completion_tokens": COMPLETION, "total_tokens": 1100}
    frames = [
        chunk({"role": "assistant", "tool_calls": [call]}),
        chunk({}, "tool_calls"),
        b'data: {"id":"x","object":"chat.completion.chunk","model":"'
        + model.encode()
        + b'","choices":[],"usage":'
        + orjson.dumps(usage)
        + b"}\n\n",
        b"data: [DONE]\n\n",
    ]
    return Reply(frames=frames)


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    s = ScriptedServer()
    await s.start()
    yield s
    await s.stop()
    assert not s.errors, s.errors


def step_price(model: str) -> Decimal:
    """One step's cost by hand, from the unit prices the library lists for the model."""
    calc = genai_prices.calc_price(genai_prices.Usage(input_tokens=1), model, provider_id="openai")
    prices = calc.model_price
    per_million = PROMPT * Decimal(str(prices.input_mtok)) + COMPLETION * Decimal(
        str(prices.output_mtok)
    )
    return per_million / 1_000_000


def agent_on(server: ScriptedServer, model: str, budget: Budget, **kwargs: object) -> Agent:
    llm = get_model(f"openai:{model}", base_url=server.url, api_key="sk-test")
    return Agent(llm, tools=[weather], budget=budget, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
async def test_a_cost_budget_stops_the_run_after_the_step_that_reaches_it(
    server: ScriptedServer, streaming: bool
) -> None:
    model = "gpt-4o-mini"
    one_step = step_price(model)
    reply = tool_call_stream if streaming else tool_call_answer
    server.add(*(reply(i, "gpt-4o-mini-2024-07-18") for i in range(5)))
    agent = agent_on(server, model, Budget(max_cost=one_step * Decimal("2.5")))
    run = agent.stream("weather?").collect() if streaming else agent.generate("weather?")
    result = await run
    assert len(server.requests) == 3  # 1 and 2 stay under 2.5 steps' cost; 3 reaches it
    assert len(result.steps) == 3
    stop = result.stopped_by
    assert isinstance(stop, BudgetExceeded)
    assert (stop.kind, stop.limit) == ("budget", "cost")
    assert stop.used == 3 * one_step and stop.maximum == one_step * Decimal("2.5")
    assert result.cost is not None and result.cost.total == 3 * one_step
    assert "cost reached its budget" in str(stop)
    assert result.steps[-1].tool_results  # the last step's tools still ran: a clean stop
    assert server.script  # unused answers: the run did not go on


async def test_a_token_budget_counts_prompt_and_output_tokens_of_every_step(
    server: ScriptedServer,
) -> None:
    server.add(*(tool_call_answer(i, "gpt-4o-mini") for i in range(5)))
    result = await agent_on(server, "gpt-4o-mini", Budget(max_tokens=2200)).generate("weather?")
    assert len(server.requests) == 2
    stop = result.stopped_by
    assert isinstance(stop, BudgetExceeded)
    assert (stop.limit, stop.used, stop.maximum) == ("tokens", 2200, 2200)


async def test_a_cost_budget_on_a_model_without_a_price_stops_after_one_step_and_says_why(
    server: ScriptedServer,
) -> None:
    server.add(*(tool_call_answer(i, "no-such-model") for i in range(3)))
    result = await agent_on(server, "no-such-model", Budget(max_cost=1)).generate("weather?")
    assert len(server.requests) == 1
    assert result.cost is None
    stop = result.stopped_by
    assert isinstance(stop, BudgetExceeded)
    assert stop.used is None and "unknown" in stop.message and "max_tokens" in stop.message


async def test_a_budget_stop_does_not_force_a_final_output_step(server: ScriptedServer) -> None:
    class Report(BaseModel):
        summary: str

    server.add(*(tool_call_answer(i, "gpt-4o-mini") for i in range(4)))
    agent = agent_on(server, "gpt-4o-mini", Budget(max_tokens=1), output_type=Report)
    result = await agent.generate("weather?")
    assert len(server.requests) == 1
    assert isinstance(result.stopped_by, BudgetExceeded)
    assert result.output is None


def test_a_budget_needs_a_positive_limit_and_says_how() -> None:
    with pytest.raises(ConfigurationError, match="max_cost"):
        Budget()
    with pytest.raises(ConfigurationError, match="above 0"):
        Budget(max_cost=0)
    with pytest.raises(ConfigurationError, match="max_tokens"):
        Budget(max_tokens=-5)
    with pytest.raises(ConfigurationError, match="US dollars"):
        Budget(max_cost="lots")  # type: ignore[arg-type]
    assert Budget(max_cost=0.1).max_cost == Decimal("0.1")
