"""``reverie run``: an agent on one prompt, its answer streamed to stdout.

The answer's text goes to stdout and everything else (the model, tool calls and results,
warnings, why the run stopped early, usage) to stderr when output is piped, so ``reverie
run "..." > answer.txt`` keeps only the answer. ``--json`` prints one event per line
instead (:func:`reverie.cli._render.event_json`). The agent comes from
:mod:`reverie.cli._agent`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from reverie.agent import Agent
from reverie.cli._agent import build_agent, describe
from reverie.cli._console import Console
from reverie.cli._render import EventPrinter, JsonEventWriter
from reverie.content import Message
from reverie.errors import ConfigurationError, ReverieError
from reverie.events import RunFinish

if TYPE_CHECKING:
    from reverie.sessions import Session


async def stream_turn(
    agent: Agent,
    prompt: str | Sequence[Message],
    printer: EventPrinter | None,
    session: Session | None = None,
) -> tuple[Any, float]:
    """Run one turn, printing events (or JSON lines when ``printer`` is None); with
    ``session``, the turn continues it and is added to it."""
    started = time.perf_counter()
    result: Any = None
    writer = JsonEventWriter(sys.stdout, started) if printer is None else None
    # aclosing: if printing fails (a closed pipe), the model's HTTP stream is closed here,
    # in this loop, rather than by the garbage collector after the loop is gone.
    events = agent.stream(prompt, session=session).__aiter__()
    async with contextlib.aclosing(events):
        async for event in events:
            if writer is not None:
                writer.event(event)
            elif printer is not None:
                printer.event(event)
            if isinstance(event, RunFinish):
                result = event.result
    return result, time.perf_counter() - started


def consoles() -> tuple[Console, Console]:
    """The answer's console (stdout) and the one for everything else (see the docstring)."""
    out = Console(sys.stdout)
    info = out if out.rich else Console(sys.stderr, rich=False)
    return out, info


def main(args: argparse.Namespace) -> int:
    """0 on success, 1 when the provider failed, 2 for bad usage or configuration."""
    if not args.prompt.strip():
        raise ConfigurationError(
            "the prompt is empty: give the question as the first argument, e.g. reverie run "
            '"What is 2 plus 3?"'
        )
    from reverie.cli._durable import wants_durable

    if wants_durable(args):
        from reverie.cli._durable import run_durable

        return run_durable(args)
    if args.approve or args.save_state:
        from reverie.cli._approve import run_approving

        return run_approving(args)
    agent = build_agent(args)
    printer = None
    if not args.json:
        out, info = consoles()
        info.line(describe(agent.model), "bold")
        printer = EventPrinter(out, info)
    try:
        result, seconds = asyncio.run(stream_turn(agent, args.prompt, printer))
    except ReverieError as exc:
        print(f"reverie run: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if printer is not None and result is not None:
        printer.finish(result, seconds)
    if result is not None and result.status == "paused":
        print(
            "reverie run: the run waits for approval; run again with --approve to answer "
            "on the terminal, or --save-state FILE to answer later with reverie resume",
            file=sys.stderr,
        )
        return 3
    return 0
