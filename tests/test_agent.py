"""The agent loop, driven by a scripted model (no HTTP): generate and stream alike."""

from __future__ import annotations

import asyncio
import threading
from typing import Annotated

import pytest

from reverie import (
    Agent,
    ErrorOutput,
    FinishReason,
    StepOverrides,
    TextOutput,
    ToolCallPart,
    ToolResponse,
    Usage,
    has_tool_call,
    step_count_is,
    tool,
)
from reverie.agent import RepairContext, RunResult, StepContext
from reverie.errors import ConfigurationError, InvalidRequestError, ServerError
from reverie.events import Retry, RunFinish, StepFinish, StepStart, TextDelta, ToolCall, ToolResult
from reverie.retry import RetryPolicy
from reverie.testing._fake import FakeModel

NO_WAIT = RetryPolicy(wait=False)


@tool
def add(a: Annotated[int, "first number"], b: Annotated[int, "second number"]) -> int:
    """Add two numbers"""
    return a + b


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two numbers"""
    return a * b


def script() -> list[object]:
    return [
        FakeModel.tool_calls(("add", {"a": 2, "b": 3}), ("multiply", {"a": 2, "b": 3})),
        FakeModel.text("5 and 6", usage=Usage(20, 4, 24)),
    ]


async def run(agent: Agent, streaming: bool, prompt: str = "go") -> RunResult:
    if streaming:
        return await agent.stream(prompt).collect()
    return await agent.generate(prompt)


@pytest.mark.anyio
@pytest.mark.parametrize("streaming", [False, True])
async def test_two_steps_run_tools_and_sum_usage(streaming: bool) -> None:
    model = FakeModel(script())  # type: ignore[arg-type]
    agent = Agent(model, system="Be brief.", tools=[add, multiply])
    result = await run(agent, streaming)
    assert result.text == "5 and 6"
    assert len(result.steps) == 2
    assert [r.output for r in result.steps[0].tool_results] == [TextOutput("5"), TextOutput("6")]
    assert result.usage == Usage(30, 9, 39)
    # The second call carries the assistant tool calls and the results, in call order.
    second = model.calls[1].messages
    assert [m.role for m in second] == ["system", "user", "assistant", "tool"]
    assert [p.tool_call_id for p in second[3].content] == ["call_0", "call_1"]  # type: ignore[union-attr]
    assert model.calls[0].tool_choice == "auto"
    assert [t.name for t in model.calls[0].tools] == ["add", "multiply"]


@pytest.mark.anyio
async def test_stream_yields_step_events_tool_calls_results_and_run_finish_in_order() -> None:
    agent = Agent(FakeModel(script()), tools=[add, multiply])  # type: ignore[arg-type]
    events = [e async for e in agent.stream("go")]
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "StepStart" and kinds[-1] == "RunFinish"
    assert sum(isinstance(e, StepStart) for e in events) == 2
    assert sum(isinstance(e, StepFinish) for e in events) == 2
    calls = [e for e in events if isinstance(e, ToolCall)]
    results = [e for e in events if isinstance(e, ToolResult)]
    assert [c.call.tool_name for c in calls] == ["add", "multiply"]
    assert [r.result.tool_name for r in results] == ["add", "multiply"]
    assert kinds.index("ToolResult") > kinds.index("ToolCall")
    assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == "5 and 6"


@pytest.mark.anyio
@pytest.mark.parametrize("streaming", [False, True])
async def test_tools_of_one_step_run_concurrently_and_keep_call_order(streaming: bool) -> None:
    # Each pair of tools meets at a barrier: run one after another, the first would wait
    # alone until the barrier gives up, and its result would be an error.
    async_pair = asyncio.Barrier(2)
    thread_pair = threading.Barrier(2, timeout=10)
    second_done = asyncio.Event()
    finished: list[int] = []

    @tool
    async def slow(n: int) -> str:
        """Wait for the other call, then echo"""
        async with asyncio.timeout(10):
            await async_pair.wait()
            if n == 0:
                await second_done.wait()  # the first call finishes last
        second_done.set()
        finished.append(n)
        return str(n)

    @tool
    def blocking(n: int) -> str:
        """Wait (blocking a thread) for the other call, then echo"""
        thread_pair.wait()
        return f"b{n}"

    model = FakeModel(
        [
            FakeModel.tool_calls(
                ("slow", {"n": 0}),
                ("slow", {"n": 1}),
                ("blocking", {"n": 2}),
                ("blocking", {"n": 3}),
            ),
            FakeModel.text("done"),
        ]
    )
    result = await run(Agent(model, tools=[slow, blocking]), streaming)
    outputs = [r.output for r in result.steps[0].tool_results]
    assert outputs == [TextOutput("0"), TextOutput("1"), TextOutput("b2"), TextOutput("b3")]
    assert finished == [1, 0]  # finished out of order, reported in call order


@pytest.mark.anyio
@pytest.mark.parametrize("streaming", [False, True])
async def test_invalid_calls_get_error_results_and_are_never_executed(streaming: bool) -> None:
    ran: list[int] = []

    @tool
    def record(n: int) -> str:
        """Record n"""
        ran.append(n)
        return "ok"

    model = FakeModel(
        [
            FakeModel.tool_calls(
                ("nope", {"n": 1}),
                ("record", "[1, 2]"),
                ("record", {}),
                ("record", {"n": "not a number"}),
                ("record", {"n": 5}),
            ),
            FakeModel.text("ok"),
        ]
    )
    result = await run(Agent(model, tools=[record]), streaming)
    outputs = [r.output for r in result.steps[0].tool_results]
    assert isinstance(outputs[0], ErrorOutput) and "tool not found: nope" in outputs[0].message
    assert isinstance(outputs[1], ErrorOutput) and "JSON object" in outputs[1].message
    assert (
        isinstance(outputs[2], ErrorOutput)
        and "missing required parameter: n" in outputs[2].message
    )
    assert isinstance(outputs[3], ErrorOutput) and "n:" in outputs[3].message
    assert outputs[4] == TextOutput("ok")
    assert ran == [5]


@pytest.mark.anyio
async def test_broken_json_arguments_are_repaired_before_running() -> None:
    model = FakeModel([FakeModel.tool_calls(("add", '{"a": 2, "b": 3')), FakeModel.text("5")])
    result = await Agent(model, tools=[add]).generate("go")
    assert result.steps[0].tool_results[0].output == TextOutput("5")
    assert result.steps[0].tool_calls[0].input == '{"a":2,"b":3}'


@pytest.mark.anyio
async def test_the_repair_hook_replaces_an_invalid_call() -> None:
    seen: list[str] = []

    async def repair(ctx: RepairContext) -> ToolCallPart | None:
        seen.append(ctx.error)
        return ToolCallPart(ctx.call.tool_call_id, "add", '{"a": 1, "b": 1}')

    model = FakeModel([FakeModel.tool_calls(("ad", {"a": 1})), FakeModel.text("2")])
    result = await Agent(model, tools=[add], repair_tool_call=repair).generate("go")
    assert seen and "tool not found: ad" in seen[0]
    assert result.steps[0].tool_calls[0].tool_name == "add"
    assert result.steps[0].tool_results[0].output == TextOutput("2")


@pytest.mark.anyio
async def test_a_raising_tool_becomes_an_error_result_and_the_run_goes_on() -> None:
    @tool
    def explode() -> str:
        """Fails"""
        raise ValueError("kaboom")

    model = FakeModel([FakeModel.tool_calls(("explode", {})), FakeModel.text("sorry")])
    result = await Agent(model, tools=[explode]).generate("go")
    assert result.steps[0].tool_results[0].output == ErrorOutput("ValueError: kaboom")
    assert result.text == "sorry"


@pytest.mark.anyio
async def test_stop_conditions_end_the_loop() -> None:
    looping = [FakeModel.tool_calls(("add", {"a": 1, "b": 1})) for _ in range(5)]
    model = FakeModel(looping)
    result = await Agent(model, tools=[add], stop_when=step_count_is(3)).generate("go")
    assert len(result.steps) == 3
    model = FakeModel(list(looping))
    result = await Agent(model, tools=[add], stop_when=has_tool_call("add")).generate("go")
    assert len(result.steps) == 1


@pytest.mark.anyio
async def test_a_tool_can_end_the_turn() -> None:
    @tool
    def finish() -> ToolResponse:
        """End"""
        return ToolResponse("bye", stop_turn=True)

    model = FakeModel([FakeModel.tool_calls(("finish", {})), FakeModel.text("never")])
    result = await Agent(model, tools=[finish]).generate("go")
    assert len(result.steps) == 1 and model.remaining == 1


@pytest.mark.anyio
async def test_prepare_step_changes_system_tool_choice_and_active_tools() -> None:
    def prepare(ctx: StepContext) -> StepOverrides | None:
        if ctx.step_number == 1:
            return StepOverrides(system="Now answer.", tool_choice="none", active_tools=["add"])
        return None

    model = FakeModel(script())  # type: ignore[arg-type]
    await Agent(model, system="Plan.", tools=[add, multiply], prepare_step=prepare).generate("go")
    second = model.calls[1]
    assert second.messages[0].text == "Now answer."
    assert second.tool_choice == "none"
    assert [t.name for t in second.tools] == ["add"]


@pytest.mark.anyio
@pytest.mark.parametrize("streaming", [False, True])
async def test_transient_failures_are_retried_and_streams_announce_it(streaming: bool) -> None:
    model = FakeModel([ServerError("down", status=503), FakeModel.text("hello")])
    agent = Agent(model, retry=NO_WAIT)
    events = [e async for e in agent.stream("go")] if streaming else []
    if streaming:
        retries = [e for e in events if isinstance(e, Retry)]
        assert len(retries) == 1 and isinstance(retries[0].error, ServerError)
        final = events[-1]
        assert isinstance(final, RunFinish) and final.result.text == "hello"
    else:
        assert (await agent.generate("go")).text == "hello"


@pytest.mark.anyio
async def test_client_errors_are_not_retried() -> None:
    model = FakeModel([InvalidRequestError("bad", status=400), FakeModel.text("never")])
    with pytest.raises(InvalidRequestError):
        await Agent(model, retry=NO_WAIT).generate("go")
    assert model.remaining == 1


def test_generate_sync_works_with_and_without_a_running_loop() -> None:
    model = FakeModel([FakeModel.text("one"), FakeModel.text("two")])
    agent = Agent(model)
    assert agent.generate_sync("hi").text == "one"

    async def inside_a_loop() -> str:
        return agent.generate_sync("hi").text

    assert asyncio.run(inside_a_loop()) == "two"


@pytest.mark.anyio
async def test_final_step_is_the_last_with_text_and_finish_reason_is_the_last_steps() -> None:
    model = FakeModel([FakeModel.tool_calls(("add", {"a": 1, "b": 2}), text="Computing.")] * 2)
    result = await Agent(model, tools=[add], stop_when=step_count_is(2)).generate("go")
    assert result.text == "Computing."
    assert result.finish_reason == FinishReason.TOOL_CALLS


def test_bad_configuration_raises_clear_errors() -> None:
    with pytest.raises(ConfigurationError, match="prompt or messages"):
        Agent(FakeModel([])).generate_sync("")
    with pytest.raises(ConfigurationError, match="unique"):
        Agent(FakeModel([]), tools=[add, add])
