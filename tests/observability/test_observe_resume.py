"""Observers across pauses and durable engines: a paused run is watched piece by piece
(each generate/resume its own watched run, sharing the run id), tools that defer their
result say so, a recorded model call replayed by an engine is seen as events without an
attempt, and OpenTelemetry over corpus conversations run in pieces through saved JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from reverie import Agent, tool
from reverie.content import ToolCallPart, ToolResultPart
from reverie.effects import (
    Deferred,
    LocalEffects,
    ModelOutcome,
    ModelRequest,
    ToolOutcome,
    ToolRequest,
    decode_model_outcome,
    drain,
    encode_model_outcome,
)
from reverie.events import AgentEvent, RunFinish, RunPaused, StepFinish, StepStart, ToolResult
from reverie.observe import ModelAttempt, RunInfo, RunObserver
from reverie.otel import names as n
from reverie.run_state import RunResult, RunState
from reverie.testing._conformance import run_cassette
from reverie.testing._fake import FakeModel
from reverie.tool import CallDeferred

from .telemetry import Telemetry, attrs

pytestmark = pytest.mark.anyio


class Story(RunObserver):
    """What one watched run (piece) was told, in order; deltas left out."""

    def __init__(self, run: RunInfo) -> None:
        self.run = run
        self.told: list[tuple[str, Any]] = []
        self.tool_ends: list[ToolResultPart | Deferred | None] = []
        self.result: RunResult | None = None

    def model_attempt(self, attempt: ModelAttempt) -> None:
        self.told.append(("attempt", (attempt.step, attempt.attempt)))

    def event(self, event: AgentEvent) -> None:
        if isinstance(event, StepStart | StepFinish | RunPaused | RunFinish | ToolResult):
            self.told.append(("event", type(event).__name__))

    def tool_start(self, call: ToolCallPart) -> None:
        self.told.append(("tool_start", call.tool_name))

    def tool_end(self, call: ToolCallPart, result: ToolResultPart | Deferred | None) -> None:
        self.told.append(("tool_end", call.tool_name))
        self.tool_ends.append(result)

    def end(self, result: RunResult | None, error: BaseException | None) -> None:
        self.result = result
        self.told.append(("end", result.status if result is not None else repr(error)))


class Stories:
    def __init__(self) -> None:
        self.runs: list[Story] = []

    def start_run(self, run: RunInfo) -> RunObserver:
        self.runs.append(Story(run))
        return self.runs[-1]


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool(requires_approval=True)
def pay(invoice: int) -> str:
    """Pay an invoice."""
    return f"paid {invoice}"


@tool
def ask_human(question: str) -> str:
    """Ask a person; the answer comes later."""
    raise CallDeferred("a person answers this")


@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
async def test_a_paused_run_is_watched_piece_by_piece_sharing_its_run_id(streaming: bool) -> None:
    model = FakeModel(
        [
            FakeModel.tool_calls(("add", {"a": 1, "b": 2}), ("pay", {"invoice": 7})),
            FakeModel.text("paid, and 1 + 2 = 3"),
        ]
    )
    stories = Stories()

    def agent() -> Agent:  # a fresh agent per piece, as another process would have
        return Agent(model, tools=[add, pay], observers=[stories])

    if streaming:
        first = await agent().stream("go").collect()
    else:
        first = await agent().generate("go")
    assert first.paused and first.state is not None
    state = RunState.from_json(first.state.to_json())
    approvals = [state.pending[0].approve()]
    if streaming:
        second = await agent().resume_stream(state, approvals=approvals).collect()
    else:
        second = await agent().resume(state, approvals=approvals)
    assert second.status == "finished" and second.text == "paid, and 1 + 2 = 3"

    one, two = stories.runs
    assert one.run.run_id == two.run.run_id == state.run_id
    assert (one.run.resumed, two.run.resumed) == (False, True)
    assert two.run.state.open_step is not None and two.run.state.pending == ()  # approved
    assert one.told == [
        ("event", "StepStart"),
        ("attempt", (0, 1)),
        ("tool_start", "add"),
        ("tool_end", "add"),
        ("event", "ToolResult"),
        ("event", "RunPaused"),
        ("event", "RunFinish"),
        ("end", "paused"),
    ]
    # The resumed piece begins mid-step: it runs the approved call and ends step 0.
    assert two.told == [
        ("tool_start", "pay"),
        ("tool_end", "pay"),
        ("event", "ToolResult"),
        ("event", "StepFinish"),
        ("event", "StepStart"),
        ("attempt", (1, 1)),
        ("event", "StepFinish"),
        ("event", "RunFinish"),
        ("end", "finished"),
    ]
    assert one.result is not None and one.result.paused
    assert two.result is second


async def test_a_tool_that_defers_its_result_is_told_so_and_the_given_result_never_runs() -> None:
    model = FakeModel(
        [FakeModel.tool_calls(("ask_human", {"question": "which one?"})), FakeModel.text("ok")]
    )
    stories = Stories()
    agent = Agent(model, tools=[ask_human], observers=[stories])
    first = await agent.generate("go")
    assert first.paused and first.state is not None
    (pending,) = first.pending
    assert pending.kind == "external"
    second = await agent.resume(first.state, results=[pending.answer("the blue one")])
    assert second.text == "ok"

    one, two = stories.runs
    assert one.tool_ends == [Deferred("a person answers this")]
    assert ("tool_start", "ask_human") in one.told
    # Delivered, not run: the second piece hears of the result only as an event.
    assert not [t for t in two.told if t[0] in ("tool_start", "tool_end")]
    assert ("event", "ToolResult") in two.told


async def test_otel_marks_a_deferred_tool_and_gives_a_denied_call_no_span() -> None:
    telemetry = Telemetry()
    model = FakeModel(
        [
            FakeModel.tool_calls(("ask_human", {"question": "?"}), ("pay", {"invoice": 3})),
            FakeModel.text("done"),
        ]
    )
    agent = Agent(model, tools=[ask_human, pay], observers=[telemetry.observer])
    first = await agent.generate("go")
    assert first.state is not None
    asked, paying = first.pending
    await agent.resume(
        first.state, results=[asked.answer("yes")], approvals=[paying.deny("not today")]
    )

    runs = telemetry.named("invoke_agent")
    assert [attrs(r)[n.REVERIE_RUN_STATUS] for r in runs] == ["paused", "finished"]
    assert {attrs(r)[n.REVERIE_RUN_ID] for r in runs} == {first.state.run_id}
    assert [attrs(r).get(n.REVERIE_RUN_RESUMED) for r in runs] == [None, True]
    (tool_span,) = telemetry.named("execute_tool")  # the denied call ran nowhere
    assert tool_span.name == "execute_tool ask_human"
    assert attrs(tool_span)[n.REVERIE_TOOL_DEFERRED] is True
    assert n.ERROR_TYPE not in attrs(tool_span)
    assert len(telemetry.named("chat")) == 2
    telemetry.shutdown()


class Recording:
    """A stand-in for a durable engine: records each model outcome as JSON the first time,
    answers from the record on replay (never calling the inner effects again)."""

    def __init__(self) -> None:
        self.inner = LocalEffects()
        self.record: dict[tuple[str, int], dict[str, Any]] = {}
        self.replaying = False

    async def call_model(self, request: ModelRequest) -> AsyncIterator[AgentEvent | ModelOutcome]:
        key = (request.run_id, request.step)
        if not self.replaying:
            self.record[key] = encode_model_outcome(await drain(self.inner.call_model(request)))
        yield decode_model_outcome(self.record[key])

    async def call_tool(self, request: ToolRequest) -> ToolOutcome:
        return await self.inner.call_tool(request)


async def test_a_replayed_model_call_makes_no_attempt_and_keeps_its_recorded_time() -> None:
    script = [FakeModel.tool_calls(("add", {"a": 2, "b": 2})), FakeModel.text("4")]
    engine = Recording()
    stories = Stories()
    agent = Agent(FakeModel(script), tools=[add], observers=[stories])
    state = agent.start("go", run_id="run_durable")
    original = await agent.resume(state, effects=engine)
    engine.replaying = True
    replayed = await Agent(FakeModel([]), tools=[add], observers=[stories]).resume(
        state, effects=engine
    )

    live, replay = stories.runs
    assert [t for t in live.told if t[0] == "attempt"] == [("attempt", (0, 1)), ("attempt", (1, 1))]
    assert [t for t in replay.told if t[0] == "attempt"] == []  # nothing was sent
    assert replayed.steps == original.steps  # finished_at included: it was recorded
    assert all(s.finished_at is not None for s in replayed.steps)


TOOL_CASSETTES = [
    "fantasy/TestOpenAICommon/openai-gpt-4o/multi_tool.yaml",
    "fantasy/TestAnthropicCommon/claude-sonnet-4/multi_tool_streaming.yaml",
]


@pytest.mark.parametrize("cassette", TOOL_CASSETTES)
@pytest.mark.parametrize("mode", ["steps", "approvals"])
async def test_otel_over_corpus_conversations_run_in_pieces(
    corpus: Path, cassette: str, mode: Any
) -> None:
    path = corpus / cassette
    if not path.is_file():
        pytest.skip(f"{cassette} is not in the corpus")
    telemetry = Telemetry()
    check = await run_cassette(path, "strict", mode, observers=[telemetry.observer])
    assert check.status == "passed", check.reason

    runs = sorted(telemetry.named("invoke_agent"), key=lambda s: s.start_time or 0)
    assert len(runs) > 1  # every piece is its own run span
    run_ids = {attrs(r)[n.REVERIE_RUN_ID] for r in runs}
    assert len(run_ids) == 1
    statuses = [attrs(r)[n.REVERIE_RUN_STATUS] for r in runs]
    assert statuses == ["paused"] * (len(runs) - 1) + ["finished"]
    assert [bool(attrs(r).get(n.REVERIE_RUN_RESUMED)) for r in runs] == [False] + [True] * (
        len(runs) - 1
    )
    final = attrs(runs[-1])[n.REVERIE_RUN_STEPS]
    chats = telemetry.named("chat")
    tools = telemetry.named("execute_tool")
    assert len(chats) == final  # one attempt per step: nothing is retried in the corpus
    assert sorted(attrs(c)[n.REVERIE_STEP] for c in chats) == list(range(final))
    assert tools and all(n.ERROR_TYPE not in attrs(t) for t in tools)
    # The pieces' usage adds up to the whole run's.
    total = sum(attrs(r)[n.GEN_AI_USAGE_OUTPUT_TOKENS] for r in runs)
    assert total == sum(attrs(c)[n.GEN_AI_USAGE_OUTPUT_TOKENS] for c in chats)
    telemetry.shutdown()
