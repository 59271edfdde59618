"""The Responses stream decoder, from JSON alone: typed SSE events in, events out."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from reverie._accumulate import ResponseAccumulator
from reverie.content import Message, ReasoningPart, TextPart, ToolCallPart
from reverie.errors import (
    IncompleteStreamError,
    InvalidRequestError,
    RateLimitError,
    ServerError,
)
from reverie.events import ReasoningDelta, StreamEvent, ToolInputDelta, ToolResult
from reverie.model import Call, FinishReason, Response
from reverie.providers._openai.responses import ResponsesDialect, encode_request
from reverie.providers._openai.responses_decode import decode_response
from reverie.providers._openai.responses_stream import ResponsesStreamDecoder
from reverie.providers._sse import SSEDecoder, json_object

OPENAI = ResponsesDialect("openai")

REASONING_DONE = {
    "id": "rs_1",
    "type": "reasoning",
    "encrypted_content": "gAAA-final",
    "summary": [
        {"type": "summary_text", "text": "**Plan** call it"},
        {"type": "summary_text", "text": "**Then** answer"},
    ],
}
CALL_DONE = {
    "id": "fc_1",
    "type": "function_call",
    "status": "completed",
    "call_id": "call_1",
    "name": "weather",
    "arguments": '{"location":"Florence"}',
}
MESSAGE_DONE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "content": [
        {
            "type": "output_text",
            "text": "It is 40 C.",
            "annotations": [{"type": "url_citation", "url": "https://w.example", "title": "W"}],
        }
    ],
}
USAGE = {
    "input_tokens": 50,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 20,
    "output_tokens_details": {"reasoning_tokens": 8},
    "total_tokens": 70,
}
FINAL = {
    "id": "resp_1",
    "model": "gpt-5",
    "status": "completed",
    "error": None,
    "incomplete_details": None,
    "output": [REASONING_DONE, CALL_DONE, MESSAGE_DONE],
    "usage": USAGE,
}

EVENTS: list[dict[str, Any]] = [
    {"type": "response.created", "response": {**FINAL, "output": [], "usage": None}},
    {"type": "response.in_progress", "response": {**FINAL, "output": [], "usage": None}},
    {
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": "gAAA-0"},
    },
    {"type": "response.reasoning_summary_part.added", "item_id": "rs_1", "summary_index": 0},
    {
        "type": "response.reasoning_summary_text.delta",
        "item_id": "rs_1",
        "summary_index": 0,
        "delta": "**Plan**",
    },
    {
        "type": "response.reasoning_summary_text.delta",
        "item_id": "rs_1",
        "summary_index": 0,
        "delta": " call it",
    },
    {"type": "response.reasoning_summary_part.added", "item_id": "rs_1", "summary_index": 1},
    {
        "type": "response.reasoning_summary_text.delta",
        "item_id": "rs_1",
        "summary_index": 1,
        "delta": "**Then** answer",
    },
    {"type": "response.output_item.done", "output_index": 0, "item": REASONING_DONE},
    {
        "type": "response.output_item.added",
        "output_index": 1,
        "item": {**CALL_DONE, "arguments": "", "status": "in_progress"},
    },
    {
        "type": "response.function_call_arguments.delta",
        "output_index": 1,
        "item_id": "fc_1",
        "delta": '{"location":',
    },
    {
        "type": "response.function_call_arguments.delta",
        "output_index": 1,
        "item_id": "fc_1",
        "delta": '"Florence"}',
    },
    {"type": "response.output_item.done", "output_index": 1, "item": CALL_DONE},
    {
        "type": "response.output_item.added",
        "output_index": 2,
        "item": {"id": "msg_1", "type": "message", "role": "assistant", "content": []},
    },
    {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "It is "},
    {
        "type": "response.output_text.annotation.added",
        "item_id": "msg_1",
        "annotation": {"type": "url_citation", "url": "https://w.example", "title": "W"},
    },
    {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "40 C."},
    {"type": "response.output_item.done", "output_index": 2, "item": MESSAGE_DONE},
    {"type": "response.completed", "response": FINAL},
]


def sse(events: list[dict[str, Any]]) -> bytes:
    """The events as the server frames them: an ``event:`` line, a ``data:`` line, a blank."""
    return b"".join(
        b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for e in events
    )


def run(body: bytes, size: int) -> list[StreamEvent]:
    """Decode ``body`` read ``size`` bytes at a time, as the model class does."""
    decoder = ResponsesStreamDecoder(OPENAI)
    sse_decoder = SSEDecoder()
    out: list[StreamEvent] = []
    events = [
        e
        for start in range(0, len(body), size)
        for e in sse_decoder.feed(body[start : start + size])
    ]
    for _name, data in [*events, *sse_decoder.close()]:
        if data != "[DONE]":  # sent by some proxies; the HTTP layer skips it
            out += decoder.feed(json_object(data, "openai"))
    return out + decoder.finish()


def collect(events: list[StreamEvent]) -> Response:
    acc = ResponseAccumulator()
    for event in events:
        acc.add(event)
    return acc.response()


@pytest.mark.parametrize("size", [1, 7, 64, 10**9])
def test_every_chunking_yields_the_same_events(size: int) -> None:
    assert run(sse(EVENTS), size) == run(sse(EVENTS), 10**9)


def test_a_stream_amounts_to_the_generated_response() -> None:
    streamed = collect(run(sse(EVENTS), 13))
    generated = decode_response(FINAL, OPENAI, [])
    assert streamed.content == generated.content
    assert streamed.finish_reason == generated.finish_reason == FinishReason.TOOL_CALLS
    assert streamed.usage == generated.usage
    assert streamed.provider_metadata == {"openai": {"response_id": "resp_1", "model": "gpt-5"}}


def test_deltas_arrive_as_they_are_streamed() -> None:
    events = run(sse(EVENTS), 10**9)
    reasoning = [e.delta for e in events if isinstance(e, ReasoningDelta)]
    assert reasoning == ["**Plan**", " call it", "\n\n", "**Then** answer"]
    arguments = [e.delta for e in events if isinstance(e, ToolInputDelta)]
    assert arguments == ['{"location":', '"Florence"}']


def test_reasoning_ends_with_the_final_encrypted_content() -> None:
    (part,) = [p for p in collect(run(sse(EVENTS), 5)).content if isinstance(p, ReasoningPart)]
    assert part.provider_metadata["openai"] == {
        "item_id": "rs_1",
        "encrypted_content": "gAAA-final",
        "summary": ["**Plan** call it", "**Then** answer"],
    }


def test_reasoning_round_trip_follows_the_recorded_requests() -> None:
    streamed = collect(run(sse(EVENTS), 9))
    history = [Message("user", (TextPart("q"),)), Message("assistant", streamed.content)]
    default, _ = encode_request(Call(messages=history), "gpt-5", OPENAI, stream=True)
    # As recorded: the reasoning item is not sent back, the call and the text are.
    assert [i.get("type", i.get("role")) for i in default["input"]] == [
        "user",
        "function_call",
        "assistant",
    ]
    opted_in, _ = encode_request(
        Call(messages=history, provider_options={"openai": {"send_reasoning": True}}),
        "gpt-5",
        OPENAI,
        stream=True,
    )
    assert opted_in["input"][1] == {
        "type": "reasoning",
        "id": "rs_1",
        "encrypted_content": "gAAA-final",
        "summary": [
            {"type": "summary_text", "text": "**Plan** call it"},
            {"type": "summary_text", "text": "**Then** answer"},
        ],
    }


def test_a_stream_without_its_terminal_event_is_incomplete() -> None:
    with pytest.raises(IncompleteStreamError, match=r"response\.completed"):
        run(sse(EVENTS[:-1]), 10**9)


def test_response_incomplete_is_a_terminal_event() -> None:
    final = {**FINAL, "status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}
    final["output"] = [MESSAGE_DONE]
    events = [*EVENTS[13:-1], {"type": "response.incomplete", "response": final}]
    response = collect(run(sse(events), 10**9))
    assert response.finish_reason == FinishReason.LENGTH
    assert response.text == "It is 40 C."


def test_reasoning_without_summary_or_encryption_yields_no_block() -> None:
    bare = {"id": "rs_9", "type": "reasoning", "summary": []}
    events = [
        {"type": "response.output_item.added", "output_index": 0, "item": bare},
        {"type": "response.output_item.done", "output_index": 0, "item": bare},
        *EVENTS[13:],
    ]
    assert [p.type for p in collect(run(sse(events), 10**9)).content] == ["text", "source"]


@pytest.mark.parametrize(
    ("event", "error"),
    [
        (
            {"type": "error", "code": "rate_limit_exceeded", "message": "slow down"},
            RateLimitError,
        ),
        (
            {
                "type": "error",
                "error": {"type": "invalid_request_error", "message": "bad input"},
            },
            InvalidRequestError,
        ),
        (
            {
                "type": "response.failed",
                "response": {**FINAL, "error": {"code": "server_error", "message": "oops"}},
            },
            ServerError,
        ),
    ],
)
def test_in_band_errors_are_raised_typed(event: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        run(sse([*EVENTS[:3], event]), 10**9)


def test_web_search_streams_a_provider_executed_call_and_result() -> None:
    added = {"id": "ws_1", "type": "web_search_call", "status": "in_progress"}
    done = {**added, "status": "completed", "action": {"type": "search", "query": "tokyo"}}
    final = {**FINAL, "output": [done, MESSAGE_DONE]}
    events = [
        {"type": "response.output_item.added", "output_index": 0, "item": added},
        {"type": "response.web_search_call.searching", "item_id": "ws_1"},
        {"type": "response.output_item.done", "output_index": 0, "item": done},
        *EVENTS[13:-1],
        {"type": "response.completed", "response": final},
    ]
    out = run(sse(events), 10**9)
    assert any(isinstance(e, ToolResult) and e.result.provider_executed for e in out)
    response = collect(out)
    call = response.content[0]
    assert isinstance(call, ToolCallPart)
    assert call.provider_executed
    assert call.tool_name == "web_search"
    assert response.finish_reason == FinishReason.STOP
    assert response.content == decode_response(final, OPENAI, []).content
