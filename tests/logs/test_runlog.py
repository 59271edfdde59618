"""The run log as an observer: what a run leaves in it, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from reverie import Agent, tool
from reverie.errors import InvalidRequestError, RateLimitError
from reverie.retry import RetryPolicy
from reverie.run_state import RunState
from reverie.runlog import RunLog, RunLogWarning
from reverie.runlog._recorder import SESSION_KEY as RECORDED_KEY
from reverie.sessions import SESSION_KEY, MemorySession
from reverie.testing import FakeModel

pytestmark = pytest.mark.anyio


@tool
def add(a: int, b: int) -> int:
    """Add two numbers"""
    return a + b


@tool(requires_approval=True)
def pay(invoice: int) -> str:
    """Pay an invoice"""
    return f"paid invoice {invoice}"


def priced(script: list[object]) -> FakeModel:
    """A scripted model under a name genai-prices knows, so its steps have a cost."""
    return FakeModel(script, provider="openai", model_id="gpt-4o-mini")  # type: ignore[arg-type]


@pytest.fixture
def logs(db_target: str) -> Iterator[Callable[[], RunLog]]:
    """Makes run logs on the test's database; all are closed after the test."""
    made: list[RunLog] = []

    def make() -> RunLog:
        made.append(RunLog(db_target))
        return made[-1]

    yield make
    for log in made:
        log.close()


async def test_a_run_is_kept_whole(logs: Callable[[], RunLog]) -> None:
    log = logs()
    model = priced([FakeModel.tool_calls(("add", {"a": 2, "b": 3})), FakeModel.text("It is 5.")])
    agent = Agent(model, system="Be brief.", tools=[add], observers=[log])
    result = await agent.generate("What is 2 + 3, in e-mail style?")
    log.flush()
    assert result.state is not None
    (run,) = logs().runs()  # read through another connection, as `reverie logs` would
    assert run.run_id == result.state.run_id and run.status == "finished"
    assert (run.model, run.prompt, run.answer, run.steps) == (
        "openai:gpt-4o-mini",
        "What is 2 + 3, in e-mail style?",
        "It is 5.",
        2,
    )
    assert run.usage == result.usage and run.finish_reason == "stop"
    assert result.cost is not None and run.cost == result.cost.total > 0
    assert run.finished_at is not None and run.finished_at >= run.started_at
    detail = logs().get(run.run_id[:12])
    assert detail is not None
    assert detail.messages == result.messages  # every part, as the codec keeps it
    assert [s.step for s in detail.steps] == list(result.steps)
    assert [s.cost for s in detail.steps] == [
        s.cost.total if s.cost else None for s in result.steps
    ]
    assert sum(s.cost or Decimal(0) for s in detail.steps) == run.cost
    (call,) = detail.tool_calls
    assert (call.tool_name, call.arguments, call.output, call.is_error) == (
        "add",
        '{"a":2,"b":3}',
        "5",
        False,
    )
    assert call.started_at is not None and call.finished_at is not None
    assert call.started_at <= call.finished_at
    first = detail.steps[0]
    assert first.started_at is not None and first.finished_at is not None
    assert first.started_at <= first.finished_at and first.attempts == 1


async def two_runs(log: RunLog) -> tuple[RunState, RunState]:
    """Two runs logged whole (a tool call, then an answer; then an answer): their states."""
    model = FakeModel(
        [
            FakeModel.tool_calls(("add", {"a": 40, "b": 2})),
            FakeModel.text("The answer is 42."),
            FakeModel.text("Lisbon is the capital."),
        ]
    )
    agent = Agent(model, tools=[add], observers=[log])
    first = await agent.generate("Compute the meaning of life")
    second = await agent.generate("Which city is Portugal's capital?")
    log.flush()
    assert first.state is not None and second.state is not None
    return first.state, second.state


async def test_search_finds_runs_by_any_of_their_words(logs: Callable[[], RunLog]) -> None:
    log = logs()
    first, second = await two_runs(log)
    ids = {"first": first.run_id, "second": second.run_id}

    def found(text: str) -> set[str]:
        return {k for k, v in ids.items() if v in {r.run_id for r in log.search(text)}}

    assert found("meaning") == {"first"}  # the prompt
    assert found("Meaning LIFE") == {"first"}  # every word, any case
    assert found("answer") == {"first"}  # the answer
    assert found("add") == {"first"}  # a tool's name
    assert found("Lisbon") == {"second"}
    assert found("capital") == {"second"}
    assert found("meaning Lisbon") == set()
    assert found('"e-mail" (C++) OR: *') == set()  # punctuation is never query syntax
    assert [r.run_id for r in log.runs()] == [ids["second"], ids["first"]]  # newest first
    assert len(log.runs(limit=1)) == 1


