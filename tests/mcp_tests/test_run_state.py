"""Runs that pause on an MCP server's tool and resume: in the same process, from the state's
JSON with a new agent and a new server process, streamed, and through an engine's own
effects. The server is a real one over stdio (``bad_server.py good``), which writes down
every call it is asked to run, so a test sees what really reached it."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from reverie import Agent
from reverie.content import ErrorOutput, TextOutput, ToolResultPart
from reverie.effects import LocalEffects, ModelOutcome, ModelRequest, ToolOutcome, ToolRequest
from reverie.errors import ConfigurationError
from reverie.events import AgentEvent, RunFinish, RunPaused, ToolResult
from reverie.mcp import MCPServerStdio
from reverie.run_state import RunState
from reverie.testing._fake import FakeModel

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("no_new_processes")]

SERVER = str(Path(__file__).with_name("bad_server.py"))


def server(log: Path, **options: Any) -> MCPServerStdio:
    """The raw stdio server offering ``ping`` and ``add``; its calls go to ``log``."""
    return MCPServerStdio(sys.executable, [SERVER, "good", str(log)], **options)


def calls_made(log: Path) -> list[list[Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def add_then(text: str) -> FakeModel:
    return FakeModel([FakeModel.tool_calls(("add", {"a": 2, "b": 3})), FakeModel.text(text)])


def approve_add(name: str, arguments: Mapping[str, Any]) -> bool:
    return name == "add"


def outputs(model: FakeModel) -> list[Any]:
    """The tool results the model was sent in its last call."""
    return [p.output for p in model.calls[-1].messages[-1].content if isinstance(p, ToolResultPart)]


async def test_a_pause_on_an_mcp_tool_resumes_in_the_same_process(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    model = add_then("2 + 3 = 5")
    agent = Agent(model, tools=[server(log)], requires_approval=approve_add)

    paused = await agent.generate("Add 2 and 3")
    assert paused.status == "paused"
    assert [(p.tool_name, dict(p.arguments), p.kind) for p in paused.pending] == [
        ("add", {"a": 2, "b": 3}, "approval")
    ]
    assert calls_made(log) == []  # the server was never asked
    assert paused.state is not None and set(paused.state.tools) == {"ping", "add"}

    done = await agent.resume(paused.state, approvals=[paused.pending[0].approve()])
    assert done.status == "finished" and done.text == "2 + 3 = 5"
    assert calls_made(log) == [["add", {"a": 2, "b": 3}]]
    assert outputs(model) == [TextOutput("5")]  # the server's answer, sent to the model


async def test_a_pause_on_an_mcp_tool_resumes_from_json_with_a_new_agent(
    tmp_path: Path,
) -> None:
    log = tmp_path / "calls.jsonl"
    first = Agent(add_then("unused"), tools=[server(log)], requires_approval=approve_add)
    paused = await first.generate("Add 2 and 3")
    assert paused.state is not None
    saved = paused.state.to_json()

    # Another process, a day later: a new model, a new agent, a new server process.
    state = RunState.from_json(saved)
    model = FakeModel([FakeModel.text("It is 5.")])
    agent = Agent(model, tools=[server(log)], requires_approval=approve_add)
    done = await agent.resume(state, approvals=[c.approve() for c in state.pending])
    assert done.status == "finished" and done.text == "It is 5."
    assert calls_made(log) == [["add", {"a": 2, "b": 3}]]
    assert outputs(model) == [TextOutput("5")]
    # The request after the pause is the one the uninterrupted run would have sent.
    assert [t.name for t in model.calls[0].tools] == ["ping", "add"]


async def test_a_denied_mcp_call_never_reaches_the_server(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    model = add_then("I was not allowed to add.")
    agent = Agent(model, tools=[server(log)], requires_approval=approve_add)
    paused = await agent.generate("Add 2 and 3")
    assert paused.state is not None
    state = RunState.from_json(paused.state.to_json())
    done = await agent.resume(state, approvals=[state.pending[0].deny("not today")])
    assert done.status == "finished"
    assert calls_made(log) == []
    (denied,) = outputs(model)
    assert isinstance(denied, ErrorOutput) and "not today" in denied.message


async def test_a_resumed_stream_runs_the_mcp_call_and_streams_its_result(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    agent = Agent(add_then("5"), tools=[server(log)], requires_approval=approve_add)
    events = [e async for e in agent.stream("Add 2 and 3")]
    assert [type(e) for e in events[-2:]] == [RunPaused, RunFinish]
    paused = agent_result(events)
    assert paused.state is not None

    stream = agent.resume_stream(paused.state, approvals=[paused.pending[0].approve()])
    resumed = [e async for e in stream]
    results = [e.result.output for e in resumed if isinstance(e, ToolResult)]
    assert results == [TextOutput("5")]
    assert stream.result is not None and stream.result.status == "finished"


def agent_result(events: list[AgentEvent]) -> Any:
    last = events[-1]
    assert isinstance(last, RunFinish)
    return last.result


async def test_a_resumed_call_whose_tool_the_servers_no_longer_offer_is_refused(
    tmp_path: Path,
) -> None:
    log = tmp_path / "calls.jsonl"
    first = Agent(add_then("unused"), tools=[server(log)], requires_approval=approve_add)
    paused = await first.generate("Add 2 and 3")
    assert paused.state is not None

    narrower = Agent(FakeModel([]), tools=[server(log, include=["ping"])])
    state = paused.state
    with pytest.raises(ConfigurationError, match="waits on calls to add"):
        await narrower.resume(state, approvals=[state.pending[0].approve()])
    assert calls_made(log) == []


async def test_an_agent_held_open_keeps_one_server_across_the_pause(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    mcp = server(log)
    agent = Agent(add_then("5"), tools=[mcp], requires_approval=approve_add)
    async with agent:
        paused = await agent.generate("Add 2 and 3")
        connection = mcp.client
        assert paused.state is not None
        await agent.resume(paused.state, approvals=[paused.pending[0].approve()])
        assert mcp.client is connection  # not restarted for the resume
    assert calls_made(log) == [["add", {"a": 2, "b": 3}]]


class Recorded:
    """An engine's effects, in the shape a durable engine gives them: the first time
    through, LocalEffects runs each effect and its outcome is kept by (run, step, call);
    on replay, kept outcomes are given back and nothing is called again."""

    def __init__(self) -> None:
        self.inner = LocalEffects()
        self.models: dict[tuple[str, int], ModelOutcome] = {}
        self.tools: dict[tuple[str, int, str], ToolOutcome] = {}
        self.tool_names: list[str] = []

    async def call_model(self, request: ModelRequest) -> AsyncIterator[AgentEvent | ModelOutcome]:
        key = (request.run_id, request.step)
        if key not in self.models:
            async for item in self.inner.call_model(request):
                if isinstance(item, ModelOutcome):
                    self.models[key] = item
                yield item
            return
        yield self.models[key]

    async def call_tool(self, request: ToolRequest) -> ToolOutcome:
        key = (request.run_id, request.step, request.call.tool_call_id)
        if key not in self.tools:
            self.tool_names.append(request.tool.name)
            self.tools[key] = await self.inner.call_tool(request)
        return self.tools[key]


async def test_an_engine_resumes_an_mcp_run_with_its_own_effects_and_replays_it(
    tmp_path: Path,
) -> None:
    log = tmp_path / "calls.jsonl"
    effects = Recorded()
    agent = Agent(add_then("5"), tools=[server(log)], requires_approval=approve_add)
    start = agent.start("Add 2 and 3")
    paused = await agent.resume(start, effects=effects)
    assert paused.state is not None
    approvals = [paused.pending[0].approve()]
    done = await agent.resume(paused.state, approvals=approvals, effects=effects)
    assert done.text == "5" and effects.tool_names == ["add"]
    assert calls_made(log) == [["add", {"a": 2, "b": 3}]]

    # A crash, then the engine replays from the run's first state: the toolsets are opened
    # and listed again, every effect is answered from the record, the server is not called.
    replayed = await agent.resume(start, effects=effects)
    assert replayed.status == "paused" and replayed.state is not None
    again = await agent.resume(replayed.state, approvals=approvals, effects=effects)
    assert again.text == "5" and again.messages == done.messages
    assert calls_made(log) == [["add", {"a": 2, "b": 3}]]
