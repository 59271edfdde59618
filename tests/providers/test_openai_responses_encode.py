"""The Responses encoder, from JSON alone: what a Call becomes on the wire."""

from __future__ import annotations

from typing import Any

import pytest

from reverie.content import (
    FilePart,
    MediaOutput,
    Message,
    ReasoningPart,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    system,
    user,
)
from reverie.errors import ConfigurationError
from reverie.model import Call, ProviderTool, SpecificTool, ToolSpec
from reverie.providers._openai.responses import (
    ResponsesDialect,
    encode_request,
    is_responses_reasoning_model,
)

OPENAI = ResponsesDialect("openai")
WEATHER = ToolSpec(
    "weather",
    "Get weather information for a location",
    {
        "type": "object",
        "properties": {"location": {"type": "string", "description": "the city"}},
        "required": ["location"],
    },
)


def encode(call: Call, model: str = "gpt-4o", stream: bool = False) -> dict[str, Any]:
    body, _ = encode_request(call, model, OPENAI, stream=stream)
    return body


def test_second_tool_turn_equals_the_recorded_request() -> None:
    # TestOpenAIResponsesCommon/openai-gpt-4o/tool.yaml, interaction 2.
    recorded = {
        "max_output_tokens": 4000,
        "store": False,
        "input": [
            {"content": "You are a helpful assistant", "role": "system"},
            {
                "content": [
                    {"text": "What's the weather in Florence,Italy?", "type": "input_text"}
                ],
                "role": "user",
            },
            {
                "arguments": '{"location":"Florence, Italy"}',
                "call_id": "call_6Y",
                "name": "weather",
                "type": "function_call",
            },
            {"call_id": "call_6Y", "output": "40 C", "type": "function_call_output"},
        ],
        "model": "gpt-4o",
        "tool_choice": "auto",
        "tools": [
            {
                "strict": False,
                "parameters": dict(WEATHER.input_schema),
                "name": "weather",
                "description": "Get weather information for a location",
                "type": "function",
            }
        ],
    }
    call = Call(
        messages=[
            system("You are a helpful assistant"),
            user("What's the weather in Florence,Italy?"),
            Message(
                "assistant",
                (ToolCallPart("call_6Y", "weather", '{"location":"Florence, Italy"}'),),
            ),
            Message("tool", (ToolResultPart("call_6Y", "weather", TextOutput("40 C")),)),
        ],
        max_output_tokens=4000,
        tools=[WEATHER],
        tool_choice="auto",
    )
    assert encode(call) == recorded


def test_reasoning_models_get_the_system_prompt_as_developer() -> None:
    call = Call(messages=[system("Be brief"), user("hi")])
    assert encode(call, "gpt-5")["input"][0] == {"role": "developer", "content": "Be brief"}
    assert encode(call, "o4-mini")["input"][0]["role"] == "developer"
    assert encode(call, "gpt-4o")["input"][0]["role"] == "system"


def test_o1_mini_drops_the_system_prompt_with_a_warning() -> None:
    body, warnings = encode_request(
        Call(messages=[system("Be brief"), user("hi")]), "o1-mini", OPENAI, stream=False
    )
    assert [item["role"] for item in body["input"]] == ["user"]
    assert any("removed" in w.message for w in warnings)


def test_gpt_5_chat_is_not_a_reasoning_model_but_codex_is() -> None:
    assert not is_responses_reasoning_model("gpt-5-chat-latest")
    assert is_responses_reasoning_model("codex-mini-latest")
    assert is_responses_reasoning_model("gpt-5-mini")


def test_store_is_false_and_stream_is_set_only_when_streaming() -> None:
    call = Call(messages=[user("hi")])
    assert encode(call)["store"] is False
    assert "stream" not in encode(call)
    assert encode(call, stream=True)["stream"] is True
    stored = Call(messages=[user("hi")], provider_options={"openai": {"store": True}})
    assert encode(stored)["store"] is True


