"""Providers by name: ``get_model("cerebras:qwen-3-coder-480b")``.

Built-in providers register here exactly as a plugin would, with :func:`register_provider`;
a provider's module is imported only when one of its models is first asked for, so
``import reverie`` stays light.

A factory takes the model id and keyword options (``api_key``, ``base_url``, ``headers``,
``http_client`` and provider-specific ones) and returns a
:class:`~reverie.model.LanguageModel`. Keys come from the environment variable the
provider names when not passed.

:class:`ConstrainedToolModel` gives tool calls to a model that has none (a small local
model), through schema-constrained JSON; it loads on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Imported for its effect: the built-in table registers every built-in provider.
from reverie.providers import _builtins  # noqa: F401  # pyright: ignore[reportUnusedImport]
from reverie.providers._registry import (
    EmbeddingFactory,
    ModelFactory,
    ProviderInfo,
    get_embedding_model,
    get_model,
    providers,
    register_provider,
    resolve_key,
)

if TYPE_CHECKING:
    from reverie.providers._local.constrained import ConstrainedToolModel

__all__ = [
    "ConstrainedToolModel",
    "EmbeddingFactory",
    "ModelFactory",
    "ProviderInfo",
    "get_embedding_model",
    "get_model",
    "providers",
    "register_provider",
    "resolve_key",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use, so that `import reverie` loads no provider code.
    if name == "ConstrainedToolModel":
        return importlib.import_module("reverie.providers._local.constrained").ConstrainedToolModel
    raise AttributeError(f"module 'reverie.providers' has no attribute {name!r}")
