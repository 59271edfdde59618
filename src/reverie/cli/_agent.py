"""The agent ``reverie run`` and ``reverie chat`` build from their options.

The model is ``-m provider:model``, else ``$REVERIE_MODEL``, else the first hosted provider
whose key is set (see :data:`KEYED_DEFAULTS`), else the local model (no key, no network).
Tools are ``--tool module:function`` or ``--tool path/to/file.py:function``; a plain
function becomes a tool from its type hints and docstring (:mod:`reverie._loading`). Every
problem with the options is a :class:`~reverie.errors.ConfigurationError` (one line, exit
status 2), raised before any model starts.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from reverie._loading import load_tool
from reverie._redact import remember
from reverie.agent import Agent
from reverie.errors import ConfigurationError
from reverie.model import LanguageModel

LOCAL_DEFAULT = "local:smollm2"

# (key variable, model): tried in order when no model is named; only registered providers.
KEYED_DEFAULTS: tuple[tuple[str, str], ...] = (
    ("ANTHROPIC_API_KEY", "anthropic:claude-sonnet-4-5"),
    ("OPENAI_API_KEY", "openai:gpt-4o-mini"),
    ("GEMINI_API_KEY", "google:gemini-2.5-flash"),
    ("GROQ_API_KEY", "groq:moonshotai/kimi-k2-instruct-0905"),
    ("CEREBRAS_API_KEY", "cerebras:qwen-3-coder-480b"),
)


def choose_model(explicit: str | None) -> str:
    """The model name to use (see the module docstring)."""
    if explicit:
        return explicit
    from_env = os.environ.get("REVERIE_MODEL")
    if from_env:
        return from_env
    from reverie.providers import providers

    registered = {info.name for info in providers()}
    for env, name in KEYED_DEFAULTS:
        if os.environ.get(env) and name.partition(":")[0] in registered:
            return name
    return LOCAL_DEFAULT


def build_agent(args: argparse.Namespace) -> Agent:
    """The agent for ``run``/``chat``'s options; tools load before any model starts."""
    from reverie.providers import get_model

    tools: list[Any] = [load_tool(t) for t in args.tool]
    name = choose_model(args.model)
    options: dict[str, Any] = {}
    if args.base_url:
        options["base_url"] = args.base_url
    if args.api_key:
        options["api_key"] = args.api_key
        # A secret from the start: before the first request registers it, the run log
        # already writes the run's prompt (and the key must be in none of it).
        remember([args.api_key])
    try:
        model = get_model(name, **options)
    except ConfigurationError as exc:
        if name == LOCAL_DEFAULT and not args.model:
            raise ConfigurationError(
                f"{exc}\nNo model was named and no provider key is set, so the local model "
                "was chosen. Or name one: reverie run -m openai:gpt-4o-mini ... (with "
                "OPENAI_API_KEY set); reverie models lists the providers."
            ) from exc
        raise
    from reverie.cli._mcp_client import toolsets

    servers = toolsets(getattr(args, "mcp", ()), getattr(args, "mcp_url", ()), name)

    from reverie.cli._logs import run_log

    log = run_log(args)  # every CLI run is logged, unless told not to
    return Agent(
        model,
        system=args.system,
        tools=[*tools, *servers],
        max_output_tokens=args.max_tokens,
        temperature=args.temperature,
        observers=() if log is None else (log,),
    )


def describe(model: LanguageModel) -> str:
    """``provider:model — label`` (the label says what a model is, when it has one)."""
    label = getattr(model, "label", "")
    name = f"{model.provider}:{model.model_id}"
    return f"{name} — {label}" if label else name
