"""Bedrock Converse end to end: the real agent with tools against a loopback server that
answers ``/converse`` with JSON and ``/converse-stream`` with AWS event-stream frames;
bearer-key and SigV4 auth (the signature checked on the server side with botocore);
exception frames and HTTP errors retried or raised as for every other wire."""

from __future__ import annotations

import importlib
from typing import Any
from urllib.parse import unquote

import orjson
import pytest

from reverie import Agent, FunctionTool, tool
from reverie.errors import InvalidRequestError
from reverie.events import Retry, ToolCall, ToolResult
from reverie.model import FinishReason
from reverie.providers import get_model
from reverie.timeouts import Timeouts
from tests.providers.test_anthropic_eventstream import exception_frame, frame, string_header

from .conftest import TEST_TIMEOUTS, Harness
from .server import Reply, Request
from .wires import FAKE_KEY

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30, method="thread")]

MODEL = "us.amazon.nova-pro-v1:0"
EVENTSTREAM = "application/vnd.amazon.eventstream"
USAGE_1 = {"inputTokens": 50, "outputTokens": 20, "totalTokens": 70}
USAGE_2 = {"inputTokens": 90, "outputTokens": 8, "totalTokens": 98, "cacheReadInputTokens": 40}


def event(name: str, payload: dict[str, Any]) -> bytes:
    headers = (
        string_header(":event-type", name)
        + string_header(":content-type", "application/json")
        + string_header(":message-type", "event")
    )
    return frame(headers, orjson.dumps({**payload, "p": "padding"}))


def tool_use_stream() -> list[bytes | float]:
    return [
        event("messageStart", {"role": "assistant"}),
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Let me look."}}),
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event(
            "contentBlockStart",
            {
                "contentBlockIndex": 1,
                "start": {"toolUse": {"toolUseId": "tooluse_A", "name": "weather"}},
            },
        ),
        0.01,
        event(
            "contentBlockDelta",
            {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"city"'}}},
        ),
        event(
            "contentBlockDelta",
            {"contentBlockIndex": 1, "delta": {"toolUse": {"input": ': "Rome"}'}}},
        ),
        event("contentBlockStop", {"contentBlockIndex": 1}),
        event("messageStop", {"stopReason": "tool_use"}),
        event("metadata", {"usage": USAGE_1, "metrics": {"latencyMs": 10}}),
    ]


def answer_stream(text: str) -> list[bytes | float]:
    return [
        event("messageStart", {"role": "assistant"}),
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text[:5]}}),
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text[5:]}}),
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("messageStop", {"stopReason": "end_turn"}),
        event("metadata", {"usage": USAGE_2, "metrics": {"latencyMs": 10}}),
    ]


def stream_reply(frames: list[bytes | float]) -> Reply:
    return Reply(frames=frames, content_type=EVENTSTREAM)


def json_reply(body: dict[str, Any], status: int = 200, **headers: str) -> Reply:
    return Reply(
        status, dict(headers), [orjson.dumps(body)], chunked=False, content_type="application/json"
    )


def converse_json(
    content: list[dict[str, Any]], stop: str, usage: dict[str, int]
) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": usage,
        "metrics": {"latencyMs": 12},
    }


def weather_tool(seen: list[str]) -> FunctionTool:
    @tool
    def weather(city: str) -> str:
        """The weather in a city."""
        seen.append(city)
        return f"sunny in {city}"

    return weather


def converse_model(fault: Harness, **options: Any) -> Any:
    options.setdefault("api_key", FAKE_KEY)
    return get_model(
        f"bedrock:{MODEL}", base_url=fault.server.url, timeouts=TEST_TIMEOUTS, **options
    )


def second_turn(request: Request) -> list[dict[str, Any]]:
    return request.json()["messages"]


def check_tool_round_trip(fault: Harness, action: str) -> None:
    first, second = fault.server.requests
    for request in (first, second):
        assert unquote(request.path) == f"/v1/model/{MODEL}/{action}"
        assert request.headers["authorization"] == f"Bearer {FAKE_KEY}"
        assert "modelId" not in request.json()
    assert first.json()["toolConfig"]["toolChoice"] == {"auto": {}}
    assert first.json()["toolConfig"]["tools"][0]["toolSpec"]["name"] == "weather"
    messages = second_turn(second)
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"] == [
        {"text": "Let me look."},
        {"toolUse": {"toolUseId": "tooluse_A", "name": "weather", "input": {"city": "Rome"}}},
    ]
    assert messages[2]["content"] == [
        {"toolResult": {"toolUseId": "tooluse_A", "content": [{"text": "sunny in Rome"}]}}
    ]


