"""The agent run as a Temporal workflow: reverie's own loop, with effects that are activities.

The workflow runs :meth:`reverie.Agent.resume_stream` (the one loop every run uses) with
:class:`WorkflowEffects`: each model call and each tool call is an activity, whose result
Temporal records. When a worker dies, another replays the workflow from its history: the
loop runs again from the run's first state and each activity it asks for is answered from
the record, so no model call is sent twice and no finished tool runs twice.

Workflow code must be deterministic, and is: the state machine does no I/O; the driver awaits
only effects and the agent's hooks (which reverie already requires to be deterministic); the
run id is the workflow id; the only clock the loop reads (``Agent(run_timeout=...)``) is the
event loop's, which inside a workflow is Temporal's workflow time, and its waits are durable
timers. Events go to the caller through a Temporal Workflow Stream (see
:mod:`reverie.durable.temporal`); approvals arrive as signals.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy as TemporalRetry
from temporalio.contrib.workflow_streams import WorkflowStream
from temporalio.exceptions import ActivityError, ApplicationError, RetryState
from temporalio.exceptions import CancelledError as TemporalCancelled

from reverie.agent import Agent
from reverie.approval import Approval, Denial, ExternalResult, PendingCall
from reverie.codec import decode_json, decode_messages, encode_json, encode_messages, encode_part
from reverie.durable.temporal._activities import EVENTS_TOPIC, MODEL_ACTIVITY, TOOL_ACTIVITY
from reverie.durable.temporal._payloads import (
    encode_call,
    encode_event,
    encode_pending,
    encode_result,
)
from reverie.durable.temporal._serving import Served, served
from reverie.effects import (
    Deferred,
    ModelOutcome,
    ModelRequest,
    ToolOutcome,
    ToolRequest,
    decode_model_outcome,
    decode_tool_outcome,
)
from reverie.errors import ReverieError
from reverie.events import AgentEvent, RunFinish, RunPaused
from reverie.retry import RetryPolicy
from reverie.run_state import RunResult, RunState

WORKFLOW = "reverie.agent"
ANSWER_SIGNAL = "reverie.answer"
PENDING_QUERY = "reverie.pending"
STATE_QUERY = "reverie.state"

_GRACE = timedelta(seconds=10)
"""Added to a tool's own time limit for its activity: reverie stops the tool at its limit and
returns the error result; Temporal's limit is the backstop for a worker that cannot."""


