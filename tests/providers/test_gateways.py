"""OpenRouter and Vercel over the Chat Completions wire, from JSON alone: options, caching,
usage, cost and upstream metadata, the registry, and the conformance cache recipe."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from reverie.agent import StepContext
from reverie.content import FilePart, Message, TextOutput, TextPart, ToolCallPart, ToolResultPart
from reverie.content import system as system_message
from reverie.content import user as user_message
from reverie.errors import ConfigurationError
from reverie.events import Finish, ReasoningEnd
from reverie.model import Call, ToolSpec
from reverie.providers import get_model
from reverie.providers._gateways import OpenRouterExtension, VercelExtension
from reverie.providers._host import BaseURLHost
from reverie.providers._model import WireModel
from reverie.providers._openai.chat import encode_request
from reverie.providers._openai.chat_decode import decode_response
from reverie.providers._openai.chat_stream import ChatStreamDecoder
from reverie.providers._openai.dialect import ChatDialect

OPENROUTER = ChatDialect("openrouter", extension=OpenRouterExtension())
VERCEL = ChatDialect("vercel", extension=VercelExtension())
EPHEMERAL = {"anthropic": {"cache_control": {"type": "ephemeral"}}}


def body_for(
    dialect: ChatDialect, options: dict[str, Any], *, model: str = "anthropic/claude-sonnet-4"
) -> dict[str, Any]:
    call = Call([user_message("Hi")], provider_options={dialect.name: options})
    body, _ = encode_request(call, model, dialect, stream=False)
    return body


# ---------------------------------------------------------------------------------------
# Options


def test_openrouter_always_asks_for_usage_unless_turned_off() -> None:
    assert body_for(OPENROUTER, {})["usage"] == {"include": True}
    assert body_for(OPENROUTER, {"include_usage": False})["usage"] == {"include": False}


def test_openrouter_options_reach_the_body() -> None:
    body = body_for(
        OPENROUTER,
        {
            "reasoning": {"effort": "medium", "exclude": True, "enabled": None},
            "provider": {"order": ["anthropic"], "allow_fallbacks": False, "sort": "price"},
            "parallel_tool_calls": False,
            "user": "u-1",
            "extra_body": {"transforms": ["middle-out"]},
        },
    )
    assert body["reasoning"] == {"effort": "medium", "exclude": True}
    assert body["provider"] == {"order": ["anthropic"], "allow_fallbacks": False, "sort": "price"}
    assert (body["parallel_tool_calls"], body["user"]) == (False, "u-1")
    assert body["transforms"] == ["middle-out"]
    assert "reasoning_effort" not in body


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"reasoning_effort": "high"}, "unknown openrouter option"),
        ({"reasoning": {"effort": "extreme"}}, "effort 'extreme' is not one of"),
        ({"reasoning": {"effort": "low", "max_tokens": 10}}, "either effort or max_tokens"),
        ({"provider": {"sort": "cheapest"}}, "sort 'cheapest' is not one of"),
        ({"provider": {"orders": ["x"]}}, "known: order"),
    ],
)
def test_openrouter_rejects_bad_options_saying_what_is_known(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        body_for(OPENROUTER, options)


def test_vercel_options_reach_the_body_as_the_gateway_spells_them() -> None:
    body = body_for(
        VERCEL,
        {
            "reasoning": {"enabled": True},
            "gateway": {"order": ["vertex"], "models": ["openai/gpt-5-mini"]},
            "byok": {"anthropic": [{"api_key": "sk-test"}]},
            "top_logprobs": 2,
        },
    )
    assert body["reasoning"] == {"enabled": True}
    assert body["providerOptions"] == {
        "gateway": {
            "order": ["vertex"],
            "models": ["openai/gpt-5-mini"],
            "byok": {"anthropic": [{"apiKey": "sk-test"}]},
        }
    }
    assert body["models"] == ["openai/gpt-5-mini"]
    assert body["top_logprobs"] == 2
    assert "usage" not in body


def test_vercel_zero_data_retention_is_camel_cased() -> None:
    body = body_for(VERCEL, {"gateway": {"zero_data_retention": True}})
    assert body["providerOptions"] == {"gateway": {"zeroDataRetention": True}}


def test_a_vercel_byok_error_never_shows_the_key() -> None:
    with pytest.raises(ConfigurationError) as info:
        body_for(VERCEL, {"byok": {"anthropic": ["sk-secret"]}})
    assert "sk-secret" not in str(info.value)


# ---------------------------------------------------------------------------------------
# Anthropic cache control


def test_cache_control_is_rendered_where_the_gateways_read_it() -> None:
    call_part = ToolCallPart("call_1", "add", '{"a":2}')
    image = FilePart(b"\x89PNG", "image/png")
    messages = [
        Message("system", (TextPart("Be brief"),), provider_options=EPHEMERAL),
        Message("user", (TextPart("Hi"),), provider_options=EPHEMERAL),
        Message("user", (TextPart("Look"), image), provider_options=EPHEMERAL),
        Message("assistant", (TextPart("Adding"), call_part), provider_options=EPHEMERAL),
        Message(
            "tool", (ToolResultPart("call_1", "add", TextOutput("5")),), provider_options=EPHEMERAL
        ),
    ]
    body, _ = encode_request(Call(messages), "anthropic/claude-haiku-4.5", OPENROUTER, stream=False)
    system, user, multi, assistant, tool = body["messages"]
    control = {"type": "ephemeral"}
    assert system["cache_control"] == control
    assert user["cache_control"] == control
    assert "cache_control" not in multi
    assert "cache_control" not in multi["content"][0]
    assert multi["content"][1]["cache_control"] == control
    assert "cache_control" not in assistant
    assert assistant["tool_calls"][0]["cache_control"] == control
    assert assistant["content"] == "Adding"
    # Tool results carry none (as the reference library sends them).
    assert tool == {"role": "tool", "tool_call_id": "call_1", "content": "5"}


def test_conformance_cache_recipe_marks_last_system_and_last_two_messages() -> None:
    from reverie.testing._conformance import anthropic_cache_control

    messages = (
        system_message("a"),
        system_message("b"),
        Message("user", (TextPart("q"),), provider_options={"x": {"y": 1}}),
        Message("assistant", (TextPart("r"),)),
        Message("user", (TextPart("s"),)),
    )
    overrides = anthropic_cache_control(StepContext(1, (), object(), messages))  # type: ignore[arg-type]
    assert overrides.messages is not None
    marked = [bool(m.provider_options) for m in overrides.messages]
    assert marked == [False, True, False, True, True]


# ---------------------------------------------------------------------------------------
# Responses: usage, cost, upstream provider, reasoning


def test_openrouter_response_reports_cost_provider_cache_writes_and_reasoning() -> None:
    data = {
        "id": "gen-1",
        "model": "anthropic/claude-4.5-haiku",
        "provider": "Amazon Bedrock",
        "choices": [
            {
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "reasoning": "Think.",
                    "reasoning_details": [
                        {
                            "type": "reasoning.text",
                            "text": "Think.",
                            "signature": "sig",
                            "format": "anthropic-claude-v1",
                            "index": 0,
                        }
                    ],
                    "tool_calls": [
                        {
                            "id": "toolu_1",
                            "type": "function",
                            "function": {"name": "weather", "arguments": "{}"},
                        }
                    ],
                },
            }
        ],
        "usage": {
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "total_tokens": 120,
            "cost": 0.0011,
            "is_byok": False,
            "prompt_tokens_details": {"cached_tokens": 40, "cache_write_tokens": 30},
            "completion_tokens_details": {"reasoning_tokens": 12},
        },
    }
    response = decode_response(data, OPENROUTER, [])
    meta = response.provider_metadata["openrouter"]
    assert (meta["provider"], meta["cost"], meta["is_byok"]) == ("Amazon Bedrock", 0.0011, False)
    usage = response.usage
    # prompt_tokens (100) counts the cache reads and writes; Usage counts each apart.
    assert (usage.input_tokens, usage.cache_read_tokens, usage.cache_write_tokens) == (30, 40, 30)
    assert usage.prompt_tokens == 100
    reasoning = response.content[0]
    assert reasoning.type == "reasoning"
    assert reasoning.provider_metadata["openrouter"]["signature"] == "sig"


def test_vercel_stream_reports_the_provider_that_served_it_and_its_cost() -> None:
    decoder = ChatStreamDecoder(VERCEL)
    routing = {"gateway": {"routing": {"finalProvider": "vertex"}, "cost": "0.0009"}}
    events = decoder.feed({"id": "gen_1", "choices": [{"index": 0, "delta": {"reasoning": "Hmm"}}]})
    events += decoder.feed(
        {
            "id": "gen_1",
            "choices": [
                {
                    "index": 0,
                    "delta": {"content": "Ciao", "provider_metadata": routing},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        }
    )
    events += decoder.finish()
    assert any(isinstance(e, ReasoningEnd) for e in events)
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert finish.provider_metadata["vercel"]["provider"] == "vertex"
    assert finish.provider_metadata["vercel"]["cost"] == "0.0009"


def test_the_default_wire_is_unchanged_without_an_extension() -> None:
    call = Call([user_message("Hi")], tools=[ToolSpec("t", "d", {"type": "object"})])
    body, _ = encode_request(call, "gpt-4o", ChatDialect("openai"), stream=False)
    assert set(body) == {"messages", "model", "tools", "tool_choice"}


# ---------------------------------------------------------------------------------------
# Registry


@pytest.mark.parametrize(
    ("name", "env", "url"),
    [
        ("openrouter", "OPENROUTER_API_KEY", "https://openrouter.ai/api/v1/chat/completions"),
        ("vercel", "AI_GATEWAY_API_KEY", "https://ai-gateway.vercel.sh/v1/chat/completions"),
    ],
)
def test_gateways_are_registered_and_need_their_key(
    name: str, env: str, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(env, raising=False)
    monkeypatch.delenv(f"{name.upper()}_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match=env):
        get_model(f"{name}:openai/gpt-5")
    monkeypatch.setenv(env, "k")
    model = get_model(f"{name}:openai/gpt-5")
    assert isinstance(model, WireModel) and isinstance(model.host, BaseURLHost)
    assert (model.provider, model.model_id, model.host.url) == (name, "openai/gpt-5", url)


def test_import_reverie_does_not_load_the_gateways() -> None:
    code = "import sys, reverie; print(any('gateways' in m for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
