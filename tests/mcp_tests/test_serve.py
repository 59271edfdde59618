"""``reverie mcp serve`` and the serving API: reverie tools and agents as an MCP server."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Any

import mcp
import pytest
from mcp import types

from reverie import ErrorOutput, FunctionTool, MediaOutput, TextOutput
from reverie.content import JsonOutput
from reverie.mcp import MCPServerError, MCPServerStdio, ToolProgress, build_server, request_context

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "tools.py"
AGENT = Path(__file__).with_name("served_agent.py")


@pytest.mark.usefixtures("no_new_processes")
async def test_reverie_mcp_serve_offers_functions_and_an_agent_over_stdio() -> None:
    progress: list[ToolProgress] = []
    server = MCPServerStdio(
        sys.executable,
        [
            "-m",
            "reverie.cli",
            "mcp",
            "serve",
            "--tool",
            f"{EXAMPLES}:add",
            "--agent",
            f"{AGENT}:helper",
        ],
        cwd=REPO,
        on_progress=progress.append,
    )
    async with server:
        tools = {t.name: t for t in await server.list_tools()}
        assert set(tools) == {"add", "helper"}
        # The schema reverie would send a model, exactly.
        assert tools["add"].input_schema == FunctionTool(_add()).input_schema
        assert tools["add"].description == "Add two numbers."
        assert await server.call_tool("add", {"a": 2, "b": 3}) == TextOutput("5")
        bad = await server.call_tool("add", {"a": "two", "b": 3})
        assert isinstance(bad, ErrorOutput) and "invalid arguments" in bad.message
        missing = await server.call_tool("nope")
        assert isinstance(missing, ErrorOutput) and "unknown tool 'nope'" in missing.message
        assert await server.call_tool("helper", {"prompt": "say hi"}) == TextOutput("it says HI")
    assert [p.progress for p in progress] == [1, 2]  # one report per agent step


def _add() -> Any:
    sys.path.insert(0, str(EXAMPLES.parent))
    try:
        import tools as example  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(EXAMPLES.parent))
    return example.add


PNG = b"\x89PNG\r\n\x1a\nfake"


def picture() -> MediaOutput:
    """A picture with a caption."""
    return MediaOutput(PNG, "image/png", "a dot")


def sound() -> MediaOutput:
    """A sound."""
    return MediaOutput(b"RIFF", "audio/wav")


def data() -> JsonOutput:
    """Structured data."""
    return JsonOutput({"temperature": 21})


def native() -> list[types.ContentBlock]:
    """MCP content, passed through."""
    link = types.ResourceLink(uri="file:///tmp/x", name="x")
    return [types.TextContent(text="see"), link]


def broken() -> str:
    """Fails."""
    raise ValueError("no such city")


async def progress_and_log() -> str:
    """Reports progress and logs."""
    ctx = request_context()
    await ctx.report_progress(1, 2, "half")
    await ctx.log("info", "working")
    return ctx.tool


async def test_outputs_become_mcp_content() -> None:
    server = build_server([picture, sound, data, native, broken, progress_and_log])
    async with mcp.Client(server, mode="legacy") as client:
        result = await client.call_tool("picture")
        caption, image = result.content
        assert isinstance(caption, types.TextContent) and caption.text == "a dot"
        assert isinstance(image, types.ImageContent) and base64.b64decode(image.data) == PNG
        [audio] = (await client.call_tool("sound")).content
        assert isinstance(audio, types.AudioContent) and audio.mime_type == "audio/wav"
        structured = await client.call_tool("data")
        assert structured.structured_content == {"temperature": 21}
        assert [b.type for b in (await client.call_tool("native")).content] == [
            "text",
            "resource_link",
        ]
        failed = await client.call_tool("broken")
        assert failed.is_error and failed.content[0].text == "ValueError: no such city"  # type: ignore[union-attr]
        seen: list[float] = []

        async def on_progress(p: float, total: float | None, message: str | None) -> None:
            seen.append(p)

        done = await client.call_tool("progress_and_log", progress_callback=on_progress)
        assert done.content[0].text == "progress_and_log" and seen == [1]  # type: ignore[union-attr]


async def test_a_served_agent_whose_run_pauses_is_an_error_result() -> None:
    from reverie import Agent
    from reverie.mcp import agent_tool
    from reverie.testing._fake import FakeModel

    def delete(path: str) -> str:
        return f"deleted {path}"

    model = FakeModel([FakeModel.tool_calls(("delete", {"path": "/tmp/x"}))])
    agent = Agent(model, tools=[delete], requires_approval=True)
    server = build_server([agent_tool(agent, name="cleaner")])
    async with mcp.Client(server, mode="legacy") as client:
        result = await client.call_tool("cleaner", {"prompt": "clean up"})
    assert result.is_error
    assert "calls to delete (approval) wait" in result.content[0].text  # type: ignore[union-attr]


def test_request_context_outside_a_served_call_says_so() -> None:
    with pytest.raises(MCPServerError, match="only available while a function served over MCP"):
        request_context()


async def asks_the_model() -> str:
    """Samples the client's model."""
    return await request_context().sample("hi")


async def test_sampling_from_a_2026_client_says_what_to_do() -> None:
    async with mcp.Client(build_server([asks_the_model])) as client:  # in-process, 2026-07-28
        result = await client.call_tool("asks_the_model")
    assert result.is_error
    assert "speaks MCP 2026-07-28" in result.content[0].text  # type: ignore[union-attr]
    assert 'protocol="legacy"' in result.content[0].text  # type: ignore[union-attr]
