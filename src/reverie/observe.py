"""Observers: watch agent runs from beside the loop (telemetry, logs, accounting).

::

    class Timer(RunObserver):
        def model_attempt(self, attempt: ModelAttempt) -> None:
            print(f"step {attempt.step}, attempt {attempt.attempt}: {attempt.model.model_id}")

        def end(self, result: RunResult | None, error: BaseException | None) -> None:
            print("done" if error is None else f"failed: {error!r}")

    class Timers:
        def start_run(self, run: RunInfo) -> RunObserver:
            return Timer()

    agent = Agent("openai:gpt-4o", observers=[Timers()])

An :class:`Observer` is told of every run of the agents it is given to (``start_run``, when
``generate`` or ``resume`` is called, or ``stream`` or ``resume_stream`` returns its
stream) and returns a :class:`RunObserver` for that run, or None to skip it (a run nobody
watches pays nothing per event). Per-run state lives in that object, even when runs
overlap. The run then calls, all on the event loop's thread:

- ``model_attempt(attempt)`` before each attempt at a step's model call is sent (a retried
  call makes several attempts; a ``Retry`` event comes between them);
- ``event(event)`` with every event of the run, in order, before the caller sees it;
  ``generate`` and ``stream`` produce the same events (a generated step's response is
  turned into the events a stream would end with);
- ``tool_start(call)`` and ``tool_end(call, result)`` around each client tool's execution,
  inside the task that runs the tool, so a context set in ``tool_start`` (a current span)
  is the tool's context; ``tool_end`` always follows, with the tool's result, a
  :class:`~reverie.effects.Deferred` when the tool left its result to come from outside
  (the run pauses on it), or None when it was cancelled. A call that is answered without
  running (invalid arguments, cut off by the token limit, denied, or given its result from
  outside) gets neither, only its ``ToolResult`` event;
- ``end(result, error)`` once: the :class:`~reverie.run_state.RunResult` (``paused`` when
  the run paused), or the exception that ended the run (``GeneratorExit`` or
  ``asyncio.CancelledError`` when the caller abandoned it). A stream that is never
  iterated never runs, and never ends.

**Paused and resumed runs.** A run that pauses (a call waits for approval or an external
result, or ``pause_after_steps``) and is resumed later, in this process or another, is
watched piece by piece: each ``generate`` / ``stream`` / ``resume`` / ``resume_stream``
call is one watched run, from ``start_run`` to ``end``. The pieces share
:attr:`RunInfo.run_id`; :attr:`RunInfo.resumed` says a piece continues an earlier one, and
:attr:`RunInfo.state` is the state it starts from. A piece that resumes a step paused on
its calls begins mid-step: that step's ``StepStart``, model attempts and model events were
in the earlier piece; this one runs or delivers its remaining calls and ends it with
``StepFinish``. Step numbers count from the run's first step in every piece. reverie
carries nothing of an observer's across pieces: one that wants to join them keys on
``run_id``.

Observers watch; they cannot change a run. To stop a run, use a stop condition or a
budget (:mod:`reverie.cost`). An exception raised by an observer never reaches the run: it
is reported as an :class:`ObserverWarning` and that observer is dropped for the rest of
the run. With no observers the agent skips all of this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from reverie.content import ToolCallPart, ToolResultPart
from reverie.effects import Deferred
from reverie.events import AgentEvent
from reverie.model import Call, LanguageModel

if TYPE_CHECKING:
    from reverie.run_state import RunResult, RunState

__all__ = [
    "ModelAttempt",
    "Observer",
    "ObserverWarning",
    "RunInfo",
    "RunObserver",
]


class ObserverWarning(RuntimeWarning):
    """An observer raised; it was dropped for the rest of the run, which went on."""


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What an observer learns when a run (or a piece of one: see the module docstring)
    starts.

    ``agent`` is the :class:`~reverie.agent.Agent` (typed loosely so this module stays
    below the agent); ``model`` its model (a step's may differ: see :class:`ModelAttempt`);
    ``streaming`` whether the caller streams; ``state`` the
    :class:`~reverie.run_state.RunState` the run starts from, answers to pending calls
    applied.
    """

    agent: Any
    model: LanguageModel
    streaming: bool
    state: RunState

    @property
    def run_id(self) -> str:
        """The run's id, the same in every piece of it (``RunState.run_id``)."""
        return self.state.run_id

    @property
    def resumed(self) -> bool:
        """Whether this piece continues a run that made model calls before it."""
        return bool(self.state.steps) or self.state.open_step is not None


@dataclass(frozen=True, slots=True)
class ModelAttempt:
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

    def model_attempt(self, attempt: ModelAttempt) -> None:
        """An attempt at a model call is about to be sent."""

    def event(self, event: AgentEvent) -> None:
        """The run produced ``event``."""

    def tool_start(self, call: ToolCallPart) -> None:
        """A client tool is about to run, in the task that runs it."""

    def tool_end(self, call: ToolCallPart, result: ToolResultPart | Deferred | None) -> None:
        """The tool of :meth:`tool_start` is done: its result, :class:`Deferred` (its result
        comes from outside), or None when it was cancelled."""

    def end(self, result: RunResult | None, error: BaseException | None) -> None:
        """The run is over: its result, or the exception that ended it."""


class Observer(Protocol):
    """Told of each run of the agents it watches; returns that run's watcher, or None."""

    def start_run(self, run: RunInfo) -> RunObserver | None: ...