async def test_agent_with_tools_over_converse_stream(fault: Harness):
    seen: list[str] = []
    fault.server.add(
        stream_reply(tool_use_stream()), stream_reply(answer_stream("Sunny in Rome today."))
    )
    agent = Agent(converse_model(fault), tools=[weather_tool(seen)], retry=fault.policy())
    events = await fault.events(agent, "Weather in Rome?")
    assert seen == ["Rome"]
    assert [e.call.input for e in events if isinstance(e, ToolCall)] == ['{"city": "Rome"}']
    assert [e.result.output.text for e in events if isinstance(e, ToolResult)] == ["sunny in Rome"]  # type: ignore[union-attr]
    result = events[-1].result
    assert result.text == "Sunny in Rome today."
    assert result.finish_reason == FinishReason.STOP
    assert result.usage.total_tokens == 70 + 98
    assert result.usage.cache_read_tokens == 40
    check_tool_round_trip(fault, "converse-stream")


async def test_agent_with_tools_over_converse(fault: Harness):
    seen: list[str] = []
    fault.server.add(
        json_reply(
            converse_json(
                [
                    {"text": "Let me look."},
                    {
                        "toolUse": {
                            "toolUseId": "tooluse_A",
                            "name": "weather",
                            "input": {"city": "Rome"},
                        }
                    },
                ],
                "tool_use",
                USAGE_1,
            )
        ),
        json_reply(converse_json([{"text": "Sunny in Rome today."}], "end_turn", USAGE_2)),
    )
    agent = Agent(converse_model(fault), tools=[weather_tool(seen)], retry=fault.policy())
    result = await agent.generate("Weather in Rome?")
    assert seen == ["Rome"]
    assert result.text == "Sunny in Rome today."
    check_tool_round_trip(fault, "converse")


async def test_a_throttling_frame_is_retried_and_the_retry_succeeds(fault: Harness):
    fault.server.add(
        stream_reply(
            [
                event("messageStart", {"role": "assistant"}),
                exception_frame("throttlingException", "slow down"),
            ]
        ),
        stream_reply(answer_stream("Recovered fine.")),
    )
    events = await fault.events(Agent(converse_model(fault), retry=fault.policy()))
    assert sum(isinstance(e, Retry) for e in events) == 1
    assert events[-1].result.text == "Recovered fine."


async def test_a_cut_stream_is_incomplete_and_retried(fault: Harness):
    fault.server.add(
        stream_reply(answer_stream("Cut short here.")[:3]),
        stream_reply(answer_stream("Whole answer.")),
    )
    events = await fault.events(Agent(converse_model(fault), retry=fault.policy()))
    assert (
        type(next(e for e in events if isinstance(e, Retry)).error).__name__
        == "IncompleteStreamError"
    )
    assert events[-1].result.text == "Whole answer."


async def test_a_validation_error_is_not_retried_and_names_the_problem(fault: Harness):
    body = {"message": "The model returned the following errors: malformed input"}
    fault.server.add(json_reply(body, 400, **{"x-amzn-ErrorType": "ValidationException:"}))
    agent = Agent(converse_model(fault), retry=fault.policy())
    exc = await fault.expect(agent.generate("hi"), InvalidRequestError)
    assert "malformed input" in str(exc)
    assert len(fault.server.requests) == 1


def _verify_sigv4(request: Request, url: str, secret: str) -> None:
    """Recompute the request's SigV4 signature with botocore from what arrived."""
    auth_module: Any = importlib.import_module("botocore.auth")
    awsrequest: Any = importlib.import_module("botocore.awsrequest")
    credentials_module: Any = importlib.import_module("botocore.credentials")
    header = request.headers["authorization"]
    fields = dict(part.strip().split("=", 1) for part in header.split(" ", 1)[1].split(","))
    signed = fields["SignedHeaders"].split(";")
    headers = {name: request.headers[name] for name in signed}
    aws = awsrequest.AWSRequest(method="POST", url=url, data=request.body, headers=headers)
    aws.context["timestamp"] = request.headers["x-amz-date"]
    access_key = fields["Credential"].split("/")[0]
    creds = credentials_module.Credentials(
        access_key, secret, request.headers.get("x-amz-security-token")
    )
    signer = auth_module.SigV4Auth(creds, "bedrock", "us-west-2")
    canonical = signer.canonical_request(aws)
    expected = signer.signature(signer.string_to_sign(aws, canonical), aws)
    assert fields["Signature"] == expected


async def test_sigv4_signs_exactly_what_the_server_receives(fault: Harness, monkeypatch: Any):
    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token")
    fault.server.add(stream_reply(answer_stream("Signed and sealed.")))
    model = get_model(
        f"bedrock-converse:{MODEL}",
        region="us-west-2",
        base_url=fault.server.url,
        timeouts=Timeouts(connect=1.0, first_byte=1.0, idle=1.0, total=5.0),
    )
    result = await Agent(model, retry=fault.policy()).stream("hi").collect()
    assert result.text == "Signed and sealed."
    (request,) = fault.server.requests
    assert request.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-west-2/bedrock/aws4_request" in request.headers["authorization"]
    assert secret not in str(request.headers)
    url = f"{fault.server.url}/model/us.amazon.nova-pro-v1%3A0/converse-stream"
    _verify_sigv4(request, url, secret)
