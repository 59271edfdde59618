"""reasoning_details from JSON alone: decoded as reasoning with its metadata, sent back as is.

Each format the gateways use (Anthropic, OpenAI and xAI Responses, Gemini, other) is read
from a response message, then encoded for the next turn; the details must come back equal.
"""

from __future__ import annotations

from typing import Any

import pytest

from reverie._accumulate import ResponseAccumulator
from reverie.content import Message, ReasoningPart, TextPart, ToolCallPart
from reverie.events import Finish, StreamEvent
from reverie.model import FinishReason, Usage
from reverie.providers._gateways.messages import encode_messages
from reverie.providers._gateways.reasoning import decode_details, encode_reasoning
from reverie.providers._gateways.reasoning_stream import DetailsStream

ANTHROPIC = [
    {
        "type": "reasoning.text",
        "text": "The user wants the weather.",
        "signature": "EvgCCkgIDRAB",
        "format": "anthropic-claude-v1",
        "index": 0,
    }
]
OPENAI = [
    {
        "type": "reasoning.summary",
        "summary": "**Weather**\n\nCall the tool.",
        "format": "openai-responses-v1",
        "index": 0,
    },
    {
        "type": "reasoning.encrypted",
        "data": "gAAAAABpsx4H",
        "id": "rs_00d2f681",
        "format": "openai-responses-v1",
        "index": 0,
    },
]
XAI = [{**d, "format": "xai-responses-v1"} for d in OPENAI]
GEMINI = [
    {"type": "reasoning.text", "text": "**Weather**", "format": "google-gemini-v1", "index": 0},
    {
        "type": "reasoning.encrypted",
        "data": "ClkBjz1rXyu",
        "id": "tool_weather_1",
        "format": "google-gemini-v1",
        "index": 0,
    },
]
OTHER = [{"type": "reasoning.text", "text": "Let me call it.", "format": "unknown", "index": 0}]


def decode(details: list[dict[str, Any]], gateway: str = "openrouter") -> list[ReasoningPart]:
    message = {"role": "assistant", "reasoning_details": details}
    return decode_details(message, gateway, plain_fallback=False, keep_empty=True)


@pytest.mark.parametrize(
    ("details", "model_id", "text"),
    [
        (ANTHROPIC, "anthropic/claude-haiku-4.5", "The user wants the weather."),
        (OPENAI, "openai/gpt-5", "**Weather**\n\nCall the tool."),
        (XAI, "xai/grok-4", "**Weather**\n\nCall the tool."),
        (GEMINI, "google/gemini-3-pro-preview", "**Weather**"),
        (OTHER, "z-ai/glm-5-turbo", "Let me call it."),
    ],
    ids=["anthropic", "openai-responses", "xai-responses", "gemini", "other"],
)
def test_details_decode_to_one_part_and_encode_back_unchanged(
    details: list[dict[str, Any]], model_id: str, text: str
) -> None:
    parts = decode(details)
    assert [p.text for p in parts] == [text]
    encoded = encode_reasoning(parts[0], model_id, "openrouter")
    assert isinstance(encoded, dict)
    assert encoded["reasoning_details"] == details


def test_anthropic_signature_is_kept_under_the_gateway_name_and_reasoning_text_goes_back() -> None:
    (part,) = decode(ANTHROPIC, "vercel")
    assert part.provider_metadata["vercel"]["signature"] == "EvgCCkgIDRAB"
    encoded = encode_reasoning(part, "anthropic/claude-sonnet-4", "vercel")
    assert isinstance(encoded, dict)
    assert encoded["reasoning"] == "The user wants the weather."


def test_responses_metadata_holds_summary_encrypted_item_and_its_id() -> None:
    (part,) = decode(OPENAI)
    assert dict(part.provider_metadata["openrouter"]) == {
        "format": "openai-responses-v1",
        "summary": ["**Weather**\n\nCall the tool."],
        "encrypted_content": "gAAAAABpsx4H",
        "item_id": "rs_00d2f681",
    }


