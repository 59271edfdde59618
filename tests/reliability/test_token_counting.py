"""Token counting end to end over the loopback server: each provider's counting endpoint
(URL, auth, the counting body made from the real request), the fallback to an estimate
when an endpoint refuses, and the agent refusing an oversized request before sending it."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import unquote

import orjson
import pytest

from reverie import Agent, tool
from reverie.content import Message, TextPart
from reverie.errors import ContextTooLargeError, RateLimitError, RunTimeoutError
from reverie.model import Call, ToolSpec
from reverie.providers import get_model
from reverie.tokens import count_tokens

from .conftest import TEST_TIMEOUTS, Harness
from .server import Reply
from .wires import ANTHROPIC, FAKE_KEY

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30, method="thread")]

WEATHER = ToolSpec(
    "weather", "The weather", {"type": "object", "properties": {"city": {"type": "string"}}}
)
CALL = Call(
    [Message("system", (TextPart("Be brief."),)), Message("user", (TextPart("Weather in Rome?"),))],
    max_output_tokens=300,
    temperature=0.5,
    tools=[WEATHER],
)


def json_reply(body: Any, status: int = 200) -> Reply:
    return Reply(status, {}, [orjson.dumps(body)], chunked=False, content_type="application/json")


def model(name: str, fault: Harness, **options: Any) -> Any:
    options.setdefault("api_key", FAKE_KEY)
    return get_model(name, base_url=fault.server.url, timeouts=TEST_TIMEOUTS, **options)


async def test_anthropic_count_tokens(fault: Harness):
    fault.server.add(json_reply({"input_tokens": 321}))
    count = await count_tokens(model("anthropic:claude-sonnet-4-5", fault), CALL)
    assert (count.input_tokens, count.estimate) == (321, False)
    (request,) = fault.server.requests
    assert request.path == "/v1/messages/count_tokens"
    assert request.headers["x-api-key"] == FAKE_KEY
    body = request.json()
    assert set(body) == {"model", "messages", "system", "tools"}  # no max_tokens, temperature
    assert body["tools"][0]["name"] == "weather"


async def test_claude_on_bedrock_counts_its_invoke_body(fault: Harness):
    fault.server.add(json_reply({"inputTokens": 77}))
    claude = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    count = await count_tokens(model(f"bedrock:{claude}", fault), CALL)
    assert count.input_tokens == 77
    (request,) = fault.server.requests
    assert unquote(request.path) == f"/v1/model/{claude}/count-tokens"
    assert request.headers["authorization"] == f"Bearer {FAKE_KEY}"
    invoke = orjson.loads(base64.b64decode(request.json()["input"]["invokeModel"]["body"]))
    assert invoke["anthropic_version"] == "bedrock-2023-05-31"
    assert invoke["max_tokens"] == 300 and invoke["tools"][0]["name"] == "weather"


async def test_converse_counts_its_converse_body(fault: Harness):
    fault.server.add(json_reply({"inputTokens": 55}))
    count = await count_tokens(model("bedrock:us.amazon.nova-pro-v1:0", fault), CALL)
    assert count.input_tokens == 55
    (request,) = fault.server.requests
    assert unquote(request.path) == "/v1/model/us.amazon.nova-pro-v1:0/count-tokens"
    converse = request.json()["input"]["converse"]
    assert set(converse) == {"messages", "system", "toolConfig"}
    assert converse["system"] == [{"text": "Be brief."}]


async def test_gemini_count_tokens(fault: Harness):
    fault.server.add(
        json_reply(
            {"totalTokens": 19, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 19}]}
        )
    )
    count = await count_tokens(model("google:gemini-2.5-flash", fault), CALL)
    assert count.input_tokens == 19
    (request,) = fault.server.requests
    assert request.path == "/v1/models/gemini-2.5-flash:countTokens"
    assert request.headers["x-goog-api-key"] == FAKE_KEY
    inner = request.json()["generateContentRequest"]
    assert inner["model"] == "models/gemini-2.5-flash"
    assert inner["systemInstruction"]["parts"][0]["text"] == "Be brief."


async def test_openai_responses_input_tokens(fault: Harness):
    fault.server.add(json_reply({"object": "response.input_tokens", "input_tokens": 88}))
    count = await count_tokens(model("openai-responses:gpt-5", fault), CALL)
    assert count.input_tokens == 88
    (request,) = fault.server.requests
    assert request.path == "/v1/responses/input_tokens"
    assert request.headers["authorization"] == f"Bearer {FAKE_KEY}"
    body = request.json()
    assert body["model"] == "gpt-5" and "stream" not in body and "max_output_tokens" not in body


async def test_azure_responses_counts_with_its_own_key_header(fault: Harness):
    """The count goes where the model's requests go, authorised the same way."""
    fault.server.add(json_reply({"object": "response.input_tokens", "input_tokens": 21}))
    count = await count_tokens(model("azure-responses:my-deployment", fault), CALL)
    assert (count.input_tokens, count.estimate) == (21, False)
    (request,) = fault.server.requests
    assert request.path == "/v1/responses/input_tokens"
    assert request.headers["api-key"] == FAKE_KEY
    assert request.json()["model"] == "my-deployment"


