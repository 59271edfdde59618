"""Response shapes real providers send that a corpus-only decoder got wrong (issue 17 §1),
from the providers' documented formats: refusals, content as a list of chunks, Responses
``reasoning_text``, Responses answers cut off mid-call, usage in vendor fields, and a
``[DONE]`` without a finish reason. Each class on every wire where it occurs, whole and
streamed; a streamed answer is also folded by the accumulator, as the agent does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from reverie._accumulate import ResponseAccumulator, response_events
from reverie.content import (
    Message,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
)
from reverie.errors import IncompleteStreamError, ProtocolError
from reverie.events import (
    Finish,
    ReasoningDelta,
    Refusal,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolInputEnd,
    ToolInputStart,
    Warnings,
)
from reverie.model import Call, FinishReason, Response
from reverie.providers._anthropic.encode import MessagesDialect
from reverie.providers._anthropic.encode import encode_request as anthropic_request
from reverie.providers._gateways import OpenRouterExtension
from reverie.providers._openai import chat_decode, responses_decode
from reverie.providers._openai.chat import encode_request as chat_request
from reverie.providers._openai.chat_stream import ChatStreamDecoder
from reverie.providers._openai.dialect import ChatDialect
from reverie.providers._openai.responses import ResponsesDialect
from reverie.providers._openai.responses import encode_request as responses_request
from reverie.providers._openai.responses_stream import ResponsesStreamDecoder
from reverie.providers._sse import DONE

OPENAI = ChatDialect("openai", send_reasoning=False)
MISTRAL = ChatDialect("mistral")
GROQ = ChatDialect("groq")
OPENROUTER = ChatDialect("openrouter", extension=OpenRouterExtension())
RESPONSES = ResponsesDialect("openai")
CHAT_DIALECTS = [OPENAI, OPENROUTER]  # the plain wire and a gateway's extension over it

REFUSAL = "I'm sorry, but I can't assist with that."


# ---------------------------------------------------------------------------------------
# Helpers: documented payload shapes, and running a stream through a decoder


def completion(message: dict[str, Any], finish: str | None = "stop", **extra: Any) -> dict:
    """A non-streamed Chat Completions response."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}
        ],
        **extra,
    }


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict:
    """A Chat Completions stream chunk."""
    choice = {"index": 0, "delta": delta or {}, "finish_reason": finish}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [choice],
        **extra,
    }


def chat_stream(dialect: ChatDialect, chunks: Sequence[dict[str, Any]]) -> list[StreamEvent]:
    decoder = ChatStreamDecoder(dialect)
    events: list[StreamEvent] = []
    for c in chunks:
        events += decoder.feed(c)
    return events + decoder.finish()


def responses_stream(events_in: Sequence[dict[str, Any]]) -> list[StreamEvent]:
    decoder = ResponsesStreamDecoder(RESPONSES)
    events: list[StreamEvent] = []
    for e in events_in:
        events += decoder.feed(e)
    return events + decoder.finish()


def folded(events: Sequence[StreamEvent]) -> Response:
    acc = ResponseAccumulator()
    for event in events:
        acc.add(event)
    return acc.response()


def warnings_of(events: Sequence[StreamEvent]) -> list[str]:
    return [w.message for e in events if isinstance(e, Warnings) for w in e.warnings]


def finish_of(events: Sequence[StreamEvent]) -> Finish:
    last = events[-1]
    assert isinstance(last, Finish)
    return last


USAGE = {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}


