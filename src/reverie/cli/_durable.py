"""``reverie run --durable URL --run-id ID`` and ``reverie approve``: runs that survive their
process, on DBOS (:mod:`reverie.durable.dbos`), or on Temporal with a ``temporal://`` URL
(:mod:`reverie.cli._temporal`).

::

    reverie run "..." -m MODEL --tool tools.py:fn --durable sqlite:///runs.sqlite --run-id job-7

runs the agent as a durable run: every model call and tool call is recorded in the database
as it finishes. If the process dies, the same command resumes the run where it stopped
(recorded calls are not made again; a tool that had finished does not run again) and prints
the answer; once the run has finished, the command prints the same answer with no call at
all. While another live process runs the id, the command waits for it and prints its answer.

A run that needs approval (a tool marked so, or ``--approve all``) waits durably; the
calls it waits on are printed on stderr, and another process answers them::

    reverie approve job-7 call_1 --durable sqlite:///runs.sqlite       # or --deny [REASON]

The run then goes on where it waits. The agent's setup (model, system prompt, tool specs,
settings) is stored with the run, so any process can resume it; API keys come from the
environment (or ``--api-key``), never from the database. ``$REVERIE_DURABLE`` is the
default database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from collections.abc import Mapping
from typing import Any

from reverie._loading import absolute_spec
from reverie.cli._durable_output import (
    approvals_for,
    note,
    print_result,
    say_answered,
    wait_showing_calls,
)
from reverie.errors import ConfigurationError, ReverieError

CLI_AGENT = "reverie-cli"
"""The durable agent name of runs the command line starts."""

_POLL = 0.2


def add_run_options(run: argparse.ArgumentParser) -> None:
    """``--durable`` and ``--run-id`` on ``reverie run``."""
    run.add_argument(
        "--durable",
        metavar="URL",
        default=os.environ.get("REVERIE_DURABLE") or None,
        help="record the run so that it survives this process: in a database (DBOS: "
        "sqlite:///PATH or postgresql://...) or on Temporal (temporal://HOST:PORT[/NAMESPACE]); "
        "default $REVERIE_DURABLE",
    )
    run.add_argument(
        "--run-id",
        metavar="ID",
        help="with --durable: the run's id; running the same id again resumes it (or prints "
        "its answer once finished)",
    )


def add_approve_command(parser: argparse.ArgumentParser) -> None:
    """The options of ``reverie approve``."""
    parser.add_argument("run_id", metavar="RUN_ID", help="the durable run waiting for approval")
    parser.add_argument("call_ids", nargs="+", metavar="CALL_ID", help="the call(s) to answer")
    parser.add_argument(
        "--deny",
        nargs="?",
        const="",
        metavar="REASON",
        help="refuse the call(s) instead; the reason is told to the model",
    )
    parser.add_argument(
        "--durable",
        metavar="URL",
        default=os.environ.get("REVERIE_DURABLE") or None,
        help="the run's database, or temporal://HOST:PORT (default $REVERIE_DURABLE)",
    )


def wants_durable(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "durable", None) or getattr(args, "run_id", None))


def _setup(args: argparse.Namespace) -> dict[str, Any]:
    from reverie.cli._agent import choose_model

    if args.approve not in (None, "all", "marked"):
        raise ConfigurationError("--approve takes marked or all")
    if args.save_state:
        raise ConfigurationError(
            "--save-state does not go with --durable: the database keeps the run; answer its "
            "calls with reverie approve"
        )
    return {
        "model": choose_model(args.model),
        "system": args.system,
        "tools": [absolute_spec(spec) for spec in args.tool],
        "max_tokens": args.max_tokens,
        "temperature": args.temperature,
        "approve": "all" if args.approve == "all" else "marked",
        "base_url": args.base_url,
    }


def register_cli_agent(
    api_key: str | None = None, db: str | None = None, no_log: bool = False
) -> None:
    """Make the command line's runs buildable in this process (for resumes and workers).
    Their runs are logged where this process logs (``db``, the run log's default when None;
    nowhere with ``no_log``): the log belongs to the process, not to the run."""
    from reverie.cli._approve import Setup
    from reverie.durable._agents import register_agent

    def factory(config: Mapping[str, Any]) -> Any:
        return Setup(
            str(config.get("model")),
            config.get("system"),
            tuple(str(t) for t in config.get("tools", [])),
            config.get("max_tokens"),
            config.get("temperature"),
            "all" if config.get("approve") == "all" else "marked",
            config.get("base_url"),
        ).agent(api_key, db=db, no_log=no_log)

    register_agent(CLI_AGENT, factory)


def _database(args: argparse.Namespace) -> str:
    from reverie.durable.dbos import check_database_url

    if not args.durable:
        raise ConfigurationError(
            "a durable run needs its database: --durable sqlite:///runs.sqlite (or "
            "postgresql://...), or set REVERIE_DURABLE"
        )
    return check_database_url(args.durable)


def run_durable(args: argparse.Namespace) -> int:
    """``reverie run ... --durable URL [--run-id ID]``."""
    from reverie.cli._temporal import is_temporal, run_temporal

    if is_temporal(args.durable):
        return run_temporal(args, _setup(args), args.run_id or f"run_{uuid.uuid4().hex[:12]}")
    url = _database(args)
    setup = _setup(args)
    run_id = args.run_id or f"run_{uuid.uuid4().hex[:12]}"
    register_cli_agent(args.api_key, args.db, args.no_log)
    from reverie.durable.dbos import DBOSEngine

    engine = DBOSEngine(url)
    try:
        return asyncio.run(_run(engine, run_id, args, setup, url))
    finally:
        engine.shutdown()


async def _run(
    engine: Any, run_id: str, args: argparse.Namespace, setup: dict[str, Any], url: str
) -> int:
    from reverie.durable import RunFailed
    from reverie.durable.dbos import display_database

    await asyncio.to_thread(engine.launch)
    found = await engine.start(CLI_AGENT, args.prompt, run_id=run_id, config=setup)
    note(
        {
            "new": f"run {run_id} started (durable: {display_database(url)})",
            "running": f"run {run_id} was left unfinished: resuming it",
            "queued": f"run {run_id} is queued: waiting for it",
            "finished": f"run {run_id} has finished: its answer, from the record",
            "failed": f"run {run_id} failed earlier",
        }.get(found, f"run {run_id}: {found}")
    )
    try:
        result = await wait_showing_calls(
            run_id,
            url,
            engine.result(CLI_AGENT, run_id, config=setup),
            lambda: engine.pending(run_id),
            _POLL,
        )
    except RunFailed as exc:
        print(f"reverie run: run {run_id} failed: {exc}", file=sys.stderr)
        return 1
    except ReverieError as exc:
        print(f"reverie run: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print_result(args, run_id, result)
    return 0


def approve_main(args: argparse.Namespace) -> int:
    """``reverie approve RUN_ID CALL_ID... [--deny [REASON]] --durable URL``."""
    from reverie.cli._temporal import approve_temporal, is_temporal

    if is_temporal(args.durable):
        return approve_temporal(args)
    from dbos import DBOSClient, DBOSPortableJSONSerializer

    from reverie.durable._dbos_workflow import (
        ANSWER_TOPIC,
        PENDING_EVENT,
        answer_value,
        pending_from_value,
    )

    url = _database(args)
    client = DBOSClient(system_database_url=url, serializer=DBOSPortableJSONSerializer())
    try:
        rows = client.list_workflows(
            workflow_ids=[args.run_id], load_input=False, load_output=False
        )
        if not rows:
            raise ConfigurationError(f"there is no durable run {args.run_id!r} in this database")
        status = rows[0]
        pending = pending_from_value(client.get_event(args.run_id, PENDING_EVENT, 0))
        if status.status != "PENDING" or not pending:
            raise ConfigurationError(
                f"run {args.run_id} waits on no call (it is {status.status.lower()})"
            )
        answers = approvals_for(args, pending)
        client.send(args.run_id, answer_value(answers), topic=ANSWER_TOPIC)
    finally:
        client.destroy()
    return say_answered(args)
