"""The Python API of durable runs on DBOS (SQLite), in this process: a run's result by id,
approvals given through the engine, a recorded failure replayed without a call, and the
workflow's steps as DBOS sees them."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbos import DBOS

from reverie import Agent, tool
from reverie.durable import RunFailed
from reverie.durable.dbos import DBOSEngine, check_database_url
from reverie.errors import ConfigurationError
from reverie.testing._fake import FakeModel

pytestmark = pytest.mark.anyio

ran: list[str] = []


@tool(requires_approval=True)
def pay(invoice: int) -> str:
    """Pay an invoice."""
    ran.append(f"pay {invoice}")
    return "paid"


@tool
def look(x: int) -> str:
    """Look something up."""
    ran.append(f"look {x}")
    return f"seen {x}"


@pytest.fixture
def database(tmp_path: Path) -> str:
    ran.clear()
    return f"sqlite:///{tmp_path / 'runs.sqlite'}"


async def test_a_finished_run_gives_its_result_again_with_no_call(database: str) -> None:
    model = FakeModel(
        [FakeModel.tool_calls(("look", {"x": 1}), ("look", {"x": 2})), FakeModel.text("two")]
    )
    async with DBOSEngine(database, agents={"a": Agent(model, tools=[look])}) as engine:
        first = await engine.run("a", "look twice", run_id="r1")
        again = await engine.run("a", "something else", run_id="r1")
        assert await engine.status("r1") == "finished" and await engine.status("nope") is None
        steps = [s["function_name"] for s in await DBOS.list_workflow_steps_async("r1")]
    assert first.text == again.text == "two" and again.messages == first.messages
    assert len(model.calls) == 2 and sorted(ran) == ["look 1", "look 2"]
    assert steps == [
        "reverie.model/0",
        "reverie.tool/0/call_0",
        "reverie.tool/0/call_1",
        "reverie.model/1",
    ]


async def test_a_paused_run_waits_for_answers_given_through_the_engine(database: str) -> None:
    model = FakeModel(
        [
            FakeModel.tool_calls(("pay", {"invoice": 7}), ("pay", {"invoice": 8})),
            FakeModel.text("one paid, one refused"),
        ]
    )
    async with DBOSEngine(database, agents={"payer": Agent(model, tools=[pay])}) as engine:
        assert await engine.start("payer", "pay both", run_id="p1") == "new"
        pending = ()
        while len(pending) < 2:
            pending = await engine.pending("p1")
        assert [(p.id, p.tool_name, dict(p.arguments)) for p in pending] == [
            ("call_0", "pay", {"invoice": 7}),
            ("call_1", "pay", {"invoice": 8}),
        ]
        await engine.answer("p1", [pending[0].approve()])  # one answer: still waits on one
        while [p.id for p in await engine.pending("p1")] != ["call_1"]:
            pass
        await engine.answer("p1", [pending[1].deny("too much")])
        result = await engine.result("payer", "p1")
        assert await engine.pending("p1") == ()
    assert ran == ["pay 7"] and result.text == "one paid, one refused"
    assert "too much" in str(result.steps[0].tool_results[1].output)


async def test_a_failed_model_call_is_recorded_and_raised_again_without_a_call(
    database: str,
) -> None:
    from reverie.errors import AuthenticationError
    from reverie.retry import RetryPolicy

    model = FakeModel([AuthenticationError("bad key", status=401)])
    agent = Agent(model, retry=RetryPolicy(attempts=1))
    async with DBOSEngine(database, agents={"a": agent}) as engine:
        with pytest.raises(RunFailed) as first:
            await engine.run("a", "hi", run_id="f1")
        with pytest.raises(RunFailed) as again:
            await engine.run("a", "hi", run_id="f1")
        assert await engine.status("f1") == "failed"
    assert first.value.kind == again.value.kind == "AuthenticationError"
    assert "bad key" in str(again.value) and len(model.calls) == 1


async def test_bad_setup_is_refused_clearly(database: str) -> None:
    with pytest.raises(ConfigurationError, match="sqlite:///PATH"):
        check_database_url("mysql://root@localhost/x")
    async with DBOSEngine(database) as engine:
        with pytest.raises(ConfigurationError, match="does not know the durable agent 'ghost'"):
            await engine.start("ghost", "hi", run_id="g1")
    with pytest.raises(ConfigurationError, match="launch the DBOSEngine first"):
        await DBOSEngine(database).status("x")
