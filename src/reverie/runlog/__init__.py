"""The run log: every run an agent makes, kept in a database to list, read and search.

::

    log = RunLog()                                   # $REVERIE_LOG_DB, else the default file
    agent = Agent("openai:gpt-4o", observers=[log])  # each run is written as it goes
    ...
    for run in log.runs(limit=10):
        print(run.run_id, run.model, run.usage.total_tokens, run.cost)
    detail = log.get("run_5f0c")                     # an id, or the start of one
    found = log.search("invoice")                    # words of the prompt, answer, tools

``reverie run`` and ``reverie chat`` log every run; ``reverie logs`` reads the log. A
program's own runs are logged when it adds a :class:`RunLog` to an agent's observers, or
for every agent when ``REVERIE_LOG=1`` is set (``REVERIE_LOG=0`` turns the CLI's logging
off too).

The database is SQLite unless told otherwise: a file in the user's data directory
(``~/.local/share/reverie/logs.db`` on Linux; :func:`default_path`), or the path, or
``postgresql://`` URL (with the ``postgres`` extra), given as ``RunLog(db)`` or in
``$REVERIE_LOG_DB``. Sessions (:mod:`reverie.sessions`) live in the same database.

What is kept of a run: its id and thread (the session it continues), the model, the
input messages and prompt, each step (every part as :mod:`reverie.codec` writes it,
reasoning and provider data included; usage, cost, the model that answered, its response
id, timings, attempts and why retried ones failed), each tool call (arguments, result,
when it ran), the answer, the totals, why it stopped, and its error if it failed. Secrets
are never stored: the credentials reverie sent and the values of environment variables
named like keys are replaced by ``[REDACTED]`` before anything is written.

Writing never gets in a run's way: it happens on a thread of its own, in order, and a
failure to write (a read-only or corrupt file, an unreachable server) is reported to
``on_error`` (by default a :class:`RunLogWarning`) and never reaches the run. Call
:meth:`RunLog.flush` to wait for what is queued (a program's exit waits for it anyway).
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from reverie import _store
from reverie import observe as _observe
from reverie._store import ENV, default_path
from reverie.errors import ConfigurationError as _ConfigurationError
from reverie.runlog import _read, _recorder, _write
from reverie.runlog._records import LoggedRun, LoggedStep, LoggedToolCall, RunDetail

__all__ = [
    "ENV",
    "SWITCH",
    "LoggedRun",
    "LoggedStep",
    "LoggedToolCall",
    "RunDetail",
    "RunLog",
    "RunLogWarning",
    "default_path",
    "environment_log",
]

SWITCH = "REVERIE_LOG"
"""``1`` logs every agent's runs (to :data:`ENV`'s database, else the default); ``0`` turns
the CLI's logging off."""
_ON = ("1", "true", "yes", "on")


class RunLogWarning(RuntimeWarning):
    """The run log could not be written; the run went on (see the message for why)."""


