"""Sessions: a conversation continued run after run, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest

from reverie import Agent, tool
from reverie.content import Message, TextPart, ToolResultPart, user
from reverie.errors import ConfigurationError
from reverie.model import Response, Usage
from reverie.run_state import RunState
from reverie.sessions import (
    SESSION_KEY,
    KeepLastTurns,
    MemorySession,
    Session,
    SessionStore,
    StoredSession,
    Turn,
)
from reverie.testing import FakeModel

pytestmark = pytest.mark.anyio


@tool
def add(a: int, b: int) -> int:
    """Add two numbers"""
    return a + b


@tool(requires_approval=True)
def pay(invoice: int) -> str:
    """Pay an invoice"""
    return f"paid {invoice}"


def texts(messages: list[Message] | tuple[Message, ...]) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in messages]


async def test_a_second_run_continues_the_first_and_both_turns_are_kept(
    stores: Callable[[], SessionStore],
) -> None:
    model = FakeModel(
        [
            FakeModel.tool_calls(("add", {"a": 2, "b": 3})),
            FakeModel.text("It is 5."),
            FakeModel.text("Then 10."),
        ]
    )
    agent = Agent(model, system="Be brief.", tools=[add])
    store = stores()
    first = await agent.generate("Add 2 and 3", session=store.session("maths"))
    assert first.text == "It is 5."
    # A new store: nothing is carried in memory between the two runs.
    second = await agent.generate("Double it", session=stores().session("maths"))
    assert second.text == "Then 10."
    sent = model.calls[-1].messages
    assert texts(sent) == [
        ("system", "Be brief."),
        ("user", "Add 2 and 3"),
        ("assistant", ""),
        ("tool", ""),
        ("assistant", "It is 5."),
        ("user", "Double it"),
    ]
    # What was sent back is the first run's conversation, part for part.
    assert tuple(sent[:5]) == first.messages
    turns = await stores().session("maths").turns()
    assert [len(t.messages) for t in turns] == [4, 2]
    assert turns[0].run_id == first.state.run_id if first.state else False
    assert turns[0].usage == first.usage and turns[0].context_tokens == 15
    assert turns[1].messages == second.messages[5:]
    assert second.state is not None
    assert second.state.metadata[SESSION_KEY] == {"id": "maths", "history": 5}


async def test_stream_with_a_session_saves_the_turn_before_the_finish_is_seen(
    stores: Callable[[], SessionStore],
) -> None:
    store = stores()
    agent = Agent(FakeModel([FakeModel.text("Hello there.")]))
    stream = agent.stream("Hi", session=store.session("s"))
    async for event in stream:
        if event.type == "run-finish":
            break  # the caller stops at the finish: the turn is already saved
    await asyncio.sleep(0)
    turns = await store.session("s").turns()
    assert texts(turns[0].messages) == [("user", "Hi"), ("assistant", "Hello there.")]


async def test_sessions_are_kept_apart_and_listed(stores: Callable[[], SessionStore]) -> None:
    store = stores()
    agent = Agent(FakeModel([FakeModel.text("a"), FakeModel.text("b"), FakeModel.text("c")]))
    await agent.generate("one", session=store.session("x"))
    await agent.generate("two", session=store.session("y"))
    await agent.generate("three", session=store.session("x"))
    assert [len(t.messages) for t in await store.session("x").turns()] == [2, 2]
    assert [len(t.messages) for t in await store.session("y").turns()] == [2]
    assert set(await store.ids()) == {"x", "y"}
    assert (await store.ids())[0] == "x"  # the most recently continued first
    await store.session("x").clear()
    assert await store.session("x").turns() == []
    assert await store.ids() == ["y"]


async def test_a_paused_run_adds_its_turn_when_resumed_with_its_session(
    stores: Callable[[], SessionStore],
) -> None:
    model = FakeModel([FakeModel.tool_calls(("pay", {"invoice": 7})), FakeModel.text("Paid.")])
    agent = Agent(model, tools=[pay])
    store = stores()
    paused = await agent.generate("Pay invoice 7", session=store.session("bills"))
    assert paused.paused
    assert await store.session("bills").turns() == []  # nothing until it finishes
    assert paused.state is not None
    state = RunState.from_json(paused.state.to_json())  # as another process would
    with pytest.raises(ConfigurationError, match="continues session 'bills'"):
        await agent.resume(state, session=store.session("other"))
    done = await agent.resume(
        state, approvals=[c.approve() for c in state.pending], session=store.session("bills")
    )
    assert done.text == "Paid."
    (turn,) = await store.session("bills").turns()
    assert texts(turn.messages) == [
        ("user", "Pay invoice 7"),
        ("assistant", ""),
        ("tool", ""),
        ("assistant", "Paid."),
    ]
    assert isinstance(turn.messages[2].content[0], ToolResultPart)


async def test_resuming_a_run_that_had_no_session_into_one_is_refused() -> None:
    agent = Agent(FakeModel([FakeModel.tool_calls(("pay", {"invoice": 1}))]), tools=[pay])
    paused = await agent.generate("Pay 1")
    assert paused.state is not None
    with pytest.raises(ConfigurationError, match="not started with a session"):
        await agent.resume(paused.state, session=MemorySession("m"))


async def test_history_and_session_together_are_refused() -> None:
    agent = Agent(FakeModel([FakeModel.text("x")]))
    with pytest.raises(ConfigurationError, match="history= or session="):
        await agent.generate("hi", history=[user("earlier")], session=MemorySession("m"))


async def test_compaction_shapes_what_is_sent_not_what_is_stored(
    stores: Callable[[], SessionStore],
) -> None:
    script: list[Response | BaseException] = [FakeModel.text(f"answer {i}") for i in range(4)]
    model = FakeModel(script)
    agent = Agent(model)
    store = stores()
    for i in range(4):
        session = store.session("long", compaction=KeepLastTurns(2))
        await agent.generate(f"question {i}", session=session)
    assert texts(model.calls[-1].messages) == [
        ("user", "question 1"),
        ("assistant", "answer 1"),
        ("user", "question 2"),
        ("assistant", "answer 2"),
        ("user", "question 3"),
    ]
    assert len(await store.session("long").turns()) == 4


async def test_any_class_with_the_three_members_is_a_session() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.appended: list[Turn] = []

        @property
        def id(self) -> str:
            return "mine"

        async def load(self) -> list[Message]:
            return [user("earlier"), Message("assistant", (TextPart("noted"),))]

        async def append(self, turn: Turn) -> None:
            self.appended.append(turn)

    recorder = Recorder()
    assert isinstance(recorder, Session)
    model = FakeModel([FakeModel.text("ok")])
    result = await Agent(model).generate("now", session=recorder)
    assert texts(model.calls[0].messages) == [
        ("user", "earlier"),
        ("assistant", "noted"),
        ("user", "now"),
    ]
    assert [texts(t.messages) for t in recorder.appended] == [
        [("user", "now"), ("assistant", "ok")]
    ]
    assert result.text == "ok"


def test_generate_sync_takes_a_session() -> None:
    session = MemorySession("sync")
    agent = Agent(FakeModel([FakeModel.text("one"), FakeModel.text("two")]))
    agent.generate_sync("first", session=session)
    agent.generate_sync("second", session=session)
    assert [len(t.messages) for t in session.turns] == [2, 2]


def test_an_empty_session_id_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="non-empty id"):
        StoredSession(SessionStore(":memory:"), " ")


async def test_secrets_never_reach_a_stored_turn(
    stores: Callable[[], SessionStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-planted-0123456789abcdefghijklmnop"
    monkeypatch.setenv("PLANTED_API_KEY", key)
    store = stores()
    agent = Agent(FakeModel([FakeModel.text(f"Your key is {key}.")]))
    await agent.generate(f"Remember my key {key}", session=store.session("k"))
    rows = store.database().query("SELECT messages FROM reverie_turns")
    dumped = json.dumps([r[0] for r in rows])
    assert key not in dumped and "[REDACTED]" in dumped


def test_turn_usage_defaults_to_nothing() -> None:
    assert Turn(()).usage == Usage()
