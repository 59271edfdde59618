"""The public API as a user writes it, type-checked by pyright strict (tests/test_quality.py
runs pyright on this folder) and run by pytest against a scripted model.

Every ``assert_type`` is a claim about what a user's type checker sees: a concrete type,
never ``Any``. Only public modules are imported here.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, assert_type

import pytest
from pydantic import BaseModel

import reverie
from reverie import Agent, LanguageModel, RunResult, Step, Usage, get_model, tool
from reverie.agent import AgentStream, StepContext, StepOverrides, step_count_is
from reverie.content import Message, TextOutput, ToolCallPart, ToolOutput, user
from reverie.errors import ConfigurationError, RateLimitError, ReverieError
from reverie.events import AgentEvent, Finish, RunFinish, TextDelta, ToolCall, ToolResult
from reverie.model import Call, FinishReason, Response
from reverie.output import ObjectResult, generate_object
from reverie.providers import ProviderInfo, register_provider
from reverie.retry import RetryPolicy
from reverie.testing import FakeModel
from reverie.timeouts import Timeouts
from reverie.tool import FunctionTool


@tool
def weather(location: Annotated[str, "the city"]) -> str:
    """Get weather information for a location"""
    return "40 C"


class City(BaseModel):
    name: str
    country: str


def _script() -> FakeModel:
    return FakeModel(
        [
            FakeModel.tool_calls(("weather", {"location": "Florence"})),
            FakeModel.text("40 C in Florence."),
        ]
    )


def only_two_steps(context: StepContext) -> StepOverrides | None:
    return StepOverrides(tools_enabled=False) if context.step_number >= 2 else None


def test_a_run_is_typed_from_agent_to_usage() -> None:
    assert_type(weather, FunctionTool)
    agent = Agent(
        _script(),
        system="You are helpful.",
        tools=[weather],
        stop_when=step_count_is(5),
        prepare_step=only_two_steps,
        retry=RetryPolicy(attempts=2),
    )
    result = agent.generate_sync("Weather in Florence?")
    assert_type(result, RunResult)
    assert_type(result.text, str)
    assert_type(result.usage, Usage)
    assert_type(result.steps, tuple[Step, ...])
    assert_type(result.finish_reason, FinishReason)
    assert_type(result.messages, tuple[Message, ...])
    first = result.steps[0]
    assert_type(first.tool_calls, tuple[ToolCallPart, ...])
    output = first.tool_results[0].output
    assert_type(output, ToolOutput)
    assert isinstance(output, TextOutput) and str(output) == "40 C"
    assert result.text == "40 C in Florence."


def test_stream_events_narrow_by_match() -> None:
    async def main() -> list[str]:
        seen: list[str] = []
        stream = Agent(_script(), tools=[weather]).stream("Weather in Florence?")
        assert_type(stream, AgentStream)
        async for event in stream:
            assert_type(event, AgentEvent)
            match event:
                case TextDelta(delta=text):
                    assert_type(text, str)
                    seen.append(text)
                case ToolCall(call=call):
                    seen.append(f"call {call.tool_name}")
                case ToolResult(result=result):
                    seen.append(f"result {result.output}")
                case Finish(usage=usage):
                    assert_type(usage, Usage)
                case RunFinish(result=run):
                    assert_type(run, RunResult)
                case _:
                    pass
        return seen

    seen = asyncio.run(main())
    assert seen[:2] == ["call weather", "result 40 C"]


def test_a_model_of_ones_own_is_a_language_model() -> None:
    model: LanguageModel = _script()
    response = asyncio.run(model.generate(Call(messages=[user("hi")])))
    assert_type(response, Response)
    assert_type(response.finish_reason, FinishReason)


def test_structured_output_keeps_the_schema_type() -> None:
    async def main() -> ObjectResult[City]:
        model = FakeModel([FakeModel.text('{"name": "Florence", "country": "Italy"}')])
        return await generate_object(model, "Florence?", schema=City, mode="text")

    result = asyncio.run(main())
    assert_type(result.object, City)
    assert result.object.country == "Italy"


def test_errors_are_one_tree_and_get_model_is_typed() -> None:
    assert issubclass(RateLimitError, ReverieError)
    model = get_model("openai:gpt-4o", api_key="sk-test", timeouts=Timeouts(connect=5.0))
    assert_type(model, LanguageModel)
    assert model.model_id == "gpt-4o"
    with pytest.raises(ConfigurationError, match="provider:model-id") as caught:
        get_model("nonsense")
    assert_type(caught.value, ConfigurationError)

    def scripted(model_id: str, **options: object) -> LanguageModel:
        return _script()

    info = ProviderInfo("scripted", scripted, "a scripted model")
    assert_type(info.name, str)
    assert callable(register_provider)
    assert reverie.__version__
