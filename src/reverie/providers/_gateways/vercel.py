"""The Vercel AI Gateway over the Chat Completions wire: ``get_model("vercel:openai/gpt-5")``.

Provider options, under ``"vercel"`` (all optional)::

    {
        "reasoning": {"enabled": True, "effort": "high", "max_tokens": 2000, "exclude": False},
        "gateway": {                        # routing, sent as providerOptions.gateway
            "order": ["vertex", "anthropic"],     # providers to try, in order
            "models": ["openai/gpt-5-mini"],      # fallback models (also sent as "models")
            "zero_data_retention": True,
        },
        "byok": {"anthropic": [{"api_key": "..."}]},  # request-scoped provider credentials
        "parallel_tool_calls": True, "user": "user-123",
        "logit_bias": {...}, "logprobs": True, "top_logprobs": 3,
        "extra_body": {...},                # merged into the request body last
    }

Responses report, in ``provider_metadata["vercel"]``, the upstream ``provider`` that served
the request, its ``cost`` and ``generation_id``. Reasoning round-trips as
``reasoning_details`` (see :mod:`.reasoning`); Anthropic models take ``cache_control``
options (see :mod:`.messages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from reverie.providers._gateways._common import (
    GatewayExtension,
    check_keys,
    first_choice_message,
    mapping_option,
    usage_cost,
)

NAME = "vercel"

_OPTIONS = (
    "reasoning",
    "gateway",
    "byok",
    "parallel_tool_calls",
    "user",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "extra_body",
)
_GATEWAY = ("order", "models", "zero_data_retention")


class VercelExtension(GatewayExtension):
    """The Vercel AI Gateway's behaviour over the wire (a ``ChatExtension``)."""

    name = NAME
    hold_anthropic = False
    # Vercel may send a bare ``reasoning`` string without details.
    plain_reasoning = True

    known_options = _OPTIONS
    standard_options = ("logit_bias", "logprobs", "top_logprobs", "user", "parallel_tool_calls")

    def apply_own_options(self, body: dict[str, Any], options: Mapping[str, Any]) -> None:
        gateway: dict[str, Any] = {}
        if options.get("gateway") is not None:
            routing = mapping_option(f"{NAME}.gateway", options["gateway"])
            check_keys(f"{NAME}.gateway", routing, _GATEWAY)
            if routing.get("order") is not None:
                gateway["order"] = list(routing["order"])
            if routing.get("models"):
                gateway["models"] = list(routing["models"])
                # Model fallbacks are also read from the top level of the body.
                body["models"] = list(routing["models"])
            if routing.get("zero_data_retention") is not None:
                gateway["zeroDataRetention"] = bool(routing["zero_data_retention"])
        if options.get("byok") is not None:
            gateway["byok"] = _byok(mapping_option(f"{NAME}.byok", options["byok"]))
        if gateway:
            body["providerOptions"] = {"gateway": gateway}

    def response_metadata(self, data: Mapping[str, Any]) -> dict[str, Any]:
        out = usage_cost(data)
        gateway = _gateway_metadata(data)
        provider = data.get("provider") or _get(gateway, "routing", "finalProvider")
        if isinstance(provider, str) and provider:
            out["provider"] = provider
        if "cost" not in out and gateway.get("cost") is not None:
            out["cost"] = gateway["cost"]
        generation = data.get("generationId") or gateway.get("generationId")
        if isinstance(generation, str) and generation:
            out["generation_id"] = generation
        return out


def _byok(byok: Mapping[str, Any]) -> dict[str, Any]:
    """Credentials per provider, with ``api_key`` spelled as the gateway wants (``apiKey``)."""
    out: dict[str, Any] = {}
    for provider, credentials in byok.items():
        if not isinstance(credentials, list):
            credentials = [credentials]
        entries: list[Any] = []
        for credential in cast(list[Any], credentials):
            entry = dict(mapping_option(f"{NAME}.byok.{provider}", credential))
            if "api_key" in entry:
                entry["apiKey"] = entry.pop("api_key")
            entries.append(entry)
        out[provider] = entries
    return out


def _gateway_metadata(data: Mapping[str, Any]) -> Mapping[str, Any]:
    found = _get(first_choice_message(data), "provider_metadata", "gateway")
    return cast(Mapping[str, Any], found) if isinstance(found, Mapping) else {}


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = cast(Mapping[str, Any], data).get(key)
    return data