def test_responses_details_with_a_new_index_make_a_separate_part() -> None:
    details = [OPENAI[0], {**OPENAI[1], "index": 1}]
    first, second = decode(details)
    assert first.text == "**Weather**\n\nCall the tool."
    assert "encrypted_content" not in first.provider_metadata["openrouter"]
    assert second.text == ""
    assert second.provider_metadata["openrouter"]["encrypted_content"] == "gAAAAABpsx4H"


def test_gemini_signature_and_tool_id_round_trip() -> None:
    (part,) = decode(GEMINI)
    meta = part.provider_metadata["openrouter"]
    assert (meta["signature"], meta["id"]) == ("ClkBjz1rXyu", "tool_weather_1")


def test_gemini_signature_alone_goes_back_without_text() -> None:
    (part,) = decode([GEMINI[1]])
    assert part.text == ""
    encoded = encode_reasoning(part, "google/gemini-3.1-flash-lite-preview", "openrouter")
    assert isinstance(encoded, dict)
    assert encoded["reasoning_details"] == [GEMINI[1]]


def test_reasoning_of_another_family_goes_back_as_thoughts_text() -> None:
    (part,) = decode(OPENAI)
    assert encode_reasoning(part, "anthropic/claude-haiku-4.5", "openrouter") == (
        "<thoughts>**Weather**\n\nCall the tool.</thoughts>"
    )
    assert encode_reasoning(ReasoningPart("plain"), "google/gemini-2.5-flash", "openrouter") == (
        "<thoughts>plain</thoughts>"
    )


def test_reasoning_under_another_gateway_name_is_not_trusted() -> None:
    (part,) = decode(ANTHROPIC, "vercel")
    encoded = encode_reasoning(part, "anthropic/claude-haiku-4.5", "openrouter")
    assert encoded == "<thoughts>The user wants the weather.</thoughts>"


def test_signatures_from_the_direct_providers_go_back_through_a_gateway() -> None:
    signed = ReasoningPart("Think.", provider_metadata={"anthropic": {"signature": "sig"}})
    encoded = encode_reasoning(signed, "anthropic/claude-sonnet-4", "vercel")
    assert isinstance(encoded, dict)
    assert encoded["reasoning_details"][0]["signature"] == "sig"
    item = {"item_id": "rs_1", "summary": ["S"], "encrypted_content": "gAAA"}
    responses = ReasoningPart("S", provider_metadata={"openai": item})
    encoded = encode_reasoning(responses, "openai/gpt-5", "openrouter")
    assert isinstance(encoded, dict)
    assert encoded["reasoning_details"][-1]["data"] == "gAAA"


def test_vercel_reads_a_bare_reasoning_string_and_openrouter_does_not() -> None:
    message = {"role": "assistant", "reasoning": "thinking..."}
    vercel = decode_details(message, "vercel", plain_fallback=True, keep_empty=False)
    assert [p.text for p in vercel] == ["thinking..."]
    assert decode_details(message, "openrouter", plain_fallback=False, keep_empty=True) == []


def test_the_assistant_message_carries_its_last_reasoning_parts_details() -> None:
    first, second = decode([OPENAI[0], {**OPENAI[1], "index": 1}])
    message = Message(
        "assistant", (first, second, ToolCallPart("call_1", "weather", '{"location":"Rome"}'))
    )
    (encoded,) = encode_messages([message], "openai/gpt-5", "openrouter", [])
    assert encoded["reasoning_details"] == [{**OPENAI[1], "index": 0}]
    assert encoded["tool_calls"][0]["id"] == "call_1"
    assert "content" not in encoded


def test_texts_and_thoughts_of_one_turn_are_joined_by_newlines() -> None:
    message = Message("assistant", (ReasoningPart("hmm"), TextPart("one"), TextPart("two")))
    (encoded,) = encode_messages([message], "anthropic/claude-sonnet-4", "vercel", [])
    assert encoded["content"] == "<thoughts>hmm</thoughts>\none\ntwo"


# ---------------------------------------------------------------------------------------
# Streams


