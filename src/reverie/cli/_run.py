"""``reverie run`` and ``reverie chat``: an agent on the command line.

The model is ``-m provider:model``, else ``$REVERIE_MODEL``, else the first hosted provider
whose key is set (see :data:`KEYED_DEFAULTS`), else the local model (no key, no network).
Tools are ``--tool module:function`` or ``--tool path/to/file.py:function``; a plain
function becomes a tool from its type hints and docstring.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reverie.agent import Agent
from reverie.cli._console import Console
from reverie.cli._render import EventPrinter, event_json
from reverie.content import Message, user
from reverie.errors import ConfigurationError, ReverieError
from reverie.events import RunFinish
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
    """The object ``module:name`` or ``file.py:name`` names, and the name."""
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
        module_spec.loader.exec_module(module)
    else:
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())  # as `python -m` does: tools next to the user
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise ConfigurationError(f"{flag} {spec!r}: cannot import {target}: {exc}") from exc
    value: Any = getattr(module, attr, None)
    if value is None:
        raise ConfigurationError(f"{flag} {spec!r}: {target} has no {attr!r}")
    return value, attr


def build_agent(
    model_name: str | None,
    system: str | None,
    tools: Sequence[str],
    max_tokens: int | None,
    temperature: float | None = None,
    toolsets: Sequence[Any] = (),
) -> Agent:
    from reverie.providers import get_model

    name = choose_model(model_name)
    try:
        model = get_model(name)
    except ConfigurationError as exc:
        if name == LOCAL_DEFAULT and not model_name:
            raise ConfigurationError(
                f"{exc}\nNo model was named and no provider key is set, so the local model "
                "was chosen. Or name one: reverie run -m openai:gpt-4o-mini ... (with "
                "OPENAI_API_KEY set); reverie models lists the providers."
            ) from exc
        raise
    return Agent(
        model,
        system=system,
        tools=[*(load_tool(t) for t in tools), *toolsets],
        max_output_tokens=max_tokens,
        temperature=temperature,
    )


def describe(model: LanguageModel) -> str:
    label = getattr(model, "label", "")
    name = f"{model.provider}:{model.model_id}"
    return f"{name} — {label}" if label else name


async def _stream_turn(
    agent: Agent, prompt: str | Sequence[Message], printer: EventPrinter | None
) -> tuple[Any, float]:
    """Run one turn, printing events (or JSON lines when ``printer`` is None)."""
    started = time.perf_counter()
    result: Any = None
    # aclosing: if printing fails (a closed pipe), the model's HTTP stream is closed here,
    # in this loop, rather than by the garbage collector after the loop is gone.
    events = agent.stream(prompt).__aiter__()
    async with contextlib.aclosing(events):
        async for event in events:
            if printer is None:
                data = event_json(event)
                if isinstance(event, RunFinish) and data is not None:
                    data["seconds"] = round(time.perf_counter() - started, 3)
                if data is not None:
                    sys.stdout.write(json.dumps(data) + "\n")
                    sys.stdout.flush()
            else:
                printer.event(event)
            if isinstance(event, RunFinish):
                result = event.result
    return result, time.perf_counter() - started


def _consoles() -> tuple[Console, Console]:
    out = Console(sys.stdout)
    info = out if out.rich else Console(sys.stderr, rich=False)
    return out, info


def run_once(
    prompt: str,
    *,
    model: str | None,
    system: str | None,
    tools: Sequence[str],
    as_json: bool,
    max_tokens: int | None,
    temperature: float | None = None,
    toolsets: Sequence[Any] = (),
) -> int:
    """``reverie run``: 0 on success, 1 when the provider failed, 2 for bad configuration."""
    agent = build_agent(model, system, tools, max_tokens, temperature, toolsets)
    printer = None
    if not as_json:
        out, info = _consoles()
        info.line(describe(agent.model), "bold")
        printer = EventPrinter(out, info)
    try:
        result, seconds = asyncio.run(_stream_turn(agent, prompt, printer))
    except ReverieError as exc:
        print(f"reverie: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nreverie: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`reverie run ... | head`): not an error; keep Python from
        # complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if printer is not None and result is not None:
        printer.finish(result.usage, len(result.steps), seconds)
    return 0


async def _chat(agent: Agent) -> int:
    async with agent:  # its MCP servers stay up for the whole conversation
        return await _chat_turns(agent)


async def _chat_turns(agent: Agent) -> int:
    out, info = _consoles()
    info.line(describe(agent.model), "bold")
    info.line("Type a message; /reset starts over, /exit (or Ctrl-D) leaves.", "dim")
    history: list[Message] = []
    while True:
        try:
            line = await asyncio.to_thread(input, "you> ")
        except EOFError:
            out.line()
            return 0
        text = line.strip()
        if not text:
            continue
        if text in ("/exit", "/quit"):
            return 0
        if text == "/reset":
            history.clear()
            info.line("(conversation cleared)", "dim")
            continue
        printer = EventPrinter(out, info)
        try:
            result, seconds = await _stream_turn(agent, [*history, user(text)], printer)
        except ReverieError as exc:
            info.line(f"error: {type(exc).__name__}: {exc}", "red")
            continue
        if result is not None:
            history = [m for m in result.messages if m.role != "system"]
            printer.finish(result.usage, len(result.steps), seconds)


def run_chat(
    *,
    model: str | None,
    system: str | None,
    tools: Sequence[str],
    max_tokens: int | None,
    temperature: float | None = None,
    toolsets: Sequence[Any] = (),
) -> int:
    """``reverie chat``: a conversation until /exit or end of input."""
    agent = build_agent(model, system, tools, max_tokens, temperature, toolsets)
    try:
        return asyncio.run(_chat(agent))
    except ReverieError as exc:  # an MCP server that would not start
        print(f"reverie: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nreverie: bye", file=sys.stderr)
        return 0
