"""Reading the run log: recent runs, one run whole, and full-text search."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson

from reverie._store import Database
from reverie._store._schema import USAGE_COLUMNS
from reverie.codec import decode_json, decode_messages, decode_step
from reverie.errors import ConfigurationError
from reverie.model import Usage
from reverie.runlog._records import LoggedRun, LoggedStep, LoggedToolCall, RunDetail

__all__ = ["find_run", "recent_runs", "search_runs"]

_RUN_COLUMNS = (
    "run_id, thread_id, status, started_at, finished_at, model, prompt, answer, steps, "
    f"{', '.join(USAGE_COLUMNS)}, cost_usd, finish_reason, stopped_by, error_type, error"
)


def _r(column: str) -> str:
    return ", ".join(f"r.{c.strip()}" for c in column.split(","))


def _decimal(text: Any) -> Decimal | None:
    return None if text is None else Decimal(str(text))


def _run(row: Sequence[Any]) -> LoggedRun:
    tokens = len(USAGE_COLUMNS)
    (run_id, thread_id, status, started, finished, model, prompt, answer, steps) = row[:9]
    usage = Usage(**{c: int(v) for c, v in zip(USAGE_COLUMNS, row[9 : 9 + tokens], strict=True)})
    cost, finish_reason, stopped_by, error_type, error = row[9 + tokens :]
    return LoggedRun(
        run_id=run_id,
        thread_id=thread_id,
        status=status,
        started_at=float(started),
        finished_at=None if finished is None else float(finished),
        model=model,
        prompt=prompt,
        answer=answer,
        steps=int(steps),
        usage=usage,
        cost=_decimal(cost),
        finish_reason=finish_reason,
        stopped_by=stopped_by,
        error_type=error_type,
        error=error,
    )


def recent_runs(db: Database, limit: int = 20, thread_id: str | None = None) -> list[LoggedRun]:
    """The newest runs first; only those of one thread (a session) when asked."""
    where, params = ("WHERE thread_id = ?", [thread_id]) if thread_id is not None else ("", [])
    rows = db.query(
        f"SELECT {_RUN_COLUMNS} FROM reverie_runs {where} ORDER BY started_at DESC LIMIT ?",
        (*params, limit),
    )
    return [_run(row) for row in rows]


def fts5_query(text: str) -> str:
    """``text`` as an FTS5 query matching runs that contain every word: each word quoted,
    so punctuation a person types (``e-mail``, ``C++``, ``"``) is never query syntax."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in text.split())


def search_runs(db: Database, text: str, limit: int = 20) -> list[LoggedRun]:
    """The runs whose prompt or text contain every word of ``text``, newest first."""
    if not text.split():
        raise ConfigurationError("search for at least one word")
    if db.dialect == "sqlite":
        match, query = "reverie_search MATCH ?", fts5_query(text)
    else:
        match = "to_tsvector('simple', s.prompt || ' ' || s.body) @@ plainto_tsquery('simple', ?)"
        query = text
    rows = db.query(
        f"SELECT {_r(_RUN_COLUMNS)} FROM reverie_search s "
        f"JOIN reverie_runs r ON r.run_id = s.run_id WHERE {match} "
        "ORDER BY r.started_at DESC LIMIT ?",
        (query, limit),
    )
    return [_run(row) for row in rows]


def _run_ids(db: Database, prefix: str) -> list[str]:
    rows = db.query(
        "SELECT run_id FROM reverie_runs WHERE substr(run_id, 1, length(?)) = ? LIMIT 3",
        (prefix, prefix),
    )
    return [str(r[0]) for r in rows]


def find_run(db: Database, run_id: str) -> RunDetail | None:
    """The run whose id is ``run_id`` or begins with it (``run_`` may be left out); None
    when none does. ConfigurationError when the prefix fits more than one run."""
    if not run_id:
        raise ConfigurationError("name a run id (reverie logs lists them)")
    ids = _run_ids(db, run_id)
    if not ids and not run_id.startswith("run_"):
        ids = _run_ids(db, "run_" + run_id)
    if not ids:
        return None
    if len(ids) > 1 and run_id not in ids:
        raise ConfigurationError(
            f"{run_id!r} begins more than one run id ({', '.join(ids[:2])}, ...): give more of it"
        )
    found = run_id if run_id in ids else ids[0]
    with db.transaction(write=False) as tx:
        run = tx.execute(f"SELECT {_RUN_COLUMNS} FROM reverie_runs WHERE run_id = ?", (found,))
        extra = tx.execute("SELECT input, metadata FROM reverie_runs WHERE run_id = ?", (found,))
        steps = tx.execute(
            "SELECT step, model, response_model, response_id, started_at, finished_at, "
            "attempts, retries, cost_usd FROM reverie_steps WHERE run_id = ? ORDER BY number",
            (found,),
        )
        calls = tx.execute(
            "SELECT step, call_id, tool_name, arguments, output, is_error, provider_executed, "
            "started_at, finished_at FROM reverie_tool_calls WHERE run_id = ? "
            "ORDER BY step, started_at, call_id",
            (found,),
        )
    input_text, metadata = extra[0]
    return RunDetail(
        run=_run(run[0]),
        input=decode_messages(orjson.loads(input_text)),
        steps=tuple(_step(row) for row in steps),
        tool_calls=tuple(_call(row) for row in calls),
        metadata=decode_json(orjson.loads(metadata), "metadata"),
    )


def _step(row: Sequence[Any]) -> LoggedStep:
    step, model, response_model, response_id, started, finished, attempts, retries, cost = row
    return LoggedStep(
        step=decode_step(orjson.loads(step)),
        model=model,
        response_model=response_model,
        response_id=response_id,
        started_at=None if started is None else float(started),
        finished_at=None if finished is None else float(finished),
        attempts=int(attempts),
        retries=tuple(str(r) for r in orjson.loads(retries)),
        cost=_decimal(cost),
    )


def _call(row: Sequence[Any]) -> LoggedToolCall:
    step, call_id, name, arguments, output, is_error, provider, started, finished = row
    return LoggedToolCall(
        step=int(step),
        call_id=call_id,
        tool_name=name,
        arguments=arguments,
        output=output,
        is_error=bool(is_error),
        provider_executed=bool(provider),
        started_at=None if started is None else float(started),
        finished_at=None if finished is None else float(finished),
    )
