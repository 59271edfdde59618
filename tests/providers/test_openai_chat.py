"""The Chat Completions wire from JSON alone: requests built, responses and streams decoded."""

from __future__ import annotations

from typing import Any

import pytest

from reverie import (
    Call,
    FilePart,
    FinishReason,
    Message,
    ReasoningPart,
    SpecificTool,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolSpec,
    Usage,
    system,
    user,
)
from reverie.content import ErrorOutput, TextOutput
from reverie.errors import ConfigurationError, IncompleteStreamError, RateLimitError
from reverie.events import (
    Finish,
    ReasoningDelta,
    ReasoningStart,
    StreamEvent,
    TextDelta,
    TextEnd,
    ToolCall,
    ToolInputStart,
)
from reverie.providers._openai.chat import encode_request, is_reasoning_model
from reverie.providers._openai.chat_decode import decode_response
from reverie.providers._openai.chat_stream import ChatStreamDecoder
from reverie.providers._openai.dialect import ChatDialect

COMPAT = ChatDialect("cerebras")
OPENAI = ChatDialect("openai", send_reasoning=False)
ADD = ToolSpec("add", "Add two numbers", {"type": "object", "properties": {}})


def test_request_has_tools_auto_choice_and_stream_options() -> None:
    call = Call([system("sys"), user("hi")], max_output_tokens=4000, tools=[ADD])
    body, warnings = encode_request(call, "qwen", COMPAT, stream=True)
    assert warnings == []
    assert body == {
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}],
        "model": "qwen",
        "max_tokens": 4000,
        "stream": True,
        "stream_options": {"include_usage": True},
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "add",
                    "strict": False,
                    "description": "Add two numbers",
                    "parameters": {"type": "object", "properties": {}},
                },
            }
        ],
        "tool_choice": "auto",
    }


def test_reasoning_models_take_max_completion_tokens_and_drop_sampling_with_warnings() -> None:
    assert is_reasoning_model("gpt-5") and is_reasoning_model("o4-mini")
    assert is_reasoning_model("openai/gpt-oss-20b") and not is_reasoning_model("gpt-4o")
    call = Call([user("hi")], max_output_tokens=10, temperature=0.5, top_k=3)
    body, warnings = encode_request(call, "gpt-5", OPENAI, stream=False)
    assert body["max_completion_tokens"] == 10
    assert "max_tokens" not in body and "temperature" not in body
    assert {w.setting for w in warnings} == {"temperature", "top_k"}


def test_tool_choice_modes_and_named_tool() -> None:
    for choice, wire in [
        ("none", "none"),
        ("required", "required"),
        (SpecificTool("add"), {"type": "function", "function": {"name": "add"}}),
    ]:
        body, _ = encode_request(
            Call([user("x")], tools=[ADD], tool_choice=choice), "m", COMPAT, stream=False
        )
        assert body["tool_choice"] == wire


def test_reasoning_effort_option_and_bad_values() -> None:
    call = Call([user("x")], provider_options={"cerebras": {"reasoning_effort": "high"}})
    assert encode_request(call, "m", COMPAT, stream=False)[0]["reasoning_effort"] == "high"
    bad = Call([user("x")], provider_options={"cerebras": {"reasoning_effort": "extreme"}})
    with pytest.raises(ConfigurationError, match="reasoning_effort"):
        encode_request(bad, "m", COMPAT, stream=False)


def history() -> list[Message]:
    return [
        user("What's the weather?"),
        Message(
            "assistant",
            (
                ReasoningPart("thinking..."),
                TextPart("Let me check."),
                ToolCallPart("c1", "weather", '{"location":"Rome"}'),
            ),
        ),
        Message(
            "tool",
            (
                ToolResultPart("c1", "weather", TextOutput("40 C")),
                ToolResultPart("c2", "weather", ErrorOutput("boom")),
            ),
        ),
    ]


def test_history_echoes_reasoning_for_compatible_hosts_and_not_for_openai() -> None:
    compat, _ = encode_request(Call(history()), "m", COMPAT, stream=False)
    assistant = compat["messages"][1]
    assert assistant == {
        "role": "assistant",
        "content": "Let me check.",
        "reasoning_content": "thinking...",
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"location":"Rome"}'},
            }
        ],
    }
    assert compat["messages"][2:] == [
        {"role": "tool", "tool_call_id": "c1", "content": "40 C"},
        {"role": "tool", "tool_call_id": "c2", "content": "boom"},
    ]
    openai, _ = encode_request(Call(history()), "m", OPENAI, stream=False)
    assert "reasoning_content" not in openai["messages"][1]


def test_images_go_as_data_urls_in_array_content() -> None:
    msg = user("Describe", FilePart(b"\x89PNG", "image/png"))
    body, _ = encode_request(Call([msg]), "m", OPENAI, stream=False)
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "Describe"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}},
    ]


