"""Durable agent runs on DBOS: SQLite by default, Postgres for production and many workers.

::

    from reverie import Agent
    from reverie.durable.dbos import DBOSEngine

    agent = Agent("openai:gpt-4o-mini", tools=[lookup_order, refund])

    async with DBOSEngine("sqlite:///runs.sqlite", agents={"support": agent}) as engine:
        result = await engine.run("support", "Where is order 7?", run_id="ticket-42")

Each run is a DBOS workflow (``reverie.run``) whose model calls and tool calls are DBOS
steps; the loop is the agent's own (:meth:`reverie.Agent.resume` through
:mod:`reverie.effects`). With the same ``run_id``:

- a run that finished gives its result again, with no call;
- a run whose process died is taken over and resumed: recorded model calls and finished
  tools are replayed from the database, only what was left runs (a tool that was running
  when the process died runs again);
- a run that a live process is running is waited on, not run twice.

A run paused for approval (or an external result) waits durably inside its workflow; the
calls it waits on are :meth:`DBOSEngine.pending`, and any process answers them with
:meth:`DBOSEngine.answer` (``reverie approve RUN_ID CALL_ID`` on the command line). The run
then continues in the process that runs it.

Agents are known by name (``agents=`` or :func:`~reverie.durable._agents.register_agent`)
because the process that resumes a run builds the agent again; a name may map to a factory
that builds the agent from the run's JSON ``config``. Every process that may run a run must
register the same names.

The database: ``sqlite:///PATH`` (one machine; created on first use) or
``postgresql://USER:PASSWORD@HOST:PORT/DATABASE`` (created if the user may). DBOS's own
configuration can be extended with ``dbos_config`` (a ``DBOSConfig`` dict). One engine per
process: DBOS is a process-wide singleton. An engine launched in a process where the
application has already launched DBOS uses it as it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeAlias, cast

from dbos import (
    DBOS,
    DBOSConfig,
    DBOSPortableJSONSerializer,
    PortableWorkflowError,
    SetWorkflowID,
    WorkflowHandleAsync,
)

from reverie._redact import display_url
from reverie.agent import Agent
from reverie.approval import Approval, Denial, ExternalResult, PendingCall
from reverie.content import FilePart, Message
from reverie.durable._agents import AgentFactory, build_agent, register_agent
from reverie.durable._dbos_liveness import Liveness, liveness_for, new_executor_id
from reverie.durable._dbos_workflow import (
    ANSWER_TOPIC,
    PENDING_EVENT,
    answer_value,
    pending_from_value,
    run_workflow,
)
from reverie.durable._errors import RunFailed
from reverie.errors import ConfigurationError
from reverie.run_state import RunResult, RunState

__all__ = [
    "APP_VERSION",
    "DEFAULT_DATABASE",
    "DBOSEngine",
    "RunStatus",
    "check_database_url",
    "display_database",
]

DEFAULT_DATABASE = "sqlite:///reverie-runs.sqlite"

APP_VERSION = "reverie-durable-1"
"""The DBOS application version of reverie's workflows. DBOS recovers a run only in a
process of the same version; reverie pins it (rather than hashing its code) so that an
upgrade of reverie that keeps the workflow's shape can still resume older runs."""

RunStatus: TypeAlias = Literal["new", "running", "queued", "finished", "failed", "cancelled"]
"""Where a run stands: ``new`` (just started by :meth:`DBOSEngine.start`), ``running`` (or
waiting for answers), ``queued``, ``finished``, ``failed``, ``cancelled``."""

_STATUS: dict[str, RunStatus] = {
    "PENDING": "running",
    "ENQUEUED": "queued",
    "DELAYED": "queued",
    "SUCCESS": "finished",
    "ERROR": "failed",
    "CANCELLED": "cancelled",
    "MAX_RECOVERY_ATTEMPTS_EXCEEDED": "failed",
}


def check_database_url(url: str) -> str:
    """``url`` if DBOS can use it, else a :class:`~reverie.errors.ConfigurationError` that
    says what to write."""
    if url.startswith(("sqlite:///", "postgresql://", "postgres://", "postgresql+psycopg://")):
        return url.replace("postgres://", "postgresql://", 1)
    raise ConfigurationError(
        f"durable database {display_database(url)!r} is not one reverie can use: give "
        "sqlite:///PATH (a file) or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
    )


