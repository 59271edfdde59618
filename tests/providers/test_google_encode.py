"""The generateContent request encoder, from JSON alone."""

from __future__ import annotations

from typing import Any

import pytest

from reverie.content import (
    ErrorOutput,
    FilePart,
    JsonOutput,
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
from reverie.providers._google.encode import GoogleDialect, encode_request
from reverie.providers._google.schema import convert_schema

GEMINI = GoogleDialect()
VERTEX = GoogleDialect(vertex=True)
WEATHER = ToolSpec(
    "weather",
    "Get weather information for a location",
    {
        "type": "object",
        "properties": {"location": {"type": "string", "description": "the city"}},
        "required": ["location"],
    },
)


def encode(call: Call, dialect: GoogleDialect = GEMINI, model: str = "gemini-2.5-flash") -> Any:
    body, _ = encode_request(call, model, dialect)
    return body


def test_simple_call_matches_the_recorded_shape() -> None:
    call = Call(
        [system("You are a helpful assistant"), user("Say hi in Portuguese")],
        max_output_tokens=4000,
    )
    assert encode(call) == {
        "contents": [{"parts": [{"text": "Say hi in Portuguese"}], "role": "user"}],
        "generationConfig": {"maxOutputTokens": 4000},
        "systemInstruction": {"parts": [{"text": "You are a helpful assistant"}], "role": "user"},
    }


def test_tools_are_declared_as_recorded_with_auto_mode() -> None:
    call = Call([user("What's the weather?")], tools=[WEATHER], tool_choice="auto")
    body = encode(call)
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "description": "Get weather information for a location",
                    "name": "weather",
                    "parameters": {
                        "properties": {"location": {"description": "the city", "type": "STRING"}},
                        "required": ["location"],
                        "type": "OBJECT",
                    },
                }
            ]
        }
    ]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        (SpecificTool("weather"), {"mode": "ANY", "allowedFunctionNames": ["weather"]}),
    ],
)
def test_tool_choice_modes(choice: Any, config: dict[str, Any]) -> None:
    body = encode(Call([user("x")], tools=[WEATHER], tool_choice=choice))
    assert body["toolConfig"] == {"functionCallingConfig": config}


def test_no_tools_means_no_tool_config_and_provider_tools_warn() -> None:
    call = Call(
        [user("x")], tools=[ProviderTool("anthropic.web_search", "web")], tool_choice="auto"
    )
    body, warnings = encode_request(call, "gemini-2.5-flash", GEMINI)
    assert "tools" not in body
    assert "toolConfig" not in body
    assert [w.kind for w in warnings] == ["unsupported-tool"]


def test_sampling_settings_go_in_generation_config() -> None:
    call = Call(
        [user("x")],
        max_output_tokens=10,
        temperature=0.5,
        top_p=0.9,
        top_k=40,
        presence_penalty=0.1,
        frequency_penalty=0.2,
    )
    assert encode(call)["generationConfig"] == {
        "maxOutputTokens": 10,
        "temperature": 0.5,
        "topP": 0.9,
        "topK": 40,
        "presencePenalty": 0.1,
        "frequencyPenalty": 0.2,
    }


def test_no_settings_means_no_generation_config() -> None:
    assert "generationConfig" not in encode(Call([user("x")]))


def _sig(value: str) -> dict[str, Any]:
    return {"google": {"thought_signature": value}}


def _history() -> list[Message]:
    return [
        user("Add and multiply 2 and 3"),
        Message(
            "assistant",
            (
                ReasoningPart("thinking about it"),
                ToolCallPart("1", "add", '{"a":2,"b":3}', provider_metadata=_sig("SIG-A")),
                ToolCallPart("2", "multiply", '{"b":3,"a":2}'),
            ),
        ),
        Message(
            "tool",
            (
                ToolResultPart("1", "add", TextOutput("5")),
                ToolResultPart("2", "multiply", ErrorOutput("boom")),
            ),
        ),
    ]


