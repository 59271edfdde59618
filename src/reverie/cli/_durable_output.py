"""What both durable engines' commands print (:mod:`reverie.cli._durable` for DBOS,
:mod:`reverie.cli._temporal` for Temporal): notes and waits on stderr, the answer on stdout."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["explain_wait", "note", "print_result"]


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


def explain_wait(run_id: str, pending: Any, url: str) -> None:
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