def stream_parts(stream: DetailsStream, deltas: list[dict[str, Any]]) -> list[ReasoningPart]:
    acc = ResponseAccumulator()
    events: list[StreamEvent] = []
    for delta in deltas:
        events += stream.feed(delta)
    events += stream.finish()
    for event in events:
        acc.add(event)
    acc.add(Finish(FinishReason.STOP, Usage()))
    return [p for p in acc.response().content if isinstance(p, ReasoningPart)]


def text_delta(fmt: str, text: str) -> dict[str, Any]:
    return {
        "reasoning": text,
        "reasoning_details": [{"type": "reasoning.text", "text": text, "format": fmt, "index": 0}],
    }


TOOL_DELTA = {"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "weather"}}]}


def test_streamed_anthropic_reasoning_ends_with_its_signature_after_tool_calls() -> None:
    fmt = "anthropic-claude-v1"
    signature = {
        "reasoning_details": [
            {"type": "reasoning.text", "signature": "EqUD", "format": fmt, "index": 0}
        ]
    }
    deltas = [text_delta(fmt, "The user"), text_delta(fmt, " asks."), TOOL_DELTA, signature]
    stream = DetailsStream("openrouter", hold_anthropic=True, plain=False)
    (part,) = stream_parts(stream, deltas)
    assert part.text == "The user asks."
    assert part.provider_metadata["openrouter"] == {"format": fmt, "signature": "EqUD"}


def test_streamed_responses_summaries_then_encrypted_item_make_one_part() -> None:
    fmt = "openai-responses-v1"

    def summary(text: str, index: int) -> dict[str, Any]:
        detail = {"type": "reasoning.summary", "summary": text, "format": fmt, "index": index}
        return {"reasoning_details": [detail]}

    encrypted = {"reasoning_details": [{**OPENAI[1], "id": "rs_1", "data": "gAAA"}]}
    deltas = [summary("**A**", 0), summary(" more", 0), summary("**B**", 1), encrypted]
    (part,) = stream_parts(DetailsStream("vercel", hold_anthropic=False, plain=True), deltas)
    assert part.text == "**A** more\n**B**"
    assert dict(part.provider_metadata["vercel"]) == {
        "format": fmt,
        "summary": ["**A** more", "**B**"],
        "encrypted_content": "gAAA",
        "item_id": "rs_1",
    }
    encoded = encode_reasoning(part, "openai/gpt-5", "vercel")
    assert isinstance(encoded, dict)
    assert [d["type"] for d in encoded["reasoning_details"]] == [
        "reasoning.summary",
        "reasoning.summary",
        "reasoning.encrypted",
    ]


def test_streamed_gemini_text_closes_at_the_tool_call_and_the_signature_is_its_own_part() -> None:
    fmt = "google-gemini-v1"
    deltas = [text_delta(fmt, "**Weather**"), TOOL_DELTA, {"reasoning_details": [GEMINI[1]]}]
    stream = DetailsStream("vercel", hold_anthropic=False, plain=True)
    text, signed = stream_parts(stream, deltas)
    assert (text.text, dict(text.provider_metadata["vercel"])) == ("**Weather**", {"format": fmt})
    assert signed.text == ""
    assert signed.provider_metadata["vercel"]["signature"] == "ClkBjz1rXyu"


def test_streamed_bare_reasoning_strings_are_read_by_vercel_only() -> None:
    deltas = [{"reasoning": "a"}, {"reasoning": "b"}, {"content": "Hi"}]
    vercel = DetailsStream("vercel", hold_anthropic=False, plain=True)
    assert [p.text for p in stream_parts(vercel, deltas)] == ["ab"]
    openrouter = DetailsStream("openrouter", hold_anthropic=True, plain=False)
    assert stream_parts(openrouter, deltas) == []


def test_a_block_still_open_when_the_stream_ends_is_closed() -> None:
    deltas = [text_delta("unknown", "first"), text_delta("unknown", " second")]
    stream = DetailsStream("vercel", hold_anthropic=False, plain=True)
    assert [p.text for p in stream_parts(stream, deltas)] == ["first second"]
