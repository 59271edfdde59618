"""The Anthropic stream decoder and response decoder, from JSON alone."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest

from reverie._accumulate import ResponseAccumulator
from reverie.content import JsonOutput, ReasoningPart, SourcePart, TextPart, ToolCallPart
from reverie.errors import (
    IncompleteStreamError,
    OverloadedError,
    ProviderError,
    RateLimitError,
)
from reverie.events import (
    Finish,
    ReasoningEnd,
    Source,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolInputDelta,
    ToolInputStart,
    ToolResult,
)
from reverie.model import FinishReason, Response
from reverie.providers._anthropic.decode import decode_response, map_finish_reason
from reverie.providers._anthropic.stream import MessagesStreamDecoder
from reverie.providers._sse import SSEDecoder

START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "model": "claude-sonnet-4-20250514",
        "usage": {
            "input_tokens": 394,
            "cache_creation_input_tokens": 10,
            "cache_read_input_tokens": 20,
            "output_tokens": 6,
        },
    },
}
STOP = {"type": "message_stop"}


def delta(stop_reason: str, **usage: Any) -> dict[str, Any]:
    return {"type": "message_delta", "delta": {"stop_reason": stop_reason}, "usage": usage}


def block(index: int, content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": content}


def block_delta(index: int, d: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": d}


def stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


TOOL_STREAM: list[dict[str, Any]] = [
    START,
    block(0, {"type": "text", "text": ""}),
    {"type": "ping"},
    block_delta(0, {"type": "text_delta", "text": "I'll check "}),
    block_delta(0, {"type": "text_delta", "text": "the weather."}),
    stop(0),
    block(1, {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}}),
    block_delta(1, {"type": "input_json_delta", "partial_json": ""}),
    block_delta(1, {"type": "input_json_delta", "partial_json": '{"locati'}),
    block_delta(1, {"type": "input_json_delta", "partial_json": 'on": "Florence"}'}),
    stop(1),
    delta("tool_use", output_tokens=67),
    STOP,
]


def run(events: list[dict[str, Any]]) -> list[StreamEvent]:
    decoder = MessagesStreamDecoder("anthropic")
    out: list[StreamEvent] = []
    for event in events:
        out.extend(decoder.feed(event))
    out.extend(decoder.finish())
    return out


def collect(events: list[StreamEvent]) -> Response:
    acc = ResponseAccumulator()
    for event in events:
        acc.add(event)
    return acc.response()


def sse_text(events: list[dict[str, Any]]) -> bytes:
    return b"".join(
        b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for e in events
    )


def run_sse(body: bytes, sizes: list[int]) -> list[StreamEvent]:
    """Feed ``body`` through SSE framing and the decoder in pieces of the given sizes."""
    sse = SSEDecoder()
    decoder = MessagesStreamDecoder("anthropic")
    out: list[StreamEvent] = []
    pos = 0
    pieces: list[bytes] = []
    for size in sizes:
        pieces.append(body[pos : pos + size])
        pos += size
    pieces.append(body[pos:])
    for piece in pieces:
        for _name, data in sse.feed(piece):
            out.extend(decoder.feed(orjson.loads(data)))
    for _name, data in sse.close():
        out.extend(decoder.feed(orjson.loads(data)))
    out.extend(decoder.finish())
    return out


def test_text_then_a_tool_call() -> None:
    events = run(TOOL_STREAM)
    response = collect(events)
    assert response.content == (
        TextPart("I'll check the weather."),
        ToolCallPart("toolu_1", "weather", '{"location": "Florence"}'),
    )
    assert response.finish_reason == FinishReason.TOOL_CALLS
    usage = response.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (394, 67, 461)
    assert (usage.cache_write_tokens, usage.cache_read_tokens) == (10, 20)
    assert response.provider_metadata == {
        "anthropic": {"id": "msg_1", "model": "claude-sonnet-4-20250514"}
    }
    starts = [e for e in events if isinstance(e, ToolInputStart)]
    assert starts == [ToolInputStart("toolu_1", "weather")]
    # The empty first fragment is not an event.
    assert [e.delta for e in events if isinstance(e, ToolInputDelta)] == [
        '{"locati',
        'on": "Florence"}',
    ]


@pytest.mark.parametrize("seed", range(8))
def test_any_chunking_gives_the_same_events(seed: int) -> None:
    body = sse_text(TOOL_STREAM)
    whole = run_sse(body, [])
    rng = random.Random(seed)
    sizes = [rng.randint(1, 40) for _ in range(len(body) // 10)]
    assert run_sse(body, sizes) == whole
    assert run_sse(body, [1] * len(body)) == whole


def test_crlf_framing_decodes_too() -> None:
    body = sse_text(TOOL_STREAM).replace(b"\n", b"\r\n")
    assert run_sse(body, [7] * (len(body) // 7)) == run(TOOL_STREAM)


def test_thinking_keeps_its_signature_and_redacted_thinking_its_data() -> None:
    events = run(
        [
            START,
            block(0, {"type": "thinking", "thinking": "", "signature": ""}),
            block_delta(0, {"type": "thinking_delta", "thinking": "Let me "}),
            block_delta(0, {"type": "thinking_delta", "thinking": "think."}),
            block_delta(0, {"type": "signature_delta", "signature": "EtYD"}),
            stop(0),
            block(1, {"type": "redacted_thinking", "data": "opaque"}),
            stop(1),
            block(2, {"type": "text", "text": ""}),
            block_delta(2, {"type": "text_delta", "text": "Done."}),
            stop(2),
            delta("end_turn", output_tokens=9),
            STOP,
        ]
    )
    ends = [e for e in events if isinstance(e, ReasoningEnd)]
    assert ends[0].provider_metadata == {"anthropic": {"signature": "EtYD"}}
    assert ends[1].provider_metadata == {"anthropic": {"redacted_data": "opaque"}}
    response = collect(events)
    assert response.content == (
        ReasoningPart("Let me think.", provider_metadata={"anthropic": {"signature": "EtYD"}}),
        ReasoningPart("", provider_metadata={"anthropic": {"redacted_data": "opaque"}}),
        TextPart("Done."),
    )
    assert response.finish_reason == FinishReason.STOP


RESULTS = [
    {
        "type": "web_search_result",
        "title": "Tokyo",
        "url": "https://example.com/tokyo",
        "encrypted_content": "E1",
        "page_age": "6 days ago",
    },
    {
        "type": "web_search_result",
        "title": "Tokyo 2",
        "url": "https://example.com/t2",
        "encrypted_content": "E2",
        "page_age": None,
    },
]


def test_web_search_gives_a_provider_call_sources_and_a_result_to_send_back() -> None:
    events = run(
        [
            START,
            block(0, {"type": "server_tool_use", "id": "srv_1", "name": "web_search", "input": {}}),
            block_delta(0, {"type": "input_json_delta", "partial_json": '{"query": "tokyo"}'}),
            stop(0),
            block(
                1,
                {"type": "web_search_tool_result", "tool_use_id": "srv_1", "content": RESULTS},
            ),
            stop(1),
            block(2, {"citations": [], "type": "text", "text": ""}),
            block_delta(2, {"type": "citations_delta", "citation": {"url": "https://x"}}),
            block_delta(2, {"type": "text_delta", "text": "Tokyo has 37M people."}),
            stop(2),
            delta("end_turn"),
            STOP,
        ]
    )
    assert ToolInputStart("srv_1", "web_search", provider_executed=True) in events
    calls = [e.call for e in events if isinstance(e, ToolCall)]
    assert calls == [ToolCallPart("srv_1", "web_search", '{"query": "tokyo"}', True)]
    sources = [e.source.url for e in events if isinstance(e, Source)]
    assert sources == ["https://example.com/tokyo", "https://example.com/t2"]
    (result,) = [e.result for e in events if isinstance(e, ToolResult)]
    assert result.provider_executed
    assert result.tool_name == "web_search"
    assert isinstance(result.output, JsonOutput)
    # Nulls are dropped: the API rejects "page_age": null when it comes back.
    assert "page_age" not in result.output.value[1]
    assert result.output.value[0]["page_age"] == "6 days ago"


def test_an_error_event_in_a_200_stream_raises_a_retryable_typed_error() -> None:
    decoder = MessagesStreamDecoder("anthropic")
    decoder.feed(START)
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with pytest.raises(OverloadedError) as info:
        decoder.feed(error)
    assert info.value.retryable
    assert info.value.status == 200
    rate = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
    with pytest.raises(RateLimitError):
        MessagesStreamDecoder("anthropic").feed(rate)
    other = {"type": "error", "error": {"type": "permission_error", "message": "no"}}
    with pytest.raises(ProviderError) as info2:
        MessagesStreamDecoder("anthropic").feed(other)
    assert not info2.value.retryable


@pytest.mark.parametrize("cut", [len(TOOL_STREAM) - 1, len(TOOL_STREAM) - 2, 3])
def test_a_stream_without_message_stop_is_incomplete(cut: int) -> None:
    decoder = MessagesStreamDecoder("anthropic")
    for event in TOOL_STREAM[:cut]:
        decoder.feed(event)
    with pytest.raises(IncompleteStreamError) as info:
        decoder.finish()
    assert info.value.retryable


def test_bedrock_style_delta_usage_keeps_the_input_counts() -> None:
    events = run(
        [
            START,
            block(0, {"type": "text", "text": "Olá"}),
            stop(0),
            delta("end_turn", output_tokens=18),
            STOP,
        ]
    )
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert finish.usage.input_tokens == 394
    assert finish.usage.output_tokens == 18
    assert [e.delta for e in events if isinstance(e, TextDelta)] == ["Olá"]


def test_unknown_events_and_blocks_are_ignored() -> None:
    events = run(
        [
            START,
            {"type": "future_event"},
            block(0, {"type": "future_block"}),
            block_delta(0, {"type": "future_delta"}),
            stop(0),
            delta("end_turn"),
            STOP,
        ]
    )
    assert [type(e) for e in events] == [Finish]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("end_turn", FinishReason.STOP),
        ("stop_sequence", FinishReason.STOP),
        ("pause_turn", FinishReason.STOP),
        ("max_tokens", FinishReason.LENGTH),
        ("model_context_window_exceeded", FinishReason.LENGTH),
        ("tool_use", FinishReason.TOOL_CALLS),
        ("refusal", FinishReason.CONTENT_FILTER),
        ("something_new", FinishReason.UNKNOWN),
        (None, FinishReason.UNKNOWN),
    ],
)
def test_stop_reasons(reason: str | None, expected: FinishReason) -> None:
    assert map_finish_reason(reason) == expected


def test_a_whole_response_decodes_block_by_block() -> None:
    data = {
        "id": "msg_2",
        "model": "claude-sonnet-4-20250514",
        "type": "message",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "text", "text": "Checking."},
            {"type": "server_tool_use", "id": "srv", "name": "web_search", "input": {"query": "q"}},
            {"type": "web_search_tool_result", "tool_use_id": "srv", "content": RESULTS[:1]},
            {"type": "tool_use", "id": "t1", "name": "weather", "input": {"location": "Rome"}},
            {"type": "text", "text": ""},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 5, "output_tokens": 7, "cache_read_input_tokens": 3},
    }
    response = decode_response(data, "anthropic", [])
    kinds = [type(p).__name__ for p in response.content]
    assert kinds == [
        "ReasoningPart",
        "ReasoningPart",
        "TextPart",
        "ToolCallPart",
        "SourcePart",
        "ToolResultPart",
        "ToolCallPart",
    ]
    assert response.content[0].provider_metadata == {"anthropic": {"signature": "sig"}}
    assert response.content[3] == ToolCallPart("srv", "web_search", '{"query":"q"}', True)
    assert response.content[4] == SourcePart(
        "https://example.com/tokyo", "https://example.com/tokyo", "Tokyo"
    )
    assert response.content[6] == ToolCallPart("t1", "weather", '{"location":"Rome"}')
    assert response.finish_reason == FinishReason.TOOL_CALLS
    assert (response.usage.total_tokens, response.usage.cache_read_tokens) == (12, 3)
