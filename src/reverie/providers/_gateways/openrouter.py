"""OpenRouter over Chat Completions: ``get_model("openrouter:anthropic/claude-haiku-4.5")``.

Provider options, under ``"openrouter"`` (all optional)::

    {
        "reasoning": {"enabled": True, "effort": "medium", "max_tokens": 2000, "exclude": False},
        "provider": {                       # routing between the providers serving a model
            "order": ["anthropic", "amazon-bedrock"], "allow_fallbacks": True,
            "require_parameters": False, "data_collection": "deny",
            "only": [...], "ignore": [...], "quantizations": ["int8"],
            "sort": "price",                # or "throughput", "latency"
        },
        "include_usage": True,              # usage accounting (cost); on unless set False
        "parallel_tool_calls": True, "user": "user-123", "logit_bias": {...}, "logprobs": True,
        "extra_body": {...},                # merged into the request body last
    }

Responses report, in ``provider_metadata["openrouter"]``, the upstream ``provider`` that
served the request and the ``cost`` (with ``cost_details`` and ``is_byok``). Reasoning comes
back as :mod:`reasoning_details <reverie.providers._gateways.reasoning>` and is sent back on
the next turn; Anthropic models take ``cache_control`` options (see :mod:`.messages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reverie.providers._gateways._common import (
    GatewayExtension,
    check_choice,
    check_keys,
    mapping_option,
    usage_cost,
)

NAME = "openrouter"

_OPTIONS = (
    "reasoning",
    "provider",
    "include_usage",
    "parallel_tool_calls",
    "user",
    "logit_bias",
    "logprobs",
    "extra_body",
)
_ROUTING = (
    "order",
    "allow_fallbacks",
    "require_parameters",
    "data_collection",
    "only",
    "ignore",
    "quantizations",
    "sort",
)
_SORTS = ("price", "throughput", "latency")


class OpenRouterExtension(GatewayExtension):
    """OpenRouter's behaviour over the wire (a ``ChatExtension``)."""

    name = NAME
    # OpenRouter sends an Anthropic thinking block's signature after the tool calls.
    hold_anthropic = True
    plain_reasoning = False

    known_options = _OPTIONS
    standard_options = ("logit_bias", "logprobs", "user", "parallel_tool_calls")

    def apply_own_options(self, body: dict[str, Any], options: Mapping[str, Any]) -> None:
        if options.get("provider") is not None:
            routing = mapping_option(f"{NAME}.provider", options["provider"])
            check_keys(f"{NAME}.provider", routing, _ROUTING)
            check_choice(f"{NAME}.provider.sort", routing.get("sort"), _SORTS)
            body["provider"] = {k: v for k, v in routing.items() if v is not None}
        include = options.get("include_usage")
        # Usage accounting is what reports cost, so it is on unless turned off.
        body["usage"] = {"include": True if include is None else bool(include)}

    def response_metadata(self, data: Mapping[str, Any]) -> dict[str, Any]:
        out = usage_cost(data)
        provider = data.get("provider")
        if isinstance(provider, str) and provider:
            out["provider"] = provider
        return out
