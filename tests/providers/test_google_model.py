"""Gemini (the generateContent wire, Gemini API and Vertex hosts) over a mock transport: URLs, auth headers, the signature round trip, the
registry entries and Vertex auth."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import orjson
import pytest

from reverie._accumulate import collect
from reverie.content import Message, TextOutput, ToolResultPart, user
from reverie.errors import (
    AuthenticationError,
    ConfigurationError,
    ContextTooLargeError,
    RateLimitError,
)
from reverie.model import Call, FinishReason
from reverie.providers import ProviderInfo, get_model, register_provider
from reverie.providers._google.auth import VertexAuth
from reverie.providers._google.hosts import GoogleHost, gemini_model
from reverie.providers._google.wire import GeminiWire
from reverie.providers._model import WireModel
from reverie.providers._registry import _REGISTRY as REGISTRY  # pyright: ignore[reportPrivateUsage]

KEY = "AIza-secret-test-key"
SIGNED_CALLS = {
    "candidates": [
        {
            "content": {
                "parts": [
                    {"text": "Let me check.", "thoughtSignature": "TXT"},
                    {"functionCall": {"name": "add", "args": {"a": 2}}, "thoughtSignature": "C1"},
                    {"functionCall": {"name": "multiply", "args": {"a": 2}}},
                ],
                "role": "model",
            },
            "finishReason": "STOP",
        }
    ],
    "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 3, "totalTokenCount": 8},
}


class Recorder:
    """A mock transport that answers every request with ``answer`` (as SSE when the
    request streams) and keeps the requests."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.requests: list[httpx2.Request] = []

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if "alt=sse" in str(request.url):
            body = b"data: " + orjson.dumps(self.answer) + b"\r\n\r\n"
            return httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})
        return httpx2.Response(200, json=self.answer)

    def client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self.handler))

    def json(self, index: int = -1) -> Any:
        return orjson.loads(self.requests[index].content)


def counter() -> Callable[[], str]:
    state = {"n": 0}

    def next_id() -> str:
        state["n"] += 1
        return str(state["n"])

    return next_id


@pytest.mark.anyio
async def test_generate_posts_to_generate_content_with_the_key_in_a_header_only() -> None:
    rec = Recorder(SIGNED_CALLS)
    model = gemini_model("gemini-2.5-flash", api_key=KEY, http_client=rec.client())
    response = await model.generate(Call([user("hi")]))
    request = rec.requests[0]
    assert str(request.url) == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
    )
    assert request.headers["x-goog-api-key"] == KEY
    assert KEY not in str(request.url)
    assert "authorization" not in request.headers
    assert response.finish_reason is FinishReason.TOOL_CALLS


@pytest.mark.anyio
async def test_stream_uses_sse_endpoint_and_yields_a_finish() -> None:
    rec = Recorder(
        {"candidates": [{"content": {"parts": [{"text": "Oi"}]}, "finishReason": "STOP"}]}
    )
    model = gemini_model("models/gemini-2.5-pro", api_key=KEY, http_client=rec.client())
    response = await collect(model.stream(Call([user("hi")])))
    assert str(rec.requests[0].url).endswith(
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    )
    assert response.text == "Oi"


@pytest.mark.anyio
@pytest.mark.parametrize("streaming", [False, True])
async def test_signatures_and_ids_round_trip_to_the_next_request(streaming: bool) -> None:
    rec = Recorder(SIGNED_CALLS)
    model = gemini_model(
        "gemini-3-pro-preview",
        api_key=KEY,
        http_client=rec.client(),
        tool_call_id_factory=counter(),
    )
    call = Call([user("Add and multiply 2 and 3")])
    if streaming:
        response = await collect(model.stream(call))
    else:
        response = await model.generate(call)
    results = Message(
        "tool",
        (
            ToolResultPart("1", "add", TextOutput("5")),
            ToolResultPart("2", "multiply", TextOutput("6")),
        ),
    )
    history = [*call.messages, Message("assistant", response.content), results]
    await model.generate(Call(history))
    sent = rec.json()["contents"]
    assert sent[1]["parts"] == [
        {"text": "Let me check.", "thoughtSignature": "TXT"},
        {"functionCall": {"args": {"a": 2}, "id": "1", "name": "add"}, "thoughtSignature": "C1"},
        {"functionCall": {"args": {"a": 2}, "id": "2", "name": "multiply"}},
    ]
    assert [p["functionResponse"]["id"] for p in sent[2]["parts"]] == ["1", "2"]


