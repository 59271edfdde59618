"""OpenAI's wire choice and Azure OpenAI: endpoints, the api-key header, option aliases."""

from __future__ import annotations

from typing import Any

import httpx2
import orjson
import pytest

from reverie.content import user
from reverie.errors import ConfigurationError
from reverie.events import Finish, TextDelta
from reverie.model import Call, LanguageModel
from reverie.providers import get_model
from reverie.providers._host import BaseURLHost
from reverie.providers._model import WireModel
from reverie.providers._openai.provider import API_ENV, azure_base_url, choose_api
from reverie.providers._openai.wires import ChatWire, ResponsesWire


def wire_of(model: LanguageModel) -> object:
    assert isinstance(model, WireModel)
    return model.wire


def url_of(model: LanguageModel) -> str:
    assert isinstance(model, WireModel) and isinstance(model.host, BaseURLHost)
    return model.host.url


AZURE = "https://fantasy-playground-resource.openai.azure.com/openai/v1"


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("fantasy-playground-resource", AZURE),
        ("https://fantasy-playground-resource.openai.azure.com", AZURE),
        ("https://fantasy-playground-resource.openai.azure.com/", AZURE),
        (AZURE, AZURE),
        ("fantasy-playground-resource.openai.azure.com", AZURE),
        ("https://fantasy-playground-resource.cognitiveservices.azure.com", AZURE),
        ("my-res.cognitiveservices.azure.com", "https://my-res.openai.azure.com/openai/v1"),
        (
            "https://fantasy-playground-resource.services.ai.azure.com/api/projects/playground",
            AZURE,
        ),
        (
            "https://r1.openai.azure.com/openai/deployments/gpt-5?api-version=2025-01-01",
            "https://r1.openai.azure.com/openai/v1",
        ),
        ("https://proxy.example.com/azure/", "https://proxy.example.com/azure"),
        ("proxy.example.com/v1", "https://proxy.example.com/v1"),
    ],
)
def test_azure_endpoints_are_normalised(endpoint: str, expected: str) -> None:
    assert azure_base_url(endpoint) == expected


def test_openai_uses_chat_unless_asked_for_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(API_ENV, raising=False)
    assert isinstance(wire_of(get_model("openai:gpt-5", api_key="k")), ChatWire)
    responses = get_model("openai:gpt-5", api="responses", api_key="k")
    assert isinstance(wire_of(responses), ResponsesWire)
    assert url_of(responses) == "https://api.openai.com/v1/responses"
    assert isinstance(wire_of(get_model("openai-responses:gpt-4o", api_key="k")), ResponsesWire)


def test_the_environment_sets_the_wire_for_every_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_ENV, "auto")
    assert isinstance(wire_of(get_model("openai:gpt-4.1", api_key="k")), ResponsesWire)
    # A model the Responses API does not serve stays on Chat Completions.
    assert isinstance(wire_of(get_model("openai:davinci-002", api_key="k")), ChatWire)
    assert isinstance(wire_of(get_model("openai:gpt-5", api="chat", api_key="k")), ChatWire)
    monkeypatch.setenv(API_ENV, "grpc")
    with pytest.raises(ConfigurationError, match=API_ENV):
        choose_api("gpt-5", None)


def test_azure_needs_an_endpoint_and_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_RESOURCE_NAME", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
        get_model("azure:gpt-5-mini", api_key="k")
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_API_KEY"):
        get_model("azure:gpt-5-mini", resource="r1")
    monkeypatch.setenv("AZURE_OPENAI_RESOURCE_NAME", "r1")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "secret")
    model = get_model("azure:gpt-5-mini")
    assert model.provider == "azure"
    assert isinstance(model, WireModel) and model.host.option_aliases == ("openai",)
    assert url_of(model) == "https://r1.openai.azure.com/openai/v1/chat/completions"


class Recorder:
    """A mock transport that keeps each request and answers with ``body``."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return httpx2.Response(200, content=self.body)

    def json(self, index: int = 0) -> Any:
        return orjson.loads(self.requests[index].content)


RESPONSE = {
    "id": "resp_1",
    "model": "gpt-5-mini",
    "error": None,
    "incomplete_details": None,
    "output": [
        {
            "id": "msg_1",
            "type": "message",
            "content": [{"type": "output_text", "text": "Olá!", "annotations": []}],
        }
    ],
    "usage": {"input_tokens": 5, "output_tokens": 2},
}


@pytest.mark.anyio
async def test_azure_sends_the_key_as_api_key_and_reads_openai_options() -> None:
    recorder = Recorder(orjson.dumps(RESPONSE))
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(recorder)) as http:
        model = get_model(
            "azure:gpt-5-mini",
            api="responses",
            resource="fantasy-playground-resource",
            api_key="secret-key",
            http_client=http,
        )
        options = {"openai": {"reasoning_effort": "high", "reasoning_summary": "auto"}}
        result = await model.generate(
            Call(
                messages=[user("hi")],
                provider_options={**options, "azure": {"reasoning_summary": "detailed"}},
            )
        )
    request = recorder.requests[0]
    assert str(request.url) == f"{AZURE}/responses"
    assert request.headers["api-key"] == "secret-key"
    assert "authorization" not in request.headers
    assert recorder.json()["reasoning"] == {"effort": "high", "summary": "detailed"}
    assert result.text == "Olá!"
    assert result.provider_metadata["azure"]["response_id"] == "resp_1"


@pytest.mark.anyio
async def test_azure_chat_takes_the_reasoning_effort_given_for_openai() -> None:
    chunks = [
        {"choices": [], "prompt_filter_results": []},
        {"id": "c1", "choices": [{"index": 0, "delta": {"content": "Oi"}, "finish_reason": None}]},
        {"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    body = b"".join(b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"
    recorder = Recorder(body)
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(recorder)) as http:
        model = get_model("azure:gpt-5-mini", base_url=AZURE, api_key="k", http_client=http)
        call = Call(
            messages=[user("hi")], provider_options={"openai": {"reasoning_effort": "high"}}
        )
        events = [e async for e in model.stream(call)]
    assert str(recorder.requests[0].url) == f"{AZURE}/chat/completions"
    assert recorder.requests[0].headers["api-key"] == "k"
    assert recorder.json()["reasoning_effort"] == "high"
    assert [e.delta for e in events if isinstance(e, TextDelta)] == ["Oi"]
    assert isinstance(events[-1], Finish)


@pytest.mark.anyio
async def test_openai_responses_sends_a_bearer_token() -> None:
    recorder = Recorder(orjson.dumps(RESPONSE))
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(recorder)) as http:
        model = get_model("openai:gpt-5", api="responses", api_key="sk-test", http_client=http)
        await model.generate(Call(messages=[user("hi")], max_output_tokens=10))
    assert recorder.requests[0].headers["authorization"] == "Bearer sk-test"
    assert recorder.json()["max_output_tokens"] == 10


@pytest.mark.anyio
async def test_azure_with_an_entra_token_sends_a_bearer_and_needs_no_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AZURE_OPENAI_API_KEY", raising=False)
    recorder = Recorder(orjson.dumps(RESPONSE))
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(recorder)) as http:
        model = get_model(
            "azure-responses:gpt-5-mini", resource="r1", token="entra-token", http_client=http
        )
        await model.generate(Call(messages=[user("hi")]))
    headers = recorder.requests[0].headers
    assert headers["authorization"] == "Bearer entra-token"
    assert "api-key" not in headers
