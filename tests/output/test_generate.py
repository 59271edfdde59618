"""generate_object / stream_object over a scripted model: modes, streaming, failures."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from pydantic import BaseModel, Field

from reverie.content import ToolCallPart, user
from reverie.errors import (
    AuthenticationError,
    ConfigurationError,
    NoObjectGeneratedError,
    RateLimitError,
)
from reverie.events import Finish, PartialObject, ToolCall
from reverie.model import FinishReason, Response, SpecificTool, Usage
from reverie.output import (
    JsonDelta,
    ObjectFinish,
    generate_object,
    generate_object_sync,
    stream_object,
)
from reverie.retry import RetryPolicy
from reverie.testing._fake import FakeModel


class Person(BaseModel):
    """A person with name, age, and city"""

    name: str = Field(description="The person's name")
    age: int = Field(description="The person's age")
    city: str = Field(description="The city where the person lives")


ALICE = '{"name": "Alice", "age": 30, "city": "Paris"}'
PROMPT = "Generate a person named Alice, 30, from Paris."


def tool_answer(name: str, args: str) -> Response:
    return Response((ToolCallPart("call_1", name, args),), FinishReason.TOOL_CALLS, Usage(5, 5, 10))


@pytest.mark.anyio
async def test_auto_uses_the_native_hook_when_the_model_offers_it() -> None:
    model = FakeModel([FakeModel.text(ALICE)], native_json=True)
    result = await generate_object(model, PROMPT, schema=Person, max_output_tokens=100)
    assert result.object == Person(name="Alice", age=30, city="Paris")
    assert result.mode == "native"
    assert result.raw_text == ALICE
    call = model.calls[0]
    fmt = call.provider_options["fake"]["response_format"]
    assert fmt["name"] == "Person"
    assert fmt["description"] == "A person with name, age, and city"
    assert fmt["schema"]["required"] == ["name", "age", "city"]
    assert call.tools == ()
    assert call.max_output_tokens == 100


@pytest.mark.anyio
async def test_native_name_defaults_to_response_for_an_unnamed_schema() -> None:
    model = FakeModel([FakeModel.text('{"a": 1}')], native_json=True)
    result = await generate_object(model, PROMPT, schema={"type": "object"}, mode="native")
    assert result.object == {"a": 1}
    assert model.calls[0].provider_options["fake"]["response_format"]["name"] == "response"


@pytest.mark.anyio
async def test_auto_without_a_native_mode_forces_a_tool() -> None:
    model = FakeModel([tool_answer("Person", ALICE)])
    result = await generate_object(model, PROMPT, schema=Person, system="Be exact.")
    assert result.mode == "tool"
    assert result.object.city == "Paris"
    call = model.calls[0]
    assert call.tool_choice == SpecificTool("Person")
    (tool,) = call.tools
    assert tool.name == "Person"  # pyright: ignore[reportAttributeAccessIssue]
    assert call.messages[0].role == "system"


@pytest.mark.anyio
async def test_tool_mode_defaults_for_an_unnamed_json_schema() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    model = FakeModel([tool_answer("generate_object", '{"n": 3}')])
    result = await generate_object(model, PROMPT, schema=schema, mode="tool")
    assert result.object == {"n": 3}
    (tool,) = model.calls[0].tools
    assert tool.name == "generate_object"  # pyright: ignore[reportAttributeAccessIssue]
    assert tool.description == "Generate a structured object matching the schema"  # pyright: ignore[reportAttributeAccessIssue]
    assert tool.input_schema == schema  # pyright: ignore[reportAttributeAccessIssue]


@pytest.mark.anyio
async def test_text_mode_puts_the_schema_in_the_system_prompt() -> None:
    model = FakeModel([FakeModel.text(f"```json\n{ALICE}\n```")], native_json=True)
    messages = [user(PROMPT)]
    result = await generate_object(
        model, messages, schema=Person, mode="text", system="You are terse."
    )
    assert result.object.age == 30
    system = model.calls[0].messages[0]
    assert system.role == "system"
    assert system.text.startswith("You are terse.\n\nRespond with JSON")
    assert '"required":["name","age","city"]' in system.text
    assert model.calls[0].tools == ()
    assert "fake" not in model.calls[0].provider_options


@pytest.mark.anyio
async def test_native_mode_on_a_model_without_it_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="mode='tool'"):
        await generate_object(FakeModel([]), PROMPT, schema=Person, mode="native")


@pytest.mark.anyio
async def test_unknown_settings_are_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="max_tokens"):
        await generate_object(FakeModel([]), PROMPT, schema=Person, max_tokens=5)


@pytest.mark.anyio
async def test_no_tool_call_raises_with_the_text_usage_and_finish_reason() -> None:
    model = FakeModel([FakeModel.text("I'd rather not.", usage=Usage(1, 1, 2))])
    with pytest.raises(NoObjectGeneratedError, match="did not call the output tool") as info:
        await generate_object(model, PROMPT, schema=Person)
    assert info.value.raw_text == "I'd rather not."
    assert info.value.usage == Usage(1, 1, 2)
    assert info.value.finish_reason == FinishReason.STOP


@pytest.mark.anyio
async def test_invalid_arguments_are_repaired_by_the_hook() -> None:
    model = FakeModel([tool_answer("Person", '{"name": "Alice", "age": "30 years"}')])

    def fix(text: str, error: str) -> str:
        assert "age" in error
        return ALICE

    result = await generate_object(model, PROMPT, schema=Person, repair=fix)
    assert result.object.age == 30
    assert result.raw_text == '{"name": "Alice", "age": "30 years"}'


def test_generate_object_sync() -> None:
    model = FakeModel([FakeModel.text(ALICE)], native_json=True)
    assert generate_object_sync(model, PROMPT, schema=Person).object.name == "Alice"


# -- streaming ------------------------------------------------------------------------------


async def collect(stream: Any) -> list[Any]:
    return [event async for event in stream]


@pytest.mark.anyio
@pytest.mark.parametrize("native", [True, False])
async def test_stream_yields_growing_partials_then_the_validated_object(native: bool) -> None:
    answer = FakeModel.text(ALICE) if native else tool_answer("Person", ALICE)
    model = FakeModel([answer], native_json=native, chunk_size=4)
    stream = stream_object(model, PROMPT, schema=Person)
    events = await collect(stream)
    partials = [e.value for e in events if isinstance(e, PartialObject)]
    assert len(partials) > 3
    assert all(a != b for a, b in itertools.pairwise(partials))
    assert partials[-1] == {"name": "Alice", "age": 30, "city": "Paris"}
    assert "".join(e.delta for e in events if isinstance(e, JsonDelta)) == ALICE
    assert isinstance(events[-1], ObjectFinish)
    assert stream.result is not None
    assert stream.result.object == Person(name="Alice", age=30, city="Paris")
    assert stream.result.mode == ("native" if native else "tool")
    assert stream.result.usage.total_tokens > 0


@pytest.mark.anyio
async def test_stream_ignores_other_tools_and_reasoning() -> None:
    response = Response(
        (ToolCallPart("x", "other", '{"z": 1}'), ToolCallPart("y", "Person", ALICE)),
        FinishReason.TOOL_CALLS,
    )
    stream = stream_object(FakeModel([response]), PROMPT, schema=Person)
    partials = [p async for p in stream.partial_objects()]
    assert {"z": 1} not in partials
    assert partials[-1]["city"] == "Paris"


@pytest.mark.anyio
async def test_partial_objects_and_text_stream_views() -> None:
    model = FakeModel([FakeModel.text(ALICE)], native_json=True)
    text = "".join([d async for d in stream_object(model, PROMPT, schema=Person).text_stream()])
    assert text == ALICE


@pytest.mark.anyio
async def test_a_stream_whose_final_object_is_invalid_raises_after_the_partials() -> None:
    model = FakeModel([FakeModel.text('{"name": "Alice", "age": "old"}')], native_json=True)
    stream = stream_object(model, PROMPT, schema=Person)
    partials: list[Any] = []

    async def consume() -> None:
        async for event in stream:
            if isinstance(event, PartialObject):
                partials.append(event.value)  # invalid partials never raise mid-stream

    with pytest.raises(NoObjectGeneratedError, match="age"):
        await consume()
    assert partials[-1] == {"name": "Alice", "age": "old"}
    assert stream.result is None


NO_WAIT = RetryPolicy(wait=False)


@pytest.mark.anyio
async def test_provider_errors_propagate_from_the_stream() -> None:
    model = FakeModel([AuthenticationError("bad key", status=401)])
    stream = stream_object(model, PROMPT, schema=Person, retry=NO_WAIT)
    with pytest.raises(AuthenticationError):
        await stream.collect()


@pytest.mark.anyio
async def test_transient_failures_are_retried_before_anything_was_yielded() -> None:
    answer = FakeModel.text(ALICE)
    model = FakeModel([RateLimitError("slow down"), answer], native_json=True)
    stream = stream_object(model, PROMPT, schema=Person, retry=NO_WAIT)
    assert (await stream.collect()).object.name == "Alice"
    model = FakeModel([RateLimitError("slow down"), answer], native_json=True)
    result = await generate_object(model, PROMPT, schema=Person, retry=NO_WAIT)
    assert result.object.name == "Alice"
    assert len(model.calls) == 2


class _FailingAfterPartials(FakeModel):
    async def stream(self, call: Any) -> Any:
        async for event in super().stream(call):
            if isinstance(event, Finish):
                raise RateLimitError("cut")
            yield event


@pytest.mark.anyio
async def test_a_stream_failing_after_partials_is_not_retried() -> None:
    model = _FailingAfterPartials([FakeModel.text(ALICE), FakeModel.text(ALICE)], native_json=True)
    stream = stream_object(model, PROMPT, schema=Person, retry=NO_WAIT)
    with pytest.raises(RateLimitError):
        await stream.collect()
    assert model.remaining == 1


class _WholeCallModel(FakeModel):
    """Sends each tool call whole, with no input deltas (as some hosts do)."""

    async def stream(self, call: Any) -> Any:
        response = self._next(call)
        for part in response.content:
            if isinstance(part, ToolCallPart):
                yield ToolCall(part)
        yield Finish(response.finish_reason, response.usage)


@pytest.mark.anyio
async def test_a_tool_call_sent_whole_still_gives_a_partial_and_the_text() -> None:
    stream = stream_object(_WholeCallModel([tool_answer("Person", ALICE)]), PROMPT, schema=Person)
    events = await collect(stream)
    assert [type(e).__name__ for e in events] == ["JsonDelta", "PartialObject", "ObjectFinish"]
    assert events[0].delta == ALICE
    assert stream.result is not None
    assert stream.result.object.age == 30
