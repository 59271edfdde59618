"""A server built with the MCP SDK, on loopback over streamable HTTP and legacy SSE.

See ``sdk_server.py`` for what it offers. Each test runs an agent (scripted model) or the
toolset's own API against it and checks what crossed the wire, on both sides.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from reverie import Agent
from reverie.content import ErrorOutput, FilePart, MediaOutput, TextOutput, TextPart
from reverie.events import ToolCall
from reverie.mcp import (
    Elicitation,
    ElicitationResponse,
    MCPServerHTTP,
    MCPServerSSE,
    ToolProgress,
)
from reverie.testing._fake import FakeModel
from tests.mcp_tests.sdk_server import Running

pytestmark = [
    pytest.mark.anyio,
    # The server's sampling call is a 2026-deprecated API it is still free to use.
    pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning"),
]


def outputs(result: Any) -> dict[str, Any]:
    return {r.tool_name: r.output for s in result.steps for r in s.tool_results}


@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
async def test_every_page_of_tools_is_listed_and_called(sdk: Running, transport: str) -> None:
    server = MCPServerHTTP(sdk.url) if transport == "streamable-http" else MCPServerSSE(sdk.sse_url)
    model = FakeModel(
        [
            FakeModel.tool_calls(("add", {"a": 2, "b": 3}), ("picture", {}), ("fail", {})),
            FakeModel.text("done"),
        ]
    )
    result = await Agent(model, tools=[server]).generate("go")
    offered = [spec.name for spec in model.calls[0].tools]
    assert offered == [
        "add",
        "unlock",
        "slow",
        "wait_forever",
        "ask_model",
        "ask_user",
        "fail",
        "huge",
        "picture",
    ]
    got = outputs(result)
    assert got["add"] == TextOutput("5")
    picture = got["picture"]
    assert isinstance(picture, MediaOutput) and picture.media_type == "image/png"
    assert picture.text == "a red dot"
    assert got["fail"] == ErrorOutput("the disk is full")  # isError: an error result
    assert sdk.state.calls[0] == ("add", {"a": 2, "b": 3})


async def test_a_list_changed_notification_refreshes_the_tools(sdk: Running) -> None:
    """2025-11-25: the notification travels ahead of the call's result, so the very next
    step already offers the new tool."""
    model = FakeModel(
        [
            FakeModel.tool_calls(("unlock", {})),
            FakeModel.tool_calls(("secret", {})),
            FakeModel.text("done"),
        ]
    )
    server = MCPServerHTTP(sdk.url, protocol="legacy")
    result = await Agent(model, tools=[server]).generate("go")
    assert "secret" not in {t.name for t in model.calls[0].tools}
    assert "secret" in {t.name for t in model.calls[1].tools}
    assert outputs(result)["secret"] == TextOutput("the secret is 42")


async def test_a_2026_server_announces_changes_on_a_subscription(sdk: Running) -> None:
    """2026-07-28: changes arrive on the client's subscriptions/listen stream, on their
    own time; the listing is refetched once one has."""
    async with MCPServerHTTP(sdk.url) as server:
        assert server.client.protocol_version == "2026-07-28"
        assert "secret" not in {t.name for t in await server.list_tools()}
        await server.call_tool("unlock")
        for _ in range(500):  # bounded: the event is on its way over the listen stream
            if "secret" in {t.name for t in await server.list_tools()}:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the tool list was not refreshed")


async def test_progress_is_reported_while_a_tool_runs(sdk: Running) -> None:
    seen: list[ToolProgress] = []
    server = MCPServerHTTP(sdk.url, on_progress=seen.append)
    async with server:
        assert await server.call_tool("slow", {"n": 3}) == TextOutput("counted to 3")
    assert [(p.progress, p.total, p.message) for p in seen] == [
        (1, 3, "step 1"),
        (2, 3, "step 2"),
        (3, 3, "step 3"),
    ]
    assert {p.tool for p in seen} == {"slow"}


async def test_cancelling_the_run_cancels_the_call_on_the_server(sdk: Running) -> None:
    model = FakeModel([FakeModel.tool_calls(("wait_forever", {})), FakeModel.text("never")])
    async with MCPServerHTTP(sdk.url) as server:
        agent = Agent(model, tools=[server])

        async def run() -> None:
            async for event in agent.stream("wait"):
                if isinstance(event, ToolCall):
                    pass

        task = asyncio.ensure_future(run())
        assert await asyncio.to_thread(sdk.state.started.wait, 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The SDK sent notifications/cancelled; the server's handler was cancelled.
        assert await asyncio.to_thread(sdk.state.cancelled.wait, 30)
        # The connection is still usable afterwards.
        assert await server.call_tool("add", {"a": 1, "b": 1}) == TextOutput("2")


async def test_a_call_that_outlives_call_timeout_is_an_error_result(sdk: Running) -> None:
    async with MCPServerHTTP(sdk.url, call_timeout=0.5) as server:
        output = await server.call_tool("wait_forever")
        assert isinstance(output, ErrorOutput)
        assert "did not answer in time" in output.message
        assert await asyncio.to_thread(sdk.state.cancelled.wait, 30)


# The test server asks for sampling and elicitation mid-call, the 2025 way (2026 servers
# answer with input_required instead): these tests connect with the 2025 handshake.


async def test_sampling_is_served_by_a_reverie_model(sdk: Running) -> None:
    sampler = FakeModel([FakeModel.text("Paris")])
    model = FakeModel(
        [
            FakeModel.tool_calls(("ask_model", {"question": "Capital of France?"})),
            FakeModel.text("ok"),
        ]
    )
    result = await Agent(
        model, tools=[MCPServerHTTP(sdk.url, sampling_model=sampler, protocol="legacy")]
    ).generate("go")
    assert outputs(result)["ask_model"] == TextOutput("the model said: Paris")
    assert sampler.calls[0].messages[-1].text == "Capital of France?"
    assert sampler.calls[0].max_output_tokens == 50


async def test_without_a_sampling_model_the_server_is_refused(sdk: Running) -> None:
    async with MCPServerHTTP(sdk.url, protocol="legacy") as server:
        output = await server.call_tool("ask_model", {"question": "?"})
    assert isinstance(output, ErrorOutput)


async def test_elicitation_goes_to_the_callback(sdk: Running) -> None:
    asked: list[Elicitation] = []

    async def answer(request: Elicitation) -> ElicitationResponse:
        asked.append(request)
        return ElicitationResponse("accept", {"name": "Ada"})

    async with MCPServerHTTP(sdk.url, elicitation=answer, protocol="legacy") as server:
        assert await server.call_tool("ask_user") == TextOutput("accept: {'name': 'Ada'}")
    assert asked[0].message == "What is your name?"
    assert asked[0].schema["required"] == ["name"]


async def test_an_oversized_result_is_an_error_result(sdk: Running) -> None:
    async with MCPServerHTTP(sdk.url, max_result_size=100_000) as server:
        output = await server.call_tool("huge")
    assert isinstance(output, ErrorOutput)
    assert "2,000,000" in output.message and "max_result_size" in output.message


async def test_resources_and_prompts_become_parts_and_messages(sdk: Running) -> None:
    async with MCPServerHTTP(sdk.url) as server:
        assert [str(r.uri) for r in await server.list_resources()] == [
            "test://notes",
            "test://dot.png",
        ]
        assert await server.read_resource("test://notes") == [TextPart("buy milk")]
        [dot] = await server.read_resource("test://dot.png")
        assert isinstance(dot, FilePart) and dot.media_type == "image/png"
        assert [p.name for p in await server.list_prompts()] == ["greet"]
        messages = await server.get_prompt("greet", {"name": "Ada"})
    assert [(m.role, m.text) for m in messages] == [("user", "Greet Ada"), ("assistant", "Hello!")]


async def test_a_server_held_open_serves_several_runs(sdk: Running) -> None:
    model = FakeModel(
        [
            FakeModel.tool_calls(("add", {"a": 1, "b": 2})),
            FakeModel.text("3"),
            FakeModel.text("bye"),
        ]
    )
    server = MCPServerHTTP(sdk.url)
    agent = Agent(model, tools=[server])
    async with agent:
        first = server.client
        await agent.generate("add")
        await agent.generate("again")
        assert server.client is first  # one connection for both runs
    with pytest.raises(Exception, match="not running"):
        _ = server.client
