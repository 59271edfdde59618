"""What a user would configure, read from a cassette's first request: provider, endpoint,
model (and, for Vertex, project and location); plus the options each test folder applies.
Nothing else is taken from recorded requests.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson

from reverie._steps import PrepareStep, StepContext, StepOverrides
from reverie.content import (
    ProviderData,
)
from reverie.model import LanguageModel, ProviderTool
from reverie.testing._cassette import Cassette
from reverie.testing._conformance.scenarios import WEB_SEARCH_TOOLS, Scenario, Skip, test_folder


@dataclass(frozen=True, slots=True)
class Target:
    """Provider name, endpoint and model id, as a user would write them."""

    provider: str
    base_url: str
    model_id: str
    options: dict[str, Any] = field(default_factory=dict[str, Any])


_KNOWN_CHAT_HOSTS = {
    "api.openai.com": "openai",
    "api.cerebras.ai": "cerebras",
    "api.groq.com": "groq",
    "api.x.ai": "xai",
    "api.z.ai": "zai",
    "router.huggingface.co": "huggingface",
    "api.avian.io": "avian",
    "localhost": "llamacpp",
}


_GATEWAY_HOSTS = {
    "openrouter.ai": "openrouter",
    "ai-gateway.vercel.sh": "vercel",
}


def infer_target(cassette: Cassette) -> Target:
    """The provider, endpoint and model a user would configure to make these requests."""
    if not cassette.interactions:
        raise Skip("the cassette has no interactions")
    first = cassette.interactions[0].request
    parts = urlsplit(first.url)
    host = parts.hostname or ""
    body: Any
    try:
        body = orjson.loads(first.body) if first.body else {}
    except orjson.JSONDecodeError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if parts.path.endswith("/chat/completions"):
        base = first.url[: first.url.rindex("/chat/completions")]
        model_id = str(body.get("model", ""))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        if host.endswith(".openai.azure.com"):
            return Target("azure", base, model_id, {"api": "chat"})
        provider = _KNOWN_CHAT_HOSTS.get(host, "openai-compatible")
        for suffix, gateway in _GATEWAY_HOSTS.items():
            if host.endswith(suffix):
                provider = gateway
        # OpenAI's wire is said explicitly, so $REVERIE_OPENAI_API cannot change it.
        options: dict[str, Any] = {"api": "chat"} if provider == "openai" else {}
        return Target(provider, base, model_id, options)
    if parts.path.endswith("/responses") and (
        host == "api.openai.com" or host.endswith(".openai.azure.com")
    ):
        base = first.url[: first.url.rindex("/responses")]
        provider = "openai" if host == "api.openai.com" else "azure"
        model_id = str(body.get("model", ""))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        return Target(provider, base, model_id, {"api": "responses"})
    anthropic = _anthropic_target(parts.scheme, host, parts.path, body)  # pyright: ignore[reportUnknownArgumentType]
    if anthropic is not None:
        return anthropic
    google = _google_target(first.url)
    if google is not None:
        return google
    raise Skip(f"provider kind at {host}{parts.path} is not supported yet")


def _anthropic_target(scheme: str, host: str, path: str, body: Mapping[str, Any]) -> Target | None:
    """The Anthropic Messages wire on the Anthropic API and on Bedrock, or None (Claude on
    Vertex AI is reached through the 'vertex' provider: see :func:`_google_target`)."""
    if host == "api.anthropic.com" and path == "/v1/messages":
        return Target("anthropic", f"{scheme}://{host}", str(body.get("model", "")))
    bedrock = re.fullmatch(r"/model/([^/]+)/invoke(?:-with-response-stream)?", path)
    if host.startswith("bedrock-runtime.") and bedrock:
        return Target("bedrock", f"{scheme}://{host}", unquote(bedrock.group(1)))
    return None


_GEMINI_URL = re.compile(
    r"^(?P<base>https?://[^/]+/[^/]+)/models/(?P<model>[^/:]+):(?:stream)?[gG]enerateContent"
)


_VERTEX_URL = re.compile(
    r"^(?P<base>https?://(?:[^/]+-)?aiplatform\.googleapis\.com/[^/]+)/projects/(?P<project>[^/]+)"
    r"/locations/(?P<location>[^/]+)/publishers/(?P<publisher>[^/]+)/models/(?P<model>[^/:]+):"
)


def _google_target(url: str) -> Target | None:
    """Gemini API or Vertex AI: endpoint, model (and project, location) from the URL."""
    vertex = _VERTEX_URL.match(url)
    if vertex is not None:
        publisher = vertex["publisher"]
        if publisher != "google":
            from reverie.providers import providers

            # Claude on Vertex goes through the 'vertex' provider, which hands it to the
            # Anthropic wire once a 'vertex-anthropic' provider is registered.
            if publisher != "anthropic" or all(p.name != "vertex-anthropic" for p in providers()):
                raise Skip(
                    f"{publisher} models on Vertex AI use the Anthropic wire, which needs a "
                    "'vertex-anthropic' provider (not registered yet)"
                )
        options = {
            "project": vertex["project"],
            "location": vertex["location"],
            # Replay needs no auth; a placeholder token keeps google-auth out of it.
            "access_token": "replayed-token",
            "api_key": None,
        }
        return Target("vertex", vertex["base"], vertex["model"], options)
    gemini = _GEMINI_URL.match(url)
    if gemini is not None and urlsplit(url).hostname == "generativelanguage.googleapis.com":
        # The corpus was recorded with tool call ids "1", "2", ... (a counter per model).
        return Target(
            "google", gemini["base"], gemini["model"], {"tool_call_id_factory": counter()}
        )
    return None


def counter() -> Callable[[], str]:
    """An id factory that yields "1", "2", ...: reproducible tool call ids."""
    ids = itertools.count(1)
    return lambda: str(next(ids))


def folder_options(path: Path, target: Target) -> dict[str, Any]:
    """Provider options the test folder applies (``shared/cassettes/README.md``)."""
    test = test_folder(path)
    model_folder = path.parent.name
    if test == "TestOpenAICompatibleThinking" and model_folder != "avian-kimi":
        return {target.provider: {"reasoning_effort": "high"}}
    if test == "TestGoogleThinking":
        # gemini-2.x: budget 100, sent as the minimum (128); gemini-3: thinking level HIGH.
        if target.model_id.startswith("gemini-2"):
            thinking: dict[str, Any] = {"thinking_budget": 100, "include_thoughts": True}
        else:
            thinking = {"thinking_level": "HIGH", "include_thoughts": True}
        return {"google": {"thinking_config": thinking}}
    if test in ("TestOpenAIResponsesWithSummaryThinking", "TestAzureResponsesWithSummaryThinking"):
        # Azure reads options given under "openai", as a user moving from OpenAI would.
        return {
            "openai": {
                "include": ["reasoning.encrypted_content"],
                "reasoning_effort": "high",
                "reasoning_summary": "auto",
            }
        }
    if test == "TestAzureThinking":
        return {"openai": {"reasoning_effort": "high"}}
    if test == "TestOpenRouterThinking":
        return {target.provider: {"reasoning": {"effort": "medium"}}}
    if test == "TestVercelThinking":
        return {target.provider: {"reasoning": {"enabled": True}}}
    if test in ("TestAnthropicThinking", "TestAnthropicThinkingWithCacheControl"):
        return {"anthropic": {"thinking": {"budget_tokens": 4000}}}
    return {}


def folder_prepare_step(path: Path) -> PrepareStep | None:
    """The ``prepare_step`` hook the test folder applies, if any."""
    if test_folder(path).endswith(("WithAnthropicCache", "WithCacheControl")):
        return anthropic_cache_control
    return None


_EPHEMERAL: ProviderData = {"anthropic": {"cache_control": {"type": "ephemeral"}}}


def anthropic_cache_control(ctx: StepContext) -> StepOverrides:
    """Anthropic prompt caching as a user would set it up, before every step.

    Cache control ``ephemeral`` on the last system message before the conversation and on
    the last two messages; every other message's provider options are cleared.
    """
    messages = [replace(m, provider_options={}) for m in ctx.messages]
    system_index = 0
    for i, msg in enumerate(messages):
        if msg.role != "system":
            messages[system_index] = replace(messages[system_index], provider_options=_EPHEMERAL)
            break
        system_index = i
    for i in range(max(len(messages) - 2, 0), len(messages)):
        messages[i] = replace(messages[i], provider_options=_EPHEMERAL)
    return StepOverrides(messages=messages)


def build_model(target: Target, http: Any) -> LanguageModel:
    from reverie.providers import get_model

    options: dict[str, Any] = {"api_key": "replayed-key", **target.options}
    return get_model(
        f"{target.provider}:{target.model_id}",
        base_url=target.base_url,
        http_client=http,
        **options,
    )


def provider_tools(scenario: Scenario, target: Target) -> tuple[ProviderTool, ...]:
    if scenario.name != "web_search":
        return ()
    tool = WEB_SEARCH_TOOLS.get(target.provider)
    if tool is None:
        raise Skip(f"the web_search scenario is not supported for {target.provider} yet")
    return (tool,)
