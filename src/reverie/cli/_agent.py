"""The agent ``reverie run`` and ``reverie chat`` build from their options.

The model is ``-m provider:model``, else ``$REVERIE_MODEL``, else the first hosted provider
whose key is set (see :data:`KEYED_DEFAULTS`), else the local model (no key, no network).
Tools are ``--tool module:function`` or ``--tool path/to/file.py:function``; a plain
function becomes a tool from its type hints and docstring. Every problem with the options
is a :class:`~reverie.errors.ConfigurationError` (one line, exit status 2), raised before
any model starts.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from reverie._redact import remember
from reverie.agent import Agent
from reverie.errors import ConfigurationError
from reverie.model import LanguageModel
from reverie.tool import FunctionTool

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


def load_tool(spec: str) -> FunctionTool:
    """``module:function`` or ``file.py:function`` as a tool; ConfigurationError if not."""
    fn, _ = load_attribute(spec, "--tool")
    return fn if isinstance(fn, FunctionTool) else FunctionTool(fn)


def load_attribute(spec: str, flag: str) -> tuple[Any, str]:
    """The object ``module:name`` or ``file.py:name`` names, and the name.

    A module that fails to import (a syntax error, an exception at import time) is reported
    in one line naming the file, line and error: the user fixes their file, no traceback
    into reverie's loader helps them.
    """
    target, sep, attr = spec.rpartition(":")
    if not sep or not target or not attr:
        raise ConfigurationError(
            f"{flag} {spec!r} must look like 'module:function' or 'path/to/file.py:function'"
        )
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise ConfigurationError(f"{flag} {spec!r}: no file {target}")
        module_spec = importlib.util.spec_from_file_location(f"_reverie_tools_{path.stem}", path)
        if module_spec is None or module_spec.loader is None:
            raise ConfigurationError(f"{flag} {spec!r}: cannot load {target}")
        module = importlib.util.module_from_spec(module_spec)
        try:
            module_spec.loader.exec_module(module)
        except Exception as exc:
            raise ConfigurationError(f"{flag} {spec!r}: {target} {_failure(exc)}") from exc
    else:
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())  # as `python -m` does: tools next to the user
        try:
            module = importlib.import_module(target)
        except Exception as exc:
            raise ConfigurationError(f"{flag} {spec!r}: cannot import {target}: "
                                     f"{_failure(exc)}") from exc  # fmt: skip
    value: Any = getattr(module, attr, None)
    if value is None:
        raise ConfigurationError(f"{flag} {spec!r}: {target} has no {attr!r}")
    return value, attr


def _failure(exc: BaseException) -> str:
    """``failed at line 3: SyntaxError: invalid syntax``, from an import's exception."""
    if isinstance(exc, SyntaxError):
        return f"failed at line {exc.lineno}: SyntaxError: {exc.msg}"
    frames = [f for f in _traceback(exc) if not f.startswith(str(Path(__file__).parent))]
    where = f" ({frames[-1]})" if frames else ""
    return f"failed to import{where}: {type(exc).__name__}: {exc}"


def _traceback(exc: BaseException) -> list[str]:
    """``file:line`` of each frame of ``exc``'s traceback, outermost first."""
    out: list[str] = []
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if not code.co_filename.startswith("<frozen"):
            out.append(f"{code.co_filename}:{tb.tb_lineno}")
        tb = tb.tb_next
    return out


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