@workflow.defn(name=WORKFLOW)
class AgentWorkflow:
    """One agent run. Input: ``{"agent": name, "prompt" | "messages", "history"?, "stream"}``;
    result: the :class:`~reverie.run_state.RunResult` as JSON (``_payloads.encode_result``)."""

    @workflow.init
    def __init__(self, start: dict[str, Any]) -> None:
        self._stream = WorkflowStream()
        self._events = self._stream.topic(EVENTS_TOPIC)
        self._pending: tuple[PendingCall, ...] = ()
        self._answers: dict[str, dict[str, Any]] = {}
        self._state: RunState | None = None
        self._agent: Agent | None = None

    @workflow.run
    async def run(self, start: dict[str, Any]) -> dict[str, Any]:
        serving = served(start["agent"])  # not served here: the task fails, another may serve
        agent = self._agent = serving.agent
        state = agent.start(
            start.get("prompt") or decode_messages(start.get("messages", [])),
            history=_history(start.get("history")),
            run_id=workflow.info().workflow_id,
        )
        effects = WorkflowEffects(start["agent"], serving, bool(start.get("stream", True)))
        approvals: list[Approval | Denial] = []
        results: list[ExternalResult] = []
        try:
            while True:
                self._state = state
                result: RunResult | None = None
                events = agent.resume_stream(
                    state, approvals=approvals, results=results, effects=effects
                )
                async for event in events:
                    if isinstance(event, RunFinish):
                        result = event.result
                    self._publish(event)
                assert result is not None
                assert result.state is not None
                state = self._state = result.state
                if result.status == "finished" or not result.pending:
                    return self._result_json(event=None, result=result)
                self._pending = result.pending
                await workflow.wait_condition(lambda: self._all_answered())
                approvals, results = self._take_answers()
        except ActivityError as exc:
            raise _activity_failure(exc) from None
        except ReverieError as exc:
            raise ApplicationError(str(exc), type=type(exc).__name__, non_retryable=True) from None

    # -- approvals ------------------------------------------------------------------------------

    @workflow.signal(name=ANSWER_SIGNAL)
    def answer(self, value: dict[str, Any]) -> None:
        """An answer to a pending call: ``{"call_id", "fingerprint", "kind": "approve" |
        "deny" | "result", "reason"?, "output"?}``. One that names no pending call of that
        kind, or whose fingerprint is not the call's, is dropped (and logged): the client
        checks before it sends (:meth:`TemporalRun.answer`), so this only meets stale ones."""
        call = next((p for p in self._pending if p.id == value.get("call_id")), None)
        wanted = "external" if value.get("kind") == "result" else "approval"
        if call is None or call.kind != wanted or call.fingerprint != value.get("fingerprint"):
            workflow.logger.warning("dropped an answer to no pending call: %.200r", value)
            return
        self._answers[call.id] = value

    @workflow.query(name=PENDING_QUERY)
    def pending(self) -> list[dict[str, Any]]:
        """The calls the run waits on (empty while it runs)."""
        return encode_pending(self._pending)

    @workflow.query(name=STATE_QUERY)
    def state(self) -> dict[str, Any] | None:
        """The run's state as it started, at its latest pause, or finished (not per step:
        the steps under way are in the events)."""
        return None if self._state is None else self._state.to_value()

    def _all_answered(self) -> bool:
        return all(p.id in self._answers for p in self._pending)

    def _take_answers(self) -> tuple[list[Approval | Denial], list[ExternalResult]]:
        approvals: list[Approval | Denial] = []
        results: list[ExternalResult] = []
        for call in self._pending:
            answer = self._answers.pop(call.id)
            if answer["kind"] == "approve":
                approvals.append(call.approve())
            elif answer["kind"] == "deny":
                approvals.append(call.deny(str(answer.get("reason", ""))))
            else:
                results.append(call.answer(decode_json(answer.get("output"))))
        self._pending = ()
        return approvals, results

    # -- events ---------------------------------------------------------------------------------

    def _publish(self, event: AgentEvent) -> None:
        if isinstance(event, RunPaused):
            self._pending = event.pending  # before the caller can see it and answer
        if isinstance(event, RunFinish):
            self._events.publish(self._result_json(event=event, result=event.result))
        else:
            self._events.publish(encode_event(event))

    def _result_json(self, *, event: RunFinish | None, result: RunResult) -> dict[str, Any]:
        output = _output_json(self._agent, result.output)
        if event is not None:
            return encode_event(event, output)
        return encode_result(result, output)


def _history(value: Any) -> RunState | Any:
    """The ``history`` a run continues: a state (as JSON) or messages."""
    if value is None:
        return None
    if isinstance(value, dict):
        return RunState.from_value(value)  # pyright: ignore[reportUnknownArgumentType]
    return decode_messages(value)


def _output_json(agent: Agent | None, value: Any) -> Any:
    """A structured output as JSON values: dumped by pydantic when the output type is a Python
    type (the client validates it back with :meth:`TemporalRun.result`)."""
    if value is None or agent is None or agent.output is None:
        return None
    target = agent.output.schema.target
    if target is None:
        return encode_json(value)
    from pydantic import TypeAdapter

    return TypeAdapter(target).dump_python(value, mode="json")


