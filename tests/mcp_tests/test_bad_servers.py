"""Servers that crash, hang, break the protocol, send the provider an unusable schema or
return far too much: the user gets a clear error, the run goes on or stops cleanly, and
no process is left behind (every test here checks the process table)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from reverie import Agent
from reverie.content import ErrorOutput, TextOutput
from reverie.events import ToolCall
from reverie.mcp import MCPServerError, MCPServerStdio, SchemaError
from reverie.testing._fake import FakeModel

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("no_new_processes")]

BAD = str(Path(__file__).with_name("bad_server.py"))


def bad(mode: str, **options: Any) -> MCPServerStdio:
    return MCPServerStdio(sys.executable, [BAD, mode], **options)


def ping_then(text: str) -> FakeModel:
    return FakeModel([FakeModel.tool_calls(("ping", {})), FakeModel.text(text)])


async def test_a_server_that_crashes_mid_call_gives_an_error_result() -> None:
    model = FakeModel(
        [
            FakeModel.tool_calls(("ping", {})),
            FakeModel.tool_calls(("ping", {})),
            FakeModel.text("I could not reach the tool"),
        ]
    )
    result = await Agent(model, tools=[bad("crash-on-call")]).generate("ping")
    first, second = (s.tool_results[0].output for s in result.steps[:2])
    assert isinstance(first, ErrorOutput)
    assert "closed the connection" in first.message
    assert "boom: the server fell over" in first.message  # its stderr, quoted
    assert isinstance(second, ErrorOutput) and "not usable" in second.message
    assert result.text == "I could not reach the tool"  # the run went on


async def test_a_server_that_hangs_on_a_call_is_timed_out() -> None:
    result = await Agent(ping_then("ok"), tools=[bad("hang-on-call", call_timeout=0.3)]).generate(
        "ping"
    )
    output = result.steps[0].tool_results[0].output
    assert isinstance(output, ErrorOutput) and "did not answer in time" in output.message
    assert result.text == "ok"


async def test_invalid_json_rpc_in_answer_to_a_call_is_named() -> None:
    server = bad("garbage-on-call", call_timeout=0.3)
    result = await Agent(ping_then("ok"), tools=[server]).generate("ping")
    output = result.steps[0].tool_results[0].output
    assert isinstance(output, ErrorOutput)
    assert "not JSON-RPC" in output.message


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("exit-at-start", "cannot open database /nowhere/db.sqlite"),
        ("hang-at-start", "did not finish the MCP handshake within 0.5 s"),
        ("garbage-at-start", "not JSON-RPC"),
    ],
)
async def test_a_server_that_cannot_start_is_a_clear_startup_error(
    mode: str, expected: str
) -> None:
    agent = Agent(ping_then("never"), tools=[bad(mode, startup_timeout=0.5)])
    with pytest.raises(MCPServerError) as caught:
        await agent.generate("ping")
    assert expected in str(caught.value)
    assert BAD in str(caught.value)  # which server


async def test_a_missing_command_is_a_clear_startup_error() -> None:
    server = MCPServerStdio("/no/such/mcp-server", ["--flag"])
    with pytest.raises(MCPServerError, match="could not be started"):
        async with server:
            pass


async def test_a_result_over_the_limit_is_an_error_result() -> None:
    result = await Agent(ping_then("ok"), tools=[bad("huge", max_result_size=1_000_000)]).generate(
        "ping"
    )
    output = result.steps[0].tool_results[0].output
    assert isinstance(output, ErrorOutput)
    assert "5,000,000" in output.message and "max_result_size" in output.message


async def test_a_schema_against_the_mcp_spec_is_a_clear_error() -> None:
    with pytest.raises(MCPServerError, match=r"inputSchema\.type\s+Input should be 'object'"):
        await Agent(ping_then("ok"), tools=[bad("bad-schema")]).generate("ping")


async def test_a_schema_the_provider_would_reject_is_a_clear_error() -> None:
    openai = FakeModel([FakeModel.text("unused")], provider="openai")
    with pytest.raises(SchemaError, match="tool 'bad': argument 'meta' is an open object"):
        await Agent(openai, tools=[bad("open-object", strict=True)]).generate("ping")
    # Leaving the tool out makes the server usable; so does a provider that takes it.
    server = bad("open-object", strict=True, exclude=["bad"])
    result = await Agent(ping_then("ok"), tools=[server]).generate("ping")
    assert result.steps[0].tool_results[0].output == TextOutput("pong")
    result = await Agent(ping_then("ok"), tools=[bad("open-object")]).generate("ping")
    assert result.steps[0].tool_results[0].output == TextOutput("pong")


async def test_processes_the_server_started_are_stopped_with_it() -> None:
    async with bad("grandchild") as server:
        assert await server.call_tool("ping") == TextOutput("pong")
    # no_new_processes: neither the server nor its sleeping child is left


async def test_cancelling_a_run_stops_the_server() -> None:
    model = FakeModel([FakeModel.tool_calls(("ping", {})), FakeModel.text("never")])
    agent = Agent(model, tools=[bad("hang-on-call")])
    calling = asyncio.Event()

    async def run() -> None:
        async for event in agent.stream("ping"):
            if isinstance(event, ToolCall):
                calling.set()

    task = asyncio.ensure_future(run())
    await calling.wait()
    await asyncio.sleep(0.1)  # the call is on its way to the hung server
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
