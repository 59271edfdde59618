"""Decoding generateContent answers: parts, ids, signatures, finish reasons, usage."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from reverie.content import ReasoningPart, SourcePart, TextPart, ToolCallPart
from reverie.errors import ProtocolError
from reverie.model import FinishReason, Usage
from reverie.providers._google.decode import decode_response, decode_usage, map_finish_reason
from reverie.providers._google.encode import GoogleDialect

DIALECT = GoogleDialect()


def counter() -> Callable[[], str]:
    ids = itertools.count(1)
    return lambda: str(next(ids))


def answer(parts: list[dict[str, Any]], reason: str | None = "STOP", **extra: Any) -> Any:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if reason is not None:
        candidate["finishReason"] = reason
    return {"candidates": [candidate], **extra}


def test_parallel_calls_without_ids_get_generated_ids_and_keep_their_own_signature() -> None:
    data = answer(
        [
            {"functionCall": {"name": "add", "args": {"b": 3, "a": 2}}, "thoughtSignature": "S1"},
            {"functionCall": {"name": "multiply", "args": {"a": 2, "b": 3}}},
        ]
    )
    response = decode_response(data, DIALECT, counter())
    assert response.content == (
        ToolCallPart(
            "1", "add", '{"b":3,"a":2}', provider_metadata={"google": {"thought_signature": "S1"}}
        ),
        ToolCallPart("2", "multiply", '{"a":2,"b":3}'),
    )
    assert response.finish_reason is FinishReason.TOOL_CALLS


def test_gemini_ids_are_kept_and_a_repeated_one_is_replaced() -> None:
    data = answer(
        [
            {"functionCall": {"name": "a", "args": {}, "id": "x1"}},
            {"functionCall": {"name": "b", "args": {}, "id": "x1"}},
            {"functionCall": {"name": "c"}},
        ]
    )
    ids = [p.tool_call_id for p in decode_response(data, DIALECT, counter()).content]
    assert ids == ["x1", "1", "2"]
    inputs = [p.input for p in decode_response(data, DIALECT, counter()).content]
    assert inputs == ["{}", "{}", "{}"]


def test_thoughts_are_reasoning_and_text_keeps_its_signature() -> None:
    data = answer(
        [
            {"text": "**Thinking**", "thought": True},
            {"text": "The weather is 40 C.", "thoughtSignature": "T1"},
        ]
    )
    response = decode_response(data, DIALECT, counter())
    assert response.content == (
        ReasoningPart("**Thinking**"),
        TextPart("The weather is 40 C.", provider_metadata={"google": {"thought_signature": "T1"}}),
    )
    assert response.finish_reason is FinishReason.STOP
    assert response.text == "The weather is 40 C."


def test_empty_text_carrying_a_signature_hands_it_to_the_text_before() -> None:
    data = answer([{"text": "hi"}, {"text": "", "thoughtSignature": "LATE"}])
    response = decode_response(data, DIALECT, counter())
    assert response.content == (
        TextPart("hi", provider_metadata={"google": {"thought_signature": "LATE"}}),
    )


@pytest.mark.parametrize(
    ("reason", "calls", "expected"),
    [
        ("STOP", False, FinishReason.STOP),
        ("STOP", True, FinishReason.TOOL_CALLS),
        ("MAX_TOKENS", False, FinishReason.LENGTH),
        ("MAX_TOKENS", True, FinishReason.LENGTH),
        ("SAFETY", False, FinishReason.CONTENT_FILTER),
        ("RECITATION", False, FinishReason.CONTENT_FILTER),
        ("BLOCKLIST", False, FinishReason.CONTENT_FILTER),
        ("PROHIBITED_CONTENT", False, FinishReason.CONTENT_FILTER),
        ("SPII", False, FinishReason.CONTENT_FILTER),
        ("IMAGE_SAFETY", False, FinishReason.CONTENT_FILTER),
        ("MALFORMED_FUNCTION_CALL", False, FinishReason.ERROR),
        ("UNEXPECTED_TOOL_CALL", False, FinishReason.ERROR),
        ("OTHER", False, FinishReason.OTHER),
        ("SOMETHING_NEW", False, FinishReason.UNKNOWN),
        (None, False, FinishReason.UNKNOWN),
    ],
)
def test_finish_reason_mapping(reason: str | None, calls: bool, expected: FinishReason) -> None:
    assert map_finish_reason(reason, calls) is expected


def test_malformed_function_call_is_an_error_not_an_empty_success() -> None:
    data = {"candidates": [{"finishReason": "MALFORMED_FUNCTION_CALL", "index": 0}]}
    response = decode_response(data, DIALECT, counter())
    assert response.content == ()
    assert response.finish_reason is FinishReason.ERROR


def test_blocked_prompt_is_a_content_filter_finish() -> None:
    data = {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 5}}
    response = decode_response(data, DIALECT, counter())
    assert response.finish_reason is FinishReason.CONTENT_FILTER
    assert response.provider_metadata["google"]["prompt_feedback"] == {"blockReason": "SAFETY"}


def test_no_candidates_and_no_block_reason_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="no candidates"):
        decode_response({"usageMetadata": {}}, DIALECT, counter())


def test_usage_counts_thoughts_as_output_and_cached_tokens_apart() -> None:
    usage = decode_usage(
        {
            "promptTokenCount": 100,
            "cachedContentTokenCount": 40,
            "candidatesTokenCount": 15,
            "thoughtsTokenCount": 48,
            "totalTokenCount": 163,
        }
    )
    assert usage == Usage(
        input_tokens=60,
        output_tokens=63,
        total_tokens=163,
        reasoning_tokens=48,
        cache_read_tokens=40,
    )


def test_usage_without_total_is_summed_and_missing_usage_is_zero() -> None:
    assert decode_usage({"promptTokenCount": 3, "candidatesTokenCount": 4}).total_tokens == 7
    assert decode_usage(None) == Usage()


def test_response_metadata_and_grounding_sources() -> None:
    data = answer(
        [{"text": "Tokyo has 14 million people."}],
        responseId="r1",
        modelVersion="gemini-2.5-flash",
    )
    data["candidates"][0]["groundingMetadata"] = {
        "groundingChunks": [{"web": {"uri": "https://example.org/tokyo", "title": "Tokyo"}}]
    }
    response = decode_response(data, DIALECT, counter())
    assert response.content[-1] == SourcePart(
        "https://example.org/tokyo", url="https://example.org/tokyo", title="Tokyo"
    )
    meta = response.provider_metadata["google"]
    assert meta["response_id"] == "r1"
    assert meta["model_version"] == "gemini-2.5-flash"
