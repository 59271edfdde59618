"""Writing runs into the log: one statement group per moment of a run, secrets scrubbed.

A run is written when it starts (status ``running``), after each step (the step and its
tool calls), and when it ends (status, answer, usage, cost, error, the words to search). A
resumed run is the same run id: its row is updated and its new steps added.

Nothing here stores a secret: every text and every JSON value goes through
:func:`reverie._store.clean` first, which replaces the credentials reverie has sent
(:mod:`reverie._redact`'s registry) and the values of environment variables named like
keys (``OPENAI_API_KEY``, ``HF_TOKEN``...), as cassettes do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from reverie._steps import Step
from reverie._store import Transaction, clean
from reverie._store._schema import USAGE_COLUMNS
from reverie.codec import encode_json, encode_messages, encode_step
from reverie.content import Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from reverie.model import Usage

__all__ = [
    "RunEnd",
    "RunStart",
    "StepRecord",
    "ToolTiming",
    "delete_runs_before",
    "write_end",
    "write_start",
    "write_step",
]


def _json(value: Any) -> str:
    return orjson.dumps(clean(value)).decode()


def _usage(usage: Usage) -> tuple[int, ...]:
    return tuple(getattr(usage, name) for name in USAGE_COLUMNS)


def _money(cost: Decimal | None) -> str | None:
    return None if cost is None else str(cost)


@dataclass(frozen=True, slots=True)
class RunStart:
    """A run as it starts (or resumes)."""

    run_id: str
    started_at: float
    model: str
    input: tuple[Message, ...]
    thread_id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict[str, Any])


def prompt_of(messages: Sequence[Message]) -> str:
    """The prompt: the text of the last user message (files are not words)."""
    for message in reversed(messages):
        if message.role == "user":
            return message.text
    return ""


def write_start(tx: Transaction, run: RunStart) -> None:
    """The run's row, status ``running``; a resumed run keeps its first start time."""
    tx.execute(
        """INSERT INTO reverie_runs
            (run_id, thread_id, status, started_at, model, prompt, input, metadata)
        VALUES (?, ?, 'running', ?, ?, ?, ?, ?)
        ON CONFLICT (run_id) DO UPDATE SET
            status = 'running', finished_at = NULL, error_type = NULL, error = NULL,
            thread_id = COALESCE(excluded.thread_id, reverie_runs.thread_id)""",
        (
            run.run_id,
            run.thread_id,
            run.started_at,
            run.model,
            clean(prompt_of(run.input)),
            _json(encode_messages(run.input)),
            _json(encode_json(dict(run.metadata), "metadata")),
        ),
    )


@dataclass(frozen=True, slots=True)
class ToolTiming:
    """When a client tool ran (``tool_start`` to ``tool_end``); None when it did not."""

    started_at: float | None = None
    finished_at: float | None = None


@dataclass(frozen=True, slots=True)
class StepRecord:
    """A finished step and what the log adds to it: timing, attempts, retries, cost."""

    step: Step
    model: str
    started_at: float | None
    finished_at: float
    attempts: int = 1
    retries: tuple[str, ...] = ()
    response_model: str | None = None
    response_id: str | None = None
    cost: Decimal | None = None
    tools: Mapping[str, ToolTiming] = field(default_factory=dict[str, ToolTiming])


def write_step(tx: Transaction, run_id: str, record: StepRecord) -> None:
    """The step, and a row for each of its tool calls (with its result when it has one)."""
    step = record.step
    tx.execute(
        f"""INSERT INTO reverie_steps
            (run_id, number, model, response_model, response_id, started_at, finished_at,
             attempts, retries, finish_reason, {", ".join(USAGE_COLUMNS)}, cost_usd, step)
        VALUES ({", ".join("?" * (12 + len(USAGE_COLUMNS)))})
        ON CONFLICT (run_id, number) DO UPDATE SET
            model = excluded.model, response_model = excluded.response_model,
            response_id = excluded.response_id, finished_at = excluded.finished_at,
            attempts = excluded.attempts, retries = excluded.retries,
            finish_reason = excluded.finish_reason, cost_usd = excluded.cost_usd,
            step = excluded.step""",
        (
            run_id,
            step.number,
            record.model,
            record.response_model,
            record.response_id,
            record.started_at,
            record.finished_at,
            record.attempts,
            _json(list(record.retries)),
            step.finish_reason.value,
            *_usage(step.usage),
            _money(record.cost),
            _json(encode_step(step)),
        ),
    )
    results = {r.tool_call_id: r for r in step.tool_results}
    write_calls(tx, run_id, step.number, step.tool_calls, results, record.tools)


