"""Observers: watch agent runs from beside the loop (telemetry, logs, accounting).

::

    class Timer(RunObserver):
        def model_request(self, request: ModelRequest) -> None:
            print(f"step {request.step}, attempt {request.attempt}: {request.model.model_id}")

        def end(self, result: RunResult | None, error: BaseException | None) -> None:
            print("done" if error is None else f"failed: {error!r}")

    class Timers:
        def start_run(self, run: RunInfo) -> RunObserver:
            return Timer()

    agent = Agent("openai:gpt-4o", observers=[Timers()])

An :class:`Observer` is told of every run of the agents it is given to (``start_run``, when
``generate`` is called or ``stream`` returns its stream) and returns a :class:`RunObserver`
for that run, or None to skip it (a run nobody watches pays nothing per event). Per-run
state lives in that object, even when runs overlap. The run then calls, all on the event
loop's thread:

- ``model_request(request)`` before each attempt at a step's model call (a retried call
  makes several attempts; a ``Retry`` event comes between them);
- ``event(event)`` with every event of the run, in order, before the caller sees it; both
  :meth:`Agent.generate <reverie.agent.Agent.generate>` and ``stream`` produce the same
  events (a generated step's response is turned into the events a stream would end with);
- ``tool_start(call)`` and ``tool_end(call, result)`` around each client tool's execution,
  inside the task that runs the tool, so a context set in ``tool_start`` (a current span)
  is the tool's context; ``tool_end`` always follows (``result`` None when the tool was
  cancelled). A call that failed validation is never executed: it gets neither, only its
  error ``ToolResult`` event;
- ``end(result, error)`` once: the :class:`~reverie.steps.RunResult`, or the exception
  that ended the run (``GeneratorExit`` or ``asyncio.CancelledError`` when the caller
  abandoned it). A stream that is never iterated never runs, and never ends.

Observers watch; they cannot change a run. To stop a run, use a stop condition or a
budget (:mod:`reverie.cost`). An exception raised by an observer never reaches the run: it
is reported as an :class:`ObserverWarning` and that observer is dropped for the rest of
the run. With no observers the agent skips all of this.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from reverie.content import ToolCallPart, ToolResultPart
from reverie.events import AgentEvent, RunFinish
from reverie.model import Call, LanguageModel

if TYPE_CHECKING:
    from reverie.steps import RunResult

__all__ = [
    "ModelRequest",
    "Observer",
    "ObserverWarning",
    "RunInfo",
    "RunObserver",
]


class ObserverWarning(RuntimeWarning):
    """An observer raised; it was dropped for the rest of the run, which went on."""


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What an observer learns when a run starts.

    ``agent`` is the :class:`~reverie.agent.Agent` (typed loosely so this module stays
    below the agent); ``model`` its model (a step's may differ: see :class:`ModelRequest`);
    ``streaming`` whether the caller streams; ``run_id`` a fresh id for this run.
    """

    agent: Any
    model: LanguageModel
    streaming: bool
    run_id: str = field(default_factory=lambda: _new_id())


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """One attempt at a step's model call, about to be sent.

    ``step`` is 0-based; ``attempt`` starts at 1 and grows with each retry; ``call`` is
    exactly what the model receives (after ``prepare_step`` and structured-output setup).
    """

    step: int
    attempt: int
    model: LanguageModel
    call: Call
    streaming: bool


class RunObserver:
    """Watches one run; every method does nothing unless overridden (see the module
    docstring for when each is called)."""

    def model_request(self, request: ModelRequest) -> None:
        """An attempt at a model call is about to be sent."""

    def event(self, event: AgentEvent) -> None:
        """The run produced ``event``."""

    def tool_start(self, call: ToolCallPart) -> None:
        """A client tool is about to run, in the task that runs it."""

    def tool_end(self, call: ToolCallPart, result: ToolResultPart | None) -> None:
        """The tool of :meth:`tool_start` is done (``result`` None when cancelled)."""

    def end(self, result: RunResult | None, error: BaseException | None) -> None:
        """The run is over: its result, or the exception that ended it."""


class Observer(Protocol):
    """Told of each run of the agents it watches; returns that run's watcher, or None."""

    def start_run(self, run: RunInfo) -> RunObserver | None: ...


class Watch:
    """The loop's side of observing: one run's observers behind one object.

    The loop calls :meth:`model_request`, :meth:`tool_start` and :meth:`tool_end`;
    :meth:`observe` wraps the run's event generator. :data:`NO_WATCH` stands in when an
    agent has no observers, so the loop never checks.
    """

    __slots__ = ("_info", "_observers", "_runs")

    def __init__(self, observers: Sequence[Observer], info: RunInfo | None) -> None:
        self._observers = tuple(observers)
        self._info = info
        self._runs: list[RunObserver] = []

    def model_request(self, request: ModelRequest) -> None:
        for run in self._runs:
            try:
                run.model_request(request)
            except Exception as exc:
                self._drop(run, "model_request", exc)

    def tool_start(self, call: ToolCallPart) -> None:
        for run in self._runs:
            try:
                run.tool_start(call)
            except Exception as exc:
                self._drop(run, "tool_start", exc)

    def tool_end(self, call: ToolCallPart, result: ToolResultPart | None) -> None:
        for run in self._runs:
            try:
                run.tool_end(call, result)
            except Exception as exc:
                self._drop(run, "tool_end", exc)

    @property
    def watching(self) -> bool:
        """Whether any observer watches this run (after :meth:`start`)."""
        return bool(self._runs)

    async def observe(
        self, events: AsyncGenerator[AgentEvent, None]
    ) -> AsyncGenerator[AgentEvent, None]:
        """``events``, each shown to the observers first; ``end`` is called once, however
        the run ends (closing this generator closes ``events`` too). Call :meth:`start`
        first."""
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


def _new_id() -> str:
    import uuid  # only runs that are observed need ids

    return uuid.uuid4().hex


def _warn(who: object, method: str, exc: Exception) -> None:
    warnings.warn(
        f"{type(who).__name__}.{method} raised {exc!r}; it no longer watches this run",
        ObserverWarning,
        stacklevel=3,
    )


NO_WATCH = Watch((), None)
"""The watch of a run nobody observes: every call is a loop over nothing."""