async def test_retries_are_attempts_of_one_step(logs: Callable[[], RunLog]) -> None:
    log = logs()
    model = FakeModel([RateLimitError("slow down", status=429), FakeModel.text("done")])
    policy = RetryPolicy(jitter=False, initial_delay=0, sleeper=lambda _: _no_wait())
    agent = Agent(model, retry=policy, observers=[log])
    await agent.generate("hello")
    log.flush()
    (run,) = log.runs()
    detail = log.get(run.run_id)
    assert detail is not None
    (step,) = detail.steps
    assert step.attempts == 2
    assert step.retries == ("RateLimitError: slow down",)


async def _no_wait() -> None:
    return None


async def test_a_failed_run_is_logged_with_its_error(logs: Callable[[], RunLog]) -> None:
    log = logs()
    error = InvalidRequestError("the model does not exist", status=404)
    agent = Agent(FakeModel([error]), observers=[log])
    with pytest.raises(InvalidRequestError):
        await agent.generate("hello")
    log.flush()
    (run,) = log.runs()
    assert (run.status, run.error_type, run.steps) == ("failed", "InvalidRequestError", 0)
    assert run.error is not None and "does not exist" in run.error
    assert [r.run_id for r in log.search("exist")] == [run.run_id]


async def test_an_abandoned_stream_is_cancelled(logs: Callable[[], RunLog]) -> None:
    log = logs()
    agent = Agent(FakeModel([FakeModel.text("a long answer " * 20)]), observers=[log])
    async with agent.stream("hello") as stream:
        async for event in stream:
            if event.type == "text-delta":
                break
    log.flush()
    (run,) = log.runs()
    assert run.status == "cancelled" and run.finished_at is not None


async def test_a_paused_run_resumed_elsewhere_is_one_run(logs: Callable[[], RunLog]) -> None:
    first_log = logs()
    model = priced([FakeModel.tool_calls(("pay", {"invoice": 7})), FakeModel.text("Paid.")])
    paused = await Agent(model, tools=[pay], observers=[first_log]).generate("Pay invoice 7")
    first_log.flush()
    assert paused.paused and paused.state is not None
    (run,) = first_log.runs()
    assert run.status == "paused" and run.steps == 0
    detail = first_log.get(run.run_id)
    assert detail is not None
    (waiting,) = detail.tool_calls
    assert (waiting.tool_name, waiting.output) == ("pay", None)

    # Another process: a new log, a new agent, the state read back from JSON.
    second_log = logs()
    state = RunState.from_json(paused.state.to_json())
    agent = Agent(model, tools=[pay], observers=[second_log])
    done = await agent.resume(state, approvals=[c.approve() for c in state.pending])
    second_log.flush()
    (run,) = second_log.runs()
    assert (run.status, run.steps, run.answer) == ("finished", 2, "Paid.")
    assert run.usage == done.usage
    detail = second_log.get(run.run_id)
    assert detail is not None
    (paid,) = detail.tool_calls
    assert paid.output == "paid invoice 7" and paid.started_at is not None
    assert detail.messages == done.messages

    # A finished run resumed gives its result again with no call: the log keeps the run.
    assert done.state is not None
    again = await agent.resume(RunState.from_json(done.state.to_json()))
    second_log.flush()
    assert again.text == "Paid." and second_log.runs() == [run]


async def test_a_session_is_the_thread_of_its_runs(logs: Callable[[], RunLog]) -> None:
    assert RECORDED_KEY == SESSION_KEY
    log = logs()
    session = MemorySession("trip-42")
    agent = Agent(FakeModel([FakeModel.text("a"), FakeModel.text("b")]), observers=[log])
    await agent.generate("one", session=session)
    await Agent(FakeModel([FakeModel.text("c")]), observers=[log]).generate("alone")
    await agent.generate("two", session=session)
    log.flush()
    assert [r.prompt for r in log.runs(thread_id="trip-42")] == ["two", "one"]
    assert {r.thread_id for r in log.runs()} == {"trip-42", None}


