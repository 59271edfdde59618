"""streamGenerateContent decoding, from bytes: SSE framing, chunkings, blocks, finish."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from reverie._accumulate import ResponseAccumulator
from reverie.content import ReasoningPart, TextPart, ToolCallPart
from reverie.errors import IncompleteStreamError, ProviderError, RateLimitError
from reverie.events import (
    Finish,
    ReasoningEnd,
    StreamEvent,
    TextDelta,
    TextEnd,
    TextStart,
    ToolCall,
    ToolInputDelta,
    ToolInputEnd,
    ToolInputStart,
)
from reverie.model import FinishReason, Response, Usage
from reverie.providers._google.decode import decode_response
from reverie.providers._google.encode import GoogleDialect
from reverie.providers._google.stream import GeminiStreamDecoder
from reverie.providers._sse import SSEDecoder

DIALECT = GoogleDialect()


def counter() -> Callable[[], str]:
    ids = itertools.count(1)
    return lambda: str(next(ids))


def sse_body(chunks: list[dict[str, Any]]) -> bytes:
    """Gemini's framing: ``data: {...}`` events separated by CRLF CRLF, no [DONE]."""
    return b"".join(b"data: " + orjson.dumps(c) + b"\r\n\r\n" for c in chunks)


def chunk(
    parts: list[dict[str, Any]], reason: str | None = None, usage: dict[str, Any] | None = None
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if reason:
        candidate["finishReason"] = reason
    out: dict[str, Any] = {"candidates": [candidate], "modelVersion": "gemini-2.5-pro"}
    if usage:
        out["usageMetadata"] = usage
    return out


def decode(body: bytes, size: int | None = None) -> list[StreamEvent]:
    sse = SSEDecoder()
    decoder = GeminiStreamDecoder(DIALECT, counter())
    events: list[StreamEvent] = []
    pieces = [body] if size is None else [body[i : i + size] for i in range(0, len(body), size)]
    for piece in pieces:
        for _name, data in sse.feed(piece):
            events.extend(decoder.feed(orjson.loads(data)))
    for _name, data in sse.close():
        events.extend(decoder.feed(orjson.loads(data)))
    events.extend(decoder.finish())
    return events


def collect(events: list[StreamEvent]) -> Response:
    acc = ResponseAccumulator()
    for event in events:
        acc.add(event)
    return acc.response()


USAGE_1 = {"promptTokenCount": 11, "candidatesTokenCount": 12, "totalTokenCount": 626}
USAGE_2 = {
    "promptTokenCount": 11,
    "candidatesTokenCount": 49,
    "thoughtsTokenCount": 603,
    "totalTokenCount": 663,
}
TEXT_STREAM = sse_body(
    [
        chunk([{"text": "Olá! "}], usage=USAGE_1),
        chunk([{"text": "Tudo bem? ção"}], usage=USAGE_1),
        chunk([{"text": "!"}], "STOP", USAGE_2),
    ]
)


@pytest.mark.parametrize("size", [None, 1, 2, 3, 7, 64])
def test_every_chunking_decodes_to_the_same_events(size: int | None) -> None:
    assert decode(TEXT_STREAM, size) == decode(TEXT_STREAM)


def test_text_stream_is_one_block_and_usage_is_the_last_reported() -> None:
    events = decode(TEXT_STREAM)
    assert events[0] == TextStart("0")
    assert [e.delta for e in events if isinstance(e, TextDelta)] == [
        "Olá! ",
        "Tudo bem? ção",
        "!",
    ]
    assert events[-2] == TextEnd("0")
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert finish.finish_reason is FinishReason.STOP
    assert finish.usage == Usage(11, 652, 663, 603, 0, 0)
    assert finish.provider_metadata == {"google": {"model_version": "gemini-2.5-pro"}}


def test_lf_framing_decodes_the_same_as_crlf() -> None:
    assert decode(TEXT_STREAM.replace(b"\r\n", b"\n")) == decode(TEXT_STREAM)


def test_a_final_event_with_only_finish_reason_and_usage_is_handled() -> None:
    body = sse_body(
        [
            chunk([{"text": "hi"}]),
            {"candidates": [{"finishReason": "STOP", "index": 0}], "usageMetadata": USAGE_2},
        ]
    )
    response = collect(decode(body))
    assert response.text == "hi"
    assert response.finish_reason is FinishReason.STOP
    assert response.usage.total_tokens == 663


def test_a_stream_without_finish_reason_is_incomplete() -> None:
    body = sse_body([chunk([{"text": "Hel"}], usage=USAGE_1)])
    with pytest.raises(IncompleteStreamError):
        decode(body)


def test_parallel_calls_arrive_whole_each_with_its_own_id_and_signature() -> None:
    body = sse_body(
        [
            chunk([{"functionCall": {"name": "add", "args": {"a": 2}}, "thoughtSignature": "S"}]),
            chunk([{"functionCall": {"name": "multiply", "args": {"a": 2}}}], "STOP"),
        ]
    )
    events = decode(body)
    assert events[:4] == [
        ToolInputStart("1", "add"),
        ToolInputDelta("1", '{"a":2}'),
        ToolInputEnd("1"),
        ToolCall(
            ToolCallPart(
                "1", "add", '{"a":2}', provider_metadata={"google": {"thought_signature": "S"}}
            )
        ),
    ]
    response = collect(events)
    assert [p.tool_call_id for p in response.content if isinstance(p, ToolCallPart)] == ["1", "2"]
    assert response.finish_reason is FinishReason.TOOL_CALLS


def test_thought_then_call_closes_the_reasoning_block_first() -> None:
    body = sse_body(
        [
            chunk([{"text": "**Analyzing**", "thought": True}]),
            chunk(
                [{"functionCall": {"name": "weather", "args": {}}, "thoughtSignature": "S"}],
                "STOP",
            ),
        ]
    )
    events = decode(body)
    ends = [i for i, e in enumerate(events) if isinstance(e, ReasoningEnd)]
    calls = [i for i, e in enumerate(events) if isinstance(e, ToolCall)]
    assert len(ends) == 1
    assert len(calls) == 1
    assert ends[0] < calls[0]
    response = collect(events)
    assert response.content[0] == ReasoningPart("**Analyzing**")


def test_text_signature_stays_on_its_block_wherever_it_arrives() -> None:
    early = sse_body(
        [
            chunk([{"text": "The sum", "thoughtSignature": "EARLY"}]),
            chunk([{"text": " is 5"}], "STOP"),
        ]
    )
    late = sse_body(
        [
            chunk([{"text": "The sum"}]),
            chunk([{"text": " is 5"}]),
            chunk([{"text": "", "thoughtSignature": "LATE"}], "STOP"),
        ]
    )
    assert collect(decode(early)).content == (
        TextPart("The sum is 5", provider_metadata={"google": {"thought_signature": "EARLY"}}),
    )
    assert collect(decode(late)).content == (
        TextPart("The sum is 5", provider_metadata={"google": {"thought_signature": "LATE"}}),
    )


def test_a_second_signature_starts_a_new_text_block() -> None:
    body = sse_body(
        [
            chunk([{"text": "one", "thoughtSignature": "A"}]),
            chunk([{"text": "two", "thoughtSignature": "B"}], "STOP"),
        ]
    )
    parts = [p for p in collect(decode(body)).content if isinstance(p, TextPart)]
    assert [(p.text, p.provider_metadata["google"]["thought_signature"]) for p in parts] == [
        ("one", "A"),
        ("two", "B"),
    ]


def test_an_error_inside_the_stream_is_raised_typed() -> None:
    body = sse_body(
        [
            chunk([{"text": "partial"}]),
            {
                "error": {
                    "code": 429,
                    "message": "Resource exhausted",
                    "status": "RESOURCE_EXHAUSTED",
                }
            },
        ]
    )
    with pytest.raises(RateLimitError, match="Resource exhausted") as info:
        decode(body)
    assert info.value.status == 200
    assert info.value.retryable


def test_an_unavailable_error_inside_the_stream_is_a_retryable_server_error() -> None:
    body = sse_body([{"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}])
    with pytest.raises(ProviderError) as info:
        decode(body)
    assert info.value.retryable


def test_a_blocked_prompt_stream_finishes_with_content_filter() -> None:
    body = sse_body([{"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}])
    events = decode(body)
    assert events == [
        Finish(
            FinishReason.CONTENT_FILTER,
            Usage(),
            {"google": {"prompt_feedback": {"blockReason": "PROHIBITED_CONTENT"}}},
        )
    ]


def test_a_signed_empty_thought_is_kept_as_in_a_generated_response() -> None:
    parts = [{"text": "", "thought": True, "thoughtSignature": "R"}, {"text": "answer"}]
    streamed = collect(decode(sse_body([chunk(parts, "STOP")])))
    generated = decode_response(chunk(parts, "STOP"), DIALECT, counter())
    assert streamed.content == generated.content
    assert streamed.content[0] == ReasoningPart(
        "", provider_metadata={"google": {"thought_signature": "R"}}
    )
