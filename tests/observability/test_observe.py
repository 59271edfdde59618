"""The observer contract (reverie.observe): what a RunObserver is told, when, and in which
task; that generate and stream tell it the same; and that a broken observer never breaks
a run."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from reverie import Agent
from reverie.agent import RunResult
from reverie.content import ToolCallPart, ToolResultPart
from reverie.errors import AuthenticationError
from reverie.events import (
    AgentEvent,
    Finish,
    ReasoningDelta,
    RunFinish,
    StepFinish,
    StepStart,
    TextDelta,
    ToolCall,
    ToolInputDelta,
    ToolResult,
)
from reverie.observe import ModelAttempt, ObserverWarning, RunInfo, RunObserver
from reverie.testing._fake import FakeModel

pytestmark = pytest.mark.anyio

_DELTAS = (TextDelta, ReasoningDelta, ToolInputDelta)


class Log(RunObserver):
    def __init__(self, run: RunInfo) -> None:
        self.run = run
        self.calls: list[tuple[str, Any]] = []
        self.events: list[AgentEvent] = []
        self.tool_tasks: dict[str, asyncio.Task[Any] | None] = {}

    def model_attempt(self, request: ModelAttempt) -> None:
        self.calls.append(("model_attempt", (request.step, request.attempt, request.streaming)))

    def event(self, event: AgentEvent) -> None:
        self.events.append(event)
        if not isinstance(event, _DELTAS):
            self.calls.append(("event", type(event).__name__))

    def tool_start(self, call: ToolCallPart) -> None:
        self.tool_tasks[call.tool_call_id] = asyncio.current_task()
        self.calls.append(("tool_start", call.tool_name))

    def tool_end(self, call: ToolCallPart, result: ToolResultPart | None) -> None:
        self.calls.append(("tool_end", (call.tool_name, result is not None)))

    def end(self, result: RunResult | None, error: BaseException | None) -> None:
        self.calls.append(("end", (result is not None, type(error).__name__ if error else None)))


class Logs:
    def __init__(self) -> None:
        self.runs: list[Log] = []

    def start_run(self, run: RunInfo) -> RunObserver:
        self.runs.append(Log(run))
        return self.runs[-1]


tool_tasks: list[asyncio.Task[Any] | None] = []


async def add(a: int, b: int) -> int:
    """Add two numbers."""
    tool_tasks.append(asyncio.current_task())
    return a + b


def script() -> list[Any]:
    return [
        FakeModel.tool_calls(("add", {"a": 1, "b": 2}), ("add", {"a": 3, "b": 4})),
        FakeModel.text("3 and 7"),
    ]


async def test_generate_and_stream_tell_an_observer_the_same_story() -> None:
    logs = Logs()
    generated = await Agent(FakeModel(script()), tools=[add], observers=[logs]).generate("go")
    streamed = (
        await Agent(FakeModel(script()), tools=[add], observers=[logs]).stream("go").collect()
    )
    assert generated.text == streamed.text
    gen, stream = logs.runs
    assert (gen.run.streaming, stream.run.streaming) == (False, True)

    def story(log: Log) -> list[tuple[str, Any]]:
        return [(k, v[:2] if k == "model_attempt" else v) for k, v in log.calls]

    assert story(gen) == story(stream)
    assert story(gen)[:2] == [("event", "StepStart"), ("model_attempt", (0, 1))]
    kinds = [v for k, v in story(gen) if k == "event"]
    assert kinds[0] == "StepStart" and kinds[-1] == "RunFinish"
    assert story(gen)[-1] == ("end", (True, None))
    # Tools run after the step's Finish and before its StepFinish, each wrapped.
    first_finish = story(gen).index(("event", "Finish"))
    first_step_end = story(gen).index(("event", "StepFinish"))
    between = story(gen)[first_finish:first_step_end]
    assert between.count(("tool_start", "add")) == 2
    assert between.count(("tool_end", ("add", True))) == 2
    assert [k for k, _ in story(gen)].count("model_attempt") == 2


async def test_the_observer_sees_exactly_the_events_the_caller_sees_in_order() -> None:
    logs = Logs()
    agent = Agent(FakeModel(script(), chunk_size=2), tools=[add], observers=[logs])
    seen = [event async for event in agent.stream("go")]
    (log,) = logs.runs
    assert log.events == seen
    assert isinstance(seen[-1], RunFinish)


async def test_tool_start_runs_in_the_task_that_runs_the_tool() -> None:
    tool_tasks.clear()
    logs = Logs()
    await Agent(FakeModel(script()), tools=[add], observers=[logs]).generate("go")
    (log,) = logs.runs
    assert set(log.tool_tasks.values()) == set(tool_tasks)
    assert len(set(tool_tasks)) == 2 and asyncio.current_task() not in tool_tasks


async def test_a_failed_run_ends_with_its_error_and_an_abandoned_one_says_so() -> None:
    logs = Logs()
    with pytest.raises(AuthenticationError):
        await Agent(FakeModel([AuthenticationError("no", status=401)]), observers=[logs]).generate(
            "go"
        )
    assert logs.runs[-1].calls[-1] == ("end", (False, "AuthenticationError"))

    agent = Agent(FakeModel([FakeModel.text("a long answer")], chunk_size=1), observers=[logs])
    async with agent.stream("go") as stream:
        async for event in stream:
            if isinstance(event, TextDelta):
                break
    assert logs.runs[-1].calls[-1] == ("end", (False, "GeneratorExit"))


async def test_an_observer_that_raises_is_dropped_with_a_warning_and_the_run_goes_on() -> None:
    class Broken(RunObserver):
        def __init__(self) -> None:
            self.events = 0

        def event(self, event: AgentEvent) -> None:
            self.events += 1
            if isinstance(event, StepStart):
                raise RuntimeError("observer bug")

    broken = Broken()
    logs = Logs()

    class One:
        def start_run(self, run: RunInfo) -> RunObserver:
            return broken

    agent = Agent(FakeModel(script()), tools=[add], observers=[One(), logs])
    with pytest.warns(ObserverWarning, match="observer bug"):
        result = await agent.generate("go")
    assert result.text == "3 and 7"
    assert broken.events == 1  # never called again
    assert logs.runs[0].calls[-1] == ("end", (True, None))


async def test_an_observer_can_decline_a_run_and_a_failing_start_is_only_a_warning() -> None:
    class Declines:
        def start_run(self, run: RunInfo) -> None:
            return None

    class Fails:
        def start_run(self, run: RunInfo) -> RunObserver:
            raise ValueError("cannot start")

    agent = Agent(FakeModel([FakeModel.text("ok")]), observers=[Declines(), Fails()])
    with pytest.warns(ObserverWarning, match="cannot start"):
        assert (await agent.generate("go")).text == "ok"


async def test_each_run_gets_its_own_observer_and_id_even_when_runs_overlap() -> None:
    logs = Logs()
    agent = Agent(FakeModel([FakeModel.text("a"), FakeModel.text("b")]), observers=[logs])
    await asyncio.gather(agent.generate("one"), agent.stream("two").collect())
    assert len(logs.runs) == 2
    assert len({log.run.run_id for log in logs.runs}) == 2
    for log in logs.runs:
        kinds = [type(e) for e in log.events]
        assert kinds.count(StepStart) == kinds.count(StepFinish) == kinds.count(Finish) == 1
        assert kinds.count(ToolCall) == kinds.count(ToolResult) == 0
