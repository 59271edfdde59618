"""The agent's loop as a state machine over :class:`~reverie.run_state.RunState`.

:func:`next_action` reads what to do from the state alone: call the model (no step is open),
run or deliver the open step's calls, pause (calls wait on approval or an external result),
close the step, or finish. The other functions fold one outcome into a new state. Nothing here
does I/O or calls user code other than the ``classify`` function given to :func:`open_step`;
the driver (:mod:`reverie._driver`) performs the effects and asks the agent's hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from reverie._steps import Step, StopReason, make_step
from reverie._tool_calls import CUT_OFF
from reverie.approval import Approval, Denial, ExternalResult, PendingCall, fingerprint
from reverie.content import ErrorOutput, ToolCallPart, ToolResultPart
from reverie.effects import Deferred, ModelOutcome, ToolOutcome
from reverie.errors import ApprovalError
from reverie.model import FinishReason, LanguageModel
from reverie.run_state import CallState, OpenStep, RunState
from reverie.tool import ToolResponse


@dataclass(frozen=True, slots=True)
class CallModel:
    """Start step ``number``: plan it and call the model."""

    number: int


@dataclass(frozen=True, slots=True)
class RunCalls:
    """Run the ``ready`` calls and deliver the ``answered`` ones, in call order."""

    calls: tuple[CallState, ...]


@dataclass(frozen=True, slots=True)
class Pause:
    """Stop until the pending calls are answered (:func:`decide`)."""

    pending: tuple[PendingCall, ...]


@dataclass(frozen=True, slots=True)
class CloseStep:
    """Every call of the open step has its result: record the step."""


@dataclass(frozen=True, slots=True)
class Finish:
    """The run is over."""


Action: TypeAlias = CallModel | RunCalls | Pause | CloseStep | Finish

Classification: TypeAlias = Literal["ready", "approval", "external"]


def next_action(state: RunState) -> Action:
    if state.finished:
        return Finish()
    step = state.open_step
    if step is None:
        return CallModel(len(state.steps))
    todo = tuple(c for c in step.calls if c.status in ("ready", "answered"))
    if todo:
        return RunCalls(todo)
    if any(c.status in ("approval", "external") for c in step.calls):
        return Pause(state.pending)
    return CloseStep()


def open_step(
    state: RunState,
    number: int,
    outcome: ModelOutcome,
    classify: Callable[[ToolCallPart, dict[str, Any]], Classification],
    model: LanguageModel,
) -> RunState:
    """``model`` answered step ``number``: each client call becomes ready, answered (invalid,
    or cut off by the token limit: never run on a guess), or waiting (per ``classify``)."""
    response = outcome.response
    cut = response.finish_reason == FinishReason.LENGTH
    calls: list[CallState] = []
    for part in response.content:
        if not isinstance(part, ToolCallPart) or part.provider_executed:
            continue
        error = outcome.rejected.get(part.tool_call_id)
        if cut and (error is not None or part.tool_call_id in outcome.repaired):
            error = CUT_OFF
        if error is not None:
            calls.append(CallState(part, "answered", _error(part, error)))
            continue
        item = CallState(part, "ready")
        kind = classify(part, item.arguments())
        if kind != "ready":
            item = CallState(part, kind, fingerprint=waiting_fingerprint(item))
        calls.append(item)
    opened = OpenStep(
        number, response, tuple(calls), model.provider, model.model_id, outcome.finished_at
    )
    return evolve(state, open_step=opened)


def settle(state: RunState, call_id: str, outcome: ToolOutcome) -> RunState:
    """A call of the open step ran (or was delivered): its result, or it now waits for one."""
    step = _open(state)
    calls = list(step.calls)
    for i, c in enumerate(calls):
        if c.call.tool_call_id == call_id:
            if isinstance(outcome, Deferred):
                calls[i] = CallState(c.call, "external", fingerprint=waiting_fingerprint(c))
            else:
                calls[i] = CallState(c.call, "done", outcome)
            return evolve(state, open_step=_with_calls(step, calls))
    raise KeyError(call_id)


def close_step(state: RunState) -> tuple[RunState, Step]:
    """Record the open step, whose calls all have results (in call order)."""
    step = _open(state)
    results = [c.result for c in step.calls if c.result is not None]
    assert len(results) == len(step.calls), "close_step with calls still open"
    done = make_step(
        step.number,
        step.response,
        results,
        provider=step.provider,
        model_id=step.model_id,
        finished_at=step.finished_at,
    )
    return evolve(state, steps=(*state.steps, done), open_step=None), done


def decide(
    state: RunState,
    approvals: Iterable[Approval | Denial] = (),
    results: Iterable[ExternalResult] = (),
) -> RunState:
    """Apply answers to pending calls; :class:`ApprovalError` (and no change) when an answer
    names no waiting call of that kind, or the call's fingerprint is not the answer's."""
    answers: list[Approval | Denial | ExternalResult] = [*approvals, *results]
    if not answers:
        return state
    step = state.open_step
    if step is None:
        raise ApprovalError("this run waits on no tool call; there is nothing to approve")
    calls = {c.call.tool_call_id: c for c in step.calls}
    seen: set[str] = set()
    for answer in answers:
        current = calls.get(answer.call_id)
        wanted = "external" if isinstance(answer, ExternalResult) else "approval"
        if answer.call_id in seen:
            raise ApprovalError(f"call {answer.call_id!r} is answered twice")
        seen.add(answer.call_id)
        if current is None or current.status != wanted:
            waiting = [c.call.tool_call_id for c in step.calls if c.status == wanted]
            raise ApprovalError(
                f"no call {answer.call_id!r} waits for "
                f"{'a result' if wanted == 'external' else 'approval'}; waiting: "
                f"{', '.join(waiting) or 'none'}"
            )
        now = waiting_fingerprint(current)
        if answer.fingerprint != now or current.fingerprint != now:
            raise ApprovalError(
                f"call {answer.call_id!r} ({current.call.tool_name}) is not the call that was "
                "shown: its tool or arguments changed since (fingerprint mismatch). Nothing ran; "
                "show the pending calls again and answer them anew"
            )
        calls[answer.call_id] = _answered(current, answer)
    updated = tuple(calls[c.call.tool_call_id] for c in step.calls)
    return evolve(state, open_step=_with_calls(step, updated))


def _answered(current: CallState, answer: Approval | Denial | ExternalResult) -> CallState:
    call = current.call
    if isinstance(answer, Approval):
        return CallState(call, "ready")
    if isinstance(answer, Denial):
        return CallState(
            call, "answered", _error(call, denial_message(call.tool_name, answer.reason))
        )
    response = ToolResponse.of(answer.output)
    output = response.output
    assert not isinstance(output, str)
    result = ToolResultPart(call.tool_call_id, call.tool_name, output, stop_turn=response.stop_turn)
    return CallState(call, "answered", result)


def _with_calls(step: OpenStep, calls: Iterable[CallState]) -> OpenStep:
    return OpenStep(
        step.number, step.response, tuple(calls), step.provider, step.model_id, step.finished_at
    )


def _error(call: ToolCallPart, message: str) -> ToolResultPart:
    return ToolResultPart(call.tool_call_id, call.tool_name, ErrorOutput(message))


def _open(state: RunState) -> OpenStep:
    if state.open_step is None:
        raise ValueError("the run has no open step")
    return state.open_step


class _Keep:
    """The "leave it as it is" default of ``evolve`` (``open_step`` may be None)."""


_KEEP = _Keep()


def evolve(
    state: RunState,
    *,
    steps: tuple[Step, ...] | None = None,
    open_step: OpenStep | _Keep | None = _KEEP,
    finished: bool | None = None,
    output_forced: bool | None = None,
    model: str | None = None,
    stopped_by: StopReason | None = None,
    tools: tuple[str, ...] | None = None,
) -> RunState:
    """``state`` with the given fields changed: what ``dataclasses.replace`` does, built
    directly (the loop makes a few per step, and ``replace`` costs several times more)."""
    return RunState(
        state.run_id,
        state.input,
        state.steps if steps is None else steps,
        state.open_step if isinstance(open_step, _Keep) else open_step,
        state.finished if finished is None else finished,
        state.output_forced if output_forced is None else output_forced,
        state.model if model is None else model,
        state.tools if tools is None else tools,
        state.metadata,
        state.stopped_by if stopped_by is None else stopped_by,
    )


def waiting_fingerprint(call: CallState) -> str:
    """The fingerprint of ``call`` as it stands (tool name and current arguments)."""
    return fingerprint(call.call.tool_name, call.arguments())


def denial_message(tool_name: str, reason: str) -> str:
    """What the model reads for a denied call."""
    text = f"The user denied the call to {tool_name}; it was not run."
    return f"{text} Reason: {reason}" if reason else text
