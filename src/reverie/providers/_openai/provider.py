"""OpenAI and Azure OpenAI as providers: which wire a model uses, and how Azure is reached.

Wire choice, per model: Chat Completions by default; the Responses API with
``api="responses"`` (or the provider names ``openai-responses`` / ``azure-responses``);
``api="auto"`` uses Responses for the models that support it and Chat Completions for the
rest. ``REVERIE_OPENAI_API`` (``chat`` / ``responses`` / ``auto``) sets the default for every
OpenAI and Azure model created without ``api=``.

Azure OpenAI speaks the same two wires at ``https://<resource>.openai.azure.com/openai/v1``
(:func:`azure_base_url` accepts a resource name or any of the usual endpoint URL forms) with
the key in an ``api-key`` header. Its models are named ``azure`` and read provider options
given under ``"openai"`` as well as ``"azure"`` (the latter wins), so options written for
OpenAI carry over unchanged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import httpx2

from reverie.errors import ConfigurationError
from reverie.providers import _counting
from reverie.providers._host import COUNT_TOKENS, BaseURLHost, Request, Target
from reverie.providers._model import WireModel
from reverie.providers._openai.chat import is_reasoning_model
from reverie.providers._openai.dialect import ChatDialect, ChatExtension
from reverie.providers._openai.responses import ResponsesDialect
from reverie.providers._openai.wires import CHAT_PATH, RESPONSES_PATH, ChatWire, ResponsesWire
from reverie.providers._wire import Wire
from reverie.timeouts import Timeouts

Api = Literal["chat", "responses", "auto"]
API_ENV = "REVERIE_OPENAI_API"
OPENAI_URL = "https://api.openai.com/v1"

_AZURE_HOST = re.compile(
    r"^(?:https?://)?([A-Za-z0-9-]+)\.(?:openai|cognitiveservices|services\.ai)\.azure\.com(?:[/?#].*)?$"
)
_RESOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")


def is_responses_model(model_id: str) -> bool:
    """Models the Responses API serves (the GPT-4 and GPT-5 families, o-series, codex)."""
    lowered = model_id.lower()
    return (
        "gpt-4" in lowered
        or "gpt-5" in lowered
        or is_reasoning_model(model_id)
        or lowered.startswith(("chatgpt-", "gpt-3.5-turbo", "codex-", "computer-use"))
    )


def choose_api(model_id: str, api: str | None) -> Literal["chat", "responses"]:
    """The wire for ``model_id``: ``api`` if given, else ``$REVERIE_OPENAI_API``, else chat."""
    chosen = api or os.environ.get(API_ENV) or "chat"
    if chosen not in ("chat", "responses", "auto"):
        source = "api" if api else API_ENV
        raise ConfigurationError(
            f"{source}={chosen!r} is not a wire: use 'chat', 'responses' or 'auto'"
        )
    if chosen == "auto":
        return "responses" if is_responses_model(model_id) else "chat"
    return chosen  # pyright: ignore[reportReturnType]


def openai_model(
    model_id: str,
    *,
    api: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    headers: Mapping[str, str] | None = None,
    http_client: httpx2.AsyncClient | None = None,
    organization: str | None = None,
    project: str | None = None,
    timeouts: Timeouts | None = None,
) -> WireModel:
    """An OpenAI model on the wire :func:`choose_api` picks; the key from ``OPENAI_API_KEY``."""
    from reverie.providers._registry import resolve_key

    key = resolve_key("openai", "OPENAI_API_KEY", api_key, required=True)
    url = base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_URL
    extra = dict(headers or {})
    if organization:
        extra["OpenAI-Organization"] = organization
    if project:
        extra["OpenAI-Project"] = project
    return _build(
        choose_api(model_id, api), model_id, url, key, "openai", extra, http_client, timeouts
    )


def azure_model(
    model_id: str,
    *,
    api: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    resource: str | None = None,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
    http_client: httpx2.AsyncClient | None = None,
    timeouts: Timeouts | None = None,
) -> WireModel:
    """An Azure OpenAI deployment (``model_id`` is the deployment name).

    The endpoint is ``base_url``, else ``resource``, else ``$AZURE_OPENAI_ENDPOINT``, else
    ``$AZURE_OPENAI_RESOURCE_NAME``; the key is ``api_key`` or ``$AZURE_OPENAI_API_KEY``,
    sent as ``api-key``. ``token`` (a Microsoft Entra ID access token) is sent as a bearer
    token instead, and then no key is needed.
    """
    from reverie.providers._registry import resolve_key

    endpoint = (
        base_url
        or resource
        or os.environ.get("AZURE_OPENAI_ENDPOINT")
        or os.environ.get("AZURE_OPENAI_RESOURCE_NAME")
    )
    if not endpoint:
        raise ConfigurationError(
            "provider 'azure' needs an endpoint: pass base_url='https://<resource>.openai."
            "azure.com' or resource='<resource>', or set AZURE_OPENAI_ENDPOINT"
        )
    extra = dict(headers or {})
    if not token:
        key = resolve_key("azure", "AZURE_OPENAI_API_KEY", api_key, required=True)
        extra["api-key"] = key or ""
    url = azure_base_url(endpoint)
    return _build(
        choose_api(model_id, api), model_id, url, token, "azure", extra, http_client, timeouts
    )


def azure_base_url(endpoint: str) -> str:
    """``https://<resource>.openai.azure.com/openai/v1`` from a resource name or an Azure
    endpoint URL (``*.openai.azure.com``, ``*.cognitiveservices.azure.com``,
    ``*.services.ai.azure.com/api/projects/...``, with or without scheme or path). Any other
    URL is kept (with ``https://`` added when it has no scheme): a proxy or a custom domain."""
    value = endpoint.strip()
    match = _AZURE_HOST.match(value)
    if match:
        return f"https://{match.group(1)}.openai.azure.com/openai/v1"
    if _RESOURCE_NAME.match(value):
        return f"https://{value}.openai.azure.com/openai/v1"
    if not value.startswith(("http://", "https://")):
        value = "https://" + value
    return value.rstrip("/")


def _build(
    api: Literal["chat", "responses"],
    model_id: str,
    base_url: str,
    api_key: str | None,
    provider: str,
    headers: Mapping[str, str],
    http_client: httpx2.AsyncClient | None,
    timeouts: Timeouts | None = None,
) -> WireModel:
    wire: Wire
    # Azure also reads the options written for OpenAI, so they carry over unchanged.
    aliases = ("openai",) if provider == "azure" else ()
    if api == "responses":
        wire = ResponsesWire(ResponsesDialect(provider))
        host = ResponsesHost(provider, base_url, RESPONSES_PATH, api_key, aliases)
    else:
        # OpenAI's own chat models return no reasoning text, so none is echoed back; OpenAI
        # and Azure both take response_format json_schema.
        wire = ChatWire(ChatDialect(provider, send_reasoning=False), True)
        host = BaseURLHost(provider, base_url, CHAT_PATH, api_key, aliases)
    return WireModel(
        model_id, wire=wire, host=host, headers=headers, http_client=http_client, timeouts=timeouts
    )


@dataclass(frozen=True, slots=True)
class ResponsesHost(BaseURLHost):
    """An OpenAI or Azure host of the Responses API, which counts a request's input tokens
    at ``/responses/input_tokens`` (Chat Completions has no counting endpoint)."""

    def count_body(self, body: Mapping[str, Any], model_id: str) -> dict[str, Any]:
        return _counting.responses_body(body)

    async def target(self, request: Request) -> Target:
        if request.operation != COUNT_TOKENS:
            return await BaseURLHost.target(self, request)
        auth = await BaseURLHost.target(self, replace(request, operation=""))
        return Target(self.url + "/input_tokens", auth.headers)


def chat_model(
    model_id: str,
    *,
    base_url: str,
    api_key: str | None = None,
    provider: str = "openai",
    send_reasoning: bool = True,
    headers: Mapping[str, str] | None = None,
    http_client: httpx2.AsyncClient | None = None,
    timeouts: Timeouts | None = None,
    extension: ChatExtension | None = None,
    native_json: bool | None = None,
) -> WireModel:
    """A model reached through ``POST {base_url}/chat/completions``: OpenAI, any
    OpenAI-compatible host, a gateway (``extension``, see
    :class:`~reverie.providers._openai.dialect.ChatExtension`), the local server.

    ``api_key`` is sent as a bearer token (omit it for servers that need none);
    ``native_json``: whether the host takes ``response_format`` json_schema (default: only
    OpenAI itself; see :class:`~reverie.providers._openai.wires.ChatWire`).
    """
    dialect = ChatDialect(provider, send_reasoning=send_reasoning, extension=extension)
    native = provider == "openai" if native_json is None else native_json
    host = BaseURLHost(provider, base_url, CHAT_PATH, api_key)
    return WireModel(
        model_id,
        wire=ChatWire(dialect, native),
        host=host,
        headers=headers,
        http_client=http_client,
        timeouts=timeouts,
    )