def test_decode_response_with_reasoning_tool_calls_and_cached_usage() -> None:
    data = {
        "id": "x",
        "choices": [
            {
                "message": {
                    "content": "",
                    "reasoning_content": "hmm",
                    "tool_calls": [{"id": "t1", "function": {"name": "add", "arguments": ""}}],
                },
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "total_tokens": 120,
            "prompt_tokens_details": {"cached_tokens": 30},
            "completion_tokens_details": {"reasoning_tokens": 7},
        },
    }
    response = decode_response(data, COMPAT, [])
    assert response.content == (ReasoningPart("hmm"), ToolCallPart("t1", "add", "{}"))
    assert response.finish_reason == FinishReason.TOOL_CALLS  # tool calls win over "stop"
    assert response.usage == Usage(70, 20, 120, 7, 30)


# ---------------------------------------------------------------------------------------
# Streams


def chunk(
    delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any
) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": delta or {}}
    if finish:
        choice["finish_reason"] = finish
    return {"id": "c", "choices": [choice], **extra}


def run(chunks: list[dict[str, Any]]) -> list[StreamEvent]:
    decoder = ChatStreamDecoder(COMPAT)
    events: list[StreamEvent] = []
    for c in chunks:
        events += decoder.feed(c)
    return events + decoder.finish()


def tool_calls(events: list[StreamEvent]) -> list[ToolCallPart]:
    return [e.call for e in events if isinstance(e, ToolCall)]


ARGS = '{"location": "Florence, Italy", "unit": "C"}'


@pytest.mark.parametrize("cut", range(len(ARGS) + 1))
def test_arguments_split_at_any_position_assemble_to_the_same_call(cut: int) -> None:
    events = run(
        [
            chunk(
                {
                    "tool_calls": [
                        {"index": 0, "id": "t1", "function": {"name": "weather", "arguments": ""}}
                    ]
                }
            ),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": ARGS[:cut]}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": ARGS[cut:]}}]}),
            chunk(finish="tool_calls"),
        ]
    )
    assert tool_calls(events) == [ToolCallPart("t1", "weather", ARGS)]


def test_whole_parallel_calls_in_one_delta_with_text_and_usage_in_the_last_chunk() -> None:
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    events = run(
        [
            chunk({"content": "On it."}),
            chunk(
                {
                    "content": " Calling.",
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "a",
                            "function": {"name": "add", "arguments": '{"a":2}'},
                        },
                        {
                            "index": 1,
                            "id": "m",
                            "function": {"name": "multiply", "arguments": '{"a":3}'},
                        },
                    ],
                }
            ),
            chunk(finish="tool_calls", usage=usage),
        ]
    )
    texts = [e.delta for e in events if isinstance(e, TextDelta)]
    assert texts == ["On it.", " Calling."]
    assert tool_calls(events) == [
        ToolCallPart("a", "add", '{"a":2}'),
        ToolCallPart("m", "multiply", '{"a":3}'),
    ]
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert finish.finish_reason == FinishReason.TOOL_CALLS
    assert finish.usage == Usage(10, 5, 15)
    # the text block closes before the first tool input starts
    kinds = [type(e) for e in events]
    assert kinds.index(TextEnd) < kinds.index(ToolInputStart)


def test_missing_ids_and_index_and_empty_arguments_are_filled_in() -> None:
    events = run(
        [
            chunk({"tool_calls": [{"function": {"name": "now"}}]}),
            chunk({"tool_calls": [{"id": "x2", "function": {"name": "later", "arguments": "{"}}]}),
            chunk({"tool_calls": [{"function": {"arguments": "}"}}]}),
            chunk(finish="tool_calls"),
        ]
    )
    assert tool_calls(events) == [
        ToolCallPart("tool-call-0", "now", "{}"),
        ToolCallPart("x2", "later", "{}"),
    ]


def test_reasoning_deltas_form_a_block_that_ends_when_text_starts() -> None:
    events = run(
        [
            chunk({"reasoning_content": "Let me"}),
            chunk({"reasoning": " think"}),
            chunk({"content": "Answer"}),
            chunk(finish="stop"),
        ]
    )
    assert isinstance(events[0], ReasoningStart)
    assert [e.delta for e in events if isinstance(e, ReasoningDelta)] == ["Let me", " think"]
    assert isinstance(events[-1], Finish) and events[-1].finish_reason == FinishReason.STOP


def test_empty_choices_chunks_are_ignored() -> None:
    events = run(
        [
            {"choices": [], "prompt_filter_results": []},
            chunk({"content": "hi"}),
            chunk(finish="stop"),
        ]
    )
    assert [e.delta for e in events if isinstance(e, TextDelta)] == ["hi"]


def test_a_stream_without_finish_reason_or_tool_call_is_incomplete() -> None:
    decoder = ChatStreamDecoder(COMPAT)
    decoder.feed(chunk({"content": "partial"}))
    with pytest.raises(IncompleteStreamError):
        decoder.finish()


def test_an_error_object_inside_the_stream_raises_a_typed_error() -> None:
    decoder = ChatStreamDecoder(COMPAT)
    with pytest.raises(RateLimitError, match="slow down"):
        decoder.feed({"error": {"message": "slow down", "type": "rate_limit_exceeded"}})
