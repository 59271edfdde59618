"""Claude (the Messages wire) on its three hosts, over a mock HTTP transport: URLs, headers, streams."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

import httpx2
import orjson
import pytest

from reverie._accumulate import collect
from reverie.content import user
from reverie.errors import ConfigurationError, ContextTooLargeError, OverloadedError
from reverie.model import Call, FinishReason, LanguageModel, ProviderTool
from reverie.providers import get_model
from tests.providers.test_anthropic_eventstream import BODY as BEDROCK_STREAM

MESSAGE = {
    "id": "msg",
    "type": "message",
    "content": [{"type": "text", "text": "Olá!"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 3, "output_tokens": 2},
}
COMPUTER = ProviderTool(
    "anthropic.computer_20250124", "computer", {"display_width_px": 8, "display_height_px": 8}
)


class Recorder:
    """A mock transport that keeps every request and answers with ``respond``."""

    def __init__(self, respond: Callable[[httpx2.Request], httpx2.Response]) -> None:
        self.requests: list[httpx2.Request] = []
        self._respond = respond

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self._respond(request)

    def client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self))

    def body(self, i: int = 0) -> Any:
        return orjson.loads(self.requests[i].content)


def json_reply(data: Any, status: int = 200) -> Callable[[httpx2.Request], httpx2.Response]:
    return lambda _request: httpx2.Response(status, json=data)


def model(name: str, recorder: Recorder, **options: Any) -> LanguageModel:
    return get_model(name, http_client=recorder.client(), **options)


@pytest.mark.anyio
async def test_anthropic_api_request_headers_and_beta_query() -> None:
    rec = Recorder(json_reply(MESSAGE))
    claude = model(
        "anthropic:claude-sonnet-4-20250514",
        rec,
        api_key="sk-test",
        headers={"Anthropic-Beta": "files-api-2025-04-14"},
    )
    response = await claude.generate(Call([user("hi")]))
    assert response.text == "Olá!"
    assert response.finish_reason == FinishReason.STOP
    request = rec.requests[0]
    assert str(request.url) == "https://api.anthropic.com/v1/messages"
    assert request.headers["x-api-key"] == "sk-test"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert rec.body()["model"] == "claude-sonnet-4-20250514"

    await claude.generate(Call([user("hi")], tools=(COMPUTER,)))
    beta = rec.requests[1]
    assert str(beta.url) == "https://api.anthropic.com/v1/messages?beta=true"
    # The caller's beta flag is kept, ours added, in one header.
    assert beta.headers.get_list("anthropic-beta") == [
        "files-api-2025-04-14,computer-use-2025-01-24"
    ]


@pytest.mark.anyio
async def test_the_anthropic_key_comes_from_the_environment(monkeypatch: Any) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="ANTHROPIC_API_KEY"):
        get_model("anthropic:claude-sonnet-4-20250514")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-env")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://proxy.local")
    rec = Recorder(json_reply(MESSAGE))
    await model("anthropic:claude-sonnet-4-20250514", rec).generate(Call([user("hi")]))
    assert rec.requests[0].headers["x-api-key"] == "from-env"
    assert str(rec.requests[0].url) == "http://proxy.local/v1/messages"


@pytest.mark.anyio
async def test_a_long_prompt_error_is_context_too_large() -> None:
    error = {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "prompt is too long: 210000 tokens > 200000 maximum",
        },
    }
    rec = Recorder(json_reply(error, status=400))
    claude = model("anthropic:claude-sonnet-4-20250514", rec, api_key="k")
    with pytest.raises(ContextTooLargeError) as info:
        await claude.generate(Call([user("hi")]))
    assert (info.value.used_tokens, info.value.max_tokens) == (210000, 200000)
    assert "k" not in info.value.headers.values()


@pytest.mark.anyio
async def test_an_overloaded_stream_event_raises_overloaded() -> None:
    sse = (
        b'event: message_start\ndata: {"type":"message_start","message":{"id":"m"}}\n\n'
        b"event: error\n"
        b'data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
    )
    rec = Recorder(
        lambda _r: httpx2.Response(200, content=sse, headers={"content-type": "text/event-stream"})
    )
    claude = model("anthropic:claude-sonnet-4-20250514", rec, api_key="k")
    with pytest.raises(OverloadedError):
        await collect(claude.stream(Call([user("hi")])))


@pytest.mark.anyio
async def test_bedrock_url_escapes_the_model_id_and_decodes_the_event_stream() -> None:
    rec = Recorder(
        lambda _r: httpx2.Response(
            200,
            content=BEDROCK_STREAM,
            headers={"content-type": "application/vnd.amazon.eventstream"},
        )
    )
    claude = model(
        "bedrock:us.anthropic.claude-haiku-4-5-20251001-v1:0",
        rec,
        api_key="bedrock-key",
        region="eu-west-1",
    )
    response = await collect(claude.stream(Call([user("hi")], tools=(COMPUTER,))))
    assert response.text == "Olá! 👋"
    assert response.usage.output_tokens == 18
    request = rec.requests[0]
    assert str(request.url) == (
        "https://bedrock-runtime.eu-west-1.amazonaws.com/model/"
        "us.anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke-with-response-stream"
    )
    assert request.headers["authorization"] == "Bearer bedrock-key"
    assert "anthropic-beta" not in request.headers
    body = rec.body()
    assert body["anthropic_beta"] == ["computer-use-2025-01-24"]
    assert "model" not in body
    assert "stream" not in body


@pytest.mark.anyio
async def test_bedrock_without_key_or_botocore_says_what_to_install(monkeypatch: Any) -> None:
    import sys

    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    # A None entry makes "import botocore" fail, as on a machine without the extra.
    monkeypatch.setitem(sys.modules, "botocore", None)
    with pytest.raises(ConfigurationError, match=r"reverie\[bedrock\]"):
        get_model("bedrock:us.anthropic.claude-opus-4-6-v1")


@pytest.mark.anyio
async def test_vertex_url_and_token() -> None:
    rec = Recorder(json_reply(MESSAGE))
    claude = model(
        "vertex-anthropic:claude-3-7-sonnet@20250219",
        rec,
        api_key="ya29.token",
        project="my-project",
        location="us-east5",
    )
    await claude.generate(Call([user("hi")]))
    request = rec.requests[0]
    assert str(request.url) == (
        "https://us-east5-aiplatform.googleapis.com/v1/projects/my-project/locations/us-east5"
        "/publishers/anthropic/models/claude-3-7-sonnet@20250219:rawPredict"
    )
    assert request.headers["authorization"] == "Bearer ya29.token"
    assert rec.body()["anthropic_version"] == "vertex-2023-10-16"


def test_vertex_needs_a_project(monkeypatch: Any) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    with pytest.raises(ConfigurationError, match="project"):
        get_model("vertex-anthropic:claude-3-7-sonnet@20250219", api_key="t")


def test_importing_reverie_does_not_load_the_anthropic_provider() -> None:
    import subprocess
    import sys

    code = (
        "import sys, reverie; "
        "print(any(m.startswith('reverie.providers._anthropic') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_screenshot_fixture_is_valid_base64() -> None:
    # Guards the conformance runner's 1x1 PNG against accidental edits.
    from reverie.testing._conformance import SCREENSHOT_PNG

    assert SCREENSHOT_PNG.startswith(b"\x89PNG")
    assert base64.b64encode(SCREENSHOT_PNG).decode().startswith("iVBORw0KGgo")


@pytest.mark.anyio
async def test_bedrock_signs_with_sigv4_through_botocore(monkeypatch: Any) -> None:
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token")
    rec = Recorder(json_reply(MESSAGE))
    claude = model("bedrock:us.anthropic.claude-haiku-4-5-20251001-v1:0", rec, region="us-west-2")
    await claude.generate(Call([user("hi")]))
    headers = rec.requests[0].headers
    auth = headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-west-2/bedrock/aws4_request" in auth
    assert "SignedHeaders=" in auth
    assert "Signature=" in auth
    assert headers["x-amz-security-token"] == "session-token"
    assert "x-amz-date" in headers
    # The secret itself never travels.
    assert all("wJalrXUtnFEMI" not in v for v in headers.values())


class FakeGoogleCredentials:
    def __init__(self) -> None:
        self.valid = False
        self.token = ""
        self.refreshes = 0

    def refresh(self, _request: Any) -> None:
        self.refreshes += 1
        self.token = f"token-{self.refreshes}"
        self.valid = True


@pytest.mark.anyio
async def test_vertex_credentials_are_refreshed_only_when_invalid(monkeypatch: Any) -> None:
    from reverie.providers._google import auth

    monkeypatch.setattr(auth, "_transport_request", lambda: object())
    fake = FakeGoogleCredentials()
    rec = Recorder(json_reply(MESSAGE))
    claude = model(
        "vertex-anthropic:claude-3-7-sonnet@20250219", rec, project="p", credentials=fake
    )
    await claude.generate(Call([user("hi")]))
    await claude.generate(Call([user("hi")]))
    assert [r.headers["authorization"] for r in rec.requests] == ["Bearer token-1"] * 2
    fake.valid = False  # expired
    await claude.generate(Call([user("hi")]))
    assert rec.requests[-1].headers["authorization"] == "Bearer token-2"


@pytest.mark.anyio
async def test_the_vertex_provider_routes_claude_to_the_anthropic_wire() -> None:
    rec = Recorder(json_reply(MESSAGE))
    claude = model(
        "vertex:claude-3-7-sonnet@20250219",
        rec,
        project="proj",
        location="us-east5",
        access_token="tok",
        base_url="https://us-east5-aiplatform.googleapis.com/v1",
    )
    assert claude.provider == "vertex-anthropic"
    await claude.generate(Call([user("hi")]))
    assert str(rec.requests[0].url) == (
        "https://us-east5-aiplatform.googleapis.com/v1/projects/proj/locations/us-east5"
        "/publishers/anthropic/models/claude-3-7-sonnet@20250219:rawPredict"
    )
    assert rec.requests[0].headers["authorization"] == "Bearer tok"


@pytest.mark.anyio
async def test_vertex_default_credentials_need_google_auth(monkeypatch: Any) -> None:
    import sys

    # None entries make the imports fail, as on a machine without the extra.
    for name in ("google.auth", "google.auth.transport.requests", "google.oauth2"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delenv("VERTEX_ACCESS_TOKEN", raising=False)
    rec = Recorder(json_reply(MESSAGE))
    claude = model("vertex-anthropic:claude-3-7-sonnet@20250219", rec, project="p")
    with pytest.raises(ConfigurationError, match=r"reverie\[vertex\]"):
        await claude.generate(Call([user("hi")]))
    assert rec.requests == []


def test_a_base_url_ending_in_v1_is_not_doubled() -> None:
    from reverie.providers._anthropic.hosts import AnthropicAPI
    from reverie.providers._host import Request

    host = AnthropicAPI("https://gateway.example/anthropic/v1/", "k")
    target = asyncio.run(host.target(Request("m", stream=False, body=b"{}", headers={})))
    assert target.url == "https://gateway.example/anthropic/v1/messages"
