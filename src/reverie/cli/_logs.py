"""``reverie logs``: the runs ``reverie run`` and ``reverie chat`` (and programs) logged.

::

    reverie logs                      # the 20 newest runs
    reverie logs -n 5 --json          # as JSON (one array)
    reverie logs show run_5f0c        # one run whole: messages, steps, tools, usage, cost
    reverie logs search invoice July  # runs containing every word
    reverie logs path                 # where the log is
    reverie logs prune --older-than 30d   # delete the runs that ended over 30 days ago

The log is ``--db`` (a SQLite file or a ``postgresql://`` URL), else ``$REVERIE_LOG_DB``,
else the default file (:mod:`reverie.runlog`). This module also gives ``run`` and ``chat``
their log (:func:`run_log`) and session (:func:`chat_session`): ``--no-log`` or
``REVERIE_LOG=0`` turns logging off, and a log that cannot be written is said once on
stderr, never failing the command.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reverie.runlog import LoggedRun, RunDetail, RunLog
    from reverie.sessions import Session

OFF = ("0", "false", "no", "off")


def add_arguments(logs: argparse.ArgumentParser) -> None:
    """The options of ``reverie logs`` and of its subcommands (``list`` is the default)."""
    _common(logs, suppress=False)
    logs.add_argument("-n", "--limit", type=int, default=20, help="how many runs (default 20)")
    logs.add_argument("--thread", help="only the runs of this thread (a chat session's name)")
    sub = logs.add_subparsers(dest="logs_command", metavar="{show,search,path,prune}")
    show = sub.add_parser("show", help="one run whole")
    show.add_argument("run_id", help="a run id, or its start")
    _common(show, suppress=True)
    search = sub.add_parser("search", help="runs containing every word (full-text search)")
    search.add_argument("words", nargs="+", help="what to look for")
    search.add_argument("-n", "--limit", type=int, default=argparse.SUPPRESS)
    _common(search, suppress=True)
    path = sub.add_parser("path", help="where the log is")
    _common(path, suppress=True)
    prune = sub.add_parser("prune", help="delete old runs (sessions are kept)")
    prune.add_argument(
        "--older-than",
        required=True,
        type=_age,
        metavar="AGE",
        help="runs that ended longer ago than this: 30d, 12h, 90m, 2w",
    )
    _common(prune, suppress=True)


_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _age(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``2w`` as a timedelta (argparse's type for an age)."""
    number, unit = text.strip()[:-1], text.strip()[-1:].lower()
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if unit not in _UNITS or not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not an age like 30d, 12h, 90m or 2w")
    return timedelta(seconds=value * _UNITS[unit])


def _common(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    # A subcommand's copy of an option must not reset what was given before it.
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("--db", default=default, help="the log: a SQLite file or postgresql:// URL")
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="print JSON",
    )


