"""The one DBOS workflow every durable reverie run is: the agent's loop over DBOS steps.

``reverie.run(agent, config, state)`` builds the agent named ``agent`` from ``config``
(:mod:`reverie.durable._agents`) and drives ``state`` (the run's first state, as JSON) with
:meth:`reverie.Agent.resume` through :class:`~reverie.durable._dbos_effects.DBOSEffects`.
There is no second loop: this function only adds what a pause needs.

A run that pauses on calls (approval, an external result) publishes them as the workflow
event ``reverie.pending`` (a list of :func:`pending_value`) and waits durably for messages on
topic ``reverie.answer`` (:func:`answer_value`); each answer that matches a pending call (id
and fingerprint) is given to the next resume, others are ignored. A call left unanswered
keeps the run paused on it. The workflow returns ``{"state": <the finished state>}``;
``reverie.pending`` is set to ``[]`` when the run no longer waits.

Values in and out are JSON (portable serialization): no pickle is read back from the
database, and other languages' DBOS clients can read them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from dbos import DBOS, WorkflowSerializationFormat

from reverie.approval import Approval, Denial, ExternalResult, PendingCall
from reverie.content import ErrorOutput
from reverie.durable._agents import build_agent
from reverie.durable._dbos_effects import DBOSEffects
from reverie.effects import LocalEffects
from reverie.run_state import RunState

__all__ = [
    "ANSWER_TOPIC",
    "PENDING_EVENT",
    "WORKFLOW_NAME",
    "answer_value",
    "pending_from_value",
    "pending_value",
    "run_workflow",
]

WORKFLOW_NAME = "reverie.run"
PENDING_EVENT = "reverie.pending"
ANSWER_TOPIC = "reverie.answer"
_WAIT_SECONDS = 24 * 3600.0
"""One durable wait for answers; the run waits again when it ends with none."""


@DBOS.workflow(name=WORKFLOW_NAME, serialization_type=WorkflowSerializationFormat.PORTABLE)
async def run_workflow(agent: str, config: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """One durable run (see the module docstring)."""
    runner = build_agent(agent, config)
    current = RunState.from_value(state)
    effects = DBOSEffects(LocalEffects(runner.retry, runner.repair_tool_call, runner.tool_timeout))
    approvals: list[Approval | Denial] = []
    results: list[ExternalResult] = []
    waited = False
    while True:
        result = await runner.resume(current, approvals=approvals, results=results, effects=effects)
        assert result.state is not None
        if result.status == "finished" or not result.pending:
            if waited:
                await DBOS.set_event_async(PENDING_EVENT, [])
            return {"state": result.state.to_value()}
        current = result.state
        await DBOS.set_event_async(PENDING_EVENT, [pending_value(p) for p in result.pending])
        waited = True
        approvals, results = [], []
        while not (approvals or results):
            message = await DBOS.recv_async(ANSWER_TOPIC, timeout_seconds=_WAIT_SECONDS)
            if message is not None:
                approvals, results = _answers(message, result.pending)


def pending_value(call: PendingCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "tool_name": call.tool_name,
        "arguments": dict(call.arguments),
        "kind": call.kind,
        "fingerprint": call.fingerprint,
    }


def pending_from_value(value: Any) -> tuple[PendingCall, ...]:
    """The calls a ``reverie.pending`` event lists."""
    if not isinstance(value, list):
        return ()
    out: list[PendingCall] = []
    for item in cast(list[Any], value):
        if isinstance(item, dict):
            entry = cast(dict[str, Any], item)
            kind = "external" if entry.get("kind") == "external" else "approval"
            out.append(
                PendingCall(
                    str(entry.get("id")),
                    str(entry.get("tool_name")),
                    cast(dict[str, Any], entry.get("arguments") or {}),
                    kind,
                    str(entry.get("fingerprint", "")),
                )
            )
    return tuple(out)


def answer_value(answers: Sequence[Approval | Denial | ExternalResult]) -> list[dict[str, Any]]:
    """Answers as the message a paused run reads (send it on topic ``reverie.answer``)."""
    out: list[dict[str, Any]] = []
    for answer in answers:
        entry: dict[str, Any] = {"id": answer.call_id, "fingerprint": answer.fingerprint}
        if isinstance(answer, Approval):
            entry["approve"] = True
        elif isinstance(answer, Denial):
            entry["deny"] = answer.reason
        else:
            output = answer.output
            if isinstance(output, ErrorOutput):
                entry["error"] = output.message
            else:
                entry["result"] = output
        out.append(entry)
    return out


def _answers(
    message: Any, pending: Sequence[PendingCall]
) -> tuple[list[Approval | Denial], list[ExternalResult]]:
    by_id: Mapping[str, PendingCall] = {p.id: p for p in pending}
    approvals: list[Approval | Denial] = []
    results: list[ExternalResult] = []
    items = cast(list[Any], message) if isinstance(message, list) else [message]
    for item in items:
        if not isinstance(item, dict):
            continue
        entry = cast(dict[str, Any], item)
        call = by_id.get(str(entry.get("id")))
        if call is None or entry.get("fingerprint") not in (None, call.fingerprint):
            continue  # not (or no longer) a pending call as shown: ignored
        if call.kind == "approval" and entry.get("approve") is True:
            approvals.append(call.approve())
        elif call.kind == "approval" and "deny" in entry:
            approvals.append(call.deny(str(entry["deny"] or "")))
        elif call.kind == "external" and "result" in entry:
            results.append(call.answer(entry["result"]))
        elif call.kind == "external" and "error" in entry:
            results.append(call.answer(ErrorOutput(str(entry["error"]))))
    return approvals, results
