"""Providers by name: ``get_model("cerebras:qwen-3-coder-480b")``.

Built-in providers register here exactly as a plugin would, with :func:`register_provider`;
a provider's module is imported only when one of its models is first asked for, so
``import reverie`` stays light.

A factory takes the model id and keyword options (``api_key``, ``base_url``, ``headers``,
``http_client`` and provider-specific ones) and returns a
:class:`~reverie.model.LanguageModel`. Keys come from the environment variable the
provider names when not passed.

Without ``http_client``, a provider uses reverie's default HTTP client (one per event loop,
over aiohttp): :func:`configure_default_client` sets its limits, timeouts and TLS
verification; :func:`new_http_client` makes one of your own the same way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from reverie.errors import ConfigurationError
from reverie.model import LanguageModel

if TYPE_CHECKING:
    import ssl

    import httpx2

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


def configure_default_client(
    *,
    limits: httpx2.Limits | None = None,
    timeout: httpx2.Timeout | float | None = None,
    verify: ssl.SSLContext | bool = True,
    trust_env: bool = True,
    transport: Literal["auto", "aiohttp", "httpx2"] = "auto",
) -> None:
    """Set how reverie's default HTTP client is made: the one every provider uses when not
    given ``http_client=`` (one per event loop). Arguments as for :func:`new_http_client`;
    they apply from the next request on, and calling with none restores the defaults.

    ``configure_default_client(verify=ssl.create_default_context(cafile="corp-ca.pem"))``
    """
    from reverie.providers import _client

    _client.configure_default_client(
        limits=limits, timeout=timeout, verify=verify, trust_env=trust_env, transport=transport
    )


def new_http_client(
    *,
    limits: httpx2.Limits | None = None,
    timeout: httpx2.Timeout | float | None = None,
    verify: ssl.SSLContext | bool = True,
    trust_env: bool = True,
    transport: Literal["auto", "aiohttp", "httpx2"] = "auto",
) -> httpx2.AsyncClient:
    """A new ``httpx2.AsyncClient`` made as reverie's default is (you own it: close it), to
    pass as ``http_client=`` or to wrap.

    ``limits``: connections (default 1000 in total, idle ones kept 5 s). ``timeout``: the
    client's backstop (default 1800 s, connect 10 s; a model's ``Timeouts`` apply on top);
    ``httpx2.Timeout(None)`` for none. ``verify``: ``True`` (system CAs, or
    ``SSL_CERT_FILE``/``SSL_CERT_DIR``), an ``ssl.SSLContext``, or ``False`` (tests only).
    ``trust_env``: proxies (``HTTP(S)_PROXY``, ``ALL_PROXY``, ``NO_PROXY``) and CA variables
    from the environment. ``transport``: ``"aiohttp"``, ``"httpx2"`` (httpx2's own), or
    ``"auto"``: aiohttp when it can be imported.
    """
    from reverie.providers import _client

    return _client.new_http_client(
        limits=limits, timeout=timeout, verify=verify, trust_env=trust_env, transport=transport
    )


# The built-in table registers itself on import; it must come after the names it uses.
from reverie.providers import _builtins  # noqa: E402, F401  # pyright: ignore[reportUnusedImport]
