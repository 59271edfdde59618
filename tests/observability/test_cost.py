"""What the corpus conversations cost, computed by hand and compared with reverie's.

The hand computation reads the token counts from the recorded response bodies (the raw
JSON, not reverie's decoding) and multiplies them by the unit prices genai-prices lists for
the model on the step's date; reverie's figure must be the same, to the last digit.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import genai_prices
import orjson
import pytest

from reverie.agent import RunResult, Step
from reverie.cost import Cost, format_usd, run_cost
from reverie.model import FinishReason, Usage
from reverie.testing._cassette import load_cassette
from reverie.testing._conformance import run_cassette

from .telemetry import Results

MILLION = Decimal(1_000_000)


def replay(path: Path) -> list[RunResult]:
    results = Results()
    check = asyncio.run(run_cassette(path, "strict", observers=[results]))
    assert check.status == "passed", check.reason
    return [f.result for f in results.runs.values() if f.result is not None]


def bodies(path: Path) -> list[dict[str, Any]]:
    """The JSON response bodies of a non-streamed conversation, in order."""
    return [orjson.loads(i.response.body) for i in load_cassette(path).interactions]


def listed(provider_id: str, model: str, when: datetime | None) -> Any:
    """The unit prices (USD per million tokens) the library lists for the model then."""
    empty = genai_prices.Usage(input_tokens=0, output_tokens=0)
    calc = genai_prices.calc_price(
        empty, model, provider_id=provider_id, genai_request_timestamp=when
    )
    return calc.model_price


def by_hand(prices: Any, uncached: int, read: int, written: int, output: int) -> Decimal:
    prompt = uncached + read + written

    def rate(key: str) -> Decimal:
        value = getattr(prices, key, None)
        if value is None:
            return Decimal(0)
        if not isinstance(value, Decimal):  # tiered by prompt size: these prompts are small
            assert prompt < min(t.start for t in value.tiers), (key, prompt)
            value = value.base
        return value

    total = (
        uncached * rate("input_mtok")
        + read * rate("cache_read_mtok")
        + written * rate("cache_write_mtok")
        + output * rate("output_mtok")
    )
    return total / MILLION


def anthropic_tokens(body: dict[str, Any]) -> tuple[int, int, int, int]:
    u = body["usage"]
    return (
        u["input_tokens"],
        u.get("cache_read_input_tokens") or 0,
        u.get("cache_creation_input_tokens") or 0,
        u["output_tokens"],
    )


def openai_tokens(body: dict[str, Any]) -> tuple[int, int, int, int]:
    u = body["usage"]
    cached = (u.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    return u["prompt_tokens"] - cached, cached, 0, u["completion_tokens"]


def gemini_tokens(body: dict[str, Any]) -> tuple[int, int, int, int]:
    u = body["usageMetadata"]
    cached = u.get("cachedContentTokenCount") or 0
    # Gemini bills thinking as output; candidatesTokenCount leaves it out.
    output = u["candidatesTokenCount"] + (u.get("thoughtsTokenCount") or 0)
    return u["promptTokenCount"] - cached, cached, 0, output


HAND_COMPUTED = [
    ("fantasy/TestAnthropicCommon/claude-sonnet-4/tool.yaml", "anthropic", anthropic_tokens),
    ("fantasy/TestAnthropicThinking/claude-sonnet-4/thinking.yaml", "anthropic", anthropic_tokens),
    (
        "fantasy/TestBedrockCommon/bedrock-anthropic-claude-sonnet-4-5/tool.yaml",
        "aws",
        anthropic_tokens,
    ),
    ("fantasy/TestOpenAICommon/openai-gpt-4o/multi_tool.yaml", "openai", openai_tokens),
    ("fantasy/TestOpenAICommon/openai-gpt-5/tool.yaml", "openai", openai_tokens),
    ("fantasy/TestGoogleCommon/gemini-2.5-flash/tool.yaml", "google", gemini_tokens),
    ("fantasy/TestGoogleThinking/gemini-2.5-pro/thinking.yaml", "google", gemini_tokens),
]


@pytest.mark.parametrize(("cassette", "provider_id", "tokens"), HAND_COMPUTED)
def test_the_cost_of_a_corpus_conversation_matches_the_hand_computed_one(
    corpus: Path, cassette: str, provider_id: str, tokens: Any
) -> None:
    path = corpus / cassette
    (result,) = replay(path)
    recorded = bodies(path)
    assert len(recorded) == len(result.steps)
    expected_total = Decimal(0)
    for step, body in zip(result.steps, recorded, strict=True):
        model = body.get("model") or body.get("modelVersion")
        assert model == step.response_model
        prices = listed(provider_id, model, step.finished_at)
        expected = by_hand(prices, *tokens(body))
        assert expected > 0
        assert step.cost is not None
        assert step.cost.total == expected, (step.number, step.cost, expected)
        assert step.cost.input is not None and step.cost.output is not None
        assert step.cost.input + step.cost.output == step.cost.total
        expected_total += expected
    assert result.cost is not None and result.cost.total == expected_total


def test_reasoning_tokens_are_billed_as_output(corpus: Path) -> None:
    (result,) = replay(corpus / "fantasy/TestOpenAICommon/openai-gpt-5/tool.yaml")
    step = next(s for s in result.steps if s.usage.reasoning_tokens)
    prices = listed("openai", step.response_model or "", step.finished_at)
    assert step.cost is not None and step.cost.output is not None
    assert step.cost.output == step.usage.output_tokens * prices.output_mtok / MILLION
    assert step.usage.output_tokens > step.usage.reasoning_tokens > 0


def test_gateways_are_charged_what_they_say_they_charged(corpus: Path) -> None:
    # OpenRouter bills the price of whichever upstream served the request; its statement is
    # the cost. For Kimi the list price differs from what this route was billed.
    for cassette in (
        "fantasy/TestOpenRouterCommon/kimi/multi_tool.yaml",
        "fantasy/TestVercelCommon/gpt-5/tool.yaml",
    ):
        (result,) = replay(corpus / cassette)
        stated = [Decimal(str(b["usage"]["cost"])) for b in bodies(corpus / cassette)]
        assert [s.cost.total for s in result.steps if s.cost] == stated
        assert result.cost is not None and result.cost.total == sum(stated)
    (kimi,) = replay(corpus / "fantasy/TestOpenRouterCommon/kimi/multi_tool.yaml")
    step = kimi.steps[0]
    list_price = genai_prices.calc_price(
        genai_prices.Usage(
            input_tokens=step.usage.prompt_tokens, output_tokens=step.usage.output_tokens
        ),
        step.model_id,
        provider_id="openrouter",
    ).total_price
    assert step.cost is not None and list_price != step.cost.total


def test_a_model_without_a_listed_price_costs_none_not_zero(corpus: Path) -> None:
    for cassette in (
        # Listed by genai-prices with no prices at all: unknown, not free.
        "seed/TestCerebrasCommon/cerebras-qwen-3-coder-480b/tool.yaml",
        # Not in its list.
        "fantasy/TestOpenAICompatibleCommon/zai-glm-4-7-flash/tool.yaml",
    ):
        (result,) = replay(corpus / cassette)
        assert all(s.cost is None for s in result.steps)
        assert result.cost is None


def test_a_model_on_your_own_machine_costs_nothing(corpus: Path) -> None:
    (result,) = replay(corpus / "fantasy/TestOpenAICompatibleCommon/llama-cpp-gpt-oss/tool.yaml")
    assert result.cost == Cost(Decimal(0), Decimal(0), Decimal(0))


def test_hosted_web_searches_are_billed_per_search(corpus: Path) -> None:
    (result,) = replay(corpus / "fantasy/TestAnthropicWebSearch/generate.yaml")
    (step,) = result.steps
    assert [c.tool_name for c in step.tool_calls if c.provider_executed] == ["web_search"]
    prices = listed("anthropic", step.response_model or "", step.finished_at)
    tokens = by_hand(prices, step.usage.input_tokens, 0, 0, step.usage.output_tokens)
    assert step.cost is not None
    assert step.cost.total == tokens + prices.web_searches_kcount / 1000


def _step(provider: str, model: str, usage: Usage, **kwargs: Any) -> Step:
    return Step(0, (), FinishReason.STOP, usage, (), provider=provider, model_id=model, **kwargs)


def test_prices_are_those_of_the_day_of_the_call() -> None:
    # claude-opus-4-6 had a long-context tier until 2026-03-13, a flat price after.
    usage = Usage(input_tokens=300_000, output_tokens=1000)
    before = _step(
        "anthropic", "claude-opus-4-6", usage, finished_at=datetime(2026, 1, 5, tzinfo=UTC)
    )
    after = replace(before, finished_at=datetime(2026, 4, 1, tzinfo=UTC))
    assert before.cost is not None and after.cost is not None
    assert after.cost.total == (300_000 * Decimal(5) + 1000 * Decimal(25)) / MILLION
    assert before.cost.total > after.cost.total
    assert (
        before.cost.total
        == genai_prices.calc_price(
            genai_prices.Usage(input_tokens=300_000, output_tokens=1000),
            "claude-opus-4-6",
            provider_id="anthropic",
            genai_request_timestamp=before.finished_at,
        ).total_price
    )


def test_the_service_tier_the_provider_reports_selects_its_price() -> None:
    usage = Usage(input_tokens=10_000, output_tokens=1000)
    standard = _step("openai", "gpt-5", usage, response_model="gpt-5-2025-08-07")
    flex = replace(standard, provider_metadata={"openai": {"service_tier": "flex"}})
    assert standard.cost is not None and flex.cost is not None
    assert flex.cost.total < standard.cost.total


def test_cache_reads_and_writes_are_priced_at_their_own_rates() -> None:
    usage = Usage(input_tokens=1000, cache_read_tokens=4000, cache_write_tokens=2000)
    step = _step("anthropic", "claude-sonnet-4-20250514", usage, finished_at=datetime.now(UTC))
    prices = listed("anthropic", "claude-sonnet-4-20250514", step.finished_at)
    assert step.cost is not None
    assert step.cost.total == by_hand(prices, 1000, 4000, 2000, 0)


def test_a_run_with_one_unknown_step_has_an_unknown_cost() -> None:
    known = _step("openai", "gpt-4o", Usage(input_tokens=100, output_tokens=10))
    unknown = _step("openai", "no-such-model", Usage(input_tokens=100, output_tokens=10))
    assert run_cost([known]) is not None
    assert run_cost([known, unknown]) is None


def test_costs_add_up_and_read_as_dollars() -> None:
    a = Cost(Decimal("0.0010"), Decimal("0.0004"), Decimal("0.0006"))
    b = Cost(Decimal("0.0020"), Decimal("0.0015"), Decimal("0.0005"))
    assert a + b == Cost(Decimal("0.0030"), Decimal("0.0019"), Decimal("0.0011"))
    assert (a + Cost(Decimal("1"))).input is None  # a total without a split
    assert [format_usd(Decimal(x)) for x in ("0", "12.5", "0.5012", "0.000577")] == [
        "$0.00",
        "$12.50",
        "$0.5012",
        "$0.000577",
    ]
