"""Pause and resume over real HTTP: an OpenAI-compatible server on 127.0.0.1.

The run that pauses for approval, is saved as JSON and resumed by a new agent on a new model
object must send the server byte-for-byte the requests of a run that never paused.
"""

from __future__ import annotations

import orjson
import pytest

from reverie import Agent, get_model, tool
from reverie.run_state import RunResult, RunState
from tests.testing.fake_openai import FakeOpenAI

pytestmark = pytest.mark.anyio

ran: list[str] = []


def make_agent(base_url: str, *, approval: bool) -> Agent:
    @tool(requires_approval=approval)
    def weather(location: str) -> str:
        """Get weather information for a location"""
        ran.append(location)
        return "40 C"

    model = get_model(
        "openai-compatible:fake-model", base_url=base_url, api_key="sk-loopback-key-123456"
    )
    return Agent(model, system="You are a helpful assistant", tools=[weather])


async def run(agent: Agent, stream: bool) -> RunResult:
    prompt = "What's the weather in Florence?"
    return await (agent.stream(prompt).collect() if stream else agent.generate(prompt))


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_a_run_resumed_from_json_sends_the_requests_of_an_uninterrupted_run(
    stream: bool,
) -> None:
    ran.clear()
    with FakeOpenAI() as server:
        straight = await run(make_agent(server.base_url, approval=False), stream)
        reference = [r["body"] for r in server.requests]
        assert len(reference) == 2 and straight.status == "finished"
        server.requests.clear()

        paused = await run(make_agent(server.base_url, approval=True), stream)
        assert paused.status == "paused" and len(server.requests) == 1
        assert [(p.tool_name, dict(p.arguments)) for p in paused.pending] == [
            ("weather", {"location": "Florence"})
        ]
        assert paused.state is not None
        state = RunState.from_json(paused.state.to_json())
        agent = make_agent(server.base_url, approval=True)
        approvals = [state.pending[0].approve()]
        if stream:
            resumed = await agent.resume_stream(state, approvals=approvals).collect()
        else:
            resumed = await agent.resume(state, approvals=approvals)

        assert [r["body"] for r in server.requests] == reference
        assert resumed.text == straight.text
        assert resumed.messages == straight.messages
        assert ran == ["Florence", "Florence"]


async def test_a_denial_reaches_the_server_as_the_tool_result() -> None:
    with FakeOpenAI() as server:
        paused = await run(make_agent(server.base_url, approval=True), stream=True)
        assert paused.state is not None
        agent = make_agent(server.base_url, approval=True)
        await agent.resume(paused.state, approvals=[paused.pending[0].deny("not today")])
        body = orjson.loads(server.requests[-1]["body"])
        tool_message = body["messages"][-1]
        assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_1"
        assert "not today" in tool_message["content"]
