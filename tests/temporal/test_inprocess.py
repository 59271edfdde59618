"""Agent runs on a real Temporal dev server with a worker in this process: results, events,
approvals by signal, failures."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client

from reverie import Agent, tool
from reverie.durable.temporal import AgentWorker, start_run
from reverie.events import RunFinish, RunPaused, StepFinish, StepStart, TextDelta, ToolResult
from reverie.testing._fake import FakeModel

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(temporal_address: str) -> AsyncIterator[Client]:
    yield await Client.connect(temporal_address)


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
    print(kinds)