async def test_chat_completions_hosts_estimate_without_a_request(fault: Harness):
    count = await count_tokens(model("openai-compatible:m", fault), CALL)
    assert count.estimate and count.input_tokens > 0
    assert fault.server.requests == []


async def test_an_endpoint_that_refuses_the_request_falls_back_to_an_estimate(fault: Harness):
    error = {
        "message": "The provided model doesn't support counting tokens.",
        "__type": "ValidationException",
    }
    fault.server.add(json_reply(error, 400))
    count = await count_tokens(model("bedrock:meta.llama3-3-70b-instruct-v1:0", fault), CALL)
    assert count.estimate
    assert "doesn't support counting tokens" in count.provider_metadata["estimate"]["reason"]


async def test_a_rate_limited_count_raises_like_a_model_call(fault: Harness):
    fault.server.add(
        json_reply({"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}}, 429)
    )
    with pytest.raises(RateLimitError):
        await count_tokens(model("anthropic:claude-sonnet-4-5", fault), CALL)


# -- the agent's input limit -----------------------------------------------------------------


async def test_the_agent_refuses_an_oversized_request_before_sending_it(fault: Harness):
    fault.server.add(json_reply({"input_tokens": 5000}))
    agent = Agent(
        model("anthropic:claude-sonnet-4-5", fault), max_input_tokens=4000, retry=fault.policy()
    )
    exc = await fault.expect(agent.generate("hi"), ContextTooLargeError)
    assert "was not sent" in str(exc) and "counted by the provider as 5000" in str(exc)
    assert [r.path for r in fault.server.requests] == ["/v1/messages/count_tokens"]


async def test_the_agent_counts_each_step_and_sends_what_fits(fault: Harness):
    @tool
    def weather(city: str) -> str:
        """The weather in a city."""
        return "sunny"

    tool_use = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": [
            {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Rome"}}
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 5, "output_tokens": 3},
    }
    fault.server.add(
        json_reply({"input_tokens": 100}),
        json_reply(tool_use),
        json_reply({"input_tokens": 150}),
        json_reply(orjson.loads(ANTHROPIC.json_answer("Sunny."))),
    )
    agent = Agent(
        model("anthropic:claude-sonnet-4-5", fault),
        tools=[weather],
        max_input_tokens=4000,
        retry=fault.policy(),
    )
    result = await agent.generate("Weather in Rome?")
    assert result.text == "Sunny."
    assert [r.path for r in fault.server.requests] == [
        "/v1/messages/count_tokens",
        "/v1/messages",
        "/v1/messages/count_tokens",
        "/v1/messages",
    ]
    # The second count is of the second request, tool result included.
    assert "tool_result" in str(fault.server.requests[2].json()["messages"])


async def test_an_estimated_limit_sends_nothing_at_all(fault: Harness):
    agent = Agent(model("openai-compatible:m", fault), max_input_tokens=10, retry=fault.policy())
    exc = await fault.expect(agent.stream("x" * 400).collect(), ContextTooLargeError)
    assert "estimated at" in str(exc)
    assert fault.server.requests == []


async def test_claude_on_vertex_counts_with_the_model_in_the_body(fault: Harness):
    fault.server.add(json_reply({"input_tokens": 12}))
    claude = model(
        "vertex-anthropic:claude-sonnet-4-5@20250929",
        fault,
        api_key="ya29.token",
        project="proj",
        location="us-east5",
    )
    assert (await count_tokens(claude, CALL)).input_tokens == 12
    (request,) = fault.server.requests
    assert request.path == (
        "/v1/projects/proj/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict"
    )
    assert request.headers["authorization"] == "Bearer ya29.token"
    assert request.json()["model"] == "claude-sonnet-4-5@20250929"
    assert "anthropic_version" not in request.json()


async def test_gemini_on_vertex_counts_its_contents(fault: Harness):
    fault.server.add(json_reply({"totalTokens": 31, "totalBillableCharacters": 96}))
    gemini = model(
        "vertex:gemini-2.5-flash",
        fault,
        api_key=None,
        access_token="ya29.t",
        project="p",
        location="global",
    )
    assert (await count_tokens(gemini, CALL)).input_tokens == 31
    (request,) = fault.server.requests
    assert request.path.endswith(
        "/projects/p/locations/global/publishers/google/models/gemini-2.5-flash:countTokens"
    )
    assert set(request.json()) <= {"contents", "systemInstruction", "tools", "generationConfig"}
    assert request.json()["contents"][0]["parts"][0]["text"] == "Weather in Rome?"


async def test_the_run_deadline_also_bounds_the_count(fault: Harness):
    """A counting endpoint that never answers is cut by ``run_timeout`` like a model call,
    before anything is sent to the model."""
    fault.server.add(
        Reply(frames=[b'{"input_tokens": '], end="hang", content_type="application/json")
    )
    agent = Agent(
        model("anthropic:claude-sonnet-4-5", fault),
        max_input_tokens=1000,
        run_timeout=0.3,
    )
    with pytest.raises(RunTimeoutError, match="counting the input tokens"):
        await agent.generate("hi")
    assert [r.path for r in fault.server.requests] == ["/v1/messages/count_tokens"]
