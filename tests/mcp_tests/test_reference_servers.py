"""The reference MCP servers from npm, over stdio, used by an agent end to end.

``@modelcontextprotocol/server-everything`` exercises every MCP feature and
``server-filesystem`` is a server people use; both run as real node processes. The agent's
model is scripted (the tool calls are fixed), everything else is real: the process, the
handshake, the listing, the calls, the results the model is sent back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reverie import Agent, tool
from reverie.content import ErrorOutput, FilePart, MediaOutput, TextOutput, TextPart
from reverie.mcp import Elicitation, ElicitationResponse, MCPServerStdio, ToolProgress
from reverie.testing._fake import FakeModel

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("no_new_processes")]


def stdio(argv: list[str], **options: Any) -> MCPServerStdio:
    return MCPServerStdio(argv[0], argv[1:], **options)


def outputs(result: Any) -> dict[str, Any]:
    return {r.tool_name: r.output for s in result.steps for r in s.tool_results}


async def test_an_agent_calls_the_everything_servers_tools(everything_cmd: list[str]) -> None:
    model = FakeModel(
        [
            FakeModel.tool_calls(
                ("echo", {"message": "hello"}),
                ("get-sum", {"a": 2, "b": 3}),
                ("get-tiny-image", {}),
                ("get-structured-content", {"location": "Chicago"}),
                ("get-resource-reference", {"resourceType": "Text", "resourceId": 1}),
                ("get-resource-links", {"count": 2}),
            ),
            FakeModel.text("done"),
        ]
    )
    result = await Agent(model, tools=[stdio(everything_cmd)]).generate("try the tools")
    got = outputs(result)
    assert got["echo"] == TextOutput("Echo: hello")
    assert got["get-sum"] == TextOutput("The sum of 2 and 3 is 5.")
    image = got["get-tiny-image"]
    assert isinstance(image, MediaOutput) and image.media_type == "image/png"
    assert image.data.startswith(b"\x89PNG")
    assert '"temperature"' in got["get-structured-content"].text
    assert "[resource demo://resource/dynamic/text/1]" in got["get-resource-reference"].text
    assert got["get-resource-links"].text.count("[resource link: demo://") == 2
    # The model was offered every tool, with the server's descriptions and schemas.
    offered = {spec.name: spec for spec in model.calls[0].tools}  # type: ignore[union-attr]
    assert {"echo", "get-sum", "get-tiny-image"} <= set(offered)
    assert offered["get-sum"].input_schema["required"] == ["a", "b"]  # type: ignore[union-attr]
    assert "$schema" not in offered["get-sum"].input_schema  # type: ignore[union-attr]
    # The results went back to the model in the next request.
    sent = model.calls[1].messages[-1]
    assert sent.role == "tool" and len(sent.content) == 6


async def test_a_tool_error_is_an_error_result_and_the_run_goes_on(
    everything_cmd: list[str],
) -> None:
    model = FakeModel(
        [
            FakeModel.tool_calls(("get-sum", {"a": "two", "b": 3}), ("no-such-tool", {})),
            FakeModel.text("sorry"),
        ]
    )
    result = await Agent(model, tools=[stdio(everything_cmd)]).generate("add")
    got = outputs(result)
    assert isinstance(got["get-sum"], ErrorOutput)
    assert isinstance(got["no-such-tool"], ErrorOutput)
    assert "tool not found" in got["no-such-tool"].message
    assert result.text == "sorry"


async def test_the_filesystem_server_writes_and_reads_files(
    filesystem_cmd: list[str], tmp_path: Path
) -> None:
    target = tmp_path / "notes.txt"
    model = FakeModel(
        [
            FakeModel.tool_calls(("write_file", {"path": str(target), "content": "buy milk"})),
            FakeModel.tool_calls(
                ("read_text_file", {"path": str(target)}),
                ("list_directory", {"path": str(tmp_path)}),
                ("read_text_file", {"path": "/etc/passwd"}),
            ),
            FakeModel.text("done"),
        ]
    )
    files = stdio([*filesystem_cmd, str(tmp_path)])
    result = await Agent(model, tools=[files]).generate("take a note")
    assert target.read_text() == "buy milk"
    second = {i: r.output for i, r in enumerate(result.steps[1].tool_results)}
    assert second[0] == TextOutput("buy milk")
    assert "[FILE] notes.txt" in second[1].text
    assert isinstance(second[2], ErrorOutput)  # outside the allowed folder: refused
    assert "outside allowed directories" in second[2].message or "denied" in second[2].message


async def test_colliding_tool_names_get_their_servers_prefix(
    filesystem_cmd: list[str], everything_cmd: list[str], tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.txt").write_text("from b")

    @tool
    def echo(message: str) -> str:
        """The user's own echo."""
        return f"mine: {message}"

    model = FakeModel(
        [
            FakeModel.tool_calls(
                ("b_read_text_file", {"path": str(tmp_path / "b" / "x.txt")}),
                ("echo", {"message": "hi"}),
                ("everything_echo", {"message": "hi"}),
            ),
            FakeModel.text("done"),
        ]
    )
    a = stdio([*filesystem_cmd, str(tmp_path / "a")], name="a")
    b = stdio([*filesystem_cmd, str(tmp_path / "b")], name="b")
    everything = stdio(everything_cmd)  # named after the server's own name
    result = await Agent(model, tools=[echo, a, b, everything]).generate("read")
    names = {spec.name for spec in model.calls[0].tools}
    assert {"a_read_text_file", "b_read_text_file", "echo", "everything_echo"} <= names
    assert "read_text_file" not in names
    got = outputs(result)
    assert got["b_read_text_file"] == TextOutput("from b")
    assert got["echo"] == TextOutput("mine: hi")  # a plain tool keeps its name
    assert got["everything_echo"] == TextOutput("Echo: hi")