@pytest.mark.anyio
async def test_default_tool_call_ids_are_unique() -> None:
    rec = Recorder(SIGNED_CALLS)
    model = gemini_model("gemini-2.5-flash", api_key=KEY, http_client=rec.client())
    first = await model.generate(Call([user("hi")]))
    second = await model.generate(Call([user("hi")]))
    ids = [p.tool_call_id for r in (first, second) for p in r.content if p.type == "tool-call"]
    assert len(set(ids)) == 4


@pytest.mark.anyio
async def test_vertex_url_and_bearer_token() -> None:
    rec = Recorder(SIGNED_CALLS)
    model = gemini_model(
        "gemini-2.5-flash",
        vertex=True,
        project="my-proj",
        location="us-east5",
        access_token="tok",
        http_client=rec.client(),
    )
    await model.generate(Call([user("hi")]))
    request = rec.requests[0]
    assert str(request.url) == (
        "https://us-east5-aiplatform.googleapis.com/v1beta1/projects/my-proj/locations/us-east5"
        "/publishers/google/models/gemini-2.5-flash:generateContent"
    )
    assert request.headers["authorization"] == "Bearer tok"
    assert "x-goog-api-key" not in request.headers


@pytest.mark.anyio
async def test_vertex_global_location_async_token_function_and_no_auth() -> None:
    rec = Recorder(SIGNED_CALLS)

    async def token() -> str:
        return "fresh"

    model = gemini_model(
        "gemini-2.5-pro", vertex=True, project="p", access_token=token, http_client=rec.client()
    )
    await model.generate(Call([user("hi")]))
    assert str(rec.requests[0].url).startswith("https://aiplatform.googleapis.com/v1beta1/")
    assert "/locations/global/" in str(rec.requests[0].url)
    assert rec.requests[0].headers["authorization"] == "Bearer fresh"
    open_model = gemini_model(
        "gemini-2.5-pro", vertex=True, project="p", access_token="", http_client=rec.client()
    )
    await open_model.generate(Call([user("hi")]))
    assert "authorization" not in rec.requests[1].headers


@pytest.mark.anyio
async def test_vertex_express_mode_uses_the_key_header_and_no_project() -> None:
    rec = Recorder(SIGNED_CALLS)
    model = gemini_model("gemini-2.5-flash", vertex=True, api_key=KEY, http_client=rec.client())
    await model.generate(Call([user("hi")]))
    assert str(rec.requests[0].url) == (
        "https://aiplatform.googleapis.com/v1beta1/publishers/google/models/"
        "gemini-2.5-flash:generateContent"
    )
    assert rec.requests[0].headers["x-goog-api-key"] == KEY
    assert "authorization" not in rec.requests[0].headers


@pytest.mark.parametrize(
    "kwargs",
    [
        {"project": "p"},
        {"access_token": "t"},
        {"vertex": True},
        {"vertex": True, "project": "p", "model": "claude-3-7-sonnet@20250219"},
    ],
)
def test_misconfiguration_is_a_configuration_error(kwargs: dict[str, Any]) -> None:
    model = kwargs.pop("model", "gemini-2.5-flash")
    with pytest.raises(ConfigurationError):
        gemini_model(model, **kwargs)


# -- registry --------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_CLOUD_PROJECT", "GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_google_provider_reads_either_key_variable(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="GEMINI_API_KEY"):
        get_model("google:gemini-2.5-flash")
    clean_env.setenv("GOOGLE_API_KEY", "g")
    model = get_model("google:gemini-2.5-flash")
    assert isinstance(model, WireModel) and isinstance(model.wire, GeminiWire)
    assert model.provider == "google"
    assert not model.wire.dialect.vertex


def test_vertex_provider_uses_the_project_from_the_environment(
    clean_env: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigurationError, match="GOOGLE_CLOUD_PROJECT"):
        get_model("vertex:gemini-2.5-flash", access_token="t")
    clean_env.setenv("GOOGLE_CLOUD_PROJECT", "proj")
    model = get_model("vertex:gemini-2.5-flash", location="europe-west4", access_token="t")
    assert isinstance(model, WireModel) and isinstance(model.wire, GeminiWire)
    assert model.wire.dialect.vertex
    assert isinstance(model.host, GoogleHost)
    assert "/projects/proj/locations/europe-west4/" in model.host.models_url


@pytest.fixture
def registry() -> Iterator[None]:
    saved = dict(REGISTRY)
    yield
    REGISTRY.clear()
    REGISTRY.update(saved)


