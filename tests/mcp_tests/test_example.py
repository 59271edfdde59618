"""``examples/mcp_agent.py`` run for real (the server is a real `reverie mcp serve`
process; the model is scripted), and the synchronous entry point with an MCP server."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from reverie import Agent
from reverie.content import TextOutput
from reverie.testing._fake import FakeModel

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.anyio
@pytest.mark.usefixtures("no_new_processes")
async def test_the_mcp_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location(
        "reverie_example_mcp", REPO / "examples" / "mcp_agent.py"
    )
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    model = FakeModel(
        [
            FakeModel.tool_calls(("add", {"a": 2, "b": 3})),
            FakeModel.tool_calls(("multiply", {"a": 5, "b": 4})),
            FakeModel.text("(2 + 3) * 4 = 20"),
        ]
    )
    result = await example.main(model)
    assert [r.output for s in result.steps for r in s.tool_results] == [
        TextOutput("5"),
        TextOutput("20"),
    ]
    printed = capsys.readouterr().out
    assert '-> add({"a":2,"b":3})' in printed and "(2 + 3) * 4 = 20" in printed


@pytest.mark.usefixtures("no_new_processes")
def test_generate_sync_starts_and_stops_the_server() -> None:
    import sys

    from reverie.mcp import MCPServerStdio

    server = Path(__file__).with_name("bad_server.py")
    calculator = MCPServerStdio(sys.executable, [str(server), "good"])
    model = FakeModel([FakeModel.tool_calls(("add", {"a": 2, "b": 3})), FakeModel.text("5")])
    agent = Agent(model, tools=[calculator])
    assert agent.generate_sync("What is 2 plus 3?").text == "5"
