"""The ``local`` provider: a GGUF model run by llama.cpp inside this process.

``get_model("local:smollm2")`` (the built-in 135M model) or ``get_model("local:/path/to.gguf")``.
Nothing starts until the first call: then :class:`LocalHost` starts llama.cpp's server on
127.0.0.1 (:mod:`reverie.providers._local.server`) and every request goes through the
Chat Completions wire over real HTTP: the same path as any hosted model.

``tools`` chooses how tool calls work: ``"constrained"`` (schema-constrained JSON, see
:mod:`reverie.providers._local.constrained`; the default for models known to lack native
tool calls, such as SmolLM2) or ``"native"`` (the model's own format via llama.cpp's chat
templates; the default for other files).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import httpx2

from reverie.errors import ConfigurationError
from reverie.model import LanguageModel
from reverie.providers._host import Host, Request, Target
from reverie.providers._local.constrained import ConstrainedToolModel
from reverie.providers._local.files import KNOWN_MODELS, require_engine, require_model
from reverie.providers._local.server import (
    DEFAULT_CONTEXT,
    LocalServer,
    ServerSettings,
    shared_server,
)
from reverie.providers._model import WireModel
from reverie.providers._openai.dialect import ChatDialect
from reverie.providers._openai.wires import CHAT_PATH, ChatWire
from reverie.timeouts import Timeouts

ToolMode = Literal["constrained", "native"]


class LocalHost(Host):
    """llama.cpp's server for ``settings``, started (in a worker thread, it loads the
    model) by the first request and shared by every model of the process with the same
    settings. Requests carry the server's own token."""

    name = "local"

    def __init__(self, settings: ServerSettings, *, label: str) -> None:
        self.settings = settings
        self.label = label

    async def server(self) -> LocalServer:
        """The running server, started now if needed."""
        return await asyncio.to_thread(shared_server, self.settings)

    async def target(self, request: Request) -> Target:
        server = await self.server()
        # Another operation is a path, as on any OpenAI-compatible host (``embeddings``).
        path = f"/{request.operation}" if request.operation else CHAT_PATH
        url = server.base_url.rstrip("/") + path
        return Target(url, {"Authorization": f"Bearer {server.api_key}"})


def local_model(
    model: str = "smollm2",
    *,
    tools: ToolMode | None = None,
    context: int = DEFAULT_CONTEXT,
    threads: int = 0,
    headers: Mapping[str, str] | None = None,
    http_client: httpx2.AsyncClient | None = None,
    timeouts: Timeouts | None = None,
) -> LanguageModel:
    """A local GGUF model behind llama.cpp's server, started on first use.

    Raises :class:`~reverie.errors.ConfigurationError` at once when the engine or the model
    file is missing, saying how to install them. The model id is the server's name for the
    model (``smollm2``, or the file's stem).
    """
    if tools not in (None, "constrained", "native"):
        raise ConfigurationError(f"tools must be 'constrained' or 'native', not {tools!r}")
    require_engine()
    path = require_model(model)
    known = KNOWN_MODELS.get(model)
    mode: ToolMode = tools or ("native" if known is None or known.native_tools else "constrained")
    alias = known.name if known else Path(model).stem
    settings = ServerSettings(
        str(path),
        context,
        threads,
        alias,
        sampling=known.sampling if known else (),
        max_tokens=known.default_max_tokens if known else -1,
    )
    how = (
        "small local model: tools via constrained JSON"
        if mode == "constrained"
        else ("local model, native tool calls")
    )
    chat = WireModel(
        alias,
        wire=ChatWire(ChatDialect("local")),
        host=LocalHost(settings, label=f"{path.name} ({how})"),
        headers=headers,
        http_client=http_client,
        timeouts=timeouts,
    )
    return ConstrainedToolModel(chat) if mode == "constrained" else chat


def create(model_id: str, **options: Any) -> LanguageModel:
    """The registry's factory: ``get_model("local:smollm2", tools=..., context=...)``.

    ``api_key`` and ``base_url`` are not accepted: the server is started here, with a token
    of its own. To use a llama.cpp server you run yourself, use ``llamacpp:<model>``.
    """
    refuse_remote_options(options)
    return local_model(model_id, **options)


def refuse_remote_options(options: dict[str, Any]) -> None:
    """The local provider's factories take no ``api_key`` or ``base_url``: it starts its own
    server. They are removed from ``options`` (as None) or refused."""
    for key in ("api_key", "base_url"):
        if options.pop(key, None) is not None:
            raise ConfigurationError(
                f"the local provider starts its own server and takes no {key}; for a "
                "llama.cpp server you run yourself use 'llamacpp:<model>' with base_url=..."
            )