def test_images_and_pdfs_become_input_parts() -> None:
    call = Call(
        messages=[
            user(
                "Describe",
                FilePart(b"\x89PNG", "image/png"),
                FilePart(b"%PDF", "application/pdf"),
            )
        ]
    )
    content = encode(call)["input"][0]["content"]
    assert content[0] == {"type": "input_text", "text": "Describe"}
    assert content[1] == {"type": "input_image", "image_url": "data:image/png;base64,iVBORw=="}
    assert content[2] == {
        "type": "input_file",
        "filename": "part-2.pdf",
        "file_data": "data:application/pdf;base64,JVBERg==",
    }


def test_unsupported_file_types_are_dropped_with_a_warning() -> None:
    body, warnings = encode_request(
        Call(messages=[user("x", FilePart(b"abc", "audio/ogg"))]), "gpt-4o", OPENAI, stream=False
    )
    assert body["input"][0]["content"] == [{"type": "input_text", "text": "x"}]
    assert warnings


def test_assistant_text_and_calls_keep_their_order() -> None:
    call = Call(
        messages=[
            user("q"),
            Message(
                "assistant",
                (
                    TextPart("Let me check."),
                    ToolCallPart("c1", "weather", '{"location":"Rome"}'),
                ),
            ),
        ]
    )
    items = encode(call)["input"][1:]
    assert items == [
        {"role": "assistant", "content": "Let me check."},
        {
            "type": "function_call",
            "call_id": "c1",
            "name": "weather",
            "arguments": '{"location":"Rome"}',
        },
    ]


def test_a_media_tool_result_is_text_then_a_user_image() -> None:
    result = ToolResultPart("c1", "screenshot", MediaOutput(b"\x89PNG", "image/png"))
    items = encode(Call(messages=[user("q"), Message("tool", (result,))]))["input"][1:]
    assert items[0]["type"] == "function_call_output"
    assert "image/png" in items[0]["output"]
    assert items[1] == {
        "role": "user",
        "content": [{"type": "input_image", "image_url": "data:image/png;base64,iVBORw=="}],
    }


def test_provider_executed_calls_go_back_only_as_references_when_stored() -> None:
    history = [
        user("q"),
        Message(
            "assistant",
            (ToolCallPart("ws_1", "web_search", "{}", provider_executed=True), TextPart("a")),
        ),
    ]
    plain = encode(Call(messages=history))["input"][1:]
    assert plain == [{"role": "assistant", "content": "a"}]
    stored = Call(messages=history, provider_options={"openai": {"store": True}})
    assert encode(stored)["input"][1] == {"type": "item_reference", "id": "ws_1"}


def test_function_tools_and_tool_choice() -> None:
    call = Call(messages=[user("q")], tools=[WEATHER], tool_choice=SpecificTool("weather"))
    body = encode(call)
    assert body["tools"][0]["strict"] is False
    assert body["tool_choice"] == {"type": "function", "name": "weather"}
    assert encode(Call(messages=[user("q")], tools=[WEATHER]))["tool_choice"] == "auto"
    assert "tool_choice" not in encode(Call(messages=[user("q")], tool_choice="auto"))


def test_web_search_is_a_hosted_tool_with_its_settings() -> None:
    plain = ProviderTool("openai.web_search", "web_search")
    assert encode(Call(messages=[user("q")], tools=[plain]))["tools"] == [{"type": "web_search"}]
    tuned = ProviderTool(
        "openai.web_search",
        "web_search",
        {
            "search_context_size": "high",
            "allowed_domains": ["example.com"],
            "user_location": {"city": "Tokyo", "country": "JP"},
        },
    )
    assert encode(Call(messages=[user("q")], tools=[tuned]))["tools"] == [
        {
            "type": "web_search",
            "search_context_size": "high",
            "filters": {"allowed_domains": ["example.com"]},
            "user_location": {"type": "approximate", "city": "Tokyo", "country": "JP"},
        }
    ]