def main(args: argparse.Namespace) -> int:
    """0 when done; 1 when ``show`` finds no such run or the log cannot be read."""
    from reverie import _store
    from reverie.errors import StorageError
    from reverie.runlog import RunLog

    command = args.logs_command or "list"
    if command == "path":
        where = _store.resolve(args.db)
        print(json.dumps({"db": where}) if args.json else where)
        return 0
    try:
        with RunLog(args.db) as log:
            if command == "prune":
                deleted = log.prune(args.older_than)
                print(json.dumps({"deleted": deleted}) if args.json else f"deleted {deleted} runs")
                return 0
            if command == "show":
                return _show(log, args.run_id, args.json)
            if command == "search":
                runs = log.search(" ".join(args.words), limit=args.limit)
            else:
                runs = log.runs(limit=args.limit, thread_id=args.thread)
    except StorageError as exc:
        print(f"reverie logs: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([r.to_json() for r in runs], indent=2))
    elif not runs:
        print("no runs" + (" match" if command == "search" else " logged yet"), file=sys.stderr)
    for run in [] if args.json else runs:
        print(run_line(run))
    return 0


def _show(log: RunLog, run_id: str, as_json: bool) -> int:
    detail = log.get(run_id)
    if detail is None:
        print(f"reverie logs: no run {run_id!r} in {log.target}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(detail.to_json(), indent=2))
    else:
        print(show_text(detail))
    return 0


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


def _short(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _cost(run: LoggedRun) -> str:
    from reverie.cost import format_usd

    return "cost unknown" if run.cost is None else format_usd(run.cost)


def run_line(run: LoggedRun) -> str:
    """One run on one line: id, start, status, model, size, cost, prompt."""
    status = run.status if run.error_type is None else f"{run.status} ({run.error_type})"
    plural = "" if run.steps == 1 else "s"
    return (
        f"{run.run_id[:16]}  {_when(run.started_at)}  {status}  {run.model}  "
        f"{run.steps} step{plural}  {run.usage.total_tokens} tokens  {_cost(run)}  "
        f"{_short(run.prompt, 60)}"
    )


def show_text(detail: RunDetail) -> str:
    """One run for reading: its facts, then the conversation, step by step."""
    from reverie.cli._render import output_text, usage_text

    run = detail.run
    lines = [f"run {run.run_id}" + (f" (thread {run.thread_id})" if run.thread_id else "")]
    took = "" if run.seconds is None else f" · {run.seconds:.1f} s"
    status = run.status + (f", {run.finish_reason}" if run.finish_reason else "")
    lines += [
        f"model     {run.model}",
        f"status    {status}" + (f" · {run.stopped_by}" if run.stopped_by else ""),
        f"started   {_when(run.started_at)}{took}",
        f"usage     {usage_text(run.usage)} · {_cost(run)}",
    ]
    if run.error_type:
        lines.append(f"error     {run.error_type}: {run.error}")
    lines.append("")
    for message in detail.input:
        lines.append(f"{message.role}: {message.text}")
    calls = {(c.step, c.call_id): c for c in detail.tool_calls}
    for logged in detail.steps:
        step = logged.step
        retried = f" · {logged.attempts} attempts" if logged.attempts > 1 else ""
        lines.append(f"--- step {step.number} · {logged.model} · {usage_text(step.usage)}{retried}")
        for reasoning in step.reasoning:
            if reasoning.text:
                lines.append(f"(thinking) {_short(reasoning.text, 400)}")
        for call in step.tool_calls:
            lines.append(f"tool {call.tool_name}({call.input})")
        for result in step.tool_results:
            text, error = output_text(result.output)
            logged_call = calls.get((step.number, result.tool_call_id))
            ran = ""
            if logged_call and logged_call.started_at and logged_call.finished_at:
                ran = f" ({logged_call.finished_at - logged_call.started_at:.2f} s)"
            lines.append(f"  {'error' if error else '→'} {_short(text, 400)}{ran}")
        if step.text:
            lines.append(f"assistant: {step.text}")
    waiting = [c for c in detail.tool_calls if c.output is None and not c.provider_executed]
    for call in waiting:
        lines.append(f"⏸ {call.tool_name}({call.arguments}) waits (call {call.call_id})")
    return "\n".join(lines)


# -- the log and session of `reverie run` and `reverie chat` -----------------------------------


def run_log(args: argparse.Namespace) -> RunLog | None:
    """The log ``run`` and ``chat`` write to, or None when logging is off."""
    if getattr(args, "no_log", False) or os.environ.get("REVERIE_LOG", "").lower() in OFF:
        return None
    from reverie.runlog import RunLog

    said: list[bool] = []

    def report(exc: Exception) -> None:
        if not said:  # once per command: the run itself goes on regardless
            said.append(True)
            print(f"reverie: the run log could not be written: {exc}", file=sys.stderr)

    log = RunLog(getattr(args, "db", None), on_error=report)
    _opened.append(log)
    return log


_opened: list[RunLog] = []


def close_logs() -> None:
    """Write what the command's runs queued, and close their logs."""
    while _opened:
        _opened.pop().close()


def chat_session(args: argparse.Namespace) -> Session:
    """``--session NAME``'s stored session, else one held in memory for this chat only."""
    name = getattr(args, "session", None)
    if name:
        from reverie.sessions import SessionStore

        return SessionStore(getattr(args, "db", None)).session(name)
    import uuid

    from reverie.sessions import MemorySession

    return MemorySession(f"chat_{uuid.uuid4().hex}")
