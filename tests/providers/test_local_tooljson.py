"""Tool calls as constrained JSON: the schema, the rewritten call, the decoded reply."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
import pytest

from reverie.content import (
    ErrorOutput,
    Message,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    system,
    user,
)
from reverie.events import (
    Finish,
    StreamEvent,
    TextDelta,
    TextEnd,
    TextStart,
    ToolCall,
    ToolInputStart,
)
from reverie.model import Call, FinishReason, Response, SpecificTool, ToolSpec, Usage
from reverie.providers._local import tooljson
from reverie.providers._local.constrained import ConstrainedToolModel

WEATHER = ToolSpec(
    "weather",
    "Get weather information for a location",
    {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
)
ADD = ToolSpec(
    "add",
    "Add two numbers",
    {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    },
)


def test_schema_offers_each_tool_and_the_answer() -> None:
    schema = tooljson.answer_schema([WEATHER, ADD], allow_answer=True)
    branches = schema["anyOf"]
    assert [b["properties"].get("tool", {}).get("const") for b in branches] == [
        "weather",
        "add",
        None,
    ]
    assert branches[0]["properties"]["arguments"] == WEATHER.input_schema
    assert branches[2]["required"] == ["final_answer"]


def test_after_a_tool_result_only_the_answer_is_allowed() -> None:
    tools, allow = tooljson.offered_tools([WEATHER], "auto", after_result=True)
    assert tools == []
    assert allow
    schema = tooljson.answer_schema(tools, allow)
    assert schema["required"] == ["final_answer"]


@pytest.mark.parametrize(
    ("choice", "names", "allow"),
    [
        ("auto", ["weather", "add"], True),
        ("required", ["weather", "add"], False),
        ("none", [], True),
        (SpecificTool("add"), ["add"], False),
    ],
)
def test_tool_choice_shapes_what_is_offered(choice: object, names: list[str], allow: bool) -> None:
    tools, allowed = tooljson.offered_tools([WEATHER, ADD], choice, after_result=False)  # type: ignore[arg-type]
    assert [t.name for t in tools] == names
    assert allowed is allow


def test_history_becomes_plain_turns_with_instructions() -> None:
    call = ToolCallPart("c1", "weather", '{"location":"Florence"}')
    result = ToolResultPart("c1", "weather", TextOutput("40 C"))
    failed = ToolResultPart("c2", "add", ErrorOutput("boom"))
    messages = [
        system("Be brief."),
        user("Weather in Florence?"),
        Message("assistant", (call,)),
        Message("tool", (result, failed)),
    ]
    out = tooljson.rewrite_messages(messages, [WEATHER], after_result=True)
    assert [m.role for m in out] == ["system", "user", "assistant", "user"]
    assert out[0].text.startswith("Be brief.\n\n")
    assert "final_answer" in out[0].text
    assert orjson.loads(out[2].text) == {"tool": "weather", "arguments": {"location": "Florence"}}
    assert out[3].text == "Result of tool weather: 40 C\nResult of tool add: error: boom"


def test_instructions_describe_the_tools_without_placeholders() -> None:
    out = tooljson.rewrite_messages([user("hi")], [ADD], after_result=False)
    assert out[0].role == "system"
    assert "- add(a: integer, b: integer): Add two numbers" in out[0].text
    assert "<" not in out[0].text  # tiny models copy placeholders literally


def test_decode_a_tool_call_and_an_answer() -> None:
    (part,) = tooljson.decode_answer('{"tool": "add", "arguments": {"a": 2, "b": 3}}')
    assert isinstance(part, ToolCallPart)
    assert part.tool_name == "add"
    assert orjson.loads(part.input) == {"a": 2, "b": 3}
    assert part.tool_call_id.startswith("call_")
    assert tooljson.decode_answer('{"final_answer": "Olá"}') == (TextPart("Olá"),)


def test_decode_keeps_text_that_is_not_the_json_asked_for() -> None:
    assert tooljson.decode_answer("just words") == (TextPart("just words"),)
    assert tooljson.decode_answer("") == ()


def _feed(pieces: list[str]) -> tuple[list[StreamEvent], bool]:
    streamer = tooljson.AnswerStreamer()
    events: list[StreamEvent] = []
    for piece in pieces:
        events += streamer.feed(piece)
    closing, called = streamer.finish()
    return events + closing, called


def test_answer_text_streams_while_it_is_generated() -> None:
    pieces = ["{\n  ", '"final', '_answer": "Ol', "\\u00e1, ", 'di\\"a\\', 'n"', "\n}"]
    events, called = _feed(pieces)
    assert not called
    assert isinstance(events[0], TextStart)
    assert isinstance(events[-1], TextEnd)
    deltas = [e.delta for e in events if isinstance(e, TextDelta)]
    assert len(deltas) >= 3  # streamed, not emitted whole at the end
    assert "".join(deltas) == 'Olá, di"a\n'


def test_surrogate_pairs_split_across_chunks_decode_whole() -> None:
    events, _ = _feed(['{"final_answer": "a\\ud83d', '\\ude00b"}'])
    assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == "a\U0001f600b"


def test_a_streamed_tool_call_comes_whole_at_the_end() -> None:
    events, called = _feed(['{"tool": "wea', 'ther", "arguments": {"location": "Rome"}}'])
    assert called
    assert isinstance(events[0], ToolInputStart)
    (call,) = [e.call for e in events if isinstance(e, ToolCall)]
    assert call.tool_name == "weather"
    assert orjson.loads(call.input) == {"location": "Rome"}


class FakeChat:
    """An inner model that records the call and streams a scripted reply."""

    provider = "local"
    model_id = "fake"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.calls: list[Call] = []

    async def generate(self, call: Call) -> Response:
        self.calls.append(call)
        return Response((TextPart(self.reply),), FinishReason.STOP, Usage(5, 7, 12))

    async def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        self.calls.append(call)
        yield TextStart("0")
        for i in range(0, len(self.reply), 4):
            yield TextDelta("0", self.reply[i : i + 4])
        yield TextEnd("0")
        yield Finish(FinishReason.STOP, Usage(5, 7, 12))


def test_a_call_with_tools_goes_out_constrained_and_without_tools() -> None:
    inner = FakeChat('{"tool": "weather", "arguments": {"location": "Florence"}}')
    model = ConstrainedToolModel(inner)
    call = Call([user("Weather?")], tools=[WEATHER], tool_choice="auto")
    response = asyncio.run(model.generate(call))
    sent = inner.calls[0]
    assert sent.tools == ()
    assert sent.tool_choice is None
    fmt = sent.provider_options["local"]["extra_body"]["response_format"]
    assert fmt["type"] == "json_schema"
    assert "anyOf" in fmt["json_schema"]["schema"]
    assert response.finish_reason == FinishReason.TOOL_CALLS
    (part,) = response.content
    assert isinstance(part, ToolCallPart)
    assert part.tool_name == "weather"


def test_streamed_answer_after_a_tool_result_is_text() -> None:
    inner = FakeChat('{"final_answer": "It is 40 C in Florence."}')
    model = ConstrainedToolModel(inner)
    history = [
        user("Weather?"),
        Message("assistant", (ToolCallPart("c1", "weather", "{}"),)),
        Message("tool", (ToolResultPart("c1", "weather", TextOutput("40 C")),)),
    ]

    async def collect() -> list[StreamEvent]:
        return [e async for e in model.stream(Call(history, tools=[WEATHER]))]

    events = asyncio.run(collect())
    schema = inner.calls[0].provider_options["local"]["extra_body"]["response_format"]
    assert schema["json_schema"]["schema"]["required"] == ["final_answer"]
    assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == (
        "It is 40 C in Florence."
    )
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert finish.finish_reason == FinishReason.STOP
    assert finish.usage.total_tokens == 12


def test_a_call_without_tools_passes_through_unchanged() -> None:
    inner = FakeChat("plain")
    call = Call([user("hi")], provider_options={"local": {"extra_body": {"seed": 1}}})
    response = asyncio.run(ConstrainedToolModel(inner).generate(call))
    assert inner.calls[0] is call
    assert response.text == "plain"


def test_existing_extra_body_is_kept() -> None:
    inner = FakeChat('{"final_answer": "x"}')
    call = Call(
        [user("hi")], tools=[WEATHER], provider_options={"local": {"extra_body": {"seed": 1}}}
    )
    asyncio.run(ConstrainedToolModel(inner).generate(call))
    extra = inner.calls[0].provider_options["local"]["extra_body"]
    assert extra["seed"] == 1
    assert "response_format" in extra