def test_vertex_claude_is_routed_to_the_anthropic_provider(registry: None) -> None:
    REGISTRY.pop("vertex-anthropic", None)
    with pytest.raises(ConfigurationError, match="vertex-anthropic"):
        get_model("vertex:claude-3-7-sonnet@20250219", project="p", location="us-east5")
    seen: dict[str, Any] = {}

    def factory(model_id: str, **options: Any) -> Any:
        seen.update(options, model_id=model_id)
        return "claude-model"

    register_provider(ProviderInfo("vertex-anthropic", factory, "test double"))
    got = get_model("vertex:claude-3-7-sonnet@20250219", project="p", location="us-east5")
    assert got == "claude-model"
    assert seen["model_id"] == "claude-3-7-sonnet@20250219"
    assert (seen["project"], seen["location"]) == ("p", "us-east5")


def test_importing_reverie_does_not_load_the_google_provider() -> None:
    code = "import sys, reverie; print('reverie.providers._google' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- Vertex auth -----------------------------------------------------------------------


class FakeCredentials:
    def __init__(self, fail: bool = False) -> None:
        self.valid = False
        self.token: str | None = None
        self.refreshes: list[Any] = []
        self.fail = fail

    def refresh(self, request: Any) -> None:
        self.refreshes.append(request)
        if self.fail:
            raise RuntimeError("invalid_grant")
        self.token = f"token-{len(self.refreshes)}"
        self.valid = True


@pytest.mark.anyio
async def test_credentials_are_refreshed_only_when_invalid() -> None:
    creds = FakeCredentials()
    auth = VertexAuth(credentials=creds, request_factory=lambda: "request")
    assert await auth.headers() == {"Authorization": "Bearer token-1"}
    assert await auth.headers() == {"Authorization": "Bearer token-1"}
    creds.valid = False
    assert await auth.headers() == {"Authorization": "Bearer token-2"}
    assert creds.refreshes == ["request", "request"]


@pytest.mark.anyio
async def test_a_failed_refresh_is_an_authentication_error_that_says_what_to_do() -> None:
    auth = VertexAuth(credentials=FakeCredentials(fail=True), request_factory=lambda: None)
    with pytest.raises(AuthenticationError, match="application-default login"):
        await auth.headers()


def test_token_and_credentials_together_are_rejected() -> None:
    with pytest.raises(ConfigurationError):
        VertexAuth(access_token="t", credentials=FakeCredentials())


# -- errors ----------------------------------------------------------------------------


def failing_client(status: int, error: dict[str, Any]) -> httpx2.AsyncClient:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, json={"error": error})

    return httpx2.AsyncClient(transport=httpx2.MockTransport(handler))


BAD_KEY = {
    "code": 400,
    "message": "API key not valid. Please pass a valid API key.",
    "status": "INVALID_ARGUMENT",
    "details": [{"reason": "API_KEY_INVALID"}],
}
TOO_LONG = {
    "code": 400,
    "message": "The input token count (1200000) exceeds the maximum number of tokens "
    "allowed (1048576).",
    "status": "INVALID_ARGUMENT",
}


@pytest.mark.anyio
@pytest.mark.parametrize("streaming", [False, True])
async def test_an_invalid_key_is_an_authentication_error_without_the_key(streaming: bool) -> None:
    model = gemini_model("gemini-2.5-flash", api_key=KEY, http_client=failing_client(400, BAD_KEY))
    call = Call([user("hi")])
    with pytest.raises(AuthenticationError) as info:
        await (collect(model.stream(call)) if streaming else model.generate(call))
    assert KEY not in str(info.value)
    assert info.value.status == 400


@pytest.mark.anyio
async def test_a_prompt_over_the_window_is_context_too_large() -> None:
    model = gemini_model("gemini-2.5-flash", api_key=KEY, http_client=failing_client(400, TOO_LONG))
    with pytest.raises(ContextTooLargeError) as info:
        await model.generate(Call([user("hi")]))
    assert (info.value.used_tokens, info.value.max_tokens) == (1200000, 1048576)


@pytest.mark.anyio
async def test_rate_limit_status_stays_a_retryable_rate_limit_error() -> None:
    error = {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}
    model = gemini_model("gemini-2.5-flash", api_key=KEY, http_client=failing_client(429, error))
    with pytest.raises(RateLimitError) as info:
        await model.generate(Call([user("hi")]))
    assert info.value.retryable
