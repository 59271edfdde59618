"""The loop's side of observing (:mod:`reverie.observe`): one run's observers behind one
object, so the loop makes one call per hook whoever watches.

The agent makes a :class:`Watch` per run (per piece of a paused run) and asks its
observers at once (:meth:`Watch.start`); when none watches, it uses :data:`NO_WATCH` and
leaves its event generator unwrapped, so an unwatched run pays nothing per event. The
driver hands :meth:`Watch.model_attempt` to the model effect as ``ModelRequest.on_attempt``
and calls :meth:`Watch.tool_start` / :meth:`Watch.tool_end` in each tool's task.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING

from reverie._redact import scrub
from reverie.content import ToolCallPart, ToolResultPart
from reverie.effects import Deferred, ModelRequest
from reverie.events import AgentEvent, RunFinish
from reverie.observe import ModelAttempt, Observer, ObserverWarning, RunInfo, RunObserver

if TYPE_CHECKING:
    from reverie.run_state import RunResult


class Watch:
    """One run's observers (those that chose to watch it, after :meth:`start`)."""

    __slots__ = ("_info", "_observers", "_runs")

    def __init__(self, observers: Sequence[Observer], info: RunInfo | None) -> None:
        self._observers = tuple(observers)
        self._info = info
        self._runs: list[RunObserver] = []

    def start(self) -> None:
        """Ask each observer whether it watches this run (``start_run``)."""
        assert self._info is not None
        for observer in self._observers:
            try:
                run = observer.start_run(self._info)
            except Exception as exc:
                _warn(observer, "start_run", exc)
                continue
            if run is not None:
                self._runs.append(run)

    @property
    def watching(self) -> bool:
        """Whether any observer watches this run (after :meth:`start`)."""
        return bool(self._runs)

    def model_attempt(self, request: ModelRequest, attempt: int) -> None:
        """``ModelRequest.on_attempt``: the effect is about to send attempt ``attempt``."""
        seen = ModelAttempt(request.step, attempt, request.model, request.call, request.streaming)
        for run in self._runs:
            try:
                run.model_attempt(seen)
            except Exception as exc:
                self._drop(run, "model_attempt", exc)

    def tool_start(self, call: ToolCallPart) -> None:
        for run in self._runs:
            try:
                run.tool_start(call)
            except Exception as exc:
                self._drop(run, "tool_start", exc)

    def tool_end(self, call: ToolCallPart, result: ToolResultPart | Deferred | None) -> None:
        for run in self._runs:
            try:
                run.tool_end(call, result)
            except Exception as exc:
                self._drop(run, "tool_end", exc)

    async def observe(
        self, events: AsyncGenerator[AgentEvent, None]
    ) -> AsyncGenerator[AgentEvent, None]:
        """``events``, each shown to the observers first; ``end`` is called once, however
        the run ends (closing this generator closes ``events`` too)."""
        result: RunResult | None = None
        async with aclosing(events):
            try:
                async for event in events:
                    if isinstance(event, RunFinish):
                        result = event.result
                    for run in self._runs:
                        try:
                            run.event(event)
                        except Exception as exc:
                            self._drop(run, "event", exc)
                    yield event
            except BaseException as error:
                self._end(None, error)
                raise
        self._end(result, None)

    def _end(self, result: RunResult | None, error: BaseException | None) -> None:
        for run in self._runs:
            try:
                run.end(result, error)
            except Exception as exc:
                self._drop(run, "end", exc)
        self._runs = []

    def _drop(self, run: RunObserver, method: str, exc: Exception) -> None:
        # A new list, not an in-place removal: the caller may be iterating the old one.
        self._runs = [r for r in self._runs if r is not run]
        _warn(run, method, exc)


def _warn(who: object, method: str, exc: Exception) -> None:
    # The observer's exception may quote what it saw; no known secret reaches the warning.
    warnings.warn(
        scrub(f"{type(who).__name__}.{method} raised {exc!r}; it no longer watches this run"),
        ObserverWarning,
        stacklevel=3,
    )


NO_WATCH = Watch((), None)
"""The watch of a run nobody observes: every call is a loop over nothing."""
