"""The built-in providers' embedding models and token counting, added to their registry
entries (what ``reverie models`` shows; :mod:`reverie.tokens` asks the model itself).

Each factory takes the model id and the options a chat model of that provider takes (key,
base URL, ``headers``, ``http_client``, ``timeouts``, and the provider's own: Azure's
``resource``/``token``, Vertex's ``project``/``location``/``access_token``/``credentials``,
Bedrock's ``region``) and builds an
:class:`~reverie.providers._embedding.HttpEmbeddingModel` from the provider's wire and host.
Modules load only when a factory is called.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from reverie.errors import ConfigurationError
from reverie.providers._registry import (
    _REGISTRY,  # pyright: ignore[reportPrivateUsage]
    EmbeddingFactory,
    resolve_key,
)

if TYPE_CHECKING:
    from reverie._embedding_model import EmbeddingModel

_OPENAI_URL = "https://api.openai.com/v1"


def _compatible(
    name: str, base_url: str | None, key: str | None, options: dict[str, Any]
) -> EmbeddingModel:
    from reverie.providers._embedding import HttpEmbeddingModel, url_target
    from reverie.providers._openai.embeddings import MAX_INPUTS, OpenAIEmbeddingWire

    if not base_url:
        raise ConfigurationError(
            f"provider {name!r} needs a base URL for embeddings: pass base_url=..."
        )
    model_id: str = options.pop("model_id")
    batch = int(options.pop("max_batch_size", MAX_INPUTS))
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    return HttpEmbeddingModel(
        model_id,
        provider=name,
        wire=OpenAIEmbeddingWire(model_id, name, batch),
        target=url_target(base_url, auth),
        **options,
    )


def _host_factory(name: str) -> EmbeddingFactory:
    """An OpenAI-compatible host registered for chat: same base URL, key and variables."""

    def factory(
        model_id: str, *, api_key: str | None = None, base_url: str | None = None, **options: Any
    ) -> EmbeddingModel:
        info = _REGISTRY[name]
        env_url = os.environ.get(info.base_url_env) if info.base_url_env else None
        url = base_url or env_url or info.base_url
        required = name not in _KEYLESS
        key = resolve_key(name, info.key_env, api_key, required)
        return _compatible(name, url, key, {"model_id": model_id, **options})

    return factory


_KEYLESS = frozenset({"llamacpp", "vllm", "ollama", "lmstudio", "openai-compatible"})


def _openai(
    model_id: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    organization: str | None = None,
    project: str | None = None,
    **options: Any,
) -> EmbeddingModel:
    key = resolve_key("openai", "OPENAI_API_KEY", api_key, True)
    url = base_url or os.environ.get("OPENAI_BASE_URL") or _OPENAI_URL
    headers = dict(options.pop("headers", None) or {})
    if organization:
        headers["OpenAI-Organization"] = organization
    if project:
        headers["OpenAI-Project"] = project
    return _compatible("openai", url, key, {"model_id": model_id, "headers": headers, **options})


def _azure(
    model_id: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    resource: str | None = None,
    token: str | None = None,
    **options: Any,
) -> EmbeddingModel:
    """An Azure OpenAI embedding deployment (``model_id`` is the deployment name)."""
    from reverie.providers._embedding import HttpEmbeddingModel, url_target
    from reverie.providers._openai.embeddings import OpenAIEmbeddingWire
    from reverie.providers._openai.provider import azure_base_url

    endpoint = (
        base_url
        or resource
        or os.environ.get("AZURE_OPENAI_ENDPOINT")
        or os.environ.get("AZURE_OPENAI_RESOURCE_NAME")
    )
    if not endpoint:
        raise ConfigurationError(
            "provider 'azure' needs an endpoint: pass base_url=... or resource=..., or set "
            "AZURE_OPENAI_ENDPOINT"
        )
    if token:
        auth = {"Authorization": f"Bearer {token}"}
    else:
        auth = {"api-key": resolve_key("azure", "AZURE_OPENAI_API_KEY", api_key, True) or ""}
    return HttpEmbeddingModel(
        model_id,
        provider="azure",
        wire=OpenAIEmbeddingWire(model_id, "azure"),
        target=url_target(azure_base_url(endpoint), auth),
        **options,
    )


def _google(
    model_id: str, *, api_key: str | None = None, base_url: str | None = None, **options: Any
) -> EmbeddingModel:
    from reverie.providers._embedding import HttpEmbeddingModel, url_target
    from reverie.providers._google.auth import api_key_headers
    from reverie.providers._google.embeddings import GeminiEmbeddingWire
    from reverie.providers._google.model import GEMINI_BASE_URL

    key = api_key or os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY")
    if not key:
        raise ConfigurationError(
            "no API key for provider 'google': set GEMINI_API_KEY (or GOOGLE_API_KEY) or "
            "pass api_key=..."
        )
    wire = GeminiEmbeddingWire(model_id)
    base = (base_url or os.environ.get("GEMINI_BASE_URL") or GEMINI_BASE_URL).rstrip("/")
    target = url_target(f"{base}/models/{wire.model_id}", api_key_headers(key))
    return HttpEmbeddingModel(wire.model_id, provider="google", wire=wire, target=target, **options)


def _vertex(
    model_id: str,
    *,
    project: str | None = None,
    location: str | None = None,
    base_url: str | None = None,
    access_token: Any = None,
    credentials: Any = None,
    api_key: str | None = None,
    **options: Any,
) -> EmbeddingModel:
    """Auth as for Vertex chat models: ``access_token``, ``credentials``, else
    application-default credentials (``pip install 'reverie[vertex]'``)."""
    from reverie.providers._embedding import Headers, HttpEmbeddingModel
    from reverie.providers._google.auth import VertexAuth
    from reverie.providers._google.embeddings import VertexEmbeddingWire
    from reverie.providers._google.model import vertex_base_url

    project = project or os.environ.get("GOOGLE_CLOUD_PROJECT")
    location = location or os.environ.get("GOOGLE_CLOUD_LOCATION") or "us-central1"
    if not project:
        raise ConfigurationError(
            "Vertex AI needs a project: pass project=... or set GOOGLE_CLOUD_PROJECT"
        )
    if access_token is None and credentials is None:
        access_token = api_key or os.environ.get("VERTEX_ACCESS_TOKEN") or None
    auth = VertexAuth(access_token=access_token, credentials=credentials)
    base = (base_url or vertex_base_url(location)).rstrip("/")
    url = f"{base}/projects/{project}/locations/{location}/publishers/google/models/{model_id}"

    async def target(operation: str, body: bytes, headers: Headers) -> tuple[str, Headers]:
        return url + operation, {**headers, **(await auth.headers())}

    wire = VertexEmbeddingWire(model_id)
    return HttpEmbeddingModel(model_id, provider="vertex", wire=wire, target=target, **options)


def _bedrock(
    model_id: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    region: str | None = None,
    **options: Any,
) -> EmbeddingModel:
    """Titan and Cohere embed models; auth as for Bedrock chat models."""
    from reverie.providers._bedrock.embeddings import bedrock_embedding_wire
    from reverie.providers._bedrock.host import bedrock_host
    from reverie.providers._embedding import Headers, HttpEmbeddingModel

    wire = bedrock_embedding_wire(model_id)
    host = bedrock_host("bedrock", api_key, base_url, region)

    async def target(operation: str, body: bytes, headers: Headers) -> tuple[str, Headers]:
        url = host.endpoint(model_id, operation)
        added = await host.auth_headers(url, body, headers, ())
        replaced = {k.lower() for k in added}
        return url, {k: v for k, v in headers.items() if k.lower() not in replaced} | added

    return HttpEmbeddingModel(model_id, provider="bedrock", wire=wire, target=target, **options)


def _local(model_id: str, **options: Any) -> EmbeddingModel:
    from reverie.providers._local.embeddings import create

    return create(model_id, **options)


_FACTORIES: dict[str, EmbeddingFactory] = {
    "openai": _openai,
    "azure": _azure,
    "google": _google,
    "vertex": _vertex,
    "bedrock": _bedrock,
    "local": _local,
}
_COMPATIBLE = (
    "openai-compatible",
    "llamacpp",
    "vllm",
    "ollama",
    "lmstudio",
    "mistral",
    "together",
    "fireworks",
    "openrouter",
    "vercel",
)

# The endpoint each provider counts tokens with (reverie.tokens); others estimate.
_COUNTING = {
    "anthropic": "/v1/messages/count_tokens",
    "vertex-anthropic": "count-tokens:rawPredict",
    "bedrock": "CountTokens (Claude and some Converse models)",
    "bedrock-converse": "CountTokens (the models Bedrock counts for)",
    "google": "countTokens",
    "vertex": "countTokens",
    "openai-responses": "/responses/input_tokens",
}

for _name, _endpoint in _COUNTING.items():
    if _name in _REGISTRY:
        _REGISTRY[_name] = replace(_REGISTRY[_name], token_counting=_endpoint)
for _name, _factory in _FACTORIES.items():
    if _name in _REGISTRY:
        _REGISTRY[_name] = replace(_REGISTRY[_name], embedding_factory=_factory)
for _name in _COMPATIBLE:
    if _name in _REGISTRY:
        _REGISTRY[_name] = replace(_REGISTRY[_name], embedding_factory=_host_factory(_name))
