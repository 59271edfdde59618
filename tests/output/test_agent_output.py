"""An agent that runs its tools and then returns a typed object, generated and streamed."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, Field

from reverie.agent import Agent, RunResult
from reverie.content import ErrorOutput, TextOutput
from reverie.errors import ConfigurationError, NoObjectGeneratedError
from reverie.events import PartialObject, RunFinish, ToolResult
from reverie.model import SpecificTool
from reverie.testing._fake import FakeModel


class Report(BaseModel):
    """A weather report"""

    city: str = Field(description="The city")
    temperature: int = Field(description="Degrees Celsius")


def weather(location: Annotated[str, "the city"]) -> str:
    """Get weather information for a location"""
    return "40 C"


REPORT = '{"city": "Florence", "temperature": 40}'
PROMPT = "What's the weather in Florence?"


def script() -> list[object]:
    return [
        FakeModel.tool_calls(("weather", {"location": "Florence"})),
        FakeModel.tool_calls(("Report", REPORT)),
    ]


def check_tool_mode_run(model: FakeModel, result: RunResult) -> None:
    assert result.output == Report(city="Florence", temperature=40)
    assert len(result.steps) == 2
    assert result.steps[0].tool_results[0].output == TextOutput("40 C")
    first = model.calls[0]
    assert [t.name for t in first.tools] == ["weather", "Report"]
    assert first.tool_choice == "required"
    assert result.steps[1].tool_results[0].output == TextOutput("Final answer received.")
    assert result.messages[-1].role == "tool"  # the conversation stays well-formed
    assert model.remaining == 0


@pytest.mark.anyio
async def test_agent_calls_a_tool_then_returns_a_pydantic_object() -> None:
    model = FakeModel(script())  # type: ignore[arg-type]
    agent = Agent(model, tools=[weather], output_type=Report)
    check_tool_mode_run(model, await agent.generate(PROMPT))


@pytest.mark.anyio
async def test_agent_streams_partial_objects_of_its_output() -> None:
    model = FakeModel(script(), chunk_size=5)  # type: ignore[arg-type]
    stream = Agent(model, tools=[weather], output_type=Report).stream(PROMPT)
    partials: list[object] = []
    order: list[str] = []
    async for event in stream:
        if isinstance(event, PartialObject):
            partials.append(event.value)
            order.append("partial")
        elif isinstance(event, ToolResult | RunFinish):
            order.append(event.type)
    assert stream.result is not None
    check_tool_mode_run(model, stream.result)
    assert partials[:2] == [{"city": ""}, {"city": "Flore"}]
    assert partials[-1] == {"city": "Florence", "temperature": 40}
    # weather's result, then the object growing, then its (accepting) result, then the end
    assert order[0] == "tool-result"
    assert order[-2:] == ["tool-result", "run-finish"]
    assert set(order[1:-2]) == {"partial"}


@pytest.mark.anyio
async def test_native_mode_asks_every_step_and_parses_the_final_text() -> None:
    model = FakeModel(
        [FakeModel.tool_calls(("weather", {"location": "Florence"})), FakeModel.text(REPORT)],
        native_json=True,
    )
    stream = Agent(model, tools=[weather], output_type=Report).stream(PROMPT)
    partials = [e.value async for e in stream if isinstance(e, PartialObject)]
    assert stream.result is not None
    assert stream.result.output == Report(city="Florence", temperature=40)
    assert partials[-1] == {"city": "Florence", "temperature": 40}
    for call in model.calls:
        assert call.provider_options["fake"]["response_format"]["name"] == "Report"
        assert [t.name for t in call.tools] == ["weather"]
        assert call.tool_choice == "auto"


@pytest.mark.anyio
async def test_an_invalid_output_goes_back_to_the_model_which_corrects_it() -> None:
    model = FakeModel(
        [
            FakeModel.tool_calls(("Report", '{"city": "Florence", "temperature": "hot"}')),
            FakeModel.tool_calls(("Report", REPORT)),
        ]
    )
    result = await Agent(model, output_type=Report).generate(PROMPT)
    assert result.output.temperature == 40
    error = result.steps[0].tool_results[0].output
    assert isinstance(error, ErrorOutput)
    assert "temperature" in error.message
    assert model.calls[0].tool_choice == SpecificTool("Report")  # the only tool: named


@pytest.mark.anyio
async def test_a_prose_answer_leads_to_one_forced_output_step() -> None:
    model = FakeModel(
        [FakeModel.text("It is 40 C in Florence."), FakeModel.tool_calls(("Report", REPORT))]
    )
    agent = Agent(model, tools=[weather], output_type=Report, tool_choice="auto")
    result = await agent.generate(PROMPT)
    assert result.output.city == "Florence"
    assert model.calls[0].tool_choice == "auto"  # the agent's own choice is kept
    forced = model.calls[1]
    assert [t.name for t in forced.tools] == ["Report"]
    assert forced.tool_choice == SpecificTool("Report")


@pytest.mark.anyio
async def test_a_run_that_never_gives_a_valid_output_raises() -> None:
    model = FakeModel([FakeModel.text("No."), FakeModel.text("Still no.")])
    with pytest.raises(NoObjectGeneratedError, match="without a valid output") as info:
        await Agent(model, output_type=Report).generate(PROMPT)
    assert info.value.raw_text == "Still no."


@pytest.mark.anyio
async def test_native_output_that_does_not_validate_raises() -> None:
    model = FakeModel([FakeModel.text('{"city": 3}')], native_json=True)
    with pytest.raises(NoObjectGeneratedError, match="city"):
        await Agent(model, output_type=Report).generate(PROMPT)


@pytest.mark.anyio
async def test_repair_output_hook_fixes_the_final_text() -> None:
    model = FakeModel(
        [FakeModel.text('{"city": "Florence", "temperature": "40C"}')], native_json=True
    )
    agent = Agent(
        model, output_type=Report, repair_output=lambda text, error: text.replace('"40C"', "40")
    )
    assert (await agent.generate(PROMPT)).output.temperature == 40


@pytest.mark.anyio
async def test_a_json_schema_output_comes_back_as_a_dict() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    model = FakeModel([FakeModel.tool_calls(("final_result", '{"n": 7}'))])
    result = await Agent(model, output_type=schema).generate("seven")
    assert result.output == {"n": 7}


def test_a_tool_with_the_output_tool_name_is_refused() -> None:
    def Report(city: str) -> str:
        """Clashes with the output tool."""
        return city

    agent = Agent(FakeModel([]), tools=[Report], output_type=Report)
    with pytest.raises(ConfigurationError, match="rename it"):
        agent.generate_sync(PROMPT)


def test_without_output_type_the_output_is_none() -> None:
    result = Agent(FakeModel([FakeModel.text("hi")])).generate_sync("hello")
    assert result.output is None


@pytest.mark.anyio
async def test_text_mode_puts_the_schema_in_every_steps_system_prompt() -> None:
    model = FakeModel(
        [
            FakeModel.tool_calls(("weather", {"location": "Florence"})),
            FakeModel.text(f"```json\n{REPORT}\n```"),
        ],
        native_json=True,  # ignored: the mode is chosen explicitly
    )
    agent = Agent(
        model, system="Be brief.", tools=[weather], output_type=Report, output_mode="text"
    )
    result = await agent.generate(PROMPT)
    assert result.output == Report(city="Florence", temperature=40)
    for call in model.calls:
        assert call.messages[0].text.startswith("Be brief.\n\nRespond with JSON")
        assert "fake" not in call.provider_options
    assert result.messages[0].text == "Be brief."  # the conversation keeps the user's prompt
