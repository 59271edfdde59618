"""Decoding whole Responses API answers, from JSON alone."""

from __future__ import annotations

from typing import Any

import pytest

from reverie.content import JsonOutput, ReasoningPart, SourcePart, TextPart, ToolCallPart
from reverie.errors import RateLimitError, ServerError
from reverie.model import FinishReason
from reverie.providers._openai.responses import ResponsesDialect
from reverie.providers._openai.responses_decode import decode_response

OPENAI = ResponsesDialect("openai")


def response(*output: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "model": "gpt-5-2025-08-07",
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "output": list(output),
        "usage": {
            "input_tokens": 100,
            "input_tokens_details": {"cached_tokens": 40},
            "output_tokens": 30,
            "output_tokens_details": {"reasoning_tokens": 12},
            "total_tokens": 130,
        },
        **extra,
    }


MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "content": [
        {
            "type": "output_text",
            "text": "Tokyo has 14 million people.",
            "annotations": [
                {"type": "url_citation", "url": "https://a.example", "title": "A"},
                {"type": "file_citation", "file_id": "file-1", "filename": "notes.txt"},
                {"type": "container_file_citation"},
            ],
        }
    ],
}
REASONING = {
    "id": "rs_1",
    "type": "reasoning",
    "encrypted_content": "gAAA",
    "summary": [
        {"type": "summary_text", "text": "**One**"},
        {"type": "summary_text", "text": "**Two**"},
    ],
}
CALL = {
    "id": "fc_1",
    "type": "function_call",
    "call_id": "call_1",
    "name": "weather",
    "arguments": '{"location":"Florence"}',
}


def test_text_with_citations_becomes_text_and_sources() -> None:
    result = decode_response(response(MESSAGE), OPENAI, [])
    text, url, doc = result.content
    assert text == TextPart(
        "Tokyo has 14 million people.", provider_metadata={"openai": {"item_id": "msg_1"}}
    )
    assert isinstance(url, SourcePart)
    assert (url.url, url.title, url.source_type) == ("https://a.example", "A", "url")
    assert isinstance(doc, SourcePart)
    assert (doc.source_type, doc.title, doc.source_id) == ("document", "notes.txt", "file-1")
    assert result.finish_reason == FinishReason.STOP
    assert result.provider_metadata == {
        "openai": {"response_id": "resp_1", "model": "gpt-5-2025-08-07"}
    }


def test_usage_counts_cached_tokens_apart() -> None:
    usage = decode_response(response(MESSAGE), OPENAI, []).usage
    assert (usage.input_tokens, usage.cache_read_tokens) == (60, 40)
    assert (usage.output_tokens, usage.reasoning_tokens, usage.total_tokens) == (30, 12, 130)


def test_function_calls_finish_with_tool_calls() -> None:
    result = decode_response(response(REASONING, CALL), OPENAI, [])
    assert result.finish_reason == FinishReason.TOOL_CALLS
    call = result.content[1]
    assert call == ToolCallPart(
        "call_1",
        "weather",
        '{"location":"Florence"}',
        provider_metadata={"openai": {"item_id": "fc_1"}},
    )


def test_reasoning_keeps_id_encrypted_content_and_summary() -> None:
    (part,) = decode_response(response(REASONING), OPENAI, []).content
    assert part == ReasoningPart(
        "**One**\n\n**Two**",
        provider_metadata={
            "openai": {
                "item_id": "rs_1",
                "encrypted_content": "gAAA",
                "summary": ["**One**", "**Two**"],
            }
        },
    )


def test_reasoning_items_that_carry_nothing_are_dropped() -> None:
    empty = {"id": "rs_2", "type": "reasoning", "summary": []}
    assert decode_response(response(empty, MESSAGE), OPENAI, []).content[0].type == "text"
    encrypted_only = {"id": "rs_3", "type": "reasoning", "summary": [], "encrypted_content": "x"}
    (part,) = decode_response(response(encrypted_only), OPENAI, []).content
    assert isinstance(part, ReasoningPart)
    assert part.text == ""


def test_web_search_is_a_provider_executed_call_and_result() -> None:
    search = {
        "id": "ws_1",
        "type": "web_search_call",
        "status": "completed",
        "action": {"type": "search", "query": "tokyo population"},
    }
    call, result, *_ = decode_response(response(search, MESSAGE), OPENAI, []).content
    assert isinstance(call, ToolCallPart)
    assert (call.tool_call_id, call.tool_name, call.provider_executed) == (
        "ws_1",
        "web_search",
        True,
    )
    assert call.input == '{"type":"search","query":"tokyo population"}'
    assert result.type == "tool-result"
    assert result.provider_executed
    assert result.output == JsonOutput(
        {"status": "completed", "action": {"type": "search", "query": "tokyo population"}}
    )


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("max_output_tokens", FinishReason.LENGTH),
        ("content_filter", FinishReason.CONTENT_FILTER),
        ("something_new", FinishReason.OTHER),
    ],
)
def test_incomplete_details_say_why_it_stopped(reason: str, expected: FinishReason) -> None:
    data = response(MESSAGE, status="incomplete", incomplete_details={"reason": reason})
    assert decode_response(data, OPENAI, []).finish_reason == expected


def test_an_error_in_the_response_is_raised_typed() -> None:
    with pytest.raises(ServerError, match="boom"):
        decode_response(response(error={"code": "server_error", "message": "boom"}), OPENAI, [])
    with pytest.raises(RateLimitError):
        decode_response(
            response(error={"code": "rate_limit_exceeded", "message": "slow"}), OPENAI, []
        )
