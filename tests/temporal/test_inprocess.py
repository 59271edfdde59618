"""Agent runs on a real Temporal dev server with a worker in this process: results, events,
approvals by signal, failures."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import aclosing

import pytest
from pydantic import BaseModel
from temporalio.client import Client

from reverie import Agent, tool
from reverie.approval import Approval
from reverie.durable import RunFailed
from reverie.durable.temporal import AgentWorker, TemporalRun, start_run
from reverie.errors import ApprovalError, AuthenticationError, RateLimitError
from reverie.events import (
    Retry,
    RunFinish,
    RunPaused,
    TextDelta,
    ToolCall,
)
from reverie.retry import RetryPolicy
from reverie.testing._fake import FakeModel

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(temporal_address: str) -> Client:
    return await Client.connect(temporal_address)


def queue() -> str:
    return f"q-{uuid.uuid4().hex[:8]}"


async def test_a_run_finishes_with_its_tools_run_once(client: Client) -> None:
    ran: list[int] = []

    @tool
    def add(a: int, b: int) -> int:
        "Add"
        ran.append(a + b)
        return a + b

    model = FakeModel([FakeModel.tool_calls(("add", {"a": 2, "b": 3})), FakeModel.text("5")])
    agent = Agent(model, tools=[add])
    q = queue()
    async with AgentWorker(client, agent, task_queue=q):
        run = await start_run(client, "add 2 and 3", task_queue=q)
        events = [e async for e in run.events()]
        result = await run.result()
    assert result.text == "5" and result.status == "finished"
    assert ran == [5] and len(model.calls) == 2
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "StepStart" and kinds[-1] == "RunFinish"
    assert any(isinstance(e, TextDelta) for e in events)


async def first_pause(run: TemporalRun) -> RunPaused:
    async with aclosing(run.events()) as events:
        async for event in events:
            if isinstance(event, RunPaused):
                return event
    raise AssertionError("the run ended without pausing")


async def test_a_paused_run_waits_for_signals_even_across_a_worker_restart(client: Client) -> None:
    paid: list[int] = []

    @tool(requires_approval=True)
    def pay(invoice: int) -> str:
        "Pay an invoice"
        paid.append(invoice)
        return "paid"

    model = FakeModel(
        [
            FakeModel.tool_calls(("pay", {"invoice": 7}), ("pay", {"invoice": 8})),
            FakeModel.text("paid one"),
        ]
    )
    agent = Agent(model, tools=[pay])
    q = queue()
    async with AgentWorker(client, agent, task_queue=q):
        run = await start_run(client, "pay invoices 7 and 8", task_queue=q)
        paused = await first_pause(run)
    # No worker serves the queue now; the run waits in Temporal, not in any process.
    seven, eight = paused.pending
    assert [dict(p.arguments) for p in paused.pending] == [{"invoice": 7}, {"invoice": 8}]
    async with AgentWorker(client, agent, task_queue=q):  # a new worker replays, then waits
        with pytest.raises(ApprovalError, match="fingerprint"):
            await run.answer(Approval(seven.id, "0" * 64))
        with pytest.raises(ApprovalError, match="no call 'nope'"):
            await run.answer(Approval("nope", seven.fingerprint))
        await run.answer(seven.approve())
        assert [p.id for p in await run.pending()] == [seven.id, eight.id]  # waits for both
        await run.answer(eight.deny("over budget"))
        result = await run.result()
        state = await run.state()
    assert result.text == "paid one" and paid == [7]
    assert len(model.calls) == 2  # the replaying worker did not ask the model again
    tool_message = model.calls[1].messages[-1]
    assert tool_message.role == "tool" and "over budget" in str(tool_message.content[1])
    assert state is not None and state.finished and state.steps == result.steps


async def test_structured_output_comes_back_as_json_or_as_the_type(client: Client) -> None:
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
    agent = Agent(model, tools=[add], output_type=Total, output_mode="tool")
    q = queue()
    async with AgentWorker(client, agent, task_queue=q):
        run = await start_run(client, "add 2 and 3", task_queue=q, stream=False)
        raw = await run.result()
        typed = await run.result(output_type=Total)
        events = [e async for e in run.events()]
    assert raw.output == {"value": 5} and typed.output == Total(value=5)
    assert not any(isinstance(e, TextDelta | ToolCall) for e in events)  # stream=False
    finish = events[-1]
    assert isinstance(finish, RunFinish) and finish.result.output == {"value": 5}


async def test_temporal_retries_a_retryable_model_failure_and_the_stream_says_so(
    client: Client,
) -> None:
    model = FakeModel([RateLimitError("slow down", retry_after=0.01), FakeModel.text("ok now")])
    agent = Agent(model, retry=RetryPolicy(attempts=3, wait=False))
    q = queue()
    async with AgentWorker(client, agent, task_queue=q):
        run = await start_run(client, "hi", task_queue=q)
        events = [e async for e in run.events()]
        result = await run.result()
    assert result.text == "ok now" and len(model.calls) == 2
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("Retry") < kinds.index("TextDelta")
    retry = next(e for e in events if isinstance(e, Retry))
    assert retry.attempt == 1


@pytest.mark.parametrize(
    ("script", "attempts", "kind", "calls"),
    [
        ([AuthenticationError("bad key", status=401)], 3, "AuthenticationError", 1),
        ([RateLimitError("busy"), RateLimitError("still busy")], 2, "RetryError", 2),
    ],
    ids=["not-retryable", "attempts-exhausted"],
)
async def test_a_failed_model_call_fails_the_run_with_its_kind(
    client: Client, script: list[BaseException], attempts: int, kind: str, calls: int
) -> None:
    model = FakeModel(script)
    agent = Agent(model, retry=RetryPolicy(attempts=attempts, wait=False))
    q = queue()
    async with AgentWorker(client, agent, task_queue=q):
        run = await start_run(client, "hi", task_queue=q)
        with pytest.raises(RunFailed) as caught:
            await run.result()
    assert caught.value.kind == kind and len(model.calls) == calls
    assert "busy" in str(caught.value) or "bad key" in str(caught.value)


async def test_the_run_timeout_is_a_workflow_timer(client: Client) -> None:
    @tool
    async def wait(seconds: float) -> str:
        "Wait"
        await asyncio.sleep(seconds)
        return "waited"

    model = FakeModel([FakeModel.tool_calls(("wait", {"seconds": 30}))])
    agent = Agent(model, tools=[wait], run_timeout=1.0)
    q = queue()
    async with AgentWorker(client, agent, task_queue=q):
        run = await start_run(client, "wait", task_queue=q)
        with pytest.raises(RunFailed, match="1s limit") as caught:
            await run.result()
    assert caught.value.kind == "RunTimeoutError"
