"""The ``local`` provider: a GGUF model run by llama.cpp inside this process.

``get_model("local:smollm2")`` (the built-in 135M model) or ``get_model("local:/path/to.gguf")``.
Nothing starts until the first call: then llama.cpp's server is started on 127.0.0.1
(:mod:`reverie.providers._local.server`) and every request goes through reverie's ordinary
OpenAI-compatible provider, over real HTTP: the same wire path as any hosted model.

``tools`` chooses how tool calls work: ``"constrained"`` (schema-constrained JSON, see
:mod:`reverie.providers._local.constrained`; the default for models known to lack native
tool calls, such as SmolLM2) or ``"native"`` (the model's own format via llama.cpp's chat
templates; the default for other files).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, Literal

import httpx2

from reverie.errors import ConfigurationError
from reverie.events import StreamEvent
from reverie.model import Call, LanguageModel, Response
from reverie.providers._local.constrained import ConstrainedToolModel
from reverie.providers._local.files import KNOWN_MODELS, require_engine, require_model
from reverie.providers._local.server import (
    DEFAULT_CONTEXT,
    LocalServer,
    ServerSettings,
    shared_server,
)
from reverie.timeouts import Timeouts

ToolMode = Literal["constrained", "native"]


class LocalModel:
    """A local GGUF model behind llama.cpp's server, started on first use.

    Raises :class:`~reverie.errors.ConfigurationError` at construction when the engine or
    the model file is missing, saying how to install them.
    """

    def __init__(
        self,
        model: str = "smollm2",
        *,
        tools: ToolMode | None = None,
        context: int = DEFAULT_CONTEXT,
        threads: int = 0,
        headers: Mapping[str, str] | None = None,
        http_client: httpx2.AsyncClient | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        if tools not in (None, "constrained", "native"):
            raise ConfigurationError(f"tools must be 'constrained' or 'native', not {tools!r}")
        require_engine()
        path = require_model(model)
        known = KNOWN_MODELS.get(model)
        self._model_id = model
        self.path = path
        self.tool_mode: ToolMode = tools or (
            "native" if known is None or known.native_tools else "constrained"
        )
        alias = known.name if known else Path(model).stem
        self._settings = ServerSettings(
            str(path),
            context,
            threads,
            alias,
            sampling=known.sampling if known else (),
            max_tokens=known.default_max_tokens if known else -1,
        )
        self._headers = dict(headers or {})
        self._http_client = http_client
        self._timeouts = timeouts
        self._delegate: LanguageModel | None = None

    @property
    def provider(self) -> str:
        return "local"

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def label(self) -> str:
        """What this model is, honestly: shown by ``reverie run``."""
        if self.tool_mode == "constrained":
            return f"{self.path.name} (small local model: tools via constrained JSON)"
        return f"{self.path.name} (local model, native tool calls)"

    def __repr__(self) -> str:
        return f"LocalModel({self._model_id!r}, tools={self.tool_mode!r})"

    async def server(self) -> LocalServer:
        """The running server, started now if needed (loading runs in a worker thread)."""
        return await asyncio.to_thread(shared_server, self._settings)

    async def _model(self) -> LanguageModel:
        if self._delegate is None:
            from reverie.providers._openai.model import OpenAIChatModel

            server = await self.server()
            chat = OpenAIChatModel(
                self._settings.alias,
                base_url=server.base_url,
                api_key=server.api_key,
                provider="local",
                headers=self._headers,
                http_client=self._http_client,
                timeouts=self._timeouts,
            )
            self._delegate = ConstrainedToolModel(chat) if self.tool_mode == "constrained" else chat
        return self._delegate

    async def generate(self, call: Call) -> Response:
        return await (await self._model()).generate(call)

    async def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        model = await self._model()
        events = model.stream(call)
        try:
            async for event in events:
                yield event
        finally:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()


def create(model_id: str, **options: Any) -> LanguageModel:
    """The registry's factory: ``get_model("local:smollm2", tools=..., context=...)``.

    ``api_key`` and ``base_url`` are not accepted: the server is started here, with a token
    of its own. To use a llama.cpp server you run yourself, use ``llamacpp:<model>``.
    """
    for key in ("api_key", "base_url"):
        if options.pop(key, None) is not None:
            raise ConfigurationError(
                f"the local provider starts its own server and takes no {key}; for a "
                "llama.cpp server you run yourself use 'llamacpp:<model>' with base_url=..."
            )
    return LocalModel(model_id, **options)
