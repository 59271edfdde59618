"""Batches on a DBOS queue (Postgres): any number of workers share the rows.

Each row is a durable run (workflow ``reverie.run`` of agent ``reverie-batch``, its config
the :class:`~reverie.batch.BatchSpec`) with the id ``<batch id>/<row id>``, enqueued on the
queue ``reverie-batch``. Every process that runs :func:`work` (``reverie worker``) takes rows
from the queue, at most ``concurrency`` at a time; DBOS hands each row to one worker. A
worker that dies leaves its rows marked as its own: the others see that its liveness lock
is gone (:mod:`reverie.durable._dbos_liveness`) and put them back on the queue, where they
resume from their recorded calls.

:func:`run_batch_durable` enqueues the rows not done yet (the same batch id makes enqueuing
again harmless; a row whose run failed is started over), works on them too unless told not
to, and writes each finished row to the results file.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from dbos import DBOS, DBOSClient, DBOSPortableJSONSerializer

from reverie.batch._local import BatchProgress, BatchSummary, ProgressCallback, Results, summary
from reverie.batch._spec import BatchSpec, Row, read_rows, result_line
from reverie.durable._agents import register_agent, registered
from reverie.durable._dbos_workflow import WORKFLOW_NAME
from reverie.durable._errors import RunFailed
from reverie.durable.dbos import APP_VERSION, DBOSEngine, check_database_url
from reverie.errors import ConfigurationError
from reverie.run_state import RunState

__all__ = ["BATCH_AGENT", "QUEUE", "default_batch_id", "run_batch_durable", "work"]

BATCH_AGENT = "reverie-batch"
QUEUE = "reverie-batch"
_POLL = 0.25


def _register(api_key: str | None) -> None:
    if not registered(BATCH_AGENT):
        register_agent(
            BATCH_AGENT,
            lambda config: BatchSpec.from_value(cast(Mapping[str, Any], config["spec"])).agent(
                api_key
            ),
        )


def default_batch_id(spec: BatchSpec, out: str | Path) -> str:
    """The same batch (spec, results file) gets the same id, so a rerun finds its rows."""
    where = str(Path(out).resolve())
    return f"batch-{hashlib.sha256(where.encode()).hexdigest()[:8]}-{spec.fingerprint()}"


def _client(database: str) -> DBOSClient:
    """A client of the database, which is created and migrated first if needed."""
    from reverie.durable.dbos import display_database

    try:
        DBOS.migrate(database)
        return DBOSClient(system_database_url=database, serializer=DBOSPortableJSONSerializer())
    except Exception as exc:
        raise ConfigurationError(
            f"cannot open the durable database {display_database(database)}: "
            f"{str(exc).splitlines()[0]}"
        ) from None


def _register_queue(client: DBOSClient, concurrency: int) -> None:
    client.register_queue(QUEUE, worker_concurrency=concurrency, polling_interval_sec=0.05)


async def run_batch_durable(
    spec: BatchSpec,
    rows: str | Path | Sequence[Row],
    out: str | Path,
    database: str,
    *,
    concurrency: int = 8,
    batch_id: str | None = None,
    work_here: bool = True,
    progress: ProgressCallback | None = None,
    api_key: str | None = None,
) -> BatchSummary:
    """Enqueue the rows not yet in ``out``, work on them here too (``work_here``), and write
    each row's line to ``out`` as it finishes (see the module docstring)."""
    if concurrency < 1:
        raise ConfigurationError("concurrency must be at least 1")
    database = check_database_url(database)
    _register(api_key)
    agent = spec.agent(api_key)
    listed = list(read_rows(rows)) if isinstance(rows, str | Path) else list(rows)
    results = Results(out)
    prefix = f"{batch_id or default_batch_id(spec, out)}/"
    todo = {f"{prefix}{r.key}": r for r in listed if r.key not in results.done}
    state = BatchProgress(len(listed), skipped=len(listed) - len(todo))
    client = _client(database)
    engine: DBOSEngine | None = None
    try:
        await asyncio.to_thread(_register_queue, client, concurrency)
        config = {"spec": spec.to_value()}
        await asyncio.to_thread(_enqueue, client, todo, config, agent)
        if work_here:
            engine = DBOSEngine(database)
            await asyncio.to_thread(engine.launch)
        written: set[str] = set()
        cursor = [0]  # the latest completion seen, epoch ms
        while len(written) < len(todo):
            if engine is not None:
                await _take_over(engine)
            finished = await asyncio.to_thread(_finished, client, prefix, written, todo, cursor)
            for workflow_id, outcome in finished:
                key = todo[workflow_id].key
                if isinstance(outcome, RunState):  # the result, rebuilt with no call
                    line = result_line(key, await agent.resume(outcome), None)
                else:
                    line = result_line(key, None, outcome)
                results.write(line)
                written.add(workflow_id)
                state.count(line)
                if progress is not None:
                    progress(state)
            if len(written) < len(todo):
                await asyncio.sleep(_POLL)
    finally:
        results.close()
        client.destroy()
        if engine is not None:
            await asyncio.to_thread(engine.shutdown)
    return summary(state)