class WorkflowEffects:
    """The loop's effects as activities (an :class:`~reverie.effects.Effects`).

    An activity's id names its effect (``RUN/model/STEP``, ``RUN/tool/STEP/CALL``), so the
    history reads like the run. Its options come from the agent's policies:

    - model call: Temporal retries it per the agent's :class:`~reverie.retry.RetryPolicy`
      (attempts, first wait, multiplier, longest wait; errors reverie would not retry are
      non-retryable); each attempt is bounded by the worker's ``model_attempt_timeout``
      and the whole call by what is left of ``run_timeout``.
    - tool call: bounded by the tool's time limit (``@tool(timeout=)``, else
      ``Agent(tool_timeout=)``) plus a grace, else the worker's ``max_tool_time``; tried
      again (up to ``tool_attempts``) only when its worker dies. External tools are not
      activities: they defer at once.
    - both heartbeat (``heartbeat_timeout``), so a dead worker is noticed.
    """

    def __init__(self, agent_name: str, serving: Served, streaming: bool) -> None:
        self.agent_name = agent_name
        self.serving = serving
        self.streaming = streaming

    async def call_model(self, request: ModelRequest) -> AsyncIterator[AgentEvent | ModelOutcome]:
        model = request.model
        payload: dict[str, Any] = {
            "agent": self.agent_name,
            "run_id": request.run_id,
            "step": request.step,
            "model": f"{model.provider}:{model.model_id}",
            "call": encode_call(request.call),
            "tools": sorted(request.tools),
            "system": request.system,
            "streaming": self.streaming,
        }
        if tuple(request.call.messages) != request.messages:
            payload["messages"] = encode_messages(request.messages)
        left = request.time_left
        value = await _activity(
            MODEL_ACTIVITY,
            payload,
            activity_id=f"{request.run_id}/model/{request.step}",
            start_to_close_timeout=self.serving.model_attempt_timeout,
            schedule_to_close_timeout=None if left is None else timedelta(seconds=max(left, 0.001)),
            heartbeat_timeout=self.serving.heartbeat_timeout,
            retry_policy=temporal_retry(self.serving.agent.retry),
        )
        yield decode_model_outcome(value)

    async def call_tool(self, request: ToolRequest) -> ToolOutcome:
        tool = request.tool
        if tool.external:
            return Deferred()
        limit = tool.timeout if tool.timeout is not None else self.serving.agent.tool_timeout
        value = await _activity(
            TOOL_ACTIVITY,
            {
                "agent": self.agent_name,
                "run_id": request.run_id,
                "step": request.step,
                "call": encode_part(request.call),
                "arguments": encode_json(dict(request.arguments)),
            },
            activity_id=f"{request.run_id}/tool/{request.step}/{request.call.tool_call_id}",
            start_to_close_timeout=self.serving.max_tool_time
            if limit is None
            else timedelta(seconds=limit) + _GRACE,
            heartbeat_timeout=self.serving.heartbeat_timeout,
            retry_policy=TemporalRetry(maximum_attempts=self.serving.tool_attempts),
        )
        return decode_tool_outcome(value)


async def _activity(name: str, payload: dict[str, Any], **options: Any) -> dict[str, Any]:
    """Run an activity; when the workflow itself cancelled it (the run's deadline fired, or
    the run was cancelled), raise the cancellation, as a local effect would: Temporal reports
    it as an activity failure, which would hide the deadline from ``run_timeout``."""
    try:
        return await workflow.execute_activity(name, payload, result_type=dict, **options)
    except ActivityError as exc:
        task = asyncio.current_task()
        if isinstance(exc.cause, TemporalCancelled) and task is not None and task.cancelling():
            raise asyncio.CancelledError from None
        raise


def temporal_retry(policy: RetryPolicy) -> TemporalRetry:
    """reverie's retry policy as Temporal's. Temporal owns the retries of a model call, so
    reverie's policy is translated, not stacked: attempts, first wait, multiplier and longest
    wait carry over; Temporal has no jitter; ``wait=False`` (tests) makes the waits tiny."""
    first = policy.initial_delay if policy.wait else 0.001
    return TemporalRetry(
        initial_interval=timedelta(seconds=max(first, 0.001)),
        backoff_coefficient=max(policy.multiplier, 1.0),
        maximum_interval=timedelta(seconds=max(policy.max_delay, first, 0.001)),
        maximum_attempts=max(policy.attempts, 1),
    )


def _activity_failure(exc: ActivityError) -> ApplicationError:
    """An activity that failed for good, as the workflow's failure: its cause's message and
    kind, and ``RetryError`` when Temporal ran out of attempts on a retryable failure."""
    cause = exc.cause
    message = str(getattr(cause, "message", "") or cause or exc)
    kind = getattr(cause, "type", None) or type(cause).__name__
    if exc.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED:
        return ApplicationError(
            f"gave up after the last attempt of {exc.activity_type}; it failed with: {message}",
            type="RetryError",
            non_retryable=True,
        )
    return ApplicationError(message, type=str(kind), non_retryable=True)