def test_unknown_provider_tools_are_dropped_with_a_warning() -> None:
    body, warnings = encode_request(
        Call(messages=[user("q")], tools=[ProviderTool("anthropic.computer_20250124", "c")]),
        "gpt-4o",
        OPENAI,
        stream=False,
    )
    assert "tools" not in body
    assert warnings[0].kind == "unsupported-tool"


def test_reasoning_options_as_recorded_for_summary_thinking() -> None:
    options = {
        "openai": {
            "include": ["reasoning.encrypted_content"],
            "reasoning_effort": "high",
            "reasoning_summary": "auto",
        }
    }
    body = encode(Call(messages=[user("q")], provider_options=options), "gpt-5")
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}


def test_reasoning_options_on_other_models_warn_and_are_left_out() -> None:
    options = {"openai": {"reasoning_effort": "high"}}
    body, warnings = encode_request(
        Call(messages=[user("q")], provider_options=options), "gpt-4o", OPENAI, stream=False
    )
    assert "reasoning" not in body
    assert [w.setting for w in warnings] == ["reasoning_effort"]


def test_sampling_settings_reasoning_models_reject() -> None:
    call = Call(messages=[user("q")], temperature=0.2, top_p=0.9, presence_penalty=0.1)
    body, warnings = encode_request(call, "gpt-5", OPENAI, stream=False)
    assert "temperature" not in body
    assert "top_p" not in body
    assert {w.setting for w in warnings} == {"temperature", "top_p", "presence_penalty"}
    assert encode(call, "gpt-4o")["temperature"] == 0.2


def test_bad_options_raise_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="reasoning_effort"):
        encode(Call(messages=[user("q")], provider_options={"openai": {"reasoning_effort": "x"}}))
    with pytest.raises(ConfigurationError, match="store=True"):
        encode(
            Call(
                messages=[user("q")],
                provider_options={"openai": {"previous_response_id": "resp_1"}},
            )
        )


def test_previous_response_id_refuses_a_replayed_history() -> None:
    options = {"openai": {"store": True, "previous_response_id": "resp_1"}}
    ok = encode(Call(messages=[user("next")], provider_options=options))
    assert ok["previous_response_id"] == "resp_1"
    history = [user("q"), Message("assistant", (TextPart("a"),)), user("next")]
    with pytest.raises(ConfigurationError, match="previous_response_id"):
        encode(Call(messages=history, provider_options=options))


def test_reasoning_is_replayed_only_when_asked_and_only_with_encrypted_content() -> None:
    reasoning = ReasoningPart(
        "**Plan**",
        provider_metadata={
            "openai": {"item_id": "rs_1", "encrypted_content": "gAAA", "summary": ["**Plan**"]}
        },
    )
    bare = ReasoningPart("", provider_metadata={"openai": {"item_id": "rs_2", "summary": []}})
    history = [
        user("q"),
        Message("assistant", (reasoning, bare, ToolCallPart("c1", "weather", "{}"))),
    ]
    default = encode(Call(messages=history), "gpt-5")["input"]
    assert [i.get("type") for i in default[1:]] == ["function_call"]
    replayed = encode(
        Call(messages=history, provider_options={"openai": {"send_reasoning": True}}), "gpt-5"
    )["input"]
    assert replayed[1] == {
        "type": "reasoning",
        "id": "rs_1",
        "encrypted_content": "gAAA",
        "summary": [{"type": "summary_text", "text": "**Plan**"}],
    }
    assert replayed[2]["type"] == "function_call"


def test_options_are_read_under_the_dialect_name() -> None:
    options = {"openai": {"reasoning_effort": "high"}, "azure": {"reasoning_effort": "low"}}
    body, _ = encode_request(
        Call(messages=[user("q")], provider_options=options),
        "gpt-5",
        ResponsesDialect("azure"),
        stream=False,
    )
    assert body["reasoning"] == {"effort": "low"}
