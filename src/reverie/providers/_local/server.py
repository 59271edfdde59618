"""llama.cpp's own HTTP server, started in this process by ``xllamacpp``.

:func:`shared_server` starts one server per (model file, settings) and keeps it for the
life of the process, so every model object, agent and test reuses it (loading takes a
second or two; a request then costs only inference). The server listens on 127.0.0.1 on a
free port the OS picks, and requires a random bearer token, so other local programs (and
web pages, which llama.cpp's permissive CORS would otherwise let in) cannot use it.

It speaks OpenAI Chat Completions (streaming, usage), Anthropic Messages and OpenAI
Responses; reverie talks to it through its ordinary OpenAI-compatible provider.
"""

from __future__ import annotations

import atexit
import importlib
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reverie.errors import APIConnectionError
from reverie.providers._local.files import require_engine

DEFAULT_CONTEXT = 4096


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """What identifies a running server: the model file and how it was loaded."""

    model_path: str
    context: int = DEFAULT_CONTEXT
    threads: int = 0
    alias: str = ""
    sampling: tuple[tuple[str, float], ...] = ()
    max_tokens: int = -1
    embedding: bool = False  # serve /v1/embeddings (llama.cpp then serves embeddings only)
    pooling: str = ""  # "mean", "cls", "last": override the model's own pooling


def default_threads() -> int:
    """Half the logical CPUs (about the physical cores), from 1 to 4.

    llama.cpp's threads spin while they wait for each other, so more threads than free
    cores is far slower, not faster (measured on 2 busy cores: 1 thread 8x faster than 2);
    and a small model gains nothing past a few threads.
    """
    return max(1, min((os.cpu_count() or 2) // 2, 4))


class LocalServer:
    """A running llama.cpp server: ``base_url`` (ends in ``/v1``) and ``api_key``.

    Construct it with :func:`shared_server`; :meth:`stop` shuts it down (the process's exit
    does too).
    """

    def __init__(self, settings: ServerSettings) -> None:
        require_engine()
        # A compiled module without type information: used through Any, deliberately.
        xllamacpp: Any = importlib.import_module("xllamacpp")

        self.settings = settings
        self.api_key = secrets.token_urlsafe(24)
        params = xllamacpp.CommonParams()
        params.model.path = settings.model_path
        params.hostnames = ["127.0.0.1"]
        params.port = 0  # the OS picks a free port; listening_address tells which
        params.api_keys = [self.api_key]
        params.n_ctx = settings.context
        params.n_parallel = 1
        params.warmup = False  # saves a second at start; the first request warms up instead
        params.verbosity = -1  # llama.cpp otherwise logs every request to stderr
        threads = settings.threads or default_threads()
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        if settings.alias:
            params.model_alias = {settings.alias}
        params.n_predict = settings.max_tokens  # used when a request sets no max_tokens
        for name, value in settings.sampling:
            setattr(params.sampling, name, value)
        if settings.embedding:
            params.embedding = True
            if settings.pooling:
                pooling = f"LLAMA_POOLING_TYPE_{settings.pooling.upper()}"
                params.pooling_type = getattr(xllamacpp.llama_pooling_type, pooling)
        started = time.perf_counter()
        try:
            self._server: Any = xllamacpp.Server(params)
        except Exception as exc:
            raise APIConnectionError(
                f"the local llama.cpp server could not start with {settings.model_path}: {exc}"
            ) from exc
        self.startup_seconds = time.perf_counter() - started
        address = str(self._server.listening_address).rstrip("/")
        self.base_url = address + "/v1"

    def stop(self) -> None:
        """Shut the server down (llama.cpp stops when the binding object is released)."""
        server = getattr(self, "_server", None)
        if server is not None:
            self._server = None
            del server

    def __repr__(self) -> str:
        return f"LocalServer({Path(self.settings.model_path).name} at {self.base_url})"


_servers: dict[ServerSettings, LocalServer] = {}
_lock = threading.Lock()


def shared_server(settings: ServerSettings) -> LocalServer:
    """The process's server for ``settings``, started on first use (blocks while loading)."""
    with _lock:
        server = _servers.get(settings)
        if server is None:
            server = LocalServer(settings)
            _servers[settings] = server
        return server


def stop_all() -> None:
    """Stop every server this process started (also registered to run at exit)."""
    with _lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.stop()


atexit.register(stop_all)
