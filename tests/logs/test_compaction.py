"""Compaction strategies, one by one: what they keep, what they change, what they reuse."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reverie.content import (
    ErrorOutput,
    JsonOutput,
    Message,
    ReasoningPart,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    user,
)
from reverie.errors import ConfigurationError
from reverie.sessions import (
    DROPPED,
    SUMMARY_HEADING,
    DropToolResults,
    KeepLastTurns,
    MemorySession,
    SessionStore,
    Summarize,
    Turn,
)
from reverie.testing import FakeModel

pytestmark = pytest.mark.anyio

SIGNED = ReasoningPart("thinking", provider_metadata={"anthropic": {"signature": "sig-1"}})


def tool_turn(i: int, *, error: bool = False, tokens: int | None = None) -> Turn:
    call = ToolCallPart(f"c{i}", "look", f'{{"n": {i}}}', provider_metadata={"g": {"t": i}})
    output = ErrorOutput(f"failed {i}") if error else TextOutput(f"a long result {i}")
    hosted = ToolCallPart(f"h{i}", "web_search", "{}", provider_executed=True)
    hosted_result = ToolResultPart(f"h{i}", "web_search", JsonOutput([i]), provider_executed=True)
    return Turn(
        (
            user(f"question {i}"),
            Message("assistant", (SIGNED, call, hosted, hosted_result)),
            Message("tool", (ToolResultPart(f"c{i}", "look", output),)),
            Message("assistant", (TextPart(f"answer {i}"),)),
        ),
        run_id=f"run_{i}",
        context_tokens=tokens,
    )


def results(turn: Turn) -> list[ToolResultPart]:
    """The turn's tool results: the client tool's, then the provider's own."""
    found = [p for m in turn.messages for p in m.content if isinstance(p, ToolResultPart)]
    return sorted(found, key=lambda p: p.provider_executed)


async def test_keep_last_turns_keeps_whole_turns() -> None:
    turns = [tool_turn(i) for i in range(5)]
    kept = await KeepLastTurns(2).compact(turns, MemorySession("m"))
    assert list(kept) == turns[3:]
    assert list(await KeepLastTurns(9).compact(turns, MemorySession("m"))) == turns


async def test_drop_tool_results_changes_only_older_client_outputs() -> None:
    turns = [tool_turn(0), tool_turn(1, error=True), tool_turn(2)]
    out = await DropToolResults(keep_last=1).compact(turns, MemorySession("m"))
    assert out[2] == turns[2]
    first, second = results(out[0]), results(out[1])
    assert first[0].output == TextOutput(DROPPED)
    assert second[0].output == ErrorOutput(DROPPED)  # a failure stays a failure
    # The provider's own tool result and everything else of the turn are untouched.
    assert first[1] == results(turns[0])[1]
    for before, after in zip(turns[0].messages, out[0].messages, strict=True):
        if before.role != "tool":
            assert before == after
    assert (await DropToolResults(0).compact(turns, MemorySession("m")))[2] != turns[2]


@pytest.mark.parametrize(
    "make",
    [
        lambda: KeepLastTurns(0),
        lambda: DropToolResults(-1),
        lambda: Summarize(FakeModel([]), keep_last=0),
        lambda: Summarize(FakeModel([]), max_tokens=0),
        lambda: KeepLastTurns(True),
    ],
)
def test_nonsense_settings_are_refused(make: Callable[[], object]) -> None:
    with pytest.raises(ConfigurationError, match="whole number"):
        make()


async def test_summarize_waits_for_its_budget_then_summarises_older_turns_once() -> None:
    model = FakeModel([FakeModel.text("They asked about 0 and 1.")])
    summarize = Summarize(model, keep_last=2, max_tokens=1000)
    session = MemorySession("s", compaction=summarize)
    for i in range(4):
        await session.append(tool_turn(i, tokens=500))
    assert await session.load() == [m for t in session.turns for m in t.messages]
    assert model.calls == []  # under budget: nothing to do

    session.turns[-1] = tool_turn(3, tokens=1200)  # the last run measured more than the budget
    loaded = await session.load()
    assert len(model.calls) == 1
    prompt = model.calls[0].messages[-1].text
    assert "question 0" in prompt and "question 1" in prompt and "question 2" not in prompt
    assert "look" in prompt and "a long result 0" in prompt
    # The summary leads the first kept turn's question; the kept turns are otherwise whole.
    first = loaded[0]
    assert first.role == "user"
    assert first.content[0] == TextPart(f"{SUMMARY_HEADING}\nThey asked about 0 and 1.")
    assert first.content[1:] == session.turns[2].messages[0].content
    assert loaded[1:] == [*session.turns[2].messages[1:], *session.turns[3].messages]

    assert await session.load() == loaded  # reused: the model is not asked again
    assert len(model.calls) == 1