def write_calls(
    tx: Transaction,
    run_id: str,
    step: int,
    calls: Iterable[ToolCallPart],
    results: Mapping[str, ToolResultPart],
    timings: Mapping[str, ToolTiming],
) -> None:
    """One row per call: its arguments, and its result's text once it has one."""
    for call in calls:
        result = results.get(call.tool_call_id)
        timing = timings.get(call.tool_call_id, ToolTiming())
        output = None if result is None else clean(str(result.output))
        is_error = result is not None and result.output.type == "error"
        tx.execute(
            """INSERT INTO reverie_tool_calls
                (run_id, step, call_id, tool_name, arguments, output, is_error,
                 provider_executed, started_at, finished_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, step, call_id) DO UPDATE SET
                output = excluded.output, is_error = excluded.is_error,
                started_at = COALESCE(excluded.started_at, reverie_tool_calls.started_at),
                finished_at = COALESCE(excluded.finished_at, reverie_tool_calls.finished_at)""",
            (
                run_id,
                step,
                call.tool_call_id,
                call.tool_name,
                clean(call.input),
                output,
                int(is_error),
                int(call.provider_executed),
                timing.started_at,
                timing.finished_at,
            ),
        )


@dataclass(frozen=True, slots=True)
class RunEnd:
    """How a run ended: ``status`` is ``finished``, ``paused``, ``failed`` (``error`` says
    why) or ``cancelled``; totals are over every step the run has made so far. ``input``
    is written again: scrubbed now, it is also clean of the keys the run sent after its
    start was written (the registry learns a key when a request carries it)."""

    run_id: str
    status: str
    finished_at: float
    steps: tuple[Step, ...] = ()
    usage: Usage = field(default_factory=Usage)
    answer: str = ""
    finish_reason: str | None = None
    stopped_by: str | None = None
    cost: Decimal | None = None
    error: BaseException | None = None
    metadata: Mapping[str, Any] | None = None
    input: tuple[Message, ...] | None = None


def write_end(tx: Transaction, end: RunEnd) -> None:
    """The run's outcome and totals, and its words for search."""
    error_type = None if end.error is None else type(end.error).__name__
    error = None if end.error is None else clean(str(end.error)) or error_type
    metadata = None if end.metadata is None else _json(encode_json(dict(end.metadata)))
    tx.execute(
        f"""UPDATE reverie_runs SET
            status = ?, finished_at = ?, answer = ?, steps = ?, finish_reason = ?,
            stopped_by = ?, {", ".join(f"{c} = ?" for c in USAGE_COLUMNS)}, cost_usd = ?,
            error_type = ?, error = ?, metadata = COALESCE(?, metadata)
        WHERE run_id = ?""",
        (
            end.status,
            end.finished_at,
            clean(end.answer),
            len(end.steps),
            end.finish_reason,
            None if end.stopped_by is None else clean(end.stopped_by),
            *_usage(end.usage),
            _money(end.cost),
            error_type,
            error,
            metadata,
            end.run_id,
        ),
    )
    if end.input is not None:
        tx.execute(
            "UPDATE reverie_runs SET prompt = ?, input = ? WHERE run_id = ?",
            (clean(prompt_of(end.input)), _json(encode_messages(end.input)), end.run_id),
        )
    rows = tx.execute("SELECT prompt FROM reverie_runs WHERE run_id = ?", (end.run_id,))
    prompt = str(rows[0][0]) if rows else ""
    tx.execute("DELETE FROM reverie_search WHERE run_id = ?", (end.run_id,))
    tx.execute(
        "INSERT INTO reverie_search (run_id, prompt, body) VALUES (?, ?, ?)",
        (end.run_id, prompt, clean(words(end.steps, error or ""))),
    )


def words(steps: Sequence[Step], error: str = "") -> str:
    """The run's text for search, beyond its prompt: answers, reasoning, tool names,
    arguments and results, and the error."""
    out: list[str] = []
    for step in steps:
        for part in step.content:
            if isinstance(part, TextPart | ReasoningPart):
                out.append(part.text)
            elif isinstance(part, ToolCallPart):
                out += [part.tool_name, part.input]
            elif isinstance(part, ToolResultPart):
                out.append(str(part.output))
    if error:
        out.append(error)
    return "\n".join(t for t in out if t)


def delete_runs_before(tx: Transaction, dialect: str, cutoff: float) -> int:
    """Delete the runs that ended before ``cutoff`` (seconds since the epoch), or started
    before it and never ended; how many. Steps and tool calls go by their foreign keys;
    SQLite's full-text table has none, so its rows are deleted here."""
    old = "COALESCE(finished_at, started_at) < ?"
    if dialect == "sqlite":  # fts5 tables take no foreign keys
        tx.execute(
            f"DELETE FROM reverie_search WHERE run_id IN (SELECT run_id FROM reverie_runs "
            f"WHERE {old})",
            (cutoff,),
        )
    (count,) = tx.execute(f"SELECT COUNT(*) FROM reverie_runs WHERE {old}", (cutoff,))[0]
    tx.execute(f"DELETE FROM reverie_runs WHERE {old}", (cutoff,))  # in one transaction
    return int(count)