async def test_progress_sampling_and_elicitation_with_the_everything_server(
    everything_cmd: list[str],
) -> None:
    progress: list[ToolProgress] = []
    asked: list[Elicitation] = []

    def answer(request: Elicitation) -> ElicitationResponse:
        asked.append(request)
        return ElicitationResponse("accept", {"name": "Ada", "check": True})

    sampler = FakeModel([FakeModel.text("Lisbon")])
    server = stdio(
        everything_cmd, sampling_model=sampler, elicitation=answer, on_progress=progress.append
    )
    model = FakeModel(
        [
            FakeModel.tool_calls(
                ("trigger-long-running-operation", {"duration": 0.2, "steps": 2}),
                ("trigger-sampling-request", {"prompt": "Capital of Portugal?", "maxTokens": 20}),
                ("trigger-elicitation-request", {}),
            ),
            FakeModel.text("done"),
        ]
    )
    got = outputs(await Agent(model, tools=[server]).generate("go"))
    assert [p.progress for p in progress] == [1, 2]
    assert all(p.total == 2 and p.tool == "trigger-long-running-operation" for p in progress)
    # Sampling: the server's request reached the reverie model, its answer the server.
    assert "Lisbon" in got["trigger-sampling-request"].text
    call = sampler.calls[0]
    assert call.messages[-1].text.endswith("Capital of Portugal?") and call.max_output_tokens == 20
    # Elicitation: the callback saw the form; omitted fields were filled from defaults.
    assert asked[0].mode == "form" and "name" in asked[0].schema["properties"]
    assert "User provided the requested information" in got["trigger-elicitation-request"].text
    assert "Favorite Integer: 42" in got["trigger-elicitation-request"].text  # a default


async def test_resources_and_prompts_are_reachable(everything_cmd: list[str]) -> None:
    async with stdio(everything_cmd) as server:
        resources = await server.list_resources()
        templates = await server.list_resource_templates()
        assert any(str(r.uri).endswith("architecture.md") for r in resources)
        assert any("{resourceId}" in t.uri_template for t in templates)
        text = await server.read_resource("demo://resource/dynamic/text/1")
        assert isinstance(text[0], TextPart) and "Resource 1" in text[0].text
        blob = await server.read_resource("demo://resource/dynamic/blob/1")
        assert isinstance(blob[0], FilePart) and blob[0].data
        prompts = {p.name: p for p in await server.list_prompts()}
        assert "args-prompt" in prompts
        messages = await server.get_prompt("args-prompt", {"city": "Porto"})
        assert messages[0].role == "user" and "Porto" in messages[0].text
