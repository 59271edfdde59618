"""What both durable engines' commands print (:mod:`reverie.cli._durable` for DBOS,
:mod:`reverie.cli._temporal` for Temporal): notes and waits on stderr, the answer on stdout."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from reverie.approval import PendingCall
from reverie.errors import ConfigurationError

__all__ = [
    "approvals_for",
    "explain_wait",
    "note",
    "print_result",
    "say_answered",
    "wait_showing_calls",
]

T = TypeVar("T")


async def wait_showing_calls(
    run_id: str,
    url: str,
    result: Awaitable[T],
    pending: Callable[[], Awaitable[Sequence[PendingCall]]],
    poll: float = 0.2,
) -> T:
    """``result``'s value; meanwhile, each time the calls the run waits on change, they are
    shown on stderr with the command that answers them (:func:`explain_wait`)."""
    waiting = asyncio.ensure_future(result)
    shown: tuple[str, ...] = ()
    try:
        while not waiting.done():
            await asyncio.wait({waiting}, timeout=poll)
            if waiting.done():
                break
            calls = await pending()
            ids = tuple(c.id for c in calls)
            if ids and ids != shown:
                explain_wait(run_id, calls, url)
            shown = ids
        return waiting.result()
    finally:
        waiting.cancel()


def print_result(args: argparse.Namespace, run_id: str, result: Any) -> None:
    """The answer on stdout, or with ``--json`` the run as one JSON object."""
    if args.json:
        print(
            json.dumps(
                {
                    "run_id": run_id,
                    "status": result.status,
                    "text": result.text,
                    "output": _jsonable(result.output),
                    "steps": len(result.steps),
                    "usage": {
                        "input_tokens": result.usage.input_tokens,
                        "output_tokens": result.usage.output_tokens,
                    },
                },
                ensure_ascii=False,
            )
        )
    else:
        print(result.text)


def _jsonable(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    return dump(mode="json") if callable(dump) else value


def note(text: str) -> None:
    print(f"reverie: {text}", file=sys.stderr, flush=True)


def explain_wait(run_id: str, pending: Sequence[PendingCall], url: str) -> None:
    """The calls a run waits on, on stderr, and the command that answers them."""
    lines = [f"run {run_id} waits for {len(pending)} call(s):"]
    for call in pending:
        arguments = json.dumps(dict(call.arguments), ensure_ascii=False)
        lines.append(f"  {call.id}  {call.tool_name}({arguments})  [{call.kind}]")
    first = pending[0].id
    if not url.startswith("temporal://"):
        from reverie.durable.dbos import display_database

        url = display_database(url)
    lines.append(
        f"answer from any shell: reverie approve {run_id} {first} --durable "
        f"{url}   (or --deny REASON)"
    )
    print("\n".join(lines), file=sys.stderr, flush=True)


def approvals_for(args: argparse.Namespace, pending: Sequence[PendingCall]) -> list[Any]:
    """``reverie approve``'s answers (approve, or ``--deny``) to the calls it names;
    ConfigurationError naming the calls that do wait when one of them does not."""
    by_id = {p.id: p for p in pending}
    answers: list[Any] = []
    for call_id in args.call_ids:
        call = by_id.get(call_id)
        if call is None or call.kind != "approval":
            waiting = ", ".join(p.id for p in pending if p.kind == "approval")
            raise ConfigurationError(
                f"run {args.run_id} has no call {call_id} waiting for approval "
                f"(waiting: {waiting or 'none'})"
            )
        answers.append(call.approve() if args.deny is None else call.deny(args.deny))
    return answers


def say_answered(args: argparse.Namespace) -> int:
    """What ``reverie approve`` says once its answers are sent; its exit status."""
    verb = "approved" if args.deny is None else "denied"
    print(f"reverie: {verb} {', '.join(args.call_ids)} of run {args.run_id}", file=sys.stderr)
    return 0
