"""Toolsets in the agent loop: listed per step for the step's model, entered around runs,
colliding names prefixed. A small in-memory toolset stands in for an MCP server."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from reverie import Agent, FunctionTool, tool
from reverie.errors import ConfigurationError
from reverie.model import LanguageModel
from reverie.testing.fake import FakeModel
from reverie.toolset import step_tools

pytestmark = pytest.mark.anyio


class Box:
    """A toolset whose tools can change between steps."""

    def __init__(self, name: str, *tools: FunctionTool) -> None:
        self.name = name
        self.tools = list(tools)
        self.entered = 0
        self.open = 0
        self.asked_for: list[str | None] = []

    async def __aenter__(self) -> Box:
        self.entered += 1
        self.open += 1
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.open -= 1

    async def list_tools(self, model: LanguageModel | None = None) -> Sequence[FunctionTool]:
        self.asked_for.append(model.provider if model is not None else None)
        return self.tools


def named(name: str, answer: str) -> FunctionTool:
    return FunctionTool(lambda: answer, name=name, description=name)


async def test_toolset_tools_are_offered_per_step_and_can_change() -> None:
    box = Box("box", named("first", "1"))

    def grow() -> str:
        box.tools.append(named("second", "2"))
        return "grown"

    model = FakeModel(
        [
            FakeModel.tool_calls(("grow", {})),
            FakeModel.tool_calls(("second", {})),
            FakeModel.text("ok"),
        ],
        provider="acme",
    )
    result = await Agent(model, tools=[tool(grow), box]).generate("go")
    assert [t.name for t in model.calls[0].tools] == ["grow", "first"]
    assert [t.name for t in model.calls[1].tools] == ["grow", "first", "second"]
    assert result.steps[1].tool_results[0].output.text == "2"  # type: ignore[union-attr]
    assert box.asked_for == ["acme", "acme", "acme"]  # once per step, with the step's model
    assert box.entered == 1 and box.open == 0  # entered around the run


async def test_an_agent_held_open_keeps_its_toolsets_open_across_runs() -> None:
    box = Box("box", named("t", "x"))
    agent = Agent(FakeModel([FakeModel.text("a"), FakeModel.text("b")]), tools=[box])
    async with agent:
        await agent.generate("one")
        await agent.generate("two")
        assert box.open >= 1
    assert box.open == 0


async def test_colliding_names_are_prefixed_with_the_toolset_name() -> None:
    tools = await step_tools(
        {"search": named("search", "plain")},
        [
            Box("web", named("search", "web"), named("fetch", "f")),
            Box("files", named("search", "files")),
        ],
        None,
    )
    assert sorted(tools) == ["fetch", "files_search", "search", "web_search"]
    assert tools["web_search"].fn() == "web" and tools["search"].fn() == "plain"


async def test_a_collision_prefixing_cannot_solve_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="two tools are named 'a_b'"):
        # Both toolsets have "b"; prefixed, toolset a's becomes "a_b", a plain tool's name.
        await step_tools(
            {"a_b": named("a_b", "x")}, [Box("a", named("b", "y")), Box("c", named("b", "z"))], None
        )
