"""Tool calls as constrained JSON: the schema, the rewritten call, the decoded reply."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

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
from reverie.providers._local.answerstream import AnswerStreamer
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


def _call_items(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-tool call schemas inside a reply schema."""
    calls = schema["anyOf"][0] if "anyOf" in schema else schema
    items = calls["properties"]["tool_calls"]["items"]
    return items.get("anyOf", [items])


def test_schema_offers_an_array_of_calls_and_the_answer() -> None:
    schema = tooljson.answer_schema([WEATHER, ADD], allow_answer=True)
    calls, answer = schema["anyOf"]
    array = calls["properties"]["tool_calls"]
    assert array["type"] == "array"
    assert (array["minItems"], array["maxItems"]) == (1, tooljson.MAX_CALLS_PER_STEP)
    items = _call_items(schema)
    assert [i["properties"]["tool"]["const"] for i in items] == ["weather", "add"]
    assert items[0]["properties"]["arguments"] == WEATHER.input_schema
    assert answer["required"] == ["final_answer"]


def test_a_forced_tool_is_called_once() -> None:
    schema = tooljson.answer_schema([ADD], allow_answer=False, max_calls=1)
    assert schema["properties"]["tool_calls"]["maxItems"] == 1
    assert "anyOf" not in schema  # no answer branch


def _history(*results: ToolResultPart) -> list[Message]:
    calls = tuple(ToolCallPart(r.tool_call_id, r.tool_name, "{}") for r in results)
    return [user("Weather, then add?"), Message("assistant", calls), Message("tool", results)]


def test_after_a_result_the_tools_not_yet_used_stay_offered() -> None:
    history = _history(ToolResultPart("c1", "weather", TextOutput("40 C")))
    tools, allow = tooljson.offered_tools([WEATHER, ADD], "auto", history)
    assert [t.name for t in tools] == ["add"]
    assert allow


def test_after_every_tool_answered_only_the_answer_is_offered() -> None:
    history = _history(
        ToolResultPart("c1", "weather", TextOutput("40 C")),
        ToolResultPart("c2", "add", TextOutput("5")),
    )
    for choice in ("auto", "required"):
        tools, allow = tooljson.offered_tools([WEATHER, ADD], choice, history)  # type: ignore[arg-type]
        assert (tools, allow) == ([], True)
    assert tooljson.answer_schema([], True)["required"] == ["final_answer"]


def test_a_tool_that_failed_is_offered_again_and_a_new_question_resets() -> None:
    history = _history(ToolResultPart("c1", "add", ErrorOutput("b is missing")))
    tools, _ = tooljson.offered_tools([ADD], "auto", history)
    assert [t.name for t in tools] == ["add"]
    done = _history(ToolResultPart("c1", "add", TextOutput("5")))
    tools, _ = tooljson.offered_tools([ADD], "auto", [*done, user("And 4 plus 4?")])
    assert [t.name for t in tools] == ["add"]


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
    tools, allowed = tooljson.offered_tools([WEATHER, ADD], choice, [user("hi")])  # type: ignore[arg-type]
    assert [t.name for t in tools] == names
    assert allowed is allow


def test_history_becomes_protocol_turns_with_results_as_one_json_object() -> None:
    calls = (
        ToolCallPart("c1", "weather", '{"location":"Florence"}'),
        ToolCallPart("c2", "add", '{"a":2,"b":3}'),
        ToolCallPart("c3", "add", '{"a":2,"b":3}'),
    )
    results = (
        ToolResultPart("c1", "weather", TextOutput("40 C")),
        ToolResultPart("c2", "add", ErrorOutput("boom")),
        ToolResultPart("c3", "add", TextOutput("5")),
    )
    messages = [
        system("Be brief."),
        user("Weather in Florence?"),
        Message("assistant", calls),
        Message("tool", results),
        Message("assistant", (TextPart("It is 40 C."),)),
        user("Thanks"),
    ]
    out = tooljson.rewrite_messages(messages, [WEATHER], allow_answer=True)
    assert [m.role for m in out] == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert out[0].text.startswith("Be brief.\n\n")
    assert "final_answer" in out[0].text
    assert orjson.loads(out[2].text) == {
        "tool_calls": [
            {"tool": "weather", "arguments": {"location": "Florence"}},
            {"tool": "add", "arguments": {"a": 2, "b": 3}},
            {"tool": "add", "arguments": {"a": 2, "b": 3}},
        ]
    }
    (part,) = out[3].content
    assert isinstance(part, ToolResultPart)
    assert isinstance(part.output, TextOutput)
    assert orjson.loads(part.output.text) == {
        'weather(location="Florence")': "40 C",
        "add(a=2, b=3)": "error: boom",
        "add(a=2, b=3) #2": "5",
    }
    assert orjson.loads(out[4].text) == {"final_answer": "It is 40 C."}


def test_a_conversation_ending_with_the_assistant_gets_a_user_turn() -> None:
    # llama.cpp cannot constrain a continued assistant turn ("Failed to initialize samplers").
    messages = [user("What is 2 plus 3?"), Message("assistant", (TextPart("5"),))]
    out = tooljson.rewrite_messages(messages, [ADD], allow_answer=False)
    assert out[-1].role == "user"
    assert "JSON" in out[-1].text


def test_instructions_describe_the_tools_without_placeholders() -> None:
    out = tooljson.rewrite_messages([user("hi")], [ADD], allow_answer=True)
    assert out[0].role == "system"
    assert "- add(a: integer, b: integer): Add two numbers" in out[0].text
    assert "tool_calls" in out[0].text
    assert "<" not in out[0].text  # tiny models copy placeholders literally
    only_calls = tooljson.rewrite_messages([user("hi")], [ADD], allow_answer=False)
    assert "final_answer" not in only_calls[0].text
    only_answer = tooljson.rewrite_messages([user("hi")], [], allow_answer=True)
    assert "tool_calls" not in only_answer[0].text


