"""``reverie chat``: a conversation with an agent until ``/exit`` or the end of input.

Each line read is one turn; the history is kept between turns (``/reset`` clears it), in
memory, or with ``--session NAME`` in the run log's database, where a later ``reverie chat
--session NAME`` (any process) goes on with it. The
``you>`` prompt is written to stderr and only when stdin is a terminal, so
``reverie chat < questions.txt > answers.txt`` leaves nothing but the answers in the file.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from reverie.agent import Agent
from reverie.cli._agent import build_agent, describe
from reverie.cli._logs import chat_session
from reverie.cli._render import EventPrinter
from reverie.cli._run import consoles, stream_turn
from reverie.errors import ReverieError
from reverie.sessions import Session, StoredSession

PROMPT = "you> "


def read_line() -> str | None:
    """The next line of input, or None at its end; prompts only a person at a terminal."""
    if sys.stdin.isatty():
        sys.stderr.write(PROMPT)
        sys.stderr.flush()
        try:
            return input()
        except EOFError:
            sys.stderr.write("\n")
            return None
    line = sys.stdin.readline()
    return line if line else None


async def _chat(agent: Agent, session: Session, args: argparse.Namespace) -> int:
    async with agent:  # its MCP servers stay up for the whole conversation
        return await _turns(agent, session, args)


async def _turns(agent: Agent, session: Session, args: argparse.Namespace) -> int:
    out, info = consoles()
    info.line(describe(agent.model), "bold")
    if sys.stdin.isatty():
        info.line("Type a message; /reset starts over, /exit (or Ctrl-D) leaves.", "dim")
    if isinstance(session, StoredSession):
        turns = len(await session.turns())
        if turns and sys.stdin.isatty():
            plural = "" if turns == 1 else "s"
            info.line(f"(session {session.id}: {turns} earlier turn{plural})", "dim")
    while True:
        line = await asyncio.to_thread(read_line)
        if line is None:
            return 0
        text = line.strip()
        if not text:
            continue
        if text in ("/exit", "/quit"):
            return 0
        if text == "/reset":
            if isinstance(session, StoredSession):
                await session.clear()
            else:
                session = chat_session(args)
            info.line("(conversation cleared)", "dim")
            continue
        printer = EventPrinter(out, info)
        try:
            result, seconds = await stream_turn(agent, text, printer, session)
        except ReverieError as exc:
            info.line(f"error: {type(exc).__name__}: {exc}", "red")
            continue
        if result is not None:
            printer.finish(result, seconds)


def main(args: argparse.Namespace) -> int:
    """0 when the conversation ends (``/exit``, end of input or Ctrl-C)."""
    agent = build_agent(args)
    session = chat_session(args)
    try:
        return asyncio.run(_chat(agent, session, args))
    except ReverieError as exc:  # an MCP server that would not start
        print(f"reverie chat: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nreverie: bye", file=sys.stderr)
        return 0
    finally:
        if isinstance(session, StoredSession):
            session.store.close()