async def test_a_new_summary_starts_from_the_last_one() -> None:
    model = FakeModel([FakeModel.text("S1"), FakeModel.text("S2")])
    summarize = Summarize(model, keep_last=2)  # no budget: once 4 turns are unsummarised
    session = MemorySession("s", compaction=summarize)
    for i in range(3):
        await session.append(tool_turn(i))
    assert len(await session.load()) == 12 and model.calls == []
    await session.append(tool_turn(3))
    first = await session.load()
    assert first[0].content[0] == TextPart(f"{SUMMARY_HEADING}\nS1")
    assert len(first) == 8  # turns 2 and 3
    await session.append(tool_turn(4))
    assert (await session.load())[0].content[0] == TextPart(f"{SUMMARY_HEADING}\nS1")
    await session.append(tool_turn(5))
    latest = await session.load()
    assert latest[0].content[0] == TextPart(f"{SUMMARY_HEADING}\nS2")
    assert latest[0].content[1:] == session.turns[4].messages[0].content
    second_prompt = model.calls[1].messages[-1].text
    assert "S1" in second_prompt and "question 3" in second_prompt
    assert "question 1" not in second_prompt and "question 4" not in second_prompt


async def test_a_summary_is_kept_in_the_database_for_other_processes(db_target: str) -> None:
    model = FakeModel([FakeModel.text("Stored summary.")])
    with SessionStore(db_target) as store:
        session = store.session("s", compaction=Summarize(model, keep_last=1))
        for i in range(2):
            await session.append(tool_turn(i))
        made = await session.load()
    with SessionStore(db_target) as again:  # another connection, as another process
        other = again.session("s", compaction=Summarize(model, keep_last=1))
        assert await other.load() == made
    assert len(model.calls) == 1


async def test_a_turn_that_starts_without_a_question_gets_the_summary_before_it() -> None:
    model = FakeModel([FakeModel.text("Earlier: greetings.")])
    session = MemorySession("s", compaction=Summarize(model, keep_last=1))
    await session.append(tool_turn(0))
    await session.append(Turn((Message("assistant", (TextPart("I was asked nothing"),)),)))
    loaded = await session.load()
    assert loaded[0] == Message("user", (TextPart(f"{SUMMARY_HEADING}\nEarlier: greetings."),))
    assert loaded[1:] == list(session.turns[1].messages)


async def test_an_empty_summary_is_an_error_naming_the_model() -> None:
    model = FakeModel([FakeModel.text("  ")], provider="p", model_id="m")
    session = MemorySession("s", compaction=Summarize(model, keep_last=1))
    for i in range(2):
        await session.append(tool_turn(i))
    with pytest.raises(ConfigurationError, match="p:m wrote an empty summary"):
        await session.load()


async def test_without_measured_tokens_the_size_is_estimated_from_the_text() -> None:
    model = FakeModel([FakeModel.text("short")])
    session = MemorySession("s", compaction=Summarize(model, keep_last=1, max_tokens=1000))
    await session.append(tool_turn(0))
    await session.append(tool_turn(1))
    await session.load()
    assert model.calls == []  # two small turns: well under 1000 tokens of text
    await session.append(Turn((user("x" * 4000),)))
    await session.load()
    assert len(model.calls) == 1


async def test_strategies_apply_in_order() -> None:
    session = MemorySession("s", compaction=[DropToolResults(keep_last=1), KeepLastTurns(2)])
    for i in range(3):
        await session.append(tool_turn(i))
    loaded = await session.load()
    assert len(loaded) == 8
    (dropped,) = [p for p in loaded[2].content if isinstance(p, ToolResultPart)]
    assert dropped.output == TextOutput(DROPPED)
    assert loaded[4:] == list(session.turns[2].messages)