async def test_a_key_is_never_written(
    logs: Callable[[], RunLog], db_target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-planted-9f8e7d6c5b4a39281706abcdef"
    monkeypatch.setenv("PLANTED_API_KEY", key)

    @tool
    def leak() -> str:
        """Return a secret"""
        return f"the key is {key}"

    log = logs()
    model = FakeModel([FakeModel.tool_calls(("leak", {"why": key})), FakeModel.text(key)])
    agent = Agent(model, tools=[leak], observers=[log])
    await agent.generate(f"Here is my key: {key}")
    log.flush()
    (run,) = log.runs()
    detail = log.get(run.run_id)
    assert detail is not None
    dumped = json.dumps(detail.to_json())
    assert key not in dumped and "[REDACTED]" in dumped
    assert run.prompt == "Here is my key: [REDACTED]"
    assert log.search("REDACTED")
    if db_target.endswith(".db"):
        log.close()
        for path in Path(db_target).parent.glob("logs.db*"):  # the file and its WAL
            assert key.encode() not in path.read_bytes()


async def test_reading_a_run_that_is_not_there(logs: Callable[[], RunLog]) -> None:
    log = logs()
    assert log.get("run_nothing") is None
    agent = Agent(FakeModel([FakeModel.text("a"), FakeModel.text("b")]), observers=[log])
    await agent.generate("one", run_id="run_same_1")
    await agent.generate("two", run_id="run_same_2")
    log.flush()
    with pytest.raises(Exception, match="begins more than one run id"):
        log.get("run_same")
    one = log.get("same_1")  # run_ may be left out
    assert one is not None and one.run.prompt == "one"
    with pytest.raises(Exception, match="at least one word"):
        log.search("  ")


def _write_fails(log: RunLog) -> str:
    agent = Agent(FakeModel([FakeModel.text("still answered")]), observers=[log])
    result = agent.generate_sync("hello")
    log.flush()
    return result.text


@pytest.mark.parametrize("broken", ["corrupt", "not-a-folder", "unreachable"])
def test_logging_failures_never_break_a_run(broken: str, tmp_path: Path) -> None:
    if broken == "corrupt":
        target = str(tmp_path / "logs.db")
        Path(target).write_bytes(b"garbage, not SQLite " * 500)
    elif broken == "not-a-folder":
        (tmp_path / "file").write_text("")
        target = str(tmp_path / "file" / "logs.db")
    else:
        target = "postgresql://nobody@127.0.0.1:9/none"  # the discard port: refused
    errors: list[Exception] = []
    log = RunLog(target, on_error=errors.append)
    assert _write_fails(log) == "still answered"
    assert _write_fails(log) == "still answered"
    log.close()
    assert len(errors) == 1  # the same failure is told once
    # Without a handler it is a warning, and the run still goes on.
    quiet = RunLog(target)
    with pytest.warns(RunLogWarning, match="could not be written"):
        assert _write_fails(quiet) == "still answered"
    quiet.close()


def test_a_failing_error_handler_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")

    def explode(exc: Exception) -> None:
        raise RuntimeError("handler broke")

    log = RunLog(str(tmp_path / "file" / "x.db"), on_error=explode)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _write_fails(log) == "still answered"
    log.close()


async def test_prune_deletes_old_runs_whole_and_keeps_the_rest(
    logs: Callable[[], RunLog], db_target: str
) -> None:
    from datetime import UTC, datetime, timedelta

    from reverie import _store
    from reverie.errors import ConfigurationError

    log = logs()
    old, new = await two_runs(log)
    db = _store.open_database(db_target)
    try:
        forty_days = 40 * 86400
        with db.transaction() as tx:  # the first run happened forty days ago
            tx.execute(
                "UPDATE reverie_runs SET started_at = started_at - ?, "
                "finished_at = finished_at - ? WHERE run_id = ?",
                (forty_days, forty_days, old.run_id),
            )
        assert log.prune(timedelta(days=30)) == 1
        assert [r.run_id for r in log.runs()] == [new.run_id]
        assert log.get(old.run_id) is None and log.search("meaning") == []
        for table in ("reverie_steps", "reverie_tool_calls", "reverie_search"):
            rows = db.query(f"SELECT run_id FROM {table}")
            assert {r[0] for r in rows} <= {new.run_id}, table
        assert log.prune(timedelta(days=30)) == 0
        assert log.prune(datetime.now(UTC) + timedelta(seconds=1)) == 1  # everything so far
        assert log.runs() == []
    finally:
        db.close()
    with pytest.raises(ConfigurationError, match="time zone"):
        log.prune(datetime(2026, 1, 1))  # a naive time: refused
    with pytest.raises(ConfigurationError, match="zero or more"):
        log.prune(timedelta(days=-1))
