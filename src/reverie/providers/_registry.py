"""The provider registry: names to factories, and the key lookup the factories share.

Below both :mod:`reverie.providers` (which re-exports it) and the built-in table
(:mod:`reverie.providers._builtins`, which fills it), so neither imports the other.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reverie.errors import ConfigurationError
from reverie.model import LanguageModel

if TYPE_CHECKING:
    from reverie._embedding_model import EmbeddingModel

ModelFactory = Callable[..., LanguageModel]
EmbeddingFactory = Callable[..., "EmbeddingModel"]


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """What ``reverie models`` shows, and how :func:`get_model` builds a model
    (:func:`get_embedding_model` an embedding model, when ``embedding_factory`` is set)."""

    name: str
    factory: ModelFactory
    description: str
    key_env: str | None = None
    base_url: str | None = None
    base_url_env: str | None = None
    embedding_factory: EmbeddingFactory | None = None
    token_counting: str | None = None
    """The provider's token counting endpoint, when it has one (else counts are estimates)."""


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
    info, model_id = _lookup(name)
    return info.factory(model_id, **options)


def get_embedding_model(name: str, **options: Any) -> EmbeddingModel:
    """The embedding model ``"provider:model-id"`` (see :mod:`reverie.embeddings`)."""
    info, model_id = _lookup(name)
    if info.embedding_factory is None:
        able = ", ".join(p.name for p in providers() if p.embedding_factory is not None)
        raise ConfigurationError(
            f"provider {info.name!r} has no embedding models; these do: {able}"
        )
    return info.embedding_factory(model_id, **options)


def _lookup(name: str) -> tuple[ProviderInfo, str]:
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
    return info, model_id


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
