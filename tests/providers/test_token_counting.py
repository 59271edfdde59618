"""Token counting from JSON alone: each endpoint's counting body made from the request the
model would send, the counts read back, and the local estimate's documented rule."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import orjson
import pytest

from reverie.content import FilePart, Message, TextOutput, TextPart, ToolCallPart, ToolResultPart
from reverie.errors import ContextTooLargeError, ProtocolError
from reverie.model import Call, ToolSpec
from reverie.providers import _counting
from reverie.providers._anthropic.hosts import AnthropicAPI
from reverie.providers._host import COUNT_TOKENS, Request, Target
from reverie.providers._openai.provider import chat_model, openai_model
from reverie.testing._fake import FakeModel
from reverie.tokens import TokenCount, check_input_limit, count_tokens, estimate_tokens

pytestmark = pytest.mark.anyio


def test_anthropic_count_body_keeps_only_what_the_endpoint_takes() -> None:
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 4096,
        "messages": [{"role": "user", "content": "hi"}],
        "system": [{"type": "text", "text": "sys"}],
        "tools": [{"name": "t", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "auto"},
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "temperature": 0.2,
        "stream": True,
        "metadata": {"user_id": "u"},
    }
    assert _counting.anthropic_body(body) == {
        k: body[k] for k in ("model", "messages", "system", "tools", "tool_choice", "thinking")
    }


def test_bedrock_counts_the_whole_invoke_body_base64_encoded() -> None:
    invoke = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "messages": []}
    counted = _counting.bedrock_invoke_body(invoke)
    assert orjson.loads(base64.b64decode(counted["input"]["invokeModel"]["body"])) == invoke


def test_converse_count_body() -> None:
    body = {
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "system": [{"text": "s"}],
        "inferenceConfig": {"maxTokens": 5},
        "toolConfig": {"tools": []},
    }
    assert _counting.converse_body(body) == {
        "input": {
            "converse": {
                "messages": body["messages"],
                "system": body["system"],
                "toolConfig": {"tools": []},
            }
        }
    }


def test_gemini_count_bodies_for_the_gemini_api_and_vertex() -> None:
    body = {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "systemInstruction": {"parts": [{"text": "s"}]},
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
        "generationConfig": {"maxOutputTokens": 5},
    }
    assert _counting.gemini_body(body, "gemini-2.5-flash", vertex=False) == {
        "generateContentRequest": {"model": "models/gemini-2.5-flash", **body}
    }
    assert _counting.gemini_body(body, "gemini-2.5-flash", vertex=True) == {
        "contents": body["contents"],
        "systemInstruction": body["systemInstruction"],
        "generationConfig": body["generationConfig"],
    }


def test_responses_count_body() -> None:
    body = {
        "model": "gpt-5",
        "input": [{"role": "user", "content": "hi"}],
        "instructions": "s",
        "tools": [],
        "reasoning": {"effort": "low"},
        "stream": True,
        "store": False,
        "max_output_tokens": 100,
        "include": ["reasoning.encrypted_content"],
    }
    assert _counting.responses_body(body) == {
        k: body[k] for k in ("model", "input", "instructions", "tools", "reasoning")
    }


@pytest.mark.parametrize(
    "answer",
    [
        {"input_tokens": 42},
        {"inputTokens": 42},
        {"totalTokens": 42, "promptTokensDetails": []},
        {"object": "response.input_tokens", "input_tokens": 42},
    ],
)
def test_every_count_answer_is_read(answer: dict[str, int]) -> None:
    assert _counting.read_count(answer, "p") == 42


def test_a_count_answer_without_a_count_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="no count"):
        _counting.read_count({"input_tokens": "many"}, "p")


# ---------------------------------------------------------------------------------------
# Where each host counts (the COUNT_TOKENS operation), next to where it answers


def target_of(host: Any, operation: str = "", flags: tuple[str, ...] = ()) -> Target:
    request = Request("m-1", False, b"{}", {"anthropic-beta": "mine"}, flags, operation)
    return asyncio.run(host.target(request))


def test_the_anthropic_api_counts_beside_messages_with_the_same_betas() -> None:
    host = AnthropicAPI("https://api.example/v1", "sk-ant-x")
    flags = ("files-api-2025-04-14",)
    counted = target_of(host, COUNT_TOKENS, flags)
    assert counted.url == "https://api.example/v1/messages/count_tokens?beta=true"
    assert counted.headers["anthropic-beta"] == "mine,files-api-2025-04-14"
    assert target_of(host, "", flags).headers == counted.headers
    assert target_of(host, COUNT_TOKENS).url == "https://api.example/v1/messages/count_tokens"


def test_hosts_without_a_counting_endpoint_leave_the_count_to_the_estimate() -> None:
    chat = chat_model("m", base_url="http://127.0.0.1:9/v1")  # nothing listens: never sent
    assert chat.host.count_body({"model": "m"}, "m") is None
    assert asyncio.run(chat.count_tokens(Call([]))) is None
    responses = openai_model("gpt-5", api="responses", api_key="k")
    assert responses.host.count_body({"model": "gpt-5", "stream": True}, "gpt-5") == {
        "model": "gpt-5"
    }


# ---------------------------------------------------------------------------------------
# The local estimate


def test_the_estimate_follows_its_documented_rule() -> None:
    call = Call(
        [
            Message("system", (TextPart("abcdefgh"),)),  # 8 ASCII chars: 2
            Message("user", (TextPart("héllo"), FilePart(b"x", "image/png"))),  # 1 + 1 + 1000
            Message("assistant", (ToolCallPart("c", "add", '{"a":1}'),)),  # add: 1, 7 chars: 2
            Message("tool", (ToolResultPart("c", "add", TextOutput("3")),)),  # 1
        ]
    )
    assert estimate_tokens(call) == 4 * 4 + 2 + (1 + 1 + 1000) + (1 + 2) + 1
    tool = ToolSpec("t", "d", {})  # "t" + "d" + "{}": 4 chars, 1 token, + 8
    assert estimate_tokens(Call([], tools=[tool])) == 9


def test_the_estimate_counts_each_non_ascii_character() -> None:
    assert estimate_tokens(Call([Message("user", (TextPart("日本語"),))])) == 4 + 3


async def test_a_model_without_an_endpoint_gets_a_marked_estimate() -> None:
    call = Call([Message("user", (TextPart("x" * 400),))])
    count = await count_tokens(FakeModel([]), call)
    assert count == TokenCount(104, True, count.provider_metadata)
    assert "no token counting endpoint" in count.provider_metadata["estimate"]["reason"]


async def test_check_input_limit_refuses_with_the_numbers() -> None:
    call = Call([Message("user", (TextPart("x" * 400),))])
    assert (await check_input_limit(FakeModel([]), call, 104)).input_tokens == 104
    with pytest.raises(ContextTooLargeError, match=r"not sent.*estimated at 104 tokens") as info:
        await check_input_limit(FakeModel([]), call, 103)
    assert (info.value.used_tokens, info.value.max_tokens) == (104, 103)
    assert not info.value.retryable


def test_the_estimate_counts_every_kind_of_tool_output_and_hosted_tools() -> None:
    from reverie.content import ErrorOutput, JsonOutput, MediaOutput
    from reverie.model import ProviderTool

    outputs = [
        (ErrorOutput("abcd"), 1),
        (JsonOutput({"a": 1}), 2),  # {"a":1}: 7 characters
        (MediaOutput(b"png", "image/png", "abcd"), 1000 + 1),
    ]
    for output, tokens in outputs:
        call = Call([Message("tool", (ToolResultPart("c", "t", output),))])
        assert estimate_tokens(call) == 4 + tokens
    hosted = ProviderTool("anthropic.web_search_20250305", "web_search")
    assert estimate_tokens(Call([], tools=[hosted])) == 8 + 3  # "web_search": 10 characters


async def test_a_model_named_by_string_is_resolved_and_estimated_offline() -> None:
    count = await count_tokens("ollama:llama3", Call([Message("user", (TextPart("abcd"),))]))
    assert (count.input_tokens, count.estimate) == (5, True)
