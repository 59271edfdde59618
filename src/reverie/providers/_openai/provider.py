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
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

import httpx2

from reverie.errors import ConfigurationError, InvalidRequestError
from reverie.events import StreamEvent
from reverie.model import Call, LanguageModel, Response, TokenCounter
from reverie.providers._openai.chat import is_reasoning_model
from reverie.timeouts import Timeouts

if TYPE_CHECKING:
    from reverie.model import TokenCount

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
) -> LanguageModel:
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
) -> LanguageModel:
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
    inner = _build(
        choose_api(model_id, api), model_id, url, token, "azure", extra, http_client, timeouts
    )
    return OptionAliasModel(inner, alias="openai")


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
) -> LanguageModel:
    if api == "responses":
        from reverie.providers._openai.responses_model import OpenAIResponsesModel

        return OpenAIResponsesModel(
            model_id,
            base_url=base_url,
            api_key=api_key,
            provider=provider,
            headers=headers,
            http_client=http_client,
            timeouts=timeouts,
        )
    from reverie.providers._openai.model import OpenAIChatModel

    # OpenAI's own chat models return no reasoning text, so none is echoed back.
    return OpenAIChatModel(
        model_id,
        base_url=base_url,
        api_key=api_key,
        provider=provider,
        send_reasoning=False,
        headers=headers,
        http_client=http_client,
        timeouts=timeouts,
        native_json=True,  # OpenAI and Azure both take response_format json_schema
    )


class OptionAliasModel:
    """A model that also reads the provider options given under ``alias``.

    ``call.provider_options[alias]`` is merged under the model's own name (its own entries
    win), so Azure honours options written for OpenAI. Everything else passes through.
    """

    def __init__(self, inner: LanguageModel, *, alias: str) -> None:
        self.inner = inner
        self.alias = alias

    @property
    def provider(self) -> str:
        return self.inner.provider

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def url(self) -> str:
        """The endpoint requests go to."""
        return str(getattr(self.inner, "url", ""))

    def __repr__(self) -> str:
        return f"{self.inner!r} (also reading {self.alias!r} options)"

    def _merged(self, call: Call) -> Call:
        aliased = call.provider_options.get(self.alias)
        if not aliased:
            return call
        own: Mapping[str, Any] = call.provider_options.get(self.provider, {})
        options = {**call.provider_options, self.provider: {**aliased, **own}}
        return replace(call, provider_options=options)

    def object_request(
        self, call: Call, schema: Mapping[str, Any], name: str, description: str
    ) -> Call | None:
        """The inner model's structured-output hook, if it has one (see reverie.output)."""
        hook = getattr(self.inner, "object_request", None)
        if hook is None:
            return None
        result: Call | None = hook(self._merged(call), schema, name, description)
        return result

    async def count_tokens(self, call: Call) -> TokenCount:
        """The inner model's count (the Responses API has an endpoint); for Chat Completions,
        which has none, InvalidRequestError, on which :func:`reverie.tokens.count_tokens`
        estimates."""
        if not isinstance(self.inner, TokenCounter):
            raise InvalidRequestError(
                f"{self.provider}: Chat Completions has no token counting endpoint",
                provider=self.provider,
            )
        return await self.inner.count_tokens(self._merged(call))

    async def generate(self, call: Call) -> Response:
        return await self.inner.generate(self._merged(call))

    async def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        events = self.inner.stream(self._merged(call))
        try:
            async for event in events:
                yield event
        finally:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()
