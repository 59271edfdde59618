"""reverie's HTTP clients: the factory, the user's settings, and one default client per loop.

:func:`new_http_client` makes an ``httpx2.AsyncClient`` the way reverie's default is made:
over :class:`~reverie.providers._aiohttp.AiohttpTransport` when aiohttp can be imported,
else over httpx2's own transport (which reads proxies from the environment too), asking for
uncompressed bodies (a compressed stream may be held back by the server until it fills a
block), and refusing what both transports must refuse alike (:func:`_check_response`).

:func:`default_client` is the client a provider uses when given none: one per event loop,
since a connection pool cannot outlive the loop that opened it. It is closed when the loop
shuts down (``asyncio.run`` and ``asyncio.Runner`` close every async generator then, and a
small one here holds the client), so ``asyncio.run(agent.generate(...))`` leaves no
unclosed socket behind. A loop closed without that step leaves the client to the garbage
collector.

:func:`configure_default_client` sets what later default clients are made with; a loop's
earlier default client is left to finish what it is doing and closed with its loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import ssl
import weakref
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Literal

import httpx2

from reverie.errors import ConfigurationError
from reverie.timeouts import DEFAULT_TIMEOUTS

Backend = Literal["auto", "aiohttp", "httpx2"]

DEFAULT_LIMITS = httpx2.Limits(
    max_connections=1000, max_keepalive_connections=200, keepalive_expiry=5.0
)
DEFAULT_TIMEOUT = httpx2.Timeout(1800.0, connect=DEFAULT_TIMEOUTS.connect)
"""The client's own limits are a backstop only: reverie's per-model ``Timeouts`` (connect,
first byte, idle, total) are tighter and apply on top."""


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """What :func:`new_http_client` builds a client from (see :func:`configure_default_client`)."""

    limits: httpx2.Limits | None = None
    timeout: httpx2.Timeout | float | None = None
    verify: ssl.SSLContext | bool = True
    trust_env: bool = True
    transport: Backend = "auto"


def new_http_client(
    *,
    limits: httpx2.Limits | None = None,
    timeout: httpx2.Timeout | float | None = None,
    verify: ssl.SSLContext | bool = True,
    trust_env: bool = True,
    transport: Backend = "auto",
) -> httpx2.AsyncClient:
    """A new client as reverie's default is made (the caller owns it and closes it).

    ``limits``: connections (default: 1000 in total, idle ones kept 5 s). ``timeout``: the
    client's backstop ``httpx2.Timeout`` (default 1800 s, connect 10 s); ``None`` means the
    default, ``httpx2.Timeout(None)`` means none. ``verify``: ``True`` (system CAs, or
    ``SSL_CERT_FILE``/``SSL_CERT_DIR``), an ``ssl.SSLContext`` (e.g. with a private CA), or
    ``False`` (no verification: tests only). ``trust_env``: proxies and CA variables from the
    environment. ``transport``: ``"aiohttp"``, ``"httpx2"`` (httpx2's own), or ``"auto"``
    (aiohttp when it can be imported).
    """
    limits = limits or DEFAULT_LIMITS
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    elif not isinstance(timeout, httpx2.Timeout):
        timeout = httpx2.Timeout(timeout)
    _check_transport(transport)
    if transport == "httpx2" or (transport == "auto" and not aiohttp_available()):
        # No transport= here: httpx2 then mounts its own proxy transports from the env.
        return httpx2.AsyncClient(
            limits=limits,
            verify=verify,
            trust_env=trust_env,
            timeout=timeout,
            headers=_HEADERS,
            event_hooks={"response": [_check_response]},
        )
    from reverie.providers._aiohttp import AiohttpTransport

    return httpx2.AsyncClient(
        transport=AiohttpTransport(verify=verify, limits=limits, trust_env=trust_env),
        trust_env=trust_env,
        timeout=timeout,
        headers=_HEADERS,
        event_hooks={"response": [_check_response]},
    )


# Uncompressed bodies: a server may hold a compressed stream back until a block fills.
_HEADERS = {"Accept-Encoding": "identity"}


def _check_transport(transport: str) -> None:
    if transport not in ("auto", "aiohttp", "httpx2"):
        raise ConfigurationError(
            f"transport={transport!r} is not one of 'auto', 'aiohttp', 'httpx2'"
        )
    if transport == "aiohttp" and not aiohttp_available():
        raise ConfigurationError(
            "transport='aiohttp' needs the aiohttp package: pip install aiohttp"
        )


@functools.cache
def aiohttp_available() -> bool:
    """Whether aiohttp can be imported (it is a dependency; the check guards a broken or
    stripped install, where reverie falls back to httpx2's own transport)."""
    try:
        import aiohttp
    except ImportError:
        return False
    return bool(aiohttp.ClientSession)


# -- the default client, per event loop -------------------------------------------------

_settings = ClientSettings()
_generation = 0


def configure_default_client(
    *,
    limits: httpx2.Limits | None = None,
    timeout: httpx2.Timeout | float | None = None,
    verify: ssl.SSLContext | bool = True,
    trust_env: bool = True,
    transport: Backend = "auto",
) -> None:
    """Set how reverie's default client is made (the arguments of :func:`new_http_client`).

    Applies to every provider not given an ``http_client``, from the next request on; a
    client already made keeps its settings for requests already started and is closed
    with its event loop. Call with no arguments to go back to the defaults.
    """
    global _settings, _generation
    _check_transport(transport)
    _settings = ClientSettings(limits, timeout, verify, trust_env, transport)
    _generation += 1


@dataclass(slots=True)
class _LoopClient:
    client: httpx2.AsyncClient
    generation: int
    closers: list[AsyncGenerator[None, None]] = field(
        default_factory=list[AsyncGenerator[None, None]]
    )


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient] = (
    weakref.WeakKeyDictionary()
)


def default_client() -> httpx2.AsyncClient:
    """The shared client of the running event loop (made on first use)."""
    loop = asyncio.get_running_loop()
    entry = _clients.get(loop)
    if entry is not None and entry.generation == _generation and not entry.client.is_closed:
        return entry.client
    for closed in [other for other in _clients if other.is_closed()]:
        del _clients[closed]  # closed without shutdown_asyncgens(): nothing left to close
    s = _settings
    client = new_http_client(
        limits=s.limits,
        timeout=s.timeout,
        verify=s.verify,
        trust_env=s.trust_env,
        transport=s.transport,
    )
    closers = entry.closers if entry is not None else []
    closers.append(_close_at_shutdown(client, loop))
    _clients[loop] = _LoopClient(client, _generation, closers)
    return client


def _close_at_shutdown(
    client: httpx2.AsyncClient, loop: asyncio.AbstractEventLoop
) -> AsyncGenerator[None, None]:
    """An async generator, started here, whose ``finally`` closes ``client``: the loop
    tracks it from its first step and closes it in ``shutdown_asyncgens()``."""

    async def closer() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            try:
                await client.aclose()
            finally:
                # Drop the loop's entry: the generator's finalizer refers to the loop.
                _clients.pop(loop, None)

    agen = closer()
    step = agen.asend(None)  # registers agen with the running loop's async-generator hooks
    with contextlib.suppress(StopIteration):
        step.send(None)  # runs to the ``yield`` at once: nothing is awaited before it
    return agen


async def _check_response(response: httpx2.Response) -> None:
    """What both transports must refuse alike, checked on the response head.

    A body in a content coding httpx2 cannot undo (httpx2 would pass it through as if plain;
    reverie asks for ``identity``, so a server or proxy that ignores that says so here).
    Both ``Content-Length`` and ``Transfer-Encoding`` (RFC 9112 §6.3: a sign of response
    splitting, to be handled as an error; h11 would read it and keep the connection).
    Raising here makes httpx2 close the response, so the connection is not reused.
    """
    headers = response.headers
    if "transfer-encoding" in headers and "content-length" in headers:
        raise httpx2.RemoteProtocolError(
            "the server sent both Content-Length and Transfer-Encoding (a malformed response)"
        )
    codings = headers.get("content-encoding")
    if not codings:
        return
    for coding in codings.lower().split(","):
        coding = coding.strip()
        if coding and coding not in _decodable():
            hint = " (install the 'brotli' package)" if coding == "br" else ""
            raise httpx2.DecodingError(
                f"the server sent a body with Content-Encoding {coding!r}, which cannot be "
                f"decoded{hint}; reverie asks for uncompressed bodies"
            )


@functools.cache
def _decodable() -> frozenset[str]:
    """The content codings httpx2 can undo here (br and zstd need optional packages)."""
    codings = {"identity", "gzip", "deflate"}
    if importlib.util.find_spec("brotli") or importlib.util.find_spec("brotlicffi"):
        codings.add("br")
    if importlib.util.find_spec("zstandard"):
        codings.add("zstd")
    return frozenset(codings)
