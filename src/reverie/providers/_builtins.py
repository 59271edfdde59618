"""The built-in providers, registered exactly as a plugin would register its own.

Each factory imports its provider's module only when called, so importing this table
costs nothing but the table.
"""

from __future__ import annotations

import os
from typing import Any

from reverie.errors import ConfigurationError
from reverie.model import LanguageModel
from reverie.providers._registry import (
    _REGISTRY,  # pyright: ignore[reportPrivateUsage]
    ModelFactory,
    ProviderInfo,
    register_provider,
    resolve_key,
)


def _chat_factory(
    name: str,
    default_url: str | None,
    key_env: str | None,
    *,
    key_required: bool,
    send_reasoning: bool,
) -> ModelFactory:
    def factory(
        model_id: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        **options: Any,
    ) -> LanguageModel:
        from reverie.providers._openai.provider import chat_model

        url_env = f"{name.upper().replace('-', '_')}_BASE_URL"
        url = base_url or os.environ.get(url_env) or default_url
        if not url:
            raise ConfigurationError(
                f"provider {name!r} needs a base URL: set {url_env} or pass base_url=... "
                "(for example 'http://localhost:8000/v1')"
            )
        key = resolve_key(name, key_env, api_key, key_required)
        return chat_model(
            model_id,
            base_url=url,
            api_key=key,
            provider=name,
            send_reasoning=send_reasoning,
            **options,
        )

    return factory


