"""The caller's side: start a run, follow its events, answer its pending calls, read its result."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.contrib.workflow_streams import WorkflowStreamClient

from reverie.approval import Approval, Denial, ExternalResult, PendingCall
from reverie.codec import encode_json, encode_messages
from reverie.content import Message
from reverie.durable._errors import RunFailed
from reverie.durable.temporal._activities import EVENTS_TOPIC
from reverie.durable.temporal._payloads import (
    decode_event,
    decode_pending,
    decode_result,
)
from reverie.durable.temporal._worker import DEFAULT_AGENT, DEFAULT_TASK_QUEUE
from reverie.durable.temporal._workflow import (
    ANSWER_SIGNAL,
    PENDING_QUERY,
    STATE_QUERY,
    WORKFLOW,
)
from reverie.errors import ApprovalError
from reverie.events import AgentEvent
from reverie.run_state import RunResult, RunState


async def start_run(
    client: Client,
    prompt: str | Sequence[Message] = "",
    *,
    agent: str = DEFAULT_AGENT,
    task_queue: str = DEFAULT_TASK_QUEUE,
    run_id: str | None = None,
    history: RunState | Sequence[Message] | None = None,
    stream: bool = True,
    **start_options: Any,
) -> TemporalRun:
    """Start a run of the agent served as ``agent`` on ``task_queue`` (an
    :class:`AgentWorker` must serve it there) and return its handle at once.

    ``run_id`` is the workflow id (default: a new ``run_...`` id); starting an id that is
    already running is refused by Temporal. ``history`` continues a conversation (a finished
    run's state, or messages). With ``stream`` (the default) the model's events (text deltas,
    tool-call input) are published as they arrive; without, each step's events appear once
    its model call is done. Other keyword arguments go to
    :meth:`temporalio.client.Client.start_workflow` (``execution_timeout``,
    ``id_reuse_policy``, ``search_attributes``...).
    """
    run_id = run_id or f"run_{uuid.uuid4().hex}"
    start: dict[str, Any] = {"agent": agent, "stream": stream}
    if isinstance(prompt, str):
        start["prompt"] = prompt
    else:
        start["messages"] = encode_messages(prompt)
    if isinstance(history, RunState):
        start["history"] = history.to_value()
    elif history is not None:
        start["history"] = encode_messages(history)
    handle: WorkflowHandle[Any, Any] = await client.start_workflow(
        WORKFLOW, start, id=run_id, task_queue=task_queue, **start_options
    )
    return TemporalRun(client, run_id, handle)


def get_run(client: Client, run_id: str) -> TemporalRun:
    """The handle of a run started earlier (by any process)."""
    return TemporalRun(client, run_id, client.get_workflow_handle(run_id))


class TemporalRun:
    """A run on Temporal, as the caller sees it. Every method talks to the Temporal service;
    none needs the agent, and any process may hold a handle to the same run."""

    def __init__(self, client: Client, run_id: str, handle: WorkflowHandle[Any, Any]) -> None:
        self.client = client
        self.run_id = run_id
        self.handle = handle

    async def events(
        self, from_offset: int = 0, *, poll_interval: timedelta = timedelta(milliseconds=100)
    ) -> AsyncIterator[AgentEvent]:
        """The run's events, from the first (or ``from_offset``), as they happen; the iterator
        ends when the run ends. A paused run's events stop at ``RunPaused`` and
        ``RunFinish`` (status ``paused``) and go on once it is answered. A model call tried
        again after its worker died or its provider failed is preceded by a ``Retry``: drop
        what you showed of that step's text."""
        stream = WorkflowStreamClient.create(self.client, self.run_id)
        items = stream.subscribe(EVENTS_TOPIC, from_offset, poll_cooldown=poll_interval)
        async for item in items:
            yield decode_event(item.data)

    async def result(self, output_type: Any = None) -> RunResult:
        """Wait for the run to finish and return its result. The structured output comes as
        JSON values, or validated into ``output_type`` when given. A run that failed raises
        :class:`reverie.durable.RunFailed` (the same error a DBOS run raises)."""
        try:
            value = await self.handle.result()
        except WorkflowFailureError as exc:
            cause = exc.cause
            message = str(getattr(cause, "message", "") or cause)
            kind = str(getattr(cause, "type", "") or type(cause).__name__)
            raise RunFailed(kind, f"run {self.run_id} failed: {message}") from None
        result = decode_result(value)
        if output_type is not None and result.output is not None:
            from dataclasses import replace

            from reverie.output import object_schema

            result = replace(result, output=object_schema(output_type).validate(result.output))
        return result

    async def pending(self) -> tuple[PendingCall, ...]:
        """The calls the run waits on now (empty while it runs or once it is over)."""
        return decode_pending(await self.handle.query(PENDING_QUERY))

    async def state(self) -> RunState | None:
        """The run's state as it started, at its latest pause, or finished (None before a
        worker took it up)."""
        value = await self.handle.query(STATE_QUERY)
        return None if value is None else RunState.from_value(value)

    async def answer(self, *answers: Approval | Denial | ExternalResult) -> None:
        """Answer pending calls (``call.approve()``, ``call.deny(why)``, ``call.answer(v)``):
        each is checked against the calls the run waits on, then sent as a signal. The run
        goes on once every pending call has its answer. An answer to no pending call, or one
        whose fingerprint is not the call's, raises :class:`~reverie.errors.ApprovalError`
        and nothing is sent."""
        pending = {p.id: p for p in await self.pending()}
        for answer in answers:
            call = pending.get(answer.call_id)
            wanted = "external" if isinstance(answer, ExternalResult) else "approval"
            if call is None or call.kind != wanted:
                waiting = ", ".join(p.id for p in pending.values() if p.kind == wanted)
                raise ApprovalError(
                    f"run {self.run_id} has no call {answer.call_id!r} waiting for "
                    f"{'a result' if wanted == 'external' else 'approval'}; waiting: "
                    f"{waiting or 'none'}"
                )
            if call.fingerprint != answer.fingerprint:
                raise ApprovalError(
                    f"call {answer.call_id!r} ({call.tool_name}) is not the call that was shown: "
                    "its tool or arguments differ (fingerprint mismatch); nothing was sent"
                )
        for answer in answers:
            await self.handle.signal(ANSWER_SIGNAL, _answer_json(answer))


def _answer_json(answer: Approval | Denial | ExternalResult) -> dict[str, Any]:
    value: dict[str, Any] = {"call_id": answer.call_id, "fingerprint": answer.fingerprint}
    if isinstance(answer, Approval):
        value["kind"] = "approve"
    elif isinstance(answer, Denial):
        value["kind"] = "deny"
        value["reason"] = answer.reason
    else:
        value["kind"] = "result"
        value["output"] = encode_json(answer.output, "external result")
    return value