class RunLog:
    """A run log in one database (see the module docstring).

    ``db`` is a SQLite file path or a ``postgresql://`` URL (default: ``$REVERIE_LOG_DB``,
    else :func:`default_path`). ``on_error`` is told of each failure to write (the same
    message once); by default it warns with :class:`RunLogWarning`.
    """

    def __init__(
        self,
        db: str | os.PathLike[str] | None = None,
        *,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.target = _store.resolve(db)
        self._on_error = on_error
        self._writer: ThreadPoolExecutor | None = None
        self._writer_db: _store.Database | None = None
        self._reader_db: _store.Database | None = None
        self._lock = threading.Lock()
        self._reported: set[str] = set()

    # -- observing -------------------------------------------------------------------------

    def start_run(self, run: _observe.RunInfo) -> _observe.RunObserver | None:
        """Watch ``run`` (an :class:`~reverie.observe.Observer`'s part): it is written to
        this log as it goes. A finished run resumed only gives its result again, with no
        call: nothing happens that the log would keep, so it is not watched (its row keeps
        the times of the run itself)."""
        if run.state.finished:
            return None
        return _recorder.RunRecorder(self.write, run.state)

    # -- writing ---------------------------------------------------------------------------

    def write(self, job: Callable[[_store.Transaction], None]) -> None:
        """Run ``job`` in a transaction on the writing thread, after those queued before it.
        Its failure is reported, never raised."""
        with self._lock:
            if self._writer is None:
                self._writer = ThreadPoolExecutor(1, thread_name_prefix="reverie-runlog")
            self._writer.submit(self._write, job)

    def _write(self, job: Callable[[_store.Transaction], None]) -> None:
        try:
            if self._writer_db is None:
                self._writer_db = _store.open_database(self.target)
            with self._writer_db.transaction() as tx:
                job(tx)
        except Exception as exc:  # the log must never break a run: report and go on
            self._report(exc)

    def _report(self, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"
        if message in self._reported:
            return
        self._reported.add(message)
        if self._on_error is not None:
            with suppress(Exception):  # a failing handler must not stop the log either
                self._on_error(exc)
            return
        warnings.warn(
            f"the run log could not be written ({message}); the run goes on",
            RunLogWarning,
            stacklevel=2,
        )

    def flush(self) -> None:
        """Wait until everything queued so far is written (or has failed)."""
        with self._lock:
            writer = self._writer
        if writer is not None:
            done: Future[Any] = writer.submit(lambda: None)
            done.result()

    def close(self) -> None:
        """Write what is queued, then close the database connections."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.shutdown(wait=True)
        for db in (self._writer_db, self._reader_db):
            if db is not None:
                db.close()
        self._writer_db = self._reader_db = None

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------

    def _db(self) -> _store.Database:
        if self._reader_db is None:
            self._reader_db = _store.open_database(self.target)
        return self._reader_db

    def runs(self, *, limit: int = 20, thread_id: str | None = None) -> list[LoggedRun]:
        """The newest runs first (only one thread's when ``thread_id`` is given)."""
        return _read.recent_runs(self._db(), limit, thread_id)

    def search(self, text: str, *, limit: int = 20) -> list[LoggedRun]:
        """The runs whose prompt, answer, reasoning or tool calls contain every word of
        ``text`` (SQLite full-text search; PostgreSQL's on that database), newest first."""
        return _read.search_runs(self._db(), text, limit)

    def get(self, run_id: str) -> RunDetail | None:
        """The run whose id is ``run_id`` or starts with it; None when there is none.
        :class:`~reverie.errors.ConfigurationError` when the start fits several runs."""
        return _read.find_run(self._db(), run_id)

    # -- keeping it small ------------------------------------------------------------------

    def prune(self, before: datetime | timedelta) -> int:
        """Delete the runs that ended (or, unfinished, started) before ``before``: a time,
        or an age (``timedelta(days=30)``: older than 30 days). Their steps, tool calls and
        search words go with them; sessions keep their turns (a session's conversation is
        not a log). Runs queued for writing are written first. Returns how many runs were
        deleted."""
        if isinstance(before, timedelta):
            if before < timedelta(0):
                raise _ConfigurationError("prune takes an age of zero or more")
            cutoff = time.time() - before.total_seconds()
        else:
            if before.tzinfo is None:
                raise _ConfigurationError("prune takes an aware datetime (with a time zone)")
            cutoff = before.timestamp()
        self.flush()
        db = self._db()
        with db.transaction() as tx:
            return _write.delete_runs_before(tx, db.dialect, cutoff)


_shared: RunLog | None = None
_shared_lock = threading.Lock()


def environment_log(observers: Sequence[object] = ()) -> RunLog | None:
    """The log every agent writes to when ``REVERIE_LOG=1`` (one per process, on
    ``$REVERIE_LOG_DB`` or the default file); None when the switch is off, or when
    ``observers`` already hold a :class:`RunLog` (a run is logged once)."""
    global _shared
    if os.environ.get(SWITCH, "").strip().lower() not in _ON:
        return None
    if any(isinstance(o, RunLog) for o in observers):
        return None
    with _shared_lock:
        if _shared is None or _shared.target != _store.resolve(None):
            _shared = RunLog()
        return _shared
