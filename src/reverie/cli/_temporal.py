"""``reverie run --durable temporal://HOST:PORT[/NAMESPACE]``: a durable run on Temporal
(:mod:`reverie.durable.temporal`), and ``reverie approve`` for it.

::

    reverie run "..." -m MODEL --tool tools.py:fn --durable temporal://localhost:7233 --run-id job-7

The command is both the run's caller and its worker: it serves the agent its options build
on a task queue of their own (``reverie-cli-`` and a hash of the model, system prompt,
tools and settings), starts the run as workflow ``job-7`` (or picks up the one that exists)
and prints its answer. Killed, the same command serves the same queue again: Temporal hands
it the run, which goes on from its record (no model call is made twice; a tool that had
finished is not run again; one that was running runs again once the dead process's
heartbeat is missed, within :data:`HEARTBEAT`). A finished id prints its answer with no call.
Any other worker serving the same options on that queue may take part; one serving other
options never sees the run.

A run that needs approval waits in Temporal; the command prints the calls and keeps serving
the run while another shell answers::

    reverie approve job-7 call_1 --durable temporal://localhost:7233      # or --deny [REASON]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from reverie.errors import ConfigurationError

__all__ = ["HEARTBEAT", "approve_temporal", "is_temporal", "run_temporal"]

HEARTBEAT = timedelta(seconds=10)
"""How soon a tool running in a killed process is tried again (a worker's heartbeat)."""

_POLL = 0.3


def is_temporal(url: str | None) -> bool:
    return bool(url) and str(url).startswith("temporal://")


def _address(url: str) -> tuple[str, str]:
    """``(host:port, namespace)`` of ``temporal://HOST:PORT[/NAMESPACE]``."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None or parts.query or parts.username:
        raise ConfigurationError(
            f"--durable {url!r}: a Temporal server is temporal://HOST:PORT[/NAMESPACE] "
            "(for example temporal://localhost:7233)"
        )
    namespace = parts.path.strip("/") or "default"
    return f"{parts.hostname}:{port}", namespace


async def _connect(url: str) -> Any:
    try:
        from temporalio.client import Client
    except ImportError as exc:
        raise ConfigurationError(
            "--durable temporal://... needs the temporalio package: pip install 'reverie[temporal]'"
        ) from exc
    address, namespace = _address(url)
    try:
        return await Client.connect(address, namespace=namespace)
    except RuntimeError as exc:  # the SDK's connection failure
        raise ConfigurationError(f"cannot reach the Temporal server at {address}: {exc}") from None


def _queue(setup: dict[str, Any]) -> str:
    text = json.dumps(setup, sort_keys=True)
    return "reverie-cli-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def run_temporal(args: argparse.Namespace, setup: dict[str, Any], run_id: str) -> int:
    """``reverie run ... --durable temporal://...``: 0 once the answer is printed, 1 when the
    run failed."""
    from reverie.cli._approve import Setup

    agent = Setup(
        str(setup["model"]),
        setup["system"],
        tuple(setup["tools"]),
        setup["max_tokens"],
        setup["temperature"],
        "all" if setup["approve"] == "all" else "marked",
        setup["base_url"],
    ).agent(args.api_key, db=args.db, no_log=args.no_log)
    return asyncio.run(_run(args, agent, setup, run_id))


async def _run(args: argparse.Namespace, agent: Any, setup: dict[str, Any], run_id: str) -> int:
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.common import WorkflowIDReusePolicy
    from temporalio.service import RPCError, RPCStatusCode

    from reverie.cli._durable_output import note, print_result, wait_showing_calls
    from reverie.durable import RunFailed
    from reverie.durable.temporal import AgentWorker, get_run, start_run

    client = await _connect(args.durable)
    queue = _queue(setup)
    async with AgentWorker(client, agent, task_queue=queue, heartbeat_timeout=HEARTBEAT):
        try:
            described = await client.get_workflow_handle(run_id).describe()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise ConfigurationError(
                    f"Temporal refused to describe run {run_id}: {exc}"
                ) from None
            described = None
        if described is None:
            run = await start_run(
                client,
                args.prompt,
                task_queue=queue,
                run_id=run_id,
                stream=False,  # the answer is printed whole, as on DBOS: no streamed calls
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
            note(f"run {run_id} started (durable: {args.durable}, task queue {queue})")
        else:
            run = get_run(client, run_id)
            status = described.status
            note(
                f"run {run_id} has finished: its answer, from the record"
                if status == WorkflowExecutionStatus.COMPLETED
                else f"run {run_id} exists ({status.name.lower() if status else 'unknown'}): "
                "waiting for it"
            )
            if status != WorkflowExecutionStatus.COMPLETED and described.task_queue != queue:
                note(
                    f"run {run_id} was started with other options (task queue "
                    f"{described.task_queue}); this command serves {queue}, so the run goes "
                    "on only where a worker serves its own (run its first command again)"
                )
        try:
            result = await wait_showing_calls(
                run_id, args.durable, run.result(), run.pending, _POLL
            )
        except RunFailed as exc:
            print(f"reverie run: run {run_id} failed: {exc}", file=sys.stderr)
            return 1
    print_result(args, run_id, result)
    return 0


def approve_temporal(args: argparse.Namespace) -> int:
    """``reverie approve RUN_ID CALL_ID... [--deny [REASON]] --durable temporal://...``."""
    return asyncio.run(_approve(args))


async def _approve(args: argparse.Namespace) -> int:
    from temporalio.service import RPCError

    from reverie.cli._durable_output import approvals_for, say_answered
    from reverie.durable.temporal import get_run

    client = await _connect(args.durable)
    run = get_run(client, args.run_id)
    try:
        pending = await run.pending()
    except RPCError as exc:
        raise ConfigurationError(f"there is no durable run {args.run_id!r} there: {exc}") from None
    await run.answer(*approvals_for(args, pending))
    return say_answered(args)
