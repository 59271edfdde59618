"""Record the example cassettes from real servers on this machine (no provider key).

    uv run python tests/examples/record.py                 # every missing cassette
    uv run python tests/examples/record.py simple stream   # just these
    REVERIE_RECORD_MODE=all uv run python tests/examples/record.py web_search   # re-record
    uv run python tests/examples/record.py --serve-llamacpp      # for examples/testing

Each example's ``main(model)`` runs once through a :class:`CassetteTransport` in mode
``once`` (``$REVERIE_RECORD_MODE`` overrides), so what is saved is what reverie's own
recorder captured, redacted by its writer:

- ``simple``, ``stream``, ``tool_agent``, ``structured_output``: SmolLM2-135M on the
  llama.cpp server reverie starts in-process (``local:smollm2``). The server listens on a
  random port with a random token; the model is built for ``http://localhost:8080/v1``
  (``recorded.local_model``) and a forwarding transport sends each request to the real
  port, so the cassette's URLs stay the same from one recording to the next.
- ``examples/testing``: recorded by pytest itself (``--record-mode=once``) against a plain
  llama.cpp server on 127.0.0.1:8080 that ``--serve-llamacpp`` starts (SmolLM2, the same
  settings), in another terminal.
- ``web_search``: the scripted Anthropic-compatible server in ``scripted_anthropic.py``,
  started on a free port and recorded as ``http://localhost:4010/v1``.
- ``approvals``: the scripted Anthropic-compatible server in ``scripted_approvals.py``
  (thinking, tool use, and the signature check), recorded under the same address.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx2

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CASSETTES = HERE / "cassettes"
LOCAL_EXAMPLES = ("simple", "stream", "tool_agent", "structured_output")
ALL_EXAMPLES = (*LOCAL_EXAMPLES, "web_search", "approvals")

sys.path[:0] = [str(REPO / "examples"), str(REPO)]

from tests.examples.recorded import (  # noqa: E402
    ANTHROPIC_BASE_URL,
    LOCAL_BASE_URL,
    anthropic_model,
)


class Forward(httpx2.AsyncBaseTransport):
    """Sends a request for ``public`` (a base URL) to ``actual`` instead; nothing else changes."""

    def __init__(self, public: str, actual: str) -> None:
        self._public = public.rstrip("/")
        self._actual = actual.rstrip("/")
        self._inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = str(request.url)
        if url.startswith(self._public):
            request.url = httpx2.URL(self._actual + url[len(self._public) :])
            request.headers["host"] = request.url.netloc.decode("ascii")
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def record(name: str, public: str, actual: str, build: Callable[..., Any]) -> None:
    from reverie.testing import CassetteTransport

    path = CASSETTES / f"{name}.yaml"
    mode = os.environ.get("REVERIE_RECORD_MODE", "once")
    transport = CassetteTransport.open(path, mode=mode, inner=Forward(public, actual))
    main: Callable[[Any], Awaitable[Any]] = importlib.import_module(name).main
    async with transport.client() as http:
        await main(build(http))
    print(f"\n== {name}: {path.relative_to(REPO)} ({transport.mode})\n")


async def record_all(names: list[str]) -> None:
    local = [n for n in names if n in LOCAL_EXAMPLES]
    if local:
        from reverie.providers._local.model import local_model
        from tests.local_model import local_host

        server = await local_host(local_model("smollm2")).server()
        for name in local:
            build = functools.partial(local_model, api_key=server.api_key)
            await record(name, LOCAL_BASE_URL, server.base_url, build)
    if "web_search" in names:
        from tests.examples.scripted_anthropic import serve

        with serve() as base_url:
            await record("web_search", ANTHROPIC_BASE_URL, base_url, anthropic_model)
    if "approvals" in names:
        from tests.examples.scripted_approvals import serve as serve_approvals

        with serve_approvals() as base_url:
            await record("approvals", ANTHROPIC_BASE_URL, base_url, anthropic_model)


def serve_llamacpp(port: int = 8080) -> None:
    """Serve SmolLM2 as a plain llama.cpp server on 127.0.0.1:``port`` until interrupted.

    For recording ``examples/testing`` with pytest (another process), whose model is
    ``llamacpp:smollm2`` at llama.cpp's default address. The settings are ``local:smollm2``'s
    (the model card's sampling, the 256-token default cap); no token, as for a
    ``llama-server`` you start yourself.
    """
    import importlib
    import time

    from reverie.providers._local.files import KNOWN_MODELS, require_model
    from reverie.providers._local.server import default_threads

    known = KNOWN_MODELS["smollm2"]
    xllamacpp: Any = importlib.import_module("xllamacpp")
    params = xllamacpp.CommonParams()
    params.model.path = str(require_model("smollm2"))
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_parallel = 1
    params.verbosity = -1
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = default_threads()
    params.model_alias = {known.name}
    params.n_predict = known.default_max_tokens
    for name, value in known.sampling:
        setattr(params.sampling, name, value)
    server = xllamacpp.Server(params)
    print(f"llama.cpp serving smollm2 at {server.listening_address} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve-llamacpp"]:
        serve_llamacpp()
        sys.exit(0)
    wanted = sys.argv[1:] or list(ALL_EXAMPLES)
    unknown = set(wanted) - set(ALL_EXAMPLES)
    if unknown:
        sys.exit(f"unknown example(s): {', '.join(sorted(unknown))}; known: {ALL_EXAMPLES}")
    asyncio.run(record_all(wanted))
