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

import httpx2

from reverie.model import CallWarning
from reverie.providers._gateways._common import (
    GatewayExtension,
    apply_extra_body,
    check_choice,
    check_keys,
    copy_standard,
    mapping_option,
    reasoning_option,
    usage_cost,
)
from reverie.providers._openai.model import OpenAIChatModel
from reverie.timeouts import Timeouts

NAME = "openrouter"
DEFAULT_URL = "https://openrouter.ai/api/v1"

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

    def apply_options(
        self,
        body: dict[str, Any],
        options: Mapping[str, Any],
        model_id: str,
        warnings: list[CallWarning],
    ) -> None:
        check_keys(NAME, options, _OPTIONS)
        if options.get("provider") is not None:
            routing = mapping_option(f"{NAME}.provider", options["provider"])
            check_keys(f"{NAME}.provider", routing, _ROUTING)
            check_choice(f"{NAME}.provider.sort", routing.get("sort"), _SORTS)
            body["provider"] = {k: v for k, v in routing.items() if v is not None}
        if options.get("reasoning") is not None:
            body["reasoning"] = reasoning_option(f"{NAME}.reasoning", options["reasoning"])
        include = options.get("include_usage")
        # Usage accounting is what reports cost, so it is on unless turned off.
        body["usage"] = {"include": True if include is None else bool(include)}
        copy_standard(body, options, ("logit_bias", "logprobs", "user", "parallel_tool_calls"))
        apply_extra_body(body, options, NAME)

    def response_metadata(self, data: Mapping[str, Any]) -> dict[str, Any]:
        out = usage_cost(data)
        provider = data.get("provider")
        if isinstance(provider, str) and provider:
            out["provider"] = provider
        return out


def openrouter_model(
    model_id: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    headers: Mapping[str, str] | None = None,
    http_client: httpx2.AsyncClient | None = None,
    timeouts: Timeouts | None = None,
) -> OpenAIChatModel:
    """A model on OpenRouter (``"anthropic/claude-haiku-4.5"``, ``"openai/gpt-5"``, ...).

    ``headers`` can carry OpenRouter's app attribution (``HTTP-Referer``, ``X-Title``).
    """
    return OpenAIChatModel(
        model_id,
        base_url=base_url or DEFAULT_URL,
        api_key=api_key,
        provider=NAME,
        headers=headers,
        http_client=http_client,
        timeouts=timeouts,
        extension=OpenRouterExtension(),
    )