def test_function_calls_and_responses_keep_ids_and_each_call_its_signature() -> None:
    contents = encode(Call(_history()))["contents"]
    assert contents[1] == {
        "parts": [
            {
                "functionCall": {"args": {"a": 2, "b": 3}, "id": "1", "name": "add"},
                "thoughtSignature": "SIG-A",
            },
            {"functionCall": {"args": {"a": 2, "b": 3}, "id": "2", "name": "multiply"}},
        ],
        "role": "model",
    }
    assert contents[2] == {
        "parts": [
            {"functionResponse": {"id": "1", "name": "add", "response": {"result": "5"}}},
            {"functionResponse": {"id": "2", "name": "multiply", "response": {"error": "boom"}}},
        ],
        "role": "user",
    }


def test_vertex_leaves_out_function_call_and_response_ids() -> None:
    contents = encode(Call(_history()), VERTEX)["contents"]
    assert "id" not in contents[1]["parts"][0]["functionCall"]
    assert contents[1]["parts"][0]["thoughtSignature"] == "SIG-A"
    assert all("id" not in p["functionResponse"] for p in contents[2]["parts"])


def test_reasoning_goes_back_only_when_it_carries_a_signature() -> None:
    msg = Message(
        "assistant",
        (
            ReasoningPart("plain summary"),
            ReasoningPart("signed thought", provider_metadata=_sig("R")),
            TextPart("answer", provider_metadata=_sig("T")),
        ),
    )
    contents = encode(Call([user("q"), msg]))["contents"]
    assert contents[1]["parts"] == [
        {"text": "signed thought", "thought": True, "thoughtSignature": "R"},
        {"text": "answer", "thoughtSignature": "T"},
    ]


def test_signatures_of_another_provider_are_not_sent() -> None:
    msg = Message("assistant", (TextPart("hi", provider_metadata={"anthropic": {"x": "y"}}),))
    assert encode(Call([user("q"), msg]))["contents"][1]["parts"] == [{"text": "hi"}]


def test_files_are_inline_data_and_empty_text_is_dropped() -> None:
    call = Call([user("", FilePart(b"\x89PNG", "image/png"))])
    assert encode(call)["contents"] == [
        {"parts": [{"inlineData": {"data": "iVBORw==", "mimeType": "image/png"}}], "role": "user"}
    ]


def test_json_tool_output_is_the_result_value() -> None:
    msg = Message("tool", (ToolResultPart("1", "lookup", JsonOutput({"n": 1})),))
    parts = encode(Call([user("q"), msg]))["contents"][1]["parts"]
    assert parts[0]["functionResponse"]["response"] == {"result": {"n": 1}}


def test_invalid_call_arguments_become_an_empty_object_with_a_warning() -> None:
    msg = Message("assistant", (ToolCallPart("1", "add", "not json"),))
    body, warnings = encode_request(Call([user("q"), msg]), "gemini-2.5-flash", GEMINI)
    assert body["contents"][1]["parts"][0]["functionCall"]["args"] == {}
    assert len(warnings) == 1


def test_leading_system_messages_join_and_later_ones_are_dropped_with_a_warning() -> None:
    call = Call([system("a"), system("b"), user("q"), assistant("r"), system("late")])
    body, warnings = encode_request(call, "gemini-2.5-flash", GEMINI)
    assert body["systemInstruction"]["parts"] == [{"text": "a\nb"}]
    assert len(body["contents"]) == 2
    assert len(warnings) == 1


def test_gemma_gets_the_system_prompt_in_the_first_user_turn() -> None:
    body = encode(Call([system("be brief"), user("q")]), model="gemma-3-27b-it")
    assert "systemInstruction" not in body
    assert body["contents"][0]["parts"] == [{"text": "be brief\n\n"}, {"text": "q"}]


# -- thinking --------------------------------------------------------------------------


