"""Toolsets in the agent loop: listed per step for the step's model, entered around runs,
colliding names prefixed. A small in-memory toolset stands in for an MCP server."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from reverie import Agent, FunctionTool, tool
from reverie.errors import ConfigurationError
from reverie.model import LanguageModel
from reverie.testing._fake import FakeModel
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


async def test_a_renamed_toolset_tool_paused_for_approval_resumes_from_json() -> None:
    from reverie.run_state import RunState

    ran: list[str] = []

    def search_web(query: str) -> str:
        ran.append(query)
        return f"web results for {query}"

    web = Box("web", FunctionTool(search_web, name="search", requires_approval=True))
    plain = named("search", "plain")

    def agent(model: FakeModel) -> Agent:
        return Agent(model, tools=[plain, web])

    first = FakeModel([FakeModel.tool_calls(("web_search", {"query": "reverie"}))])
    paused = await agent(first).generate("look it up")
    assert [p.tool_name for p in paused.pending] == ["web_search"]
    assert paused.state is not None and paused.state.tools == ("search", "web_search")
    assert web.entered == 1 and web.open == 0  # closed while the run waits

    state = RunState.from_json(paused.state.to_json())
    model = FakeModel([FakeModel.text("found it")])
    done = await agent(model).resume(state, approvals=[state.pending[0].approve()])
    assert done.text == "found it" and ran == ["reverie"]
    assert web.entered == 2 and web.open == 0  # opened again around the resume
    assert [t.name for t in model.calls[0].tools] == ["search", "web_search"]


async def test_prepare_step_sees_the_step_model_and_can_activate_a_toolset_tool() -> None:
    from reverie.agent import StepContext, StepOverrides

    box = Box("box", named("first", "1"), named("second", "2"))
    other = FakeModel([FakeModel.text("done")], provider="other")

    def prepare(ctx: StepContext) -> StepOverrides:
        return StepOverrides(model=other, active_tools=["second"])

    await Agent(FakeModel([]), tools=[box], prepare_step=prepare).generate("go")
    assert box.asked_for == ["other"]  # listed for the model prepare_step chose
    assert [t.name for t in other.calls[0].tools] == ["second"]
