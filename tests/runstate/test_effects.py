"""The effects seam: an engine that records each model and tool call and replays them after a
crash, with no loop of its own (what a DBOS step or a Temporal activity does)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from reverie import Agent, tool
from reverie.effects import (
    Deferred,
    Effects,
    LocalEffects,
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
from reverie.errors import DataFormatError
from reverie.events import AgentEvent, RunFinish
from reverie.run_state import RunState
from reverie.testing._fake import FakeModel

pytestmark = pytest.mark.anyio


class Crash(BaseException):
    """The process dies (nothing in reverie catches a BaseException)."""


class Journal:
    """Records each effect's outcome as JSON text, keyed by run, step and call; answers from
    the record when it has one. The record stands in for DBOS's or Temporal's history."""

    def __init__(self, inner: Effects, record: dict[str, bytes]) -> None:
        self.inner = inner
        self.record = record
        self.replayed: list[str] = []

    async def call_model(self, request: ModelRequest) -> AsyncIterator[AgentEvent | ModelOutcome]:
        key = f"{request.run_id}/model/{request.step}"
        if key in self.record:
            self.replayed.append(key)
            yield decode_model_outcome(orjson.loads(self.record[key]))
            return
        outcome = await drain(self.inner.call_model(request))
        self.record[key] = orjson.dumps(encode_model_outcome(outcome))
        yield outcome

    async def call_tool(self, request: ToolRequest) -> ToolOutcome:
        key = f"{request.run_id}/tool/{request.step}/{request.call.tool_call_id}"
        if key in self.record:
            self.replayed.append(key)
            return decode_tool_outcome(orjson.loads(self.record[key]))
        outcome = await self.inner.call_tool(request)
        self.record[key] = orjson.dumps(encode_tool_outcome(outcome))
        return outcome


async def test_a_crashed_run_replays_recorded_effects_and_runs_only_what_is_left() -> None:
    runs: dict[str, int] = {"fast": 0, "slow": 0}
    attempts = {"slow": 0}

    @tool
    async def fast(x: int) -> str:
        "Fast"
        runs["fast"] += 1
        return f"fast {x}"

    @tool
    async def slow(x: int) -> str:
        "Slow"
        await asyncio.sleep(0.01)
        attempts["slow"] += 1
        if attempts["slow"] == 1:
            raise Crash  # the first process dies while this tool runs
        runs["slow"] += 1
        return f"slow {x}"

    model = FakeModel(
        [
            FakeModel.tool_calls(("fast", {"x": 1}), ("slow", {"x": 2})),
            FakeModel.text("both done"),
        ]
    )
    record: dict[str, bytes] = {}
    start = Agent(model, tools=[fast, slow]).start("go", run_id="run-1").to_json()

    agent = Agent(model, tools=[fast, slow])
    journal = Journal(LocalEffects(agent.retry), record)
    with pytest.raises(Crash):
        await agent.resume(RunState.from_json(start), effects=journal)
    assert runs == {"fast": 1, "slow": 0} and len(model.calls) == 1
    assert sorted(record) == ["run-1/model/0", "run-1/tool/0/call_0"]

    # A new process: the same first state, the same record.
    agent = Agent(model, tools=[fast, slow])
    journal = Journal(LocalEffects(agent.retry), record)
    result = await agent.resume(RunState.from_json(start), effects=journal)
    assert result.text == "both done"
    assert runs == {"fast": 1, "slow": 1}
    assert len(model.calls) == 2  # step 0 was replayed, not sent again
    assert journal.replayed == ["run-1/model/0", "run-1/tool/0/call_0"]

    # A third time: everything replays, nothing is called.
    journal = Journal(LocalEffects(agent.retry), record)
    again = await Agent(model, tools=[fast, slow]).resume(
        RunState.from_json(start), effects=journal
    )
    assert again.messages == result.messages and len(model.calls) == 2
    assert runs == {"fast": 1, "slow": 1}


async def test_a_replaying_engine_still_streams_a_well_formed_run() -> None:
    model = FakeModel([FakeModel.text("hello there")])
    agent = Agent(model)
    record: dict[str, bytes] = {}
    state = agent.start("hi", run_id="r")
    await agent.resume(state, effects=Journal(LocalEffects(), record))
    events = [e async for e in agent.resume_stream(state, effects=Journal(LocalEffects(), record))]
    assert [type(e).__name__ for e in events] == ["StepStart", "StepFinish", "RunFinish"]
    last = events[-1]
    assert isinstance(last, RunFinish) and last.result.text == "hello there"


def test_outcomes_round_trip_through_json_and_garbage_is_refused() -> None:
    response = FakeModel.tool_calls(("a", {"x": 1}), ("b", "{bad"))
    outcome = ModelOutcome(response, {"call_1": "invalid JSON"}, frozenset({"call_0"}))
    text = orjson.dumps(encode_model_outcome(outcome))
    assert decode_model_outcome(orjson.loads(text)) == outcome
    assert decode_tool_outcome(encode_tool_outcome(Deferred("later"))) == Deferred("later")
    with pytest.raises(DataFormatError):
        decode_model_outcome({"response": {}, "extra": 1})
    with pytest.raises(DataFormatError):
        decode_tool_outcome({"nothing": True})


async def test_drain_hands_events_to_a_callback_and_needs_an_outcome() -> None:
    seen: list[Any] = []

    async def events() -> AsyncIterator[Any]:
        yield "an event"
        yield ModelOutcome(FakeModel.text("x"))

    outcome = await drain(events(), seen.append)
    assert seen == ["an event"] and outcome.response.text == "x"

    async def no_outcome() -> AsyncIterator[Any]:
        yield "only an event"

    with pytest.raises(RuntimeError, match="without a ModelOutcome"):
        await drain(no_outcome())


async def test_a_replayed_run_with_structured_output_still_has_its_output() -> None:
    from pydantic import BaseModel

    class Total(BaseModel):
        value: int

    @tool
    def add(a: int, b: int) -> int:
        "Add"
        return a + b

    model = FakeModel(
        [
            FakeModel.tool_calls(("add", {"a": 2, "b": 3})),
            FakeModel.tool_calls(("Total", {"value": 5})),
        ]
    )
    make = lambda: Agent(model, tools=[add], output_type=Total, output_mode="tool")  # noqa: E731
    record: dict[str, bytes] = {}
    start = make().start("add", run_id="r")
    first = await make().resume(start, effects=Journal(LocalEffects(), record))
    journal = Journal(LocalEffects(), record)
    replayed = await make().resume(start, effects=journal)
    assert replayed.output == first.output == Total(value=5)
    assert "r/tool/1/call_0" not in record  # the output tool is not an effect
    assert len(model.calls) == 2 and journal.replayed == [
        "r/model/0",
        "r/tool/0/call_0",
        "r/model/1",
    ]