# (name, base URL, key variable, key required, description)
_CHAT_HOSTS: tuple[tuple[str, str | None, str | None, bool, str], ...] = (
    ("cerebras", "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY", True, "Cerebras"),
    ("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", True, "Groq"),
    ("xai", "https://api.x.ai/v1", "XAI_API_KEY", True, "xAI Grok"),
    ("zai", "https://api.z.ai/api/paas/v4", "ZAI_API_KEY", True, "Z.ai GLM"),
    ("huggingface", "https://router.huggingface.co/v1", "HF_TOKEN", True, "Hugging Face router"),
    ("avian", "https://api.avian.io/v1", "AVIAN_API_KEY", True, "Avian"),
    ("deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", True, "DeepSeek"),
    ("together", "https://api.together.xyz/v1", "TOGETHER_API_KEY", True, "Together AI"),
    ("fireworks", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY", True, "Fireworks"),
    ("mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", True, "Mistral"),
    ("llamacpp", "http://localhost:8080/v1", "LLAMACPP_API_KEY", False, "llama.cpp server"),
    ("vllm", "http://localhost:8000/v1", "VLLM_API_KEY", False, "vLLM server"),
    ("ollama", "http://localhost:11434/v1", "OLLAMA_API_KEY", False, "Ollama"),
    ("lmstudio", "http://localhost:1234/v1", "LMSTUDIO_API_KEY", False, "LM Studio"),
    (
        "openai-compatible",
        None,
        "OPENAI_COMPATIBLE_API_KEY",
        False,
        "any OpenAI-compatible server (base_url=...)",
    ),
)

for _name, _url, _env, _required, _desc in _CHAT_HOSTS:
    register_provider(
        ProviderInfo(
            name=_name,
            factory=_chat_factory(_name, _url, _env, key_required=_required, send_reasoning=True),
            description=_desc,
            key_env=_env,
            base_url=_url,
            base_url_env=f"{_name.upper().replace('-', '_')}_BASE_URL",
        )
    )


# ---------------------------------------------------------------------------------------
# Google: the Gemini API and Vertex AI (one wire, reverie.providers._google)


def _google_factory(
    model_id: str, *, api_key: str | None = None, base_url: str | None = None, **options: Any
) -> LanguageModel:
    from reverie.providers._google.hosts import gemini_model

    key = api_key or os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY")
    if not key:
        raise ConfigurationError(
            "no API key for provider 'google': set GEMINI_API_KEY (or GOOGLE_API_KEY) or "
            "pass api_key=..."
        )
    url = base_url or os.environ.get("GEMINI_BASE_URL")
    return gemini_model(model_id, api_key=key, base_url=url, **options)


def _vertex_factory(
    model_id: str,
    *,
    project: str | None = None,
    location: str | None = None,
    base_url: str | None = None,
    **options: Any,
) -> LanguageModel:
    from reverie.providers._google.hosts import gemini_model, is_claude_model

    project = project or os.environ.get("GOOGLE_CLOUD_PROJECT")
    location = location or os.environ.get("GOOGLE_CLOUD_LOCATION") or "global"
    if is_claude_model(model_id):
        # Claude on Vertex speaks the Anthropic Messages wire. The Anthropic provider
        # registers it as "vertex-anthropic", a factory taking the model id and the same
        # options as here: project, location, base_url (the endpoint with its API version,
        # e.g. https://us-east5-aiplatform.googleapis.com/v1, or None for the default),
        # access_token / credentials / api_key, headers, http_client.
        claude = _REGISTRY.get("vertex-anthropic")
        if claude is None:
            raise ConfigurationError(
                f"{model_id!r} is a Claude model, which Vertex AI serves over the Anthropic "
                "wire; that needs the 'vertex-anthropic' provider, which is not available"
            )
        return claude.factory(
            model_id, project=project, location=location, base_url=base_url, **options
        )
    return gemini_model(
        model_id, vertex=True, project=project, location=location, base_url=base_url, **options
    )


register_provider(
    ProviderInfo(
        name="google",
        factory=_google_factory,
        description="Google Gemini API (key: GEMINI_API_KEY or GOOGLE_API_KEY)",
        key_env="GEMINI_API_KEY",
        base_url="https://generativelanguage.googleapis.com/v1beta",
        base_url_env="GEMINI_BASE_URL",
    )
)
register_provider(
    ProviderInfo(
        name="vertex",
        factory=_vertex_factory,
        description="Google Vertex AI (GOOGLE_CLOUD_PROJECT, GOOGLE_CLOUD_LOCATION; "
        "google-auth credentials)",
        base_url="https://<location>-aiplatform.googleapis.com/v1beta1",
    )
)


def _openai_factory(default_api: str | None) -> ModelFactory:
    def factory(model_id: str, *, api: str | None = None, **options: Any) -> LanguageModel:
        from reverie.providers._openai.provider import openai_model

        return openai_model(model_id, api=api or default_api, **options)

    return factory


def _azure_factory(default_api: str | None) -> ModelFactory:
    def factory(model_id: str, *, api: str | None = None, **options: Any) -> LanguageModel:
        from reverie.providers._openai.provider import azure_model

        return azure_model(model_id, api=api or default_api, **options)

    return factory


# OpenAI and Azure speak Chat Completions unless asked for the Responses API (api="responses",
# the "-responses" names, or REVERIE_OPENAI_API); see reverie.providers._openai.provider.
for _name, _api, _env, _url_env, _url, _desc in (
    (
        "openai",
        None,
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "https://api.openai.com/v1",
        "OpenAI (Chat Completions; api='responses' for the Responses API)",
    ),
    (
        "openai-responses",
        "responses",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "https://api.openai.com/v1",
        "OpenAI (Responses API)",
    ),
    (
        "azure",
        None,
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_ENDPOINT",
        None,
        "Azure OpenAI (endpoint or resource=...; api='responses' for the Responses API)",
    ),
    (
        "azure-responses",
        "responses",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_ENDPOINT",
        None,
        "Azure OpenAI (Responses API)",
    ),
):
    register_provider(
        ProviderInfo(
            name=_name,
            factory=(_azure_factory if _name.startswith("azure") else _openai_factory)(_api),
            description=_desc,
            key_env=_env,
            base_url=_url,
            base_url_env=_url_env,
        )
    )


def _gateway_factory(name: str, default_url: str, key_env: str) -> ModelFactory:
    def factory(
        model_id: str, *, api_key: str | None = None, base_url: str | None = None, **options: Any
    ) -> LanguageModel:
        from reverie.providers._gateways import gateway_model

        key = resolve_key(name, key_env, api_key, True)
        url = base_url or os.environ.get(f"{name.upper()}_BASE_URL") or default_url
        return gateway_model(name, model_id, api_key=key, base_url=url, **options)

    return factory


# (name, default base URL, key variable, description): gateways, each a chat host with its
# own extension of the wire (reverie.providers._gateways.GATEWAYS).
_GATEWAYS = (
    ("openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "OpenRouter"),
    ("vercel", "https://ai-gateway.vercel.sh/v1", "AI_GATEWAY_API_KEY", "Vercel AI Gateway"),
)

for _name, _url, _env, _desc in _GATEWAYS:
    register_provider(
        ProviderInfo(
            name=_name,
            factory=_gateway_factory(_name, _url, _env),
            description=_desc,
            key_env=_env,
            base_url=_url,
            base_url_env=f"{_name.upper()}_BASE_URL",
        )
    )


# ---------------------------------------------------------------------------------------
# The Anthropic Messages wire: the Anthropic API, Claude on AWS Bedrock, Claude on Vertex AI


def _messages_model(model_id: str, host: Any, **options: Any) -> LanguageModel:
    """Claude on ``host`` (one of :mod:`reverie.providers._anthropic.hosts`)."""
    from reverie.providers._anthropic.wire import MessagesWire
    from reverie.providers._model import WireModel

    return WireModel(model_id, wire=MessagesWire(host.dialect), host=host, **options)


def _anthropic_factory(
    model_id: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    **options: Any,
) -> LanguageModel:
    from reverie.providers._anthropic.hosts import AnthropicAPI

    url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or "https://api.anthropic.com"
    key = resolve_key("anthropic", "ANTHROPIC_API_KEY", api_key, True)
    return _messages_model(model_id, AnthropicAPI(url, key), **options)


def _bedrock_factory(
    model_id: str,
    *,
    api: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    region: str | None = None,
    **options: Any,
) -> LanguageModel:
    """Claude models (ids naming ``anthropic.`` or ``claude``) speak Anthropic's invoke body,
    every other model Converse; ``api="converse"`` or ``"invoke"`` chooses explicitly."""
    from reverie.providers._bedrock.converse import is_claude

    if api not in (None, "converse", "invoke"):
        raise ConfigurationError(f"bedrock api must be 'converse' or 'invoke', not {api!r}")
    converse = api == "converse" or (api is None and not is_claude(model_id))
    return _bedrock_model(model_id, "bedrock", converse, api_key, base_url, region, options)


def _bedrock_converse_factory(
    model_id: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    region: str | None = None,
    **options: Any,
) -> LanguageModel:
    """Converse for every model id, Claude included."""
    return _bedrock_model(model_id, "bedrock-converse", True, api_key, base_url, region, options)


def _bedrock_model(
    model_id: str,
    name: str,
    converse: bool,
    api_key: str | None,
    base_url: str | None,
    region: str | None,
    options: dict[str, Any],
) -> LanguageModel:
    """A Bedrock model on the Converse wire or Anthropic's invoke body. Auth: a bearer API
    key (``AWS_BEARER_TOKEN_BEDROCK``) when there is one, else SigV4 with the AWS
    credential chain (needs botocore: ``pip install 'reverie[bedrock]'``)."""
    from reverie.providers._bedrock.host import bedrock_host

    host = bedrock_host(name, api_key, base_url, region, converse=converse)
    if not converse:
        return _messages_model(model_id, host, **options)
    from reverie.providers._bedrock.wire import ConverseWire
    from reverie.providers._model import WireModel

    return WireModel(model_id, wire=ConverseWire(name), host=host, **options)


def _vertex_anthropic_factory(
    model_id: str,
    *,
    project: str | None = None,
    location: str | None = None,
    base_url: str | None = None,
    access_token: Any = None,
    credentials: Any = None,
    api_key: str | None = None,
    **options: Any,
) -> LanguageModel:
    """Claude on Vertex AI (the 'vertex' provider routes Claude models here). Auth:
    ``access_token`` (``api_key`` is taken as one), ``credentials``, else
    application-default credentials (needs ``pip install 'reverie[vertex]'``)."""
    from reverie.providers._anthropic.hosts import Vertex

    if access_token is None and credentials is None:
        access_token = api_key or os.environ.get("VERTEX_ACCESS_TOKEN") or None
    host = Vertex(
        project=project or os.environ.get("GOOGLE_CLOUD_PROJECT", ""),
        location=location or os.environ.get("GOOGLE_CLOUD_LOCATION") or "us-east5",
        base_url=base_url or os.environ.get("VERTEX_ANTHROPIC_BASE_URL"),
        access_token=access_token,
        credentials=credentials,
    )
    return _messages_model(model_id, host, **options)


register_provider(
    ProviderInfo(
        name="anthropic",
        factory=_anthropic_factory,
        description="Anthropic (Messages API)",
        key_env="ANTHROPIC_API_KEY",
        base_url="https://api.anthropic.com",
        base_url_env="ANTHROPIC_BASE_URL",
    )
)
register_provider(
    ProviderInfo(
        name="bedrock",
        factory=_bedrock_factory,
        description="AWS Bedrock: Claude via its invoke body, other models via Converse "
        "(API key, or AWS credentials with botocore)",
        key_env="AWS_BEARER_TOKEN_BEDROCK",
        base_url="https://bedrock-runtime.{region}.amazonaws.com",
        base_url_env="BEDROCK_BASE_URL",
    )
)
register_provider(
    ProviderInfo(
        name="bedrock-converse",
        factory=_bedrock_converse_factory,
        description="AWS Bedrock Converse API for every model, Claude included",
        key_env="AWS_BEARER_TOKEN_BEDROCK",
        base_url="https://bedrock-runtime.{region}.amazonaws.com",
        base_url_env="BEDROCK_BASE_URL",
    )
)
register_provider(
    ProviderInfo(
        name="vertex-anthropic",
        factory=_vertex_anthropic_factory,
        description="Claude on Google Vertex AI (project=..., location=...)",
        key_env="VERTEX_ACCESS_TOKEN",
        base_url="https://{location}-aiplatform.googleapis.com/v1",
        base_url_env="VERTEX_ANTHROPIC_BASE_URL",
    )
)


def _local_factory(model_id: str, **options: Any) -> LanguageModel:
    from reverie.providers._local.model import create

    return create(model_id, **options)


register_provider(
    ProviderInfo(
        name="local",
        factory=_local_factory,
        description="a GGUF model run in-process by llama.cpp (local:smollm2 is built in)",
    )
)

# Embedding models and token counting join the entries above; it must come after them.
from reverie.providers import _builtin_capabilities  # noqa: E402, F401  # pyright: ignore[reportUnusedImport]