def display_database(url: str) -> str:
    """``url`` safe to print: a Postgres password replaced (a SQLite path is shown as is)."""
    return url if url.startswith("sqlite") else display_url(url)


class DBOSEngine:
    """Durable runs in this process on DBOS (see the module docstring).

    Use as ``async with`` / ``with``, or call :meth:`launch` and :meth:`shutdown`.
    """

    def __init__(
        self,
        database: str = DEFAULT_DATABASE,
        *,
        agents: Mapping[str, Agent | AgentFactory] | None = None,
        app_name: str = "reverie",
        dbos_config: DBOSConfig | None = None,
    ) -> None:
        self.database = check_database_url(database)
        self.app_name = app_name
        self.executor_id = new_executor_id()
        self._extra: DBOSConfig = dbos_config or cast(DBOSConfig, {})
        for name, agent in (agents or {}).items():
            register_agent(name, agent)
        self._liveness: Liveness | None = None
        self._handles: dict[str, WorkflowHandleAsync[Any]] = {}
        self._owns_dbos = False
        self._launched = False

    # -- lifecycle ----------------------------------------------------------------------------

    def launch(self) -> None:
        """Connect to the database (creating and migrating it when needed) and start DBOS.
        Runs this process had left are not recovered here: :meth:`start` takes a run over
        when it is asked for, and a worker takes over the rows of a dead worker."""
        if self._launched:
            return
        if _launched_dbos() is not None:
            self._launched = True  # the application's own DBOS
            return
        config: DBOSConfig = {
            "name": self.app_name,
            "system_database_url": self.database,
            "executor_id": self.executor_id,
            "application_version": APP_VERSION,
            "serializer": DBOSPortableJSONSerializer(),
            "log_level": "WARNING",
            "notification_listener_polling_interval_sec": 0.1,
        }
        config.update(self._extra)
        liveness = liveness_for(self.database)
        try:
            DBOS(config=config)
            DBOS.launch()
            # Before any run starts here; DBOS recovers nothing for a new executor id.
            liveness.hold(self.executor_id)
        except BaseException as exc:
            DBOS.destroy()
            liveness.release()
            if isinstance(exc, Exception):
                raise ConfigurationError(
                    f"cannot open the durable database {display_database(self.database)}: "
                    f"{_without_password(str(exc), self.database)}"
                ) from None
            raise
        logging.getLogger("dbos").addFilter(_quiet_run_failures)
        self._liveness = liveness
        self._owns_dbos = True
        self._launched = True

    def shutdown(self) -> None:
        """Stop DBOS (when this engine started it) and drop this process's liveness lock.
        Runs still under way stay recorded; running their ids again resumes them."""
        if self._owns_dbos:
            DBOS.destroy(workflow_completion_timeout_sec=0)
            self._owns_dbos = False
        if self._liveness is not None:
            self._liveness.release()
            self._liveness = None
        self._launched = False

    def __enter__(self) -> DBOSEngine:
        self.launch()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    async def __aenter__(self) -> DBOSEngine:
        await asyncio.to_thread(self.launch)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.to_thread(self.shutdown)
        _restore_default_executor()

    def _require(self) -> None:
        if not self._launched:
            raise ConfigurationError("launch the DBOSEngine first (async with / launch())")

    # -- runs -----------------------------------------------------------------------------

    async def start(
        self,
        agent: str,
        prompt: str | Sequence[Message] = "",
        *,
        run_id: str,
        config: Mapping[str, Any] | None = None,
        files: Sequence[FilePart] = (),
        history: RunState | RunResult | Sequence[Message] | None = None,
    ) -> RunStatus:
        """Start run ``run_id`` of agent ``agent`` in the background, or pick it up:
        resumed here if the process that ran it died, left alone if it finished or a live
        process runs it. The prompt, files and history count only for a new run. Returns
        the run's status as it was found (``"new"`` for a new run)."""
        self._require()
        if not run_id:
            raise ConfigurationError("a durable run needs a run id")
        status = await DBOS.get_workflow_status_async(run_id)
        if status is None:
            values = dict(config or {})
            first = build_agent(agent, values).start(
                prompt, files=files, history=history, run_id=run_id
            )
            with SetWorkflowID(run_id):
                handle = await DBOS.start_workflow_async(
                    run_workflow, agent, values, first.to_value()
                )
            self._handles[run_id] = handle  # awaited directly by result(): no polling
            return "new"
        if status.status == "PENDING" and status.executor_id:
            await self._take_over([status.executor_id])
        return _STATUS.get(status.status, "failed")

    async def _take_over(self, executor_ids: Sequence[str]) -> int:
        """Put back on a queue the runs of those executors that are dead; how many."""
        liveness = self._liveness or liveness_for(self.database)
        dead = [e for e in executor_ids if e != self.executor_id and not liveness.alive(e)]
        if not dead:
            return 0
        handles = await asyncio.to_thread(DBOS._recover_pending_workflows, dead)  # pyright: ignore[reportPrivateUsage]
        return len(handles)

    async def result(
        self, agent: str, run_id: str, *, config: Mapping[str, Any] | None = None
    ) -> RunResult:
        """Wait for run ``run_id`` to finish and return its result. A failed run raises
        :class:`~reverie.durable.RunFailed`. ``agent`` (and ``config``) rebuild the result
        (structured output included) from the finished state, without any call."""
        self._require()
        handle: WorkflowHandleAsync[Any] | None = self._handles.pop(run_id, None)
        if handle is None:
            handle = await DBOS.retrieve_workflow_async(run_id)
        try:
            value = await handle.get_result()
        except PortableWorkflowError as exc:
            raise _run_failed(exc) from None
        state = RunState.from_value(cast(dict[str, Any], value)["state"])
        return await build_agent(agent, dict(config or {})).resume(state)

    async def run(
        self,
        agent: str,
        prompt: str | Sequence[Message] = "",
        *,
        run_id: str,
        config: Mapping[str, Any] | None = None,
        files: Sequence[FilePart] = (),
        history: RunState | RunResult | Sequence[Message] | None = None,
    ) -> RunResult:
        """:meth:`start`, then :meth:`result`: the run's result once it finishes (a run that
        waits for approval is waited on until it is answered)."""
        await self.start(agent, prompt, run_id=run_id, config=config, files=files, history=history)
        return await self.result(agent, run_id, config=config)

    async def status(self, run_id: str) -> RunStatus | None:
        """The run's status, or None when there is no such run."""
        self._require()
        status = await DBOS.get_workflow_status_async(run_id)
        return None if status is None else _STATUS.get(status.status, "failed")

    async def pending(self, run_id: str) -> tuple[PendingCall, ...]:
        """The calls run ``run_id`` waits on (approval or an external result); () when none."""
        self._require()
        value = await DBOS.get_event_async(run_id, PENDING_EVENT, timeout_seconds=0)
        return pending_from_value(value)

    async def answer(
        self, run_id: str, answers: Sequence[Approval | Denial | ExternalResult]
    ) -> None:
        """Give a paused run its answers (``call.approve()``, ``call.deny(why)``,
        ``call.answer(value)`` for calls from :meth:`pending`); the run goes on in the
        process that runs it. An answer for a call the run no longer waits on is ignored."""
        self._require()
        await DBOS.send_async(run_id, answer_value(answers), topic=ANSWER_TOPIC)


