"""The Anthropic Messages encoder, from inputs to the JSON body (no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from reverie.content import (
    ErrorOutput,
    FilePart,
    JsonOutput,
    MediaOutput,
    Message,
    ReasoningPart,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    assistant,
    system,
    user,
)
from reverie.errors import ConfigurationError
from reverie.model import Call, ProviderTool, SpecificTool, ToolSpec
from reverie.providers._anthropic.encode import MessagesDialect, encode_request
from reverie.providers._anthropic.hosts import Bedrock, Vertex

WEATHER = ToolSpec(
    "weather",
    "Get weather information for a location",
    {
        "properties": {"location": {"description": "the city", "type": "string"}},
        "required": ["location"],
        "type": "object",
    },
)
DIRECT = MessagesDialect()
EPHEMERAL = {"anthropic": {"cache_control": {"type": "ephemeral"}}}


def body_of(call: Call, dialect: MessagesDialect = DIRECT, *, stream: bool = False) -> Any:
    return encode_request(call, "claude-sonnet-4-20250514", dialect, stream=stream).body


def tool_turn() -> list[Message]:
    return [
        system("You are a helpful assistant"),
        user("What's the weather in Florence,Italy?"),
        Message(
            "assistant",
            (
                TextPart("I'll check the weather in Florence, Italy for you."),
                ToolCallPart("toolu_1", "weather", '{"location":"Florence,Italy"}'),
            ),
        ),
        Message("tool", (ToolResultPart("toolu_1", "weather", TextOutput("40 C")),)),
    ]


def test_second_step_of_a_tool_run_matches_the_recorded_request() -> None:
    # TestAnthropicCommon/claude-sonnet-4/tool.yaml, interaction 1, rebuilt from inputs.
    body = body_of(Call(tool_turn(), max_output_tokens=4000, tools=(WEATHER,), tool_choice="auto"))
    assert body == {
        "max_tokens": 4000,
        "messages": [
            {
                "content": [{"text": "What's the weather in Florence,Italy?", "type": "text"}],
                "role": "user",
            },
            {
                "content": [
                    {
                        "text": "I'll check the weather in Florence, Italy for you.",
                        "type": "text",
                    },
                    {
                        "id": "toolu_1",
                        "input": {"location": "Florence,Italy"},
                        "name": "weather",
                        "type": "tool_use",
                    },
                ],
                "role": "assistant",
            },
            {
                "content": [
                    {
                        "tool_use_id": "toolu_1",
                        "content": [{"text": "40 C", "type": "text"}],
                        "type": "tool_result",
                    }
                ],
                "role": "user",
            },
        ],
        "model": "claude-sonnet-4-20250514",
        "system": [{"text": "You are a helpful assistant", "type": "text"}],
        "tool_choice": {"disable_parallel_tool_use": False, "type": "auto"},
        "tools": [
            {
                "input_schema": {
                    "properties": {"location": {"description": "the city", "type": "string"}},
                    "required": ["location"],
                    "type": "object",
                },
                "name": "weather",
                "description": "Get weather information for a location",
            }
        ],
    }


def test_max_tokens_defaults_to_4096_and_stream_is_a_body_field() -> None:
    body = body_of(Call([user("hi")]), stream=True)
    assert body["max_tokens"] == 4096
    assert body["stream"] is True
    assert "system" not in body
    assert "tool_choice" not in body


def test_consecutive_messages_of_one_role_are_one_turn() -> None:
    messages = [
        system("a"),
        system("b"),
        user("one"),
        user("two"),
        Message("tool", (ToolResultPart("t1", "x", TextOutput("r")),)),
        user("three"),
        assistant("ok"),
        assistant("still ok"),
    ]
    body = body_of(Call(messages))
    assert body["system"] == [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["user", "assistant"]
    user_blocks = body["messages"][0]["content"]
    assert [b["type"] for b in user_blocks] == ["text", "text", "tool_result", "text"]
    assert len(body["messages"][1]["content"]) == 2


def test_a_system_message_after_the_conversation_began_is_dropped_with_a_warning() -> None:
    encoded = encode_request(
        Call([system("a"), user("hi"), system("late")]), "m", DIRECT, stream=False
    )
    assert encoded.body["system"] == [{"type": "text", "text": "a"}]
    assert any("system message" in w.message for w in encoded.warnings)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"type": "auto", "disable_parallel_tool_use": False}),
        ("required", {"type": "any", "disable_parallel_tool_use": False}),
        ("none", {"type": "none"}),
        (
            SpecificTool("weather"),
            {"type": "tool", "name": "weather", "disable_parallel_tool_use": False},
        ),
        (None, None),
    ],
)
def test_tool_choice(choice: Any, expected: Any) -> None:
    body = body_of(Call([user("hi")], tools=(WEATHER,), tool_choice=choice))
    assert body.get("tool_choice") == expected


def test_disabling_parallel_tool_use_is_sent_even_without_a_choice() -> None:
    options = {"anthropic": {"disable_parallel_tool_use": True}}
    body = body_of(Call([user("hi")], tools=(WEATHER,), provider_options=options))
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}


def test_bedrock_body_has_no_model_stream_or_parallel_flag() -> None:
    dialect = Bedrock(region="us-east-1", api_key="k").dialect
    body = body_of(Call([user("hi")], tools=(WEATHER,), tool_choice="auto"), dialect, stream=True)
    assert "model" not in body
    assert "stream" not in body
    assert body["anthropic_version"] == "bedrock-2023-05-31"
    assert body["tool_choice"] == {"type": "auto"}


def test_vertex_body_keeps_stream_but_not_model() -> None:
    dialect = Vertex(project="p", location="us-east5", access_token="t").dialect
    body = body_of(Call([user("hi")]), dialect, stream=True)
    assert "model" not in body
    assert body["stream"] is True
    assert body["anthropic_version"] == "vertex-2023-10-16"


def test_thinking_budget_and_sampling_settings_it_forbids() -> None:
    options = {"anthropic": {"thinking": {"budget_tokens": 4000}}}
    encoded = encode_request(
        Call([user("hi")], temperature=0.5, top_k=3, provider_options=options),
        "m",
        DIRECT,
        stream=False,
    )
    assert encoded.body["thinking"] == {"type": "enabled", "budget_tokens": 4000}
    assert "temperature" not in encoded.body
    assert "top_k" not in encoded.body
    assert {w.setting for w in encoded.warnings} == {"temperature", "top_k"}


def test_thinking_without_a_budget_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="budget_tokens"):
        body_of(Call([user("hi")], provider_options={"anthropic": {"thinking": {}}}))


def test_effort_turns_on_adaptive_thinking() -> None:
    body = body_of(Call([user("hi")], provider_options={"anthropic": {"effort": "high"}}))
    assert body["thinking"] == {"type": "adaptive"}
    assert body["output_config"] == {"effort": "high"}
    with pytest.raises(ConfigurationError, match="effort"):
        body_of(Call([user("hi")], provider_options={"anthropic": {"effort": "huge"}}))


def test_host_options_override_anthropic_ones() -> None:
    dialect = Bedrock(region="us-east-1", api_key="k").dialect
    options = {
        "anthropic": {"thinking": {"budget_tokens": 1000}},
        "bedrock": {"thinking": {"budget_tokens": 2000}},
    }
    body = body_of(Call([user("hi")], provider_options=options), dialect)
    assert body["thinking"]["budget_tokens"] == 2000


def test_reasoning_goes_back_with_its_signature_or_redacted_data() -> None:
    parts = (
        ReasoningPart("thought", provider_metadata={"anthropic": {"signature": "sig"}}),
        ReasoningPart("", provider_metadata={"anthropic": {"redacted_data": "xyz"}}),
        ReasoningPart("foreign"),
        TextPart("answer"),
    )
    encoded = encode_request(
        Call([user("q"), Message("assistant", parts)]), "m", DIRECT, stream=False
    )
    blocks = encoded.body["messages"][1]["content"]
    assert blocks == [
        {"type": "thinking", "thinking": "thought", "signature": "sig"},
        {"type": "redacted_thinking", "data": "xyz"},
        {"type": "text", "text": "answer"},
    ]
    assert any("signature" in w.message for w in encoded.warnings)


def test_send_reasoning_false_drops_thinking() -> None:
    part = ReasoningPart("t", provider_metadata={"anthropic": {"signature": "s"}})
    options = {"anthropic": {"send_reasoning": False}}
    call = Call([user("q"), Message("assistant", (part, TextPart("a")))], provider_options=options)
    assert body_of(call)["messages"][1]["content"] == [{"type": "text", "text": "a"}]


def test_cache_control_on_parts_messages_and_tools() -> None:
    tool = ToolSpec("t", "d", {"type": "object", "properties": {}}, provider_options=EPHEMERAL)
    messages = [
        Message("system", (TextPart("s"),), provider_options=EPHEMERAL),
        Message("user", (TextPart("a", provider_options=EPHEMERAL), TextPart("b"))),
        Message("assistant", (TextPart("c"), TextPart("d")), provider_options=EPHEMERAL),
    ]
    body = body_of(Call(messages, tools=(tool,)))
    ephemeral = {"type": "ephemeral"}
    assert body["system"][0]["cache_control"] == ephemeral
    first, second = body["messages"][0]["content"]
    assert first["cache_control"] == ephemeral
    assert "cache_control" not in second
    c, d = body["messages"][1]["content"]
    assert "cache_control" not in c
    assert d["cache_control"] == ephemeral
    assert body["tools"][0]["cache_control"] == ephemeral


def test_message_cache_control_lands_on_the_last_tool_result() -> None:
    results = (
        ToolResultPart("a", "add", TextOutput("5")),
        ToolResultPart("b", "multiply", TextOutput("6")),
    )
    body = body_of(Call([user("q"), Message("tool", results, provider_options=EPHEMERAL)]))
    blocks = body["messages"][0]["content"]
    assert "cache_control" not in blocks[1]
    assert blocks[2]["cache_control"] == {"type": "ephemeral"}


def test_tool_results_of_every_kind() -> None:
    png = b"\x89PNG"
    results = (
        ToolResultPart("a", "x", ErrorOutput("boom")),
        ToolResultPart("b", "x", MediaOutput(png, "image/png", text="shot")),
        ToolResultPart("c", "x", JsonOutput({"k": 1})),
    )
    blocks = body_of(Call([Message("tool", results)]))["messages"][0]["content"]
    assert blocks[0] == {
        "type": "tool_result",
        "tool_use_id": "a",
        "content": [{"type": "text", "text": "boom"}],
        "is_error": True,
    }
    assert blocks[1]["content"] == [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw=="},
        },
        {"type": "text", "text": "shot"},
    ]
    assert blocks[2]["content"] == [{"type": "text", "text": '{"k":1}'}]


def test_files_become_image_and_document_blocks() -> None:
    msg = user(
        "look",
        FilePart(b"\x01", "image/jpeg"),
        FilePart(b"%PDF", "application/pdf", filename="doc.pdf"),
        FilePart(b"plain", "text/plain"),
        FilePart(b"?", "video/mp4"),
    )
    encoded = encode_request(Call([msg]), "m", DIRECT, stream=False)
    blocks = encoded.body["messages"][0]["content"]
    assert [b["type"] for b in blocks] == ["text", "image", "document", "document"]
    assert blocks[2]["title"] == "doc.pdf"
    assert blocks[3]["source"] == {"type": "text", "media_type": "text/plain", "data": "plain"}
    assert any("video/mp4" in w.message for w in encoded.warnings)


def test_provider_tools_and_their_beta_flags() -> None:
    search = ProviderTool("anthropic.web_search_20250305", "web_search", {"max_uses": 2})
    computer = ProviderTool(
        "anthropic.computer_20251124",
        "computer",
        {"display_width_px": 1920, "display_height_px": 1080},
    )
    other = ProviderTool("openai.web_search", "web_search")
    encoded = encode_request(
        Call([user("q")], tools=(search, computer, other)), "m", DIRECT, stream=False
    )
    assert encoded.body["tools"] == [
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 2},
        {
            "type": "computer_20251124",
            "name": "computer",
            "display_width_px": 1920,
            "display_height_px": 1080,
        },
    ]
    assert encoded.betas == ["computer-use-2025-11-24"]
    assert [w.kind for w in encoded.warnings] == ["unsupported-tool"]


def test_bedrock_takes_beta_flags_in_the_body() -> None:
    computer = ProviderTool(
        "anthropic.computer_20250124", "computer", {"display_width_px": 1, "display_height_px": 1}
    )
    dialect = Bedrock(region="us-east-1", api_key="k").dialect
    body = body_of(Call([user("q")], tools=(computer,)), dialect)
    assert body["anthropic_beta"] == ["computer-use-2025-01-24"]


def test_provider_executed_call_and_result_go_back_unchanged() -> None:
    results = [
        {"type": "web_search_result", "url": "https://x", "title": "X", "encrypted_content": "e"}
    ]
    parts = (
        ToolCallPart("srv_1", "web_search", '{"query":"tokyo"}', provider_executed=True),
        ToolResultPart("srv_1", "web_search", JsonOutput(results), provider_executed=True),
        TextPart("Tokyo is big."),
    )
    body = body_of(Call([user("q"), Message("assistant", parts), user("and Osaka?")]))
    assert body["messages"][1]["content"] == [
        {
            "type": "server_tool_use",
            "id": "srv_1",
            "name": "web_search",
            "input": {"query": "tokyo"},
        },
        {"type": "web_search_tool_result", "tool_use_id": "srv_1", "content": results},
        {"type": "text", "text": "Tokyo is big."},
    ]


def test_malformed_tool_arguments_keep_the_tool_use_block() -> None:
    parts = (ToolCallPart("t1", "weather", "{not json"),)
    encoded = encode_request(
        Call([user("q"), Message("assistant", parts)]), "m", DIRECT, stream=False
    )
    assert encoded.body["messages"][1]["content"][0]["input"] == {}
    assert encoded.warnings


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("claude-sonnet-4-20250514", {"type": "enabled", "budget_tokens": 4000}),
        ("claude-opus-4-6", {"type": "enabled", "budget_tokens": 4000}),
        ("claude-opus-4-7", {"type": "adaptive", "display": "summarized"}),
        ("us.anthropic.claude-opus-4-10-v1:0", {"type": "adaptive", "display": "summarized"}),
    ],
)
def test_models_that_only_think_adaptively_get_adaptive_thinking(
    model_id: str, expected: dict[str, Any]
) -> None:
    options = {"anthropic": {"thinking": {"budget_tokens": 4000}}}
    encoded = encode_request(
        Call([user("hi")], provider_options=options), model_id, DIRECT, stream=False
    )
    assert encoded.body["thinking"] == expected


def test_passthrough_options_and_extra_body() -> None:
    options = {
        "anthropic": {
            "stop_sequences": ["END"],
            "metadata": {"user_id": "u1"},
            "extra_body": {"container": "c1"},
        }
    }
    body = body_of(Call([user("hi")], provider_options=options))
    assert body["stop_sequences"] == ["END"]
    assert body["metadata"] == {"user_id": "u1"}
    assert body["container"] == "c1"
    assert "extra_body" not in body
