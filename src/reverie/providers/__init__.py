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

Every built-in model is one class, ``_model.WireModel``, holding a *wire* and a *host*;
it alone does I/O (``_http``).

- A **wire** (``_wire.Wire``) is pure: ``encode(call, model_id, stream=) -> Encoded``,
  ``decode(json) -> Response``, ``stream_decoder()`` (JSON events → stream events), and
  optionally ``refine_error`` and ``object_request`` (native structured output). Wires:
  ``_openai.wires`` (Chat Completions, Responses), ``_anthropic.wire`` (Messages),
  ``_google.wire`` (generateContent). Errors a stream reports are typed by
  ``_errors.error_from_event``; no wire imports ``_http`` (``tests/test_layers.py``).
- A **host** (``_host.Host``) says where a request goes and authorises it:
  ``target(Request) -> Target`` (URL and headers; may refresh a token or sign the body), its
  ``name``, and quirks: ``framing()`` (how a stream is cut into JSON events: SSE by default,
  AWS event-stream for Bedrock, ``_eventstream``), ``accept``, ``option_aliases``.
  ``_host.BaseURLHost`` is every OpenAI-compatible server; ``_anthropic.hosts`` (Anthropic
  API, Bedrock, Vertex), ``_google.hosts`` (Gemini API, Vertex), ``_local.model.LocalHost``.

To add an OpenAI-compatible host, add a row to ``_builtins._CHAT_HOSTS`` (name, base URL,
key variable). A gateway that extends the chat wire is a ``_gateways._common
.GatewayExtension`` subclass and a row in ``_builtins._GATEWAYS``. To add a wire (Bedrock
Converse, say), write one pure module implementing ``Wire`` (tested from JSON, as
``tests/providers/test_*_encode.py`` and ``*_stream.py`` do), give it a host (a new one, or
an existing one with the right ``target`` and ``framing``: Converse streams are AWS
event-stream frames whose ``:event-type`` header names the event, so its framing reads
``_eventstream.EventStreamDecoder`` frames itself), and register a factory that returns
``WireModel(model_id, wire=..., host=..., **options)``. Another kind of model (embeddings)
keeps the split: a pure codec for its own request and answer, the same hosts, the URL and
headers from ``_host.address``, and the sending through ``_http.post_json``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Imported for its effect: the built-in table registers every built-in provider.
from reverie.providers import _builtins  # noqa: F401  # pyright: ignore[reportUnusedImport]
from reverie.providers._registry import (
    ModelFactory,
    ProviderInfo,
    get_model,
    providers,
    register_provider,
    resolve_key,
)

if TYPE_CHECKING:
    from reverie.providers._local.constrained import ConstrainedToolModel

__all__ = [
    "ConstrainedToolModel",
    "ModelFactory",
    "ProviderInfo",
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