def _launched_dbos() -> DBOS | None:
    from dbos._dbos import _dbos_global_instance  # pyright: ignore[reportPrivateUsage]

    if _dbos_global_instance is not None and _dbos_global_instance._launched:  # pyright: ignore[reportPrivateUsage]
        return _dbos_global_instance
    return None


def _restore_default_executor() -> None:
    """DBOS makes its thread pool the running loop's default executor; once DBOS is
    destroyed that pool is shut down, and ``asyncio.to_thread`` in the same loop (a second
    engine, the application's own code) would fail. Give the loop a pool of its own again."""
    loop = asyncio.get_running_loop()
    current = getattr(loop, "_default_executor", None)
    if current is not None and type(current).__module__.startswith("dbos"):
        loop.set_default_executor(ThreadPoolExecutor())


def _quiet_run_failures(record: logging.LogRecord) -> bool:
    """DBOS logs every failed workflow with its traceback; a run that failed is reported to
    whoever waits for it (:class:`~reverie.durable.RunFailed`), so that log is dropped."""
    exc = record.exc_info[1] if record.exc_info else None
    return not isinstance(exc, RunFailed)


def _without_password(text: str, url: str) -> str:
    from urllib.parse import urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    return text.replace(password, "***") if password else text


def _run_failed(exc: PortableWorkflowError) -> RunFailed:
    if exc.name == "RunFailed":
        kind, _, message = exc.message.partition(": ")
        return RunFailed(kind, message)
    return RunFailed(exc.name, exc.message)
