"""Providers by name: ``get_model("cerebras:qwen-3-coder-480b")``.

Built-in providers register here exactly as a plugin would, with :func:`register_provider`;
a provider's module is imported only when one of its models is first asked for, so
``import reverie`` stays light.

A factory takes the model id and keyword options (``api_key``, ``base_url``, ``headers``,
``http_client``, ``timeouts`` and provider-specific ones) and returns a
:class:`~reverie.model.LanguageModel`. Keys come from the environment variable the
provider names when not passed.

:class:`ConstrainedToolModel` gives tool calls to a model that has none (a small local
model), through schema-constrained JSON; it loads on first use.

How the built-ins are made (private modules; the shape to follow when adding one)
----------------------------------------------------------------------------------

Every built-in chat model is one class, ``_model.WireModel``, holding a *wire* and a
*host*; it and the embedding model (both ``_model.HostedModel``) alone do I/O (``_http``).

- A **wire** (``_wire.Wire``) is pure: ``encode(call, model_id, stream=) -> Encoded``,
  ``decode(json) -> Response``, ``stream_decoder()`` (JSON events → stream events), and
  optionally ``refine_error`` and ``object_request`` (native structured output). Wires:
  ``_openai.wires`` (Chat Completions, Responses), ``_anthropic.wire`` (Messages),
  ``_google.wire`` (generateContent), ``_bedrock.wire`` (Converse). Errors a stream reports
  are typed by ``_errors.error_from_event``; no wire imports ``_http``
  (``tests/test_layers.py``).
- A **host** (``_host.Host``) says where a request goes and authorises it:
  ``target(Request) -> Target`` (URL and headers; may refresh a token or sign the body), its
  ``name``, and quirks: ``framing()`` (how a stream is cut into JSON events: SSE by default,
  AWS event-stream for Bedrock, ``_eventstream``), ``accept``, ``option_aliases``, and
  ``count_body()`` when it has a token counting endpoint (the ``COUNT_TOKENS`` operation;
  bodies in ``_counting``; without one, ``reverie.tokens`` estimates).
  ``_host.BaseURLHost`` is every OpenAI-compatible server; ``_anthropic.hosts`` (Anthropic
  API, Bedrock, Vertex), ``_bedrock.host`` (Converse), ``_google.hosts`` (Gemini API,
  Vertex), ``_local.model.LocalHost``.

To add an OpenAI-compatible host, add a row to ``_builtins._CHAT_HOSTS`` (name, base URL,
key variable). A gateway that extends the chat wire is a ``_gateways._common
.GatewayExtension`` subclass and a row in ``_builtins._GATEWAYS``. To add a wire, write one
pure module implementing ``Wire`` (tested from JSON, as ``tests/providers/test_*_encode.py``
and ``*_stream.py`` do), give it a host (a new one, or an existing one with the right
``target`` and ``framing``, as ``_bedrock.host.ConverseHost`` is the Bedrock host with
Converse's operations and framing), and register a factory that returns
``WireModel(model_id, wire=..., host=..., **options)``. Another kind of model keeps the
split: embeddings are ``_embedding.HttpEmbeddingModel``, a pure codec for their own request
and answer over the chat models' hosts (the ``Request.operation`` names the API method),
sent through ``HostedModel.post``.

Without ``http_client``, a provider uses reverie's default HTTP client (one per event loop,
over aiohttp): :func:`configure_default_client` sets its limits, timeouts and TLS
verification; :func:`new_http_client` makes one of your own the same way.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Literal

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
    import ssl

    import httpx2

    from reverie.providers._local.constrained import ConstrainedToolModel

__all__ = [
    "ConstrainedToolModel",
    "EmbeddingFactory",
    "ModelFactory",
    "ProviderInfo",
    "configure_default_client",
    "get_embedding_model",
    "get_model",
    "new_http_client",
    "providers",
    "register_provider",
    "resolve_key",
]


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


def __getattr__(name: str) -> Any:
    # Loaded on first use, so that `import reverie` loads no provider code.
    if name == "ConstrainedToolModel":
        return importlib.import_module("reverie.providers._local.constrained").ConstrainedToolModel
    raise AttributeError(f"module 'reverie.providers' has no attribute {name!r}")