def test_decode_calls_and_an_answer() -> None:
    reply = '{"tool_calls": [{"tool": "add", "arguments": {"a": 2, "b": 3}}, {"tool": "multiply", "arguments": {"a": 2, "b": 3}}]}'
    first, second = tooljson.decode_answer(reply)
    assert isinstance(first, ToolCallPart)
    assert isinstance(second, ToolCallPart)
    assert (first.tool_name, second.tool_name) == ("add", "multiply")
    assert orjson.loads(first.input) == {"a": 2, "b": 3}
    assert first.tool_call_id.startswith("call_")
    assert first.tool_call_id != second.tool_call_id
    assert tooljson.decode_answer('{"final_answer": "Olá"}') == (TextPart("Olá"),)


def test_decode_drops_a_call_repeated_within_one_reply() -> None:
    reply = '{"tool_calls": [{"tool": "add", "arguments": {"a": 2, "b": 3}}, {"tool": "add", "arguments": {"b": 3, "a": 2}}, {"tool": "add", "arguments": {"a": 1, "b": 3}}]}'
    parts = tooljson.decode_answer(reply)
    assert [orjson.loads(p.input) for p in parts if isinstance(p, ToolCallPart)] == [
        {"a": 2, "b": 3},
        {"a": 1, "b": 3},
    ]


def test_decode_accepts_a_single_call_object() -> None:
    (part,) = tooljson.decode_answer('{"tool": "add", "arguments": {"a": 2, "b": 3}}')
    assert isinstance(part, ToolCallPart)
    assert part.tool_name == "add"


def test_decode_keeps_text_that_is_not_the_json_asked_for() -> None:
    assert tooljson.decode_answer("just words") == (TextPart("just words"),)
    assert tooljson.decode_answer("") == ()
    assert not tooljson.is_protocol_reply("just words")
    assert tooljson.is_protocol_reply('{"final_answer": "x"}')


def _feed(pieces: list[str]) -> tuple[list[StreamEvent], bool]:
    streamer = AnswerStreamer()
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


def test_streamed_tool_calls_come_whole_at_the_end() -> None:
    reply = '{"tool_calls": [{"tool": "weather", "arguments": {"location": "Rome"}}, {"tool": "weather", "arguments": {"location": "Oslo"}}]}'
    events, called = _feed([reply[i : i + 7] for i in range(0, len(reply), 7)])
    assert called
    assert isinstance(events[0], ToolInputStart)
    calls = [e.call for e in events if isinstance(e, ToolCall)]
    assert [c.tool_name for c in calls] == ["weather", "weather"]
    assert [orjson.loads(c.input) for c in calls] == [{"location": "Rome"}, {"location": "Oslo"}]
    assert not any(isinstance(e, TextDelta) for e in events)


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
    inner = FakeChat('{"tool_calls": [{"tool": "weather", "arguments": {"location": "Florence"}}]}')
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
    assert sent.temperature == 0.0  # tool steps are greedy unless the call says otherwise
    inner.calls.clear()
    asyncio.run(model.generate(Call([user("Weather?")], tools=[WEATHER], temperature=0.7)))
    assert inner.calls[0].temperature == 0.7


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


def test_a_reply_cut_off_by_the_token_limit_runs_no_calls_and_says_so() -> None:
    class CutOff(FakeChat):
        async def generate(self, call: Call) -> Response:
            return Response((TextPart(self.reply),), FinishReason.LENGTH, Usage(5, 7, 12))

    inner = CutOff('{"tool_calls": [{"tool": "weather", "arguments": {"loca')
    response = asyncio.run(
        ConstrainedToolModel(inner).generate(Call([user("Weather?")], tools=[WEATHER]))
    )
    assert response.finish_reason == FinishReason.LENGTH  # repaired calls must not run
    garbled = asyncio.run(
        ConstrainedToolModel(CutOff("I think")).generate(Call([user("Weather?")], tools=[WEATHER]))
    )
    assert garbled.text == "I think"
    (warning,) = garbled.warnings
    assert "not the JSON" in warning.message
    assert "token limit" in warning.message


def test_defs_of_every_tool_are_hoisted_to_the_root_under_their_own_names() -> None:
    point = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}
    draw = ToolSpec(
        "draw",
        "Draw",
        {
            "type": "object",
            "properties": {
                "at": {"$ref": "#/$defs/Point"},
                "path": {"type": "array", "items": {"$ref": "#/$defs/Point"}},
                "same": {"$ref": "#/properties/at"},
            },
            "$defs": {"Point": point},
        },
    )
    move = ToolSpec(
        "move",
        "Move",
        {"type": "object", "properties": {"to": {"$ref": "#/definitions/Point"}},
         "definitions": {"Point": {"type": "string"}}},
    )  # fmt: skip
    schema = tooljson.answer_schema([draw, move], allow_answer=False)
    assert schema["$defs"] == {"draw__Point": point, "move__Point": {"type": "string"}}
    draw_args, move_args = (i["properties"]["arguments"] for i in _call_items(schema))
    assert draw_args["properties"]["at"] == {"$ref": "#/$defs/draw__Point"}
    assert draw_args["properties"]["path"]["items"] == {"$ref": "#/$defs/draw__Point"}
    assert draw_args["properties"]["same"] == {"$ref": "#/$defs/draw__Point"}  # inlined once
    assert "$defs" not in draw_args
    assert move_args["properties"]["to"] == {"$ref": "#/$defs/move__Point"}