def _thinking(config: dict[str, Any]) -> Call:
    return Call([user("q")], provider_options={"google": {"thinking_config": config}})


def test_thinking_budget_below_minimum_is_raised_to_128_with_a_warning() -> None:
    body, warnings = encode_request(
        _thinking({"thinking_budget": 100, "include_thoughts": True}), "gemini-2.5-flash", GEMINI
    )
    assert body["generationConfig"] == {
        "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 128}
    }
    assert [w.setting for w in warnings] == ["thinking_budget"]


@pytest.mark.parametrize("budget", [0, -1, 128, 2048])
def test_thinking_budget_off_dynamic_or_valid_is_sent_as_given(budget: int) -> None:
    body, warnings = encode_request(_thinking({"thinking_budget": budget}), "g", GEMINI)
    assert body["generationConfig"]["thinkingConfig"] == {"thinkingBudget": budget}
    assert warnings == []


def test_thinking_level_is_sent_upper_case() -> None:
    config = encode(_thinking({"thinking_level": "high", "include_thoughts": True}))
    assert config["generationConfig"]["thinkingConfig"] == {
        "includeThoughts": True,
        "thinkingLevel": "HIGH",
    }


@pytest.mark.parametrize(
    "config",
    [
        {"thinking_budget": 200, "thinking_level": "HIGH"},
        {"thinking_level": "extreme"},
        {"thinkingBudget": 200},
    ],
)
def test_invalid_thinking_config_is_a_configuration_error(config: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        encode(_thinking(config))


def test_unknown_provider_option_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="thinking"):
        encode(Call([user("q")], provider_options={"google": {"thinkng_config": {}}}))


def test_safety_settings_and_cached_content_are_top_level() -> None:
    options = {
        "safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
        "cached_content": "cachedContents/abc",
    }
    body = encode(Call([user("q")], provider_options={"google": options}))
    assert body["safetySettings"] == options["safety_settings"]
    assert body["cachedContent"] == "cachedContents/abc"


# -- schemas ---------------------------------------------------------------------------


def test_schema_conversion_keeps_nested_structure() -> None:
    schema = {
        "type": "object",
        "description": "a book",
        "properties": {
            "genres": {"type": "array", "items": {"type": "string"}},
            "author": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
            },
            "kind": {"type": "string", "enum": ["novel", "essay"]},
        },
        "required": ["genres"],
    }
    assert convert_schema(schema) == {
        "type": "OBJECT",
        "description": "a book",
        "properties": {
            "genres": {"type": "ARRAY", "items": {"type": "STRING"}},
            "author": {
                "type": "OBJECT",
                "properties": {"name": {"type": "STRING"}},
                "required": ["name"],
            },
            "kind": {"type": "STRING", "enum": ["novel", "essay"]},
        },
        "required": ["genres"],
    }


def test_optional_fields_become_nullable() -> None:
    assert convert_schema({"anyOf": [{"type": "integer"}, {"type": "null"}]}) == {
        "type": "INTEGER",
        "nullable": True,
    }
    assert convert_schema({"type": ["string", "null"]}) == {"type": "STRING", "nullable": True}


def test_refs_are_inlined_from_defs() -> None:
    tool = ToolSpec(
        "save",
        "Save a person",
        {
            "type": "object",
            "$defs": {"Person": {"type": "object", "properties": {"name": {"type": "string"}}}},
            "properties": {"person": {"$ref": "#/$defs/Person", "description": "who"}},
        },
    )
    body = encode(Call([user("q")], tools=[tool]))
    params = body["tools"][0]["functionDeclarations"][0]["parameters"]
    assert params["properties"]["person"] == {
        "type": "OBJECT",
        "description": "who",
        "properties": {"name": {"type": "STRING"}},
    }


def test_untyped_property_defaults_to_string() -> None:
    assert convert_schema({"description": "anything"}) == {
        "type": "STRING",
        "description": "anything",
    }