def response_json(output: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A whole Responses API response."""
    return {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "model": "m",
        "output": output,
        "usage": {"input_tokens": 12, "output_tokens": 9, "total_tokens": 21},
        **extra,
    }


def created() -> dict[str, Any]:
    return {"type": "response.created", "response": {"id": "resp_1", "model": "m", "output": []}}


def terminal(kind: str = "response.completed", **response: Any) -> dict[str, Any]:
    body = {
        "id": "resp_1",
        "model": "m",
        "status": "completed",
        "usage": {"input_tokens": 12, "output_tokens": 9, "total_tokens": 21},
        **response,
    }
    return {"type": kind, "response": body}


# ---------------------------------------------------------------------------------------
# 1. Refusals


@pytest.mark.parametrize("dialect", CHAT_DIALECTS, ids=lambda d: d.name)
def test_chat_refusal_whole_is_a_refusal_part_and_content_filter(dialect: ChatDialect) -> None:
    data = completion({"content": None, "refusal": REFUSAL}, usage=USAGE)
    response = chat_decode.decode_response(data, dialect, [])
    assert response.content == (RefusalPart(REFUSAL),)
    assert response.refusal == REFUSAL
    assert response.text == ""
    assert response.finish_reason == FinishReason.CONTENT_FILTER


@pytest.mark.parametrize("dialect", CHAT_DIALECTS, ids=lambda d: d.name)
def test_chat_refusal_streamed_is_one_refusal_event_and_content_filter(
    dialect: ChatDialect,
) -> None:
    words = ["I'm sorry, ", "but I can't ", "assist with that."]
    chunks = [chunk({"role": "assistant", "content": None, "refusal": ""})]
    chunks += [chunk({"refusal": w}) for w in words]
    chunks += [chunk(finish="stop"), {"id": "chatcmpl-1", "choices": [], "usage": USAGE}, DONE]
    events = chat_stream(dialect, chunks)
    refusals = [e for e in events if isinstance(e, Refusal)]
    assert [r.refusal.text for r in refusals] == [REFUSAL]
    assert not any(isinstance(e, TextDelta) for e in events)
    assert finish_of(events).finish_reason == FinishReason.CONTENT_FILTER
    response = folded(events)
    assert response.refusal == REFUSAL and response.text == ""
    assert response.usage.output_tokens == 9


def test_chat_refusal_next_to_text_keeps_both() -> None:
    data = completion({"content": "Partly: ", "refusal": REFUSAL})
    response = chat_decode.decode_response(data, OPENAI, [])
    assert response.content == (TextPart("Partly: "), RefusalPart(REFUSAL))
    assert response.finish_reason == FinishReason.CONTENT_FILTER


def test_responses_refusal_whole() -> None:
    message = {
        "id": "msg_1",
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "refusal", "refusal": REFUSAL}],
    }
    response = responses_decode.decode_response(response_json([message]), RESPONSES, [])
    assert response.content == (
        RefusalPart(REFUSAL, provider_metadata={"openai": {"item_id": "msg_1"}}),
    )
    assert response.finish_reason == FinishReason.CONTENT_FILTER


def test_responses_refusal_streamed() -> None:
    item = {
        "id": "msg_1",
        "type": "message",
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }
    done_item = {
        **item,
        "status": "completed",
        "content": [{"type": "refusal", "refusal": REFUSAL}],
    }
    ids = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    events = responses_stream(
        [
            created(),
            {"type": "response.output_item.added", "output_index": 0, "item": item},
            {
                "type": "response.content_part.added",
                **ids,
                "part": {"type": "refusal", "refusal": ""},
            },
            {"type": "response.refusal.delta", **ids, "delta": "I'm sorry, "},
            {"type": "response.refusal.delta", **ids, "delta": "but I can't assist with that."},
            {"type": "response.refusal.done", **ids, "refusal": REFUSAL},
            {"type": "response.output_item.done", "output_index": 0, "item": done_item},
            terminal(output=[done_item]),
        ]
    )
    assert [e.refusal.text for e in events if isinstance(e, Refusal)] == [REFUSAL]
    assert finish_of(events).finish_reason == FinishReason.CONTENT_FILTER
    assert folded(events).refusal == REFUSAL


def test_responses_refusal_only_in_deltas_is_still_sent() -> None:
    ids = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    events = responses_stream(
        [created(), {"type": "response.refusal.delta", **ids, "delta": REFUSAL}, terminal()]
    )
    assert [e.refusal.text for e in events if isinstance(e, Refusal)] == [REFUSAL]
    assert finish_of(events).finish_reason == FinishReason.CONTENT_FILTER


def test_a_refusal_goes_back_as_a_refusal_to_openai_and_as_text_elsewhere() -> None:
    history = [
        Message("user", (TextPart("Do the bad thing"),)),
        Message("assistant", (RefusalPart(REFUSAL),)),
        Message("user", (TextPart("Fine, something else"),)),
    ]
    call = Call(history)
    body, _ = chat_request(call, "gpt-4o", OPENAI, stream=False)
    assert body["messages"][1] == {"role": "assistant", "refusal": REFUSAL}
    body, _ = chat_request(call, "anthropic/claude", OPENROUTER, stream=False)
    assert body["messages"][1]["refusal"] == REFUSAL
    body, _ = responses_request(call, "gpt-4o", RESPONSES, stream=False)
    assert body["input"][1] == {"role": "assistant", "content": REFUSAL}
    encoded = anthropic_request(call, "claude", MessagesDialect(), stream=False)
    assert encoded.body["messages"][1]["content"] == [{"type": "text", "text": REFUSAL}]


def test_a_refusal_part_survives_the_generate_to_events_round_trip() -> None:
    response = Response((RefusalPart(REFUSAL),), FinishReason.CONTENT_FILTER)
    assert folded(response_events(response)) == response


# ---------------------------------------------------------------------------------------
# 2. Content as a list of chunks (Mistral's thinking models)

THINKING = {"type": "thinking", "thinking": [{"type": "text", "text": "2 and 3 make 5."}]}


@pytest.mark.parametrize("dialect", [MISTRAL, OPENROUTER], ids=lambda d: d.name)
def test_content_chunks_whole_become_reasoning_and_text(dialect: ChatDialect) -> None:
    data = completion({"content": [THINKING, {"type": "text", "text": "It is 5."}]})
    response = chat_decode.decode_response(data, dialect, [])
    assert [type(p) for p in response.content] == [ReasoningPart, TextPart]
    assert response.content[0].text == "2 and 3 make 5."
    assert response.text == "It is 5."
    assert response.warnings == ()


@pytest.mark.parametrize("dialect", [MISTRAL, OPENROUTER], ids=lambda d: d.name)
def test_content_chunks_streamed_are_string_deltas(dialect: ChatDialect) -> None:
    chunks = [
        chunk({"role": "assistant", "content": ""}),
        chunk(
            {"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "2 and 3"}]}]}
        ),
        chunk(
            {"content": [{"type": "thinking", "thinking": [{"type": "text", "text": " make 5."}]}]}
        ),
        chunk({"content": [{"type": "text", "text": "It is "}]}),
        chunk({"content": "5."}),  # the same stream may switch back to plain strings
        chunk(finish="stop"),
        DONE,
    ]
    events = chat_stream(dialect, chunks)
    assert all(type(e.delta) is str for e in events if isinstance(e, TextDelta))
    response = folded(events)
    assert [type(p) for p in response.content] == [ReasoningPart, TextPart]
    assert response.content[0].text == "2 and 3 make 5."
    assert response.text == "It is 5."


def test_unknown_content_chunks_are_skipped_with_one_warning_each() -> None:
    reference = {"type": "reference", "reference_ids": [1, 2]}
    chunks = [
        chunk({"content": [{"type": "text", "text": "See "}, reference]}),
        chunk({"content": [reference, {"type": "text", "text": "above."}]}),
        chunk(finish="stop"),
    ]
    events = chat_stream(MISTRAL, chunks)
    assert folded(events).text == "See above."
    assert len(warnings_of(events)) == 1
    assert "'reference'" in warnings_of(events)[0]
    whole = chat_decode.decode_response(
        completion({"content": [reference, {"type": "text", "text": "x"}]}), MISTRAL, []
    )
    assert whole.text == "x"
    assert [w.message for w in whole.warnings] == warnings_of(events)


def test_content_that_is_neither_string_nor_list_is_skipped_not_a_crash() -> None:
    events = chat_stream(MISTRAL, [chunk({"content": {"odd": True}}), chunk(finish="stop")])
    assert folded(events).text == ""
    assert "'<dict>'" in warnings_of(events)[0]


def test_a_non_string_delta_at_the_accumulator_is_a_protocol_error() -> None:
    acc = ResponseAccumulator()
    with pytest.raises(ProtocolError, match="text-delta event carried list"):
        acc.add(TextDelta("0", [{"type": "text", "text": "x"}]))  # type: ignore[arg-type]
    with pytest.raises(ProtocolError, match="reasoning-delta event carried dict"):
        acc.add(ReasoningDelta("r", {"thinking": "x"}))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# 3. Responses reasoning items with content[].type == "reasoning_text"

OSS_REASONING = {
    "id": "rs_1",
    "type": "reasoning",
    "summary": [],
    "content": [{"type": "reasoning_text", "text": "The user wants the weather."}],
}


def test_reasoning_text_whole_is_read() -> None:
    text = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "Sunny.", "annotations": []}],
    }
    response = responses_decode.decode_response(response_json([OSS_REASONING, text]), RESPONSES, [])
    assert isinstance(response.content[0], ReasoningPart)
    assert response.content[0].text == "The user wants the weather."
    assert response.text == "Sunny."


def test_reasoning_text_and_summary_are_both_read_content_first() -> None:
    item = {**OSS_REASONING, "summary": [{"type": "summary_text", "text": "Weather."}]}
    response = responses_decode.decode_response(response_json([item]), RESPONSES, [])
    assert response.content[0].text == "The user wants the weather.\n\nWeather."


def test_reasoning_text_streamed() -> None:
    added = {"id": "rs_1", "type": "reasoning", "summary": []}
    ids = {"item_id": "rs_1", "output_index": 0}
    events = responses_stream(
        [
            created(),
            {"type": "response.output_item.added", "output_index": 0, "item": added},
            {
                "type": "response.reasoning_text.delta",
                **ids,
                "content_index": 0,
                "delta": "The user ",
            },
            {
                "type": "response.reasoning_text.delta",
                **ids,
                "content_index": 0,
                "delta": "wants it.",
            },
            {"type": "response.reasoning_text.delta", **ids, "content_index": 1, "delta": "Then: "},
            {"type": "response.reasoning_text.done", **ids, "content_index": 1, "text": "Then: "},
            {"type": "response.output_item.done", "output_index": 0, "item": OSS_REASONING},
            terminal(),
        ]
    )
    response = folded(events)
    assert response.content[0] == ReasoningPart(
        "The user wants it.\n\nThen: ",
        provider_metadata={"openai": {"item_id": "rs_1", "summary": []}},
    )


def test_reasoning_text_arriving_only_with_the_done_item_is_read() -> None:
    added = {"id": "rs_1", "type": "reasoning", "summary": []}
    events = responses_stream(
        [
            created(),
            {"type": "response.output_item.added", "output_index": 0, "item": added},
            {"type": "response.output_item.done", "output_index": 0, "item": OSS_REASONING},
            terminal(),
        ]
    )
    assert folded(events).content[0].text == "The user wants the weather."  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------
# 4. A Responses answer cut off by max_output_tokens in the middle of a function call

CUT_CALL = {
    "id": "fc_1",
    "type": "function_call",
    "status": "incomplete",
    "call_id": "call_1",
    "name": "weather",
    "arguments": '{"location": "Flor',
}
INCOMPLETE = {"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}


def test_incomplete_response_with_a_cut_call_whole_is_length_and_no_call() -> None:
    data = response_json([CUT_CALL], **INCOMPLETE)
    response = responses_decode.decode_response(data, RESPONSES, [])
    assert response.finish_reason == FinishReason.LENGTH
    assert not any(isinstance(p, ToolCallPart) for p in response.content)
    assert "max_output_tokens" in response.warnings[0].message


def test_incomplete_response_keeps_whole_calls_but_says_length() -> None:
    whole = {
        **CUT_CALL,
        "id": "fc_0",
        "call_id": "call_0",
        "status": "completed",
        "arguments": "{}",
    }
    response = responses_decode.decode_response(
        response_json([whole, CUT_CALL], **INCOMPLETE), RESPONSES, []
    )
    assert [p.tool_call_id for p in response.content if isinstance(p, ToolCallPart)] == ["call_0"]
    assert response.finish_reason == FinishReason.LENGTH


def _cut_stream(done: bool) -> list[dict[str, Any]]:
    added = {**CUT_CALL, "status": "in_progress", "arguments": ""}
    frames: list[dict[str, Any]] = [
        created(),
        {"type": "response.output_item.added", "output_index": 0, "item": added},
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_1",
            "output_index": 0,
            "delta": '{"location": ',
        },
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_1",
            "output_index": 0,
            "delta": '"Flor',
        },
    ]
    if done:
        frames.append({"type": "response.output_item.done", "output_index": 0, "item": CUT_CALL})
    return [*frames, terminal("response.incomplete", **INCOMPLETE, output=[CUT_CALL])]


@pytest.mark.parametrize("done", [True, False], ids=["item-done", "no-item-done"])
def test_incomplete_response_streamed_is_length_and_no_tool_call(done: bool) -> None:
    events = responses_stream(_cut_stream(done))
    assert not any(isinstance(e, ToolCall) for e in events)
    starts = [e for e in events if isinstance(e, ToolInputStart)]
    ends = [e for e in events if isinstance(e, ToolInputEnd)]
    assert len(starts) == len(ends) == 1  # the tool input is closed, never completed
    assert finish_of(events).finish_reason == FinishReason.LENGTH
    assert "max_output_tokens" in warnings_of(events)[0]


def test_content_filter_incomplete_wins_over_calls() -> None:
    data = response_json(
        [{**CUT_CALL, "status": "completed", "arguments": "{}"}],
        status="incomplete",
        incomplete_details={"reason": "content_filter"},
    )
    assert (
        responses_decode.decode_response(data, RESPONSES, []).finish_reason
        == FinishReason.CONTENT_FILTER
    )


# ---------------------------------------------------------------------------------------
# 5. Usage in vendor extensions

GROQ_USAGE = {
    "queue_time": 0.02,
    "prompt_tokens": 40,
    "prompt_time": 0.006,
    "completion_tokens": 25,
    "completion_time": 0.03,
    "total_tokens": 65,
    "total_time": 0.04,
}


def test_groq_x_groq_usage_streamed() -> None:
    chunks = [
        chunk({"role": "assistant", "content": "Hi"}, x_groq={"id": "req_1"}),
        chunk(finish="stop", x_groq={"id": "req_1", "usage": GROQ_USAGE}),
        DONE,
    ]
    usage = finish_of(chat_stream(GROQ, chunks)).usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (40, 25, 65)


def test_groq_x_groq_usage_whole() -> None:
    data = completion({"content": "Hi"}, x_groq={"id": "req_1", "usage": GROQ_USAGE})
    assert chat_decode.decode_response(data, GROQ, []).usage.total_tokens == 65


def test_top_level_usage_wins_over_x_groq() -> None:
    data = completion({"content": "Hi"}, usage=USAGE, x_groq={"usage": GROQ_USAGE})
    assert chat_decode.decode_response(data, GROQ, []).usage.total_tokens == 21


def test_usage_inside_the_final_choice_is_read() -> None:
    final = chunk(finish="stop")
    final["choices"][0]["usage"] = USAGE  # Moonshot's documented stream shape
    events = chat_stream(ChatDialect("moonshot"), [chunk({"content": "Hi"}), final, DONE])
    assert finish_of(events).usage.total_tokens == 21


def test_deepseek_cache_hits_count_as_cached_input() -> None:
    usage = {
        "prompt_tokens": 100,
        "completion_tokens": 5,
        "total_tokens": 105,
        "prompt_cache_hit_tokens": 64,
        "prompt_cache_miss_tokens": 36,
    }
    decoded = chat_decode.decode_response(
        completion({"content": "x"}, usage=usage), ChatDialect("deepseek"), []
    ).usage
    assert (decoded.input_tokens, decoded.cache_read_tokens) == (36, 64)


# ---------------------------------------------------------------------------------------
# 6. [DONE] after usage, with no finish reason


def test_done_after_usage_without_finish_reason_is_stop_with_a_warning() -> None:
    chunks = [
        chunk({"role": "assistant", "content": "Hello"}),
        chunk({"content": " there"}),
        {"id": "chatcmpl-1", "choices": [], "usage": USAGE},
        DONE,
    ]
    events = chat_stream(ChatDialect("snowflake"), chunks)
    finish = finish_of(events)
    assert finish.finish_reason == FinishReason.STOP
    assert finish.usage.total_tokens == 21
    assert "[DONE]" in warnings_of(events)[0]
    assert folded(events).text == "Hello there"


def test_done_without_finish_reason_with_whole_calls_is_tool_calls() -> None:
    call = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "add", "arguments": '{"a": 1}'},
    }
    events = chat_stream(ChatDialect("cortex"), [chunk({"tool_calls": [call]}), DONE])
    assert finish_of(events).finish_reason == FinishReason.TOOL_CALLS
    assert [e.call.input for e in events if isinstance(e, ToolCall)] == ['{"a": 1}']
    assert warnings_of(events)


def test_done_without_finish_reason_drops_a_call_with_cut_arguments() -> None:
    whole = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "add", "arguments": "{}"},
    }
    cut = {
        "index": 1,
        "id": "call_2",
        "type": "function",
        "function": {"name": "add", "arguments": '{"a": '},
    }
    events = chat_stream(ChatDialect("cortex"), [chunk({"tool_calls": [whole, cut]}), DONE])
    assert [e.call.tool_call_id for e in events if isinstance(e, ToolCall)] == ["call_1"]
    assert any("call_2" in w for w in warnings_of(events))


def test_a_stream_cut_without_done_or_finish_is_incomplete_even_with_calls() -> None:
    call = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "add", "arguments": "{}"},
    }
    decoder = ChatStreamDecoder(OPENAI)
    decoder.feed(chunk({"tool_calls": [call]}))
    with pytest.raises(IncompleteStreamError, match=r"\[DONE\]"):
        decoder.finish()


def test_a_finish_reason_without_done_needs_no_warning() -> None:
    events = chat_stream(OPENAI, [chunk({"content": "x"}), chunk(finish="stop")])
    assert finish_of(events).finish_reason == FinishReason.STOP
    assert warnings_of(events) == []


def test_content_lists_may_hold_bare_strings_and_odd_items() -> None:
    data = completion({"content": ["It is ", {"type": "text", "text": "5."}, 7, None]})
    response = chat_decode.decode_response(data, MISTRAL, [])
    assert response.text == "It is 5."
    assert sorted(w.message for w in response.warnings) == [
        "mistral: content chunks of type '<NoneType>' are not supported; skipped",
        "mistral: content chunks of type '<int>' are not supported; skipped",
    ]
