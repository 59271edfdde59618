"""The run log's watcher of one run: what it notes from the run's events, and when it writes.

It writes the run's row when the run starts, each step (with its tool calls) when the step
finishes, and the outcome when the run ends; all on the log's writing thread, so the run
itself only pays for noting a few times and handing over finished values. A piece of a
run resumed later (in this process or another) is the same run id: its row is updated and
its new steps added (:mod:`reverie.runlog._write`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from reverie._steps import Step
from reverie._store import learn_env_secrets
from reverie.content import ToolCallPart, ToolResultPart
from reverie.cost import Cost, run_cost
from reverie.effects import Deferred
from reverie.events import AgentEvent, Retry, StepFinish, StepStart
from reverie.model import Usage
from reverie.observe import ModelAttempt, RunObserver
from reverie.run_state import RunResult, RunState
from reverie.runlog._write import (
    RunEnd,
    RunStart,
    StepRecord,
    ToolTiming,
    write_calls,
    write_end,
    write_start,
    write_step,
)

__all__ = ["RunRecorder", "thread_of"]

SESSION_KEY = "reverie.session"
"""Where a run state names its session (:data:`reverie.sessions.SESSION_KEY`; the two
modules sit side by side, so the key is written twice and a test holds them equal)."""

Write = Callable[[Callable[[Any], None]], None]


def thread_of(state: RunState) -> str | None:
    """The thread a run belongs to: the id of the session it continues."""
    record = state.metadata.get(SESSION_KEY)
    if isinstance(record, Mapping):
        found = record.get("id")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        return None if found is None else str(found)  # pyright: ignore[reportUnknownArgumentType]
    return None


def _cost(value: Cost | None) -> Decimal | None:
    """A cost's total in US dollars, None when the price is unknown."""
    return None if value is None else value.total


class RunRecorder(RunObserver):
    """Notes one run (a piece of one, when resumed) and hands it to ``write``."""

    def __init__(self, write: Write, state: RunState) -> None:
        self._write = write
        self._run_id = state.run_id
        self._state = state
        self._step = state.open_step.number if state.open_step is not None else len(state.steps)
        self._started: dict[int, float] = {}
        self._attempts: dict[int, int] = {}
        self._retries: dict[int, list[str]] = {}
        self._tools: dict[str, ToolTiming] = {}
        self._finished: list[Step] = []
        self._costs: dict[int, Decimal | None] = {}
        start = RunStart(
            state.run_id,
            time.time(),
            state.model,
            state.input,
            thread_of(state),
            state.metadata,
        )
        write(lambda tx: _first_write(tx, start))

    # -- what the run tells ---------------------------------------------------------------

    def model_attempt(self, attempt: ModelAttempt) -> None:
        self._started.setdefault(attempt.step, time.time())
        self._attempts[attempt.step] = attempt.attempt

    def tool_start(self, call: ToolCallPart) -> None:
        self._tools[call.tool_call_id] = ToolTiming(time.time())

    def tool_end(self, call: ToolCallPart, result: ToolResultPart | Deferred | None) -> None:
        began = self._tools.get(call.tool_call_id, ToolTiming())
        self._tools[call.tool_call_id] = ToolTiming(began.started_at, time.time())

    def event(self, event: AgentEvent) -> None:
        if isinstance(event, StepStart):
            self._step = event.step_number
        elif isinstance(event, Retry):
            error = event.error
            why = f"{type(error).__name__}: {error}"
            self._retries.setdefault(self._step, []).append(why)
        elif isinstance(event, StepFinish):
            self._step_done(event.step)

    def end(self, result: RunResult | None, error: BaseException | None) -> None:
        now = time.time()
        if result is not None:
            end = RunEnd(
                self._run_id,
                result.status,
                now,
                result.steps,
                result.usage,
                result.text,
                result.finish_reason.value if result.steps else None,
                None if result.stopped_by is None else str(result.stopped_by),
                self._run_cost(result),
                None,
                None if result.state is None else result.state.metadata,
                self._state.input if result.state is None else result.state.input,
            )
            state = result.state
            if state is not None and state.open_step is not None:
                self._write_pending(state)
        else:
            cancelled = isinstance(
                error, GeneratorExit | asyncio.CancelledError | KeyboardInterrupt
            )
            steps = (*self._state.steps, *self._finished)
            usage = sum((s.usage for s in steps), Usage())
            end = RunEnd(
                self._run_id,
                "cancelled" if cancelled else "failed",
                now,
                steps,
                usage,
                next((s.text for s in reversed(steps) if s.text.strip()), ""),
                steps[-1].finish_reason.value if steps else None,
                None,
                _cost(run_cost(steps)),
                error,
                None,
                self._state.input,
            )
        self._write(lambda tx: write_end(tx, end))

    # -- writing ------------------------------------------------------------------------------

    def _step_done(self, step: Step) -> None:
        self._finished.append(step)
        finished = step.finished_at.timestamp() if step.finished_at else time.time()
        record = StepRecord(
            step=step,
            model=f"{step.provider}:{step.model_id}" if step.provider else self._state.model,
            started_at=self._started.get(step.number),
            finished_at=finished,
            attempts=self._attempts.get(step.number, 1),
            retries=tuple(self._retries.get(step.number, ())),
            response_model=step.response_model,
            response_id=step.response_id,
            cost=self._costs.setdefault(step.number, _cost(step.cost)),
            tools={c: t for c, t in self._tools.items() if c in _ids(step)},
        )
        self._write(lambda tx: write_step(tx, self._run_id, record))

    def _run_cost(self, result: RunResult) -> Decimal | None:
        """The run's cost: from the steps' costs noted as they finished (pricing a step is
        not free), else, for steps of an earlier piece, priced again."""
        if not all(s.number in self._costs for s in result.steps):
            return _cost(result.cost)
        total = Decimal(0)
        for step in result.steps:
            cost = self._costs[step.number]
            if cost is None:
                return None
            total += cost
        return total

    def _write_pending(self, state: RunState) -> None:
        """The calls a paused run waits on (and those already answered in its open step)."""
        assert state.open_step is not None
        step = state.open_step
        calls = [c.call for c in step.calls]
        results: dict[str, ToolResultPart] = {
            c.call.tool_call_id: c.result for c in step.calls if c.result is not None
        }
        timings = dict(self._tools)
        self._write(lambda tx: write_calls(tx, self._run_id, step.number, calls, results, timings))


def _first_write(tx: Any, start: RunStart) -> None:
    # Once a run: the environment's keys may have changed since the last run.
    learn_env_secrets()
    write_start(tx, start)


def _ids(step: Step) -> set[str]:
    return {c.tool_call_id for c in step.tool_calls}
