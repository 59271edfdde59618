"""What issue 21 added to saved runs round-trips exactly and is checked like the rest: a
step's model and time, a response's id and model, why a run stopped (a budget's amounts
to the last digit), and a model outcome's time; documents without them load as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import pytest

from reverie import Agent
from reverie._steps import StopReason, make_step
from reverie.codec import decode_response, decode_step, encode_response, encode_step
from reverie.content import TextOutput, TextPart, ToolCallPart, ToolResultPart
from reverie.cost import Budget, BudgetExceeded
from reverie.effects import ModelOutcome, decode_model_outcome, encode_model_outcome
from reverie.errors import DataFormatError
from reverie.model import FinishReason, Response, Usage
from reverie.run_state import OpenStep, RunState
from reverie.testing._fake import FakeModel

pytestmark = pytest.mark.anyio

WHEN = datetime(2026, 12, 3, 14, 5, 6, 123456, tzinfo=UTC)
RESPONSE = Response(
    (TextPart("t"), ToolCallPart("c", "f", "{}")),
    FinishReason.TOOL_CALLS,
    Usage(1, 2, 3),
    response_id="chatcmpl-9",
    response_model="gpt-4o-2024-08-06",
)


def test_a_step_keeps_its_model_its_time_and_the_responses_id() -> None:
    step = make_step(
        2,
        RESPONSE,
        [ToolResultPart("c", "f", TextOutput("ok"))],
        provider="openai",
        model_id="gpt-4o",
        finished_at=WHEN,
    )
    value = orjson.loads(orjson.dumps(encode_step(step)))
    assert value["finished_at"] == "2026-12-03T14:05:06.123456+00:00"
    assert (value["provider"], value["model_id"]) == ("openai", "gpt-4o")
    assert (value["response_id"], value["response_model"]) == ("chatcmpl-9", "gpt-4o-2024-08-06")
    assert decode_step(value) == step
    assert decode_response(encode_response(RESPONSE)) == RESPONSE


def test_a_time_in_another_zone_reads_back_as_the_same_instant() -> None:
    east = WHEN.astimezone(timezone(timedelta(hours=9)))
    step = make_step(0, RESPONSE, [], finished_at=east)
    back = decode_step(orjson.loads(orjson.dumps(encode_step(step))))
    assert back.finished_at == WHEN and back == step


def test_a_step_without_the_new_fields_is_written_and_read_as_before() -> None:
    step = make_step(0, Response((TextPart("t"),), FinishReason.STOP), [])
    value = encode_step(step)
    assert set(value) == {"number", "content", "finish_reason", "usage"}
    back = decode_step(value)
    assert (back.provider, back.model_id, back.finished_at, back.response_id) == (
        "",
        "",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(finished_at="yesterday"), "ISO 8601"),
        (lambda d: d.update(finished_at="2026-12-03T14:05:06"), "no UTC offset"),
        (lambda d: d.update(finished_at=17), "ISO 8601"),
        (lambda d: d.update(provider=3), "step.provider"),
        (lambda d: d.update(response_id=["x"]), "response_id"),
        (lambda d: d.update(cost=1), "unknown field"),
    ],
)
def test_bad_step_fields_are_refused_with_where(change: Any, message: str) -> None:
    value = encode_step(make_step(0, RESPONSE, [], provider="openai", finished_at=WHEN))
    change(value)
    with pytest.raises(DataFormatError, match=message):
        decode_step(value)


STOPS = [
    StopReason("max-steps", "the run reached its limit of 3 steps"),
    BudgetExceeded("budget", "cost", "cost", Decimal("0.50"), Decimal("0.5012000000001")),
    BudgetExceeded("budget", "unknown price", "cost", Decimal("0.1"), None),
    BudgetExceeded("budget", "tokens", "tokens", 1000, 1100),
]


@pytest.mark.parametrize("stop", STOPS, ids=lambda s: f"{type(s).__name__}-{s.message}")
def test_why_a_run_stopped_survives_its_saved_state_exactly(stop: StopReason) -> None:
    state = RunState("run_1", (), finished=True, stopped_by=stop)
    back = RunState.from_json(state.to_json())
    assert back == state
    assert type(back.stopped_by) is type(stop)


@pytest.mark.parametrize(
    ("stopped_by", "message"),
    [
        ({"kind": "budget"}, "stopped_by.message"),
        ({"kind": "x", "message": "m", "why": 1}, "unknown field"),
        ({"kind": "budget", "message": "m", "limit": "money", "maximum": "1"}, "cost or tokens"),
        ({"kind": "budget", "message": "m", "limit": "cost", "maximum": 0.5}, "not one"),
        ({"kind": "budget", "message": "m", "limit": "tokens", "maximum": "9"}, "not one"),
        ({"kind": "budget", "message": "m", "limit": "cost", "maximum": "NaN"}, "not one"),
    ],
)
def test_an_unreadable_stop_reason_is_refused(stopped_by: Any, message: str) -> None:
    doc = orjson.loads(RunState("run_1", (), finished=True).to_json())
    doc["stopped_by"] = stopped_by
    with pytest.raises(DataFormatError, match=message):
        RunState.from_json(orjson.dumps(doc))


def test_the_paused_step_keeps_its_model_and_time_in_the_saved_state() -> None:
    opened = OpenStep(0, RESPONSE, (), "openai", "gpt-4o", WHEN)
    state = RunState("run_1", (), open_step=opened)
    back = RunState.from_json(state.to_json())
    assert back.open_step == opened


def test_a_model_outcome_keeps_when_the_answer_was_complete() -> None:
    outcome = ModelOutcome(RESPONSE, {"c": "bad"}, frozenset({"c"}), WHEN)
    assert decode_model_outcome(orjson.loads(orjson.dumps(encode_model_outcome(outcome)))) == (
        outcome
    )
    assert "finished_at" not in encode_model_outcome(ModelOutcome(RESPONSE))


async def test_a_budget_stopped_run_resumed_from_json_stays_stopped_without_a_call() -> None:
    model = FakeModel([FakeModel.tool_calls(("add", {"a": 1, "b": 2})), FakeModel.text("3")])

    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    agent = Agent(model, tools=[add], budget=Budget(max_tokens=1))
    result = await agent.generate("go")
    assert isinstance(result.stopped_by, BudgetExceeded) and result.state is not None
    assert result.state.stopped_by == result.stopped_by
    again = await agent.resume(RunState.from_json(result.state.to_json()))
    assert again.stopped_by == result.stopped_by and again.steps == result.steps
    assert model.remaining == 1  # nothing more was asked of the model
