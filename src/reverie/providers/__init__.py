"""Providers by name: ``get_model("cerebras:qwen-3-coder-480b")``.

Built-in providers register here exactly as a plugin would, with :func:`register_provider`;
a provider's module is imported only when one of its models is first asked for, so
``import reverie`` stays light.

A factory takes the model id and keyword options (``api_key``, ``base_url``, ``headers``,
``http_client`` and provider-specific ones) and returns a
:class:`~reverie.model.LanguageModel`. Keys come from the environment variable the
provider names when not passed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reverie.errors import ConfigurationError
from reverie.model import LanguageModel

ModelFactory = Callable[..., LanguageModel]


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """What ``reverie models`` shows, and how :func:`get_model` builds a model."""

    name: str
    factory: ModelFactory
    description: str
    key_env: str | None = None
    base_url: str | None = None
    base_url_env: str | None = None


_REGISTRY: dict[str, ProviderInfo] = {}


def register_provider(info: ProviderInfo) -> None:
    """Add (or replace) a provider under ``info.name``."""
    _REGISTRY[info.name] = info


def providers() -> list[ProviderInfo]:
    """Every registered provider, by name."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_model(name: str, **options: Any) -> LanguageModel:
    """The model ``"provider:model-id"``, configured by ``options`` and the environment.

    Raises :class:`~reverie.errors.ConfigurationError` for an unknown provider or a missing
    key, naming what to set.
    """
    provider, sep, model_id = name.partition(":")
    if not sep or not provider or not model_id:
        raise ConfigurationError(
            f"model name {name!r} must look like 'provider:model-id', e.g. 'openai:gpt-4o'"
        )
    info = _REGISTRY.get(provider)
    if info is None:
        known = ", ".join(sorted(_REGISTRY))
        raise ConfigurationError(
            f"unknown provider {provider!r}; known providers: {known}. For any other "
            "OpenAI-compatible server use 'openai-compatible:<model>' with base_url=..."
        )
    return info.factory(model_id, **options)


def resolve_key(
    info_name: str, key_env: str | None, api_key: str | None, required: bool
) -> str | None:
    """The explicit key, else the environment's, else an error when the host needs one."""
    if api_key:
        return api_key
    if key_env and (value := os.environ.get(key_env)):
        return value
    if required:
        raise ConfigurationError(
            f"no API key for provider {info_name!r}: set {key_env} or pass api_key=..."
        )
    return None


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
        from reverie.providers.openai.model import OpenAIChatModel

        env_url = os.environ.get(f"{name.upper().replace('-', '_')}_BASE_URL")
        url = base_url or env_url or default_url
        if not url:
            raise ConfigurationError(
                f"provider {name!r} needs a base URL: pass base_url=... (for example "
                "'http://localhost:8000/v1')"
            )
        key = resolve_key(name, key_env, api_key, key_required)
        return OpenAIChatModel(
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
    ("openai", "https://api.openai.com/v1", "OPENAI_API_KEY", True, "OpenAI (Chat Completions)"),
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
            factory=_chat_factory(
                _name, _url, _env, key_required=_required, send_reasoning=_name != "openai"
            ),
            description=_desc,
            key_env=_env,
            base_url=_url,
            base_url_env=f"{_name.upper().replace('-', '_')}_BASE_URL",
        )
    )


def _local_factory(model_id: str, **options: Any) -> LanguageModel:
    from reverie.providers.local.model import create

    return create(model_id, **options)


register_provider(
    ProviderInfo(
        name="local",
        factory=_local_factory,
        description="a GGUF model run in-process by llama.cpp (local:smollm2 is built in)",
    )
)