def _enqueue(
    client: DBOSClient, todo: Mapping[str, Row], config: dict[str, Any], agent: Any
) -> None:
    known = (
        {
            s.workflow_id: s.status
            for s in client.list_workflows(
                workflow_ids=list(todo), load_input=False, load_output=False
            )
        }
        if todo
        else {}
    )
    for workflow_id, row in todo.items():
        status = known.get(workflow_id)
        if status in ("ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"):
            client.delete_workflow(workflow_id)  # a failed row starts over
            status = None
        if status is None:
            first = agent.start(row.prompt, run_id=workflow_id)
            client.enqueue(
                {
                    "queue_name": QUEUE,
                    "workflow_name": WORKFLOW_NAME,
                    "workflow_id": workflow_id,
                    "app_version": APP_VERSION,
                },
                BATCH_AGENT,
                config,
                first.to_value(),
            )


def _finished(
    client: DBOSClient,
    prefix: str,
    written: set[str],
    todo: Mapping[str, Row],
    cursor: list[int],
) -> list[tuple[str, RunState | BaseException]]:
    """The rows finished since the last look: each one's final state, or its failure."""
    # Only rows completed lately (a margin for clocks and commits): a poll stays small
    # however many rows are done.
    since = None
    if cursor[0]:
        when = datetime.fromtimestamp((cursor[0] - 10_000) / 1000, tz=UTC)
        since = when.isoformat()
    done = client.list_workflows(
        workflow_id_prefix=prefix,
        status=["SUCCESS", "ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"],
        completed_after=since,
        load_input=False,
        load_output=False,
    )
    for s in done:
        cursor[0] = max(cursor[0], getattr(s, "completed_at", None) or s.updated_at or 0)
    new = [s.workflow_id for s in done if s.workflow_id in todo and s.workflow_id not in written]
    out: list[tuple[str, RunState | BaseException]] = []
    for start in range(0, len(new), 500):
        for status in client.list_workflows(
            workflow_ids=new[start : start + 500], load_input=False
        ):
            if status.status == "SUCCESS":
                value = cast(dict[str, Any], status.output)
                out.append((status.workflow_id, RunState.from_value(value["state"])))
            else:
                error = status.error or RuntimeError(status.status)
                out.append((status.workflow_id, _failure(error)))
    return out


def _failure(error: BaseException) -> BaseException:
    name = getattr(error, "name", None)
    message = getattr(error, "message", None)
    if isinstance(name, str) and isinstance(message, str):
        if name == "RunFailed":
            kind, _, detail = message.partition(": ")
            return RunFailed(kind, detail)
        return RunFailed(name, message)
    return error


async def _take_over(engine: DBOSEngine) -> int:
    """Put back on the queue the rows of workers that died."""
    running = await DBOS.list_workflows_async(
        status="PENDING", queue_name=QUEUE, load_input=False, load_output=False
    )
    executors = sorted({s.executor_id for s in running if s.executor_id})
    return await engine._take_over(executors) if executors else 0  # pyright: ignore[reportPrivateUsage]


async def work(
    database: str,
    *,
    concurrency: int = 8,
    until_idle: bool = False,
    stop: asyncio.Event | None = None,
    api_key: str | None = None,
) -> None:
    """Work on batch rows from the queue at ``database`` until ``stop`` is set (or, with
    ``until_idle``, until no row is queued or running)."""
    database = check_database_url(database)
    _register(api_key)
    client = _client(database)
    try:
        await asyncio.to_thread(_register_queue, client, concurrency)
    finally:
        client.destroy()
    engine = DBOSEngine(database)
    await asyncio.to_thread(engine.launch)
    try:
        while stop is None or not stop.is_set():
            await _take_over(engine)
            if until_idle:
                left = await DBOS.list_workflows_async(
                    status=["ENQUEUED", "PENDING"], queue_name=QUEUE, limit=1,
                    load_input=False, load_output=False,
                )  # fmt: skip
                if not left:
                    return
            await asyncio.sleep(_POLL * 4)
    finally:
        await asyncio.to_thread(engine.shutdown)
