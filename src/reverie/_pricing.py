"""Model prices from ``genai-prices``: reverie's usage in, US dollars out, or None.

``genai-prices`` keeps dated price lists for most hosted providers (cache reads and writes,
tiers above a prompt size, service tiers, hosted web searches). This module is the only
code that imports it, lazily: its price tables take a few hundred milliseconds to load,
paid on the first price asked for, never by ``import reverie``.

A price is None, never a guess, when the provider is not one genai-prices prices, the
model is not in its list, or the list lacks a price for a kind of token the call used.
Two exceptions are facts rather than lists: a model run on the user's own machine costs
nothing, and the gateways (OpenRouter, Vercel) state what they charged for each response,
which is used as it is: they bill the price of whichever upstream served the request,
which one list price cannot know.

:class:`Cost` lives here, below the steps that report one (``Step.cost``); it is public as
``reverie.cost.Cost``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from reverie.content import ProviderData, ToolCallPart
from reverie.model import Usage


@dataclass(frozen=True, slots=True)
class Cost:
    """An amount in US dollars: of one model call, or summed over a run.

    ``input`` (uncached prompt, cache reads and writes) and ``output`` (output and
    reasoning tokens) add up to ``total``; they are None when only the total is known (a
    gateway's statement), and in sums that include such an amount.
    """

    total: Decimal
    input: Decimal | None = None
    output: Decimal | None = None

    def __add__(self, other: Cost) -> Cost:
        a_in, a_out, b_in, b_out = self.input, self.output, other.input, other.output
        if a_in is None or a_out is None or b_in is None or b_out is None:
            return Cost(self.total + other.total)
        return Cost(self.total + other.total, a_in + b_in, a_out + b_out)

    def __str__(self) -> str:
        return format_usd(self.total)


def format_usd(amount: Decimal) -> str:
    """``$1.23``, ``$0.0123``, ``$0.000577``: cents above a dollar, else four significant
    digits (trailing zeros dropped, at least two decimals)."""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1 or amount == 0:
        return f"{sign}${amount:.2f}"
    places = max(2, 3 - amount.adjusted())
    whole, _, fraction = f"{amount:.{places}f}".partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{sign}${whole}.{fraction}"


# reverie provider name -> genai-prices provider id.
PROVIDER_IDS: Mapping[str, str] = {
    "anthropic": "anthropic",
    "avian": "avian",
    "azure": "azure",
    "azure-responses": "azure",
    "bedrock": "aws",
    "cerebras": "cerebras",
    "deepseek": "deepseek",
    "fireworks": "fireworks",
    "google": "google",
    "groq": "groq",
    "mistral": "mistral",
    "openai": "openai",
    "openai-responses": "openai",
    "openrouter": "openrouter",
    "together": "together",
    "vertex": "google",
    "vertex-anthropic": "google",  # genai-prices lists Claude on Vertex under Google
    "xai": "x-ai",
    "zai": "zai",
}

# Engines on the user's own machine: no provider bills them.
LOCAL_PROVIDERS = frozenset({"local", "llamacpp", "lmstudio", "ollama", "vllm"})

# Gateways that report what they charged for each response, in provider_metadata[name].
REPORTED_COST = frozenset({"openrouter", "vercel"})


def price(
    provider: str,
    model_ids: tuple[str | None, ...],
    usage: Usage,
    when: datetime | None,
    metadata: ProviderData,
    web_searches: int = 0,
) -> Cost | None:
    """The cost of one model call, or None when it is not known (see the module docstring).

    ``model_ids`` are tried in order (the response's dated model name, then the requested
    id); ``when`` dates the price (None: now); ``metadata`` is the response's provider
    metadata (service tier, a gateway's stated charge); ``web_searches`` counts the hosted
    web searches the provider ran in the call, which it bills apart.
    """
    if provider in LOCAL_PROVIDERS:
        return Cost(Decimal(0), Decimal(0), Decimal(0))
    if provider in REPORTED_COST:
        reported = _reported(metadata.get(provider) or {})
        if reported is not None:
            return reported
    provider_id = PROVIDER_IDS.get(provider)
    if provider_id is None:
        return None
    context = _price_context(metadata)
    for model_id in dict.fromkeys(m for m in model_ids if m):
        cost = _calc(provider_id, model_id, usage, web_searches, when, context)
        if cost is not None:
            return cost
    return None


def _calc(
    provider_id: str,
    model_id: str,
    usage: Usage,
    web_searches: int,
    when: datetime | None,
    context: Mapping[str, str] | None,
) -> Cost | None:
    import genai_prices

    tokens = genai_prices.Usage(
        input_tokens=usage.prompt_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        output_tokens=usage.output_tokens,  # reasoning is part of it, billed as output
        web_searches=web_searches,
    )
    try:
        calc = genai_prices.calc_price(
            tokens,
            model_id,
            provider_id=provider_id,
            genai_request_timestamp=when,
            price_context=context,
        )
    except (LookupError, ValueError):
        return None  # not in the list, or counts the list cannot price
    prices = calc.model_price
    needed = {
        "input_mtok": usage.prompt_tokens,
        "output_mtok": usage.output_tokens,
        "web_searches_kcount": web_searches,
    }
    if any(count and getattr(prices, key, None) is None for key, count in needed.items()):
        return None  # listed without a price for tokens this call used: unknown, not free
    return Cost(calc.total_price, calc.input_price, calc.output_price)


def web_searches(calls: Iterable[ToolCallPart]) -> int:
    """How many hosted web searches the provider ran: its own ``web_search`` calls."""
    return sum(1 for c in calls if c.provider_executed and c.tool_name == WEB_SEARCH)


WEB_SEARCH = "web_search"


def _price_context(metadata: ProviderData) -> Mapping[str, str] | None:
    for values in metadata.values():
        tier = values.get("service_tier")
        if isinstance(tier, str) and tier:
            return {"service_tier": tier}
    return None


MAX_REPORTED_COST = Decimal(1_000_000)
"""The largest charge a gateway's statement is believed for one response, in USD."""


def _reported(values: Mapping[str, Any]) -> Cost | None:
    """A gateway's stated charge: a JSON number (or a short decimal string) from 0 to
    :data:`MAX_REPORTED_COST`. It came from the network, so anything else (a boolean, a
    huge or negative number, long text) is no statement: the price is then looked up."""
    value = values.get("cost")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str) and len(value) > 32:
        return None
    if isinstance(value, int) and not 0 <= value <= MAX_REPORTED_COST:
        return None  # before str(): a huge int is slow to print, or refused
    try:
        total = Decimal(str(value))
    except InvalidOperation:
        return None
    if not total.is_finite() or not 0 <= total <= MAX_REPORTED_COST:
        return None
    return Cost(total)
