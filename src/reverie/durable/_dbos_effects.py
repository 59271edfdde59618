"""Model and tool calls as DBOS steps: each outcome is checkpointed, and replayed on recovery.

:class:`DBOSEffects` wraps the agent's :class:`~reverie.effects.LocalEffects`. Each model
call is one step, named ``reverie.model/<step>``; each tool call one step, named
``reverie.tool/<step>/<call id>``. A step's value is JSON: the outcome
(:func:`~reverie.effects.encode_model_outcome`, :func:`~reverie.effects.encode_tool_outcome`)
or the failure (:func:`~reverie.durable._errors.failure_value`), so a replay raises the same
:class:`~reverie.durable.RunFailed` instead of calling again. No exception and no pickle
crosses DBOS.

Step ids must come out the same on replay. DBOS numbers steps in the order they start, and
tool calls start concurrently (a semaphore may admit them in any order), so the ids of a
step's tool calls are drawn when its model outcome arrives, in call order
(``DBOS.reserve_step``), and each tool call runs at its own id whenever it starts. A call
that never runs (rejected, denied, the structured-output tool) leaves a gap, which DBOS
allows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from dbos import DBOS, StepReservation

from reverie.content import ToolCallPart
from reverie.durable._errors import failure_from_value, failure_value
from reverie.effects import (
    Effects,
    ModelOutcome,
    ModelRequest,
    ToolOutcome,
    ToolRequest,
    decode_model_outcome,
    decode_tool_outcome,
    drain,
    encode_model_outcome,
    encode_tool_outcome,
)
from reverie.events import AgentEvent

__all__ = ["DBOSEffects"]


class DBOSEffects:
    """:class:`~reverie.effects.Effects` whose calls are DBOS steps (see the module
    docstring). Use one instance for the whole workflow: it keeps the reserved tool steps."""

    def __init__(self, inner: Effects) -> None:
        self.inner = inner
        self._reserved: dict[tuple[int, str], StepReservation] = {}

    async def call_model(self, request: ModelRequest) -> AsyncIterator[AgentEvent | ModelOutcome]:
        inner = self.inner

        async def model_step() -> dict[str, Any]:
            try:
                outcome = await drain(inner.call_model(request))
            except Exception as exc:
                return {"error": failure_value(exc)}
            return {"outcome": encode_model_outcome(outcome)}

        value = await DBOS.run_step_async({"name": f"reverie.model/{request.step}"}, model_step)
        if "error" in value:
            raise failure_from_value(value["error"])
        outcome = decode_model_outcome(value["outcome"])
        for part in outcome.response.content:
            if isinstance(part, ToolCallPart) and not part.provider_executed:
                self._reserved[(request.step, part.tool_call_id)] = DBOS.reserve_step()
        yield outcome

    async def call_tool(self, request: ToolRequest) -> ToolOutcome:
        inner = self.inner
        name = f"reverie.tool/{request.step}/{request.call.tool_call_id}"

        async def tool_step() -> dict[str, Any]:
            try:
                outcome = await inner.call_tool(request)
            except Exception as exc:
                return {"error": failure_value(exc)}
            return {"outcome": encode_tool_outcome(outcome)}

        reservation = self._reserved.pop((request.step, request.call.tool_call_id), None)
        if reservation is None:  # not announced by a model step of this workflow
            value = await DBOS.run_step_async({"name": name}, tool_step)
        else:
            value = await reservation.run_async({"name": name}, tool_step)
        if "error" in value:
            raise failure_from_value(value["error"])
        return decode_tool_outcome(value["outcome"])
