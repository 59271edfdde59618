"""reverie's own HTTP/1.1 transport for httpx2: a keep-alive pool over asyncio sockets.

Why: streaming an LLM answer through httpcore/h11 costs per HTTP chunk (servers send one
chunk per SSE event, h11 makes each an event, and every read crosses several async
layers). :class:`FastTransport` reads the socket directly and decodes every chunk of a
read at once (:mod:`reverie.providers._http11`), so a stream costs per socket read. It is an
``httpx2.AsyncBaseTransport``: clients, providers and tests keep using ``httpx2.AsyncClient``;
response decompression (gzip, deflate, br) stays httpx2's job, as for any transport; a
coding httpx2 cannot undo here fails as ``httpx2.DecodingError`` instead of passing through.

Built on asyncio's transport/protocol layer (what ``asyncio.open_connection`` wraps) rather
than ``StreamReader``, to avoid a copy and a task per read: a read timeout is one lazily
re-armed timer per connection, not a timer per read. The connection is
:mod:`~reverie.providers._transport_conn`, the pool :mod:`~reverie.providers._transport_pool`,
the body stream :mod:`~reverie.providers._transport_body`.

Connection rules:

- one pool per transport, keyed by (scheme, host, port), at most ``max_connections`` open
  in total (waiting for a free slot is bounded by the ``pool`` timeout → ``PoolTimeout``);
  idle connections are reused newest first for ``keepalive_expiry`` seconds;
- a connection goes back to the pool only if its response was read to the end, the server
  did not say ``Connection: close``, and no stray bytes followed the response;
- **retry rule**: a request is sent again, once, on a fresh connection only if it went out
  on a *reused* idle connection and that connection turned out dead before a single byte
  of the response arrived (EOF or reset while writing or awaiting the first byte). That is
  the keep-alive race (the server closed the idle connection as we wrote): a server that had
  read the request would be answering it, so this is retried for a POST too. A fresh
  connection, a timeout, or any failure after the first response byte is never retried.

Errors leave as httpx2's types (``ConnectTimeout``, ``ReadTimeout``, ``WriteTimeout``,
``PoolTimeout``, ``ConnectError``, ``ReadError``, ``RemoteProtocolError``), which
:mod:`reverie.providers._http` already translates. Proxies are not implemented:
:func:`fast_client` falls back to httpx2's own transport when the environment names one.
"""

from __future__ import annotations

import functools
import importlib.util
import ssl
import urllib.request

import httpx2

from reverie.providers._http11 import (
    H11Error,
    ResponseHead,
    find_head_end,
    parse_head,
    request_head,
)
from reverie.providers._transport_body import Body
from reverie.providers._transport_conn import Connection, Origin
from reverie.providers._transport_pool import Connector, Pool


class FastTransport(httpx2.AsyncBaseTransport):
    """HTTP/1.1 over asyncio with a keep-alive pool (see the module docstring for the rules).

    ``verify``: ``True`` (the system trust store), ``False`` (no verification, for tests
    only) or an ``ssl.SSLContext``.
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | bool = True,
        max_connections: int = 1000,
        max_keepalive_connections: int = 200,
        keepalive_expiry: float = 5.0,
    ) -> None:
        self._verify = verify
        self._ssl: ssl.SSLContext | None = verify if isinstance(verify, ssl.SSLContext) else None
        self.pool = Pool(max_connections, max_keepalive_connections, keepalive_expiry)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx2.UnsupportedProtocol(f"FastTransport speaks http and https, not {scheme!r}")
        origin: Origin = (scheme, url.host, url.port or (443 if scheme == "https" else 80))
        if not 0 < origin[2] < 65536:
            # asyncio's connect fails obscurely (an IndexError inside its happy-eyeballs race)
            raise httpx2.InvalidURL(f"port {origin[2]} is out of range (1-65535)")
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        body = await request.aread()  # a streaming body is read fully; we send Content-Length
        payload = request_head(request.method, url.raw_path, _headers(request, body)) + body
        read_timeout = timeouts.get("read")
        for attempt in (0, 1):
            conn = await self.pool.acquire(origin, timeouts.get("pool"), self._connector(timeouts))
            reused = conn.requests > 0
            conn.requests += 1
            try:
                await conn.write(payload, timeouts.get("write"))
                head, rest = await _read_head(conn, read_timeout)
            except (_NothingReceived, httpx2.WriteError) as exc:
                self.pool.discard(conn)
                if reused and attempt == 0:
                    continue  # the keep-alive race: see the retry rule above
                if isinstance(exc, httpx2.WriteError):
                    raise
                raise httpx2.RemoteProtocolError(
                    "the server closed the connection without sending a response", request=request
                ) from exc.__cause__
            except BaseException:
                self.pool.discard(conn)
                raise
            break
        else:  # pragma: no cover - the loop always breaks or raises
            raise AssertionError
        try:
            framing, length = head.framing(request.method)
            _check_encodings(head)
        except H11Error as exc:
            self.pool.discard(conn)
            raise httpx2.RemoteProtocolError(str(exc), request=request) from exc
        except httpx2.DecodingError:
            self.pool.discard(conn)
            raise
        stream = Body(self.pool, conn, framing, length, rest, head.keep_alive, read_timeout)
        return httpx2.Response(
            head.status,
            headers=head.headers,
            stream=stream,
            extensions={"http_version": head.http_version, "reason_phrase": head.reason},
        )

    async def aclose(self) -> None:
        self.pool.close()

    def _connector(self, timeouts: dict[str, float | None]) -> Connector:
        async def connect(origin: Origin) -> Connection:
            scheme, host, port = origin
            context = self._ssl_context() if scheme == "https" else None
            return await Connection.open(origin, host, port, context, timeouts.get("connect"))

        return connect

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = make_ssl_context(self._verify)
        return self._ssl


def make_ssl_context(verify: ssl.SSLContext | bool = True) -> ssl.SSLContext:
    """The system trust store (``truststore``), else Python's default CAs; ALPN http/1.1."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify:
        try:
            import truststore

            context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        except Exception:  # truststore missing or unsupported on this platform
            context = ssl.create_default_context()
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context


def proxy_configured() -> bool:
    """Whether the environment (or OS settings) names an HTTP, HTTPS or ALL proxy."""
    proxies = urllib.request.getproxies()
    return any(proxies.get(key) for key in ("http", "https", "all"))


def fast_client(timeout: httpx2.Timeout) -> httpx2.AsyncClient:
    """reverie's default client: :class:`FastTransport`, asking for uncompressed bodies (a
    compressed stream may be buffered by the server). When a proxy is configured in the
    environment, httpx2's own transport is used instead, which honours it and ``NO_PROXY``."""
    if proxy_configured():
        return httpx2.AsyncClient(timeout=timeout, headers={"Accept-Encoding": "identity"})
    return httpx2.AsyncClient(
        transport=FastTransport(), timeout=timeout, headers={"Accept-Encoding": "identity"}
    )


@functools.cache
def _decodable() -> frozenset[bytes]:
    """The content codings httpx2 can undo here (br and zstd need optional packages)."""
    codings = {b"identity", b"gzip", b"deflate"}
    if importlib.util.find_spec("brotli") or importlib.util.find_spec("brotlicffi"):
        codings.add(b"br")
    if importlib.util.find_spec("zstandard"):
        codings.add(b"zstd")
    return frozenset(codings)


def _check_encodings(head: ResponseHead) -> None:
    """httpx2 passes a body in an unknown coding through untouched; fail clearly instead."""
    for coding in head.tokens(b"content-encoding"):
        if coding not in _decodable():
            hint = " (install the 'brotli' package)" if coding == b"br" else ""
            raise httpx2.DecodingError(
                f"the server sent a body with Content-Encoding {coding.decode(errors='replace')!r}"
                f", which cannot be decoded{hint}; reverie asks for uncompressed bodies"
            )


class _NothingReceived(Exception):
    """The connection ended before the first response byte (maybe a stale keep-alive)."""


async def _read_head(conn: Connection, read_timeout: float | None) -> tuple[ResponseHead, bytes]:
    """Read the response head, skipping interim 1xx answers; return it and the bytes after."""
    buffer = b""
    received = False
    while True:
        try:
            data = await conn.read(read_timeout)
        except httpx2.ReadError as exc:
            if not received:
                raise _NothingReceived from exc
            raise
        if not data:
            if not received:
                raise _NothingReceived
            raise httpx2.RemoteProtocolError(
                "the server closed the connection in the middle of the response head"
            )
        received = True
        buffer += data
        while True:
            try:
                end = find_head_end(buffer)
                if end < 0:
                    break
                head = parse_head(buffer[:end])
            except H11Error as exc:
                raise httpx2.RemoteProtocolError(str(exc)) from exc
            buffer = buffer[end:]
            if head.status == 101:
                raise httpx2.RemoteProtocolError("the server switched protocols (101), unsupported")
            if head.status >= 200:
                return head, buffer


def _headers(request: httpx2.Request, body: bytes) -> list[tuple[bytes, bytes]]:
    """The request's headers as given, with Host and a Content-Length for ``body``."""
    headers: list[tuple[bytes, bytes]] = []
    has_host = False
    for name, value in request.headers.raw:
        lower = name.lower()
        if lower in (b"content-length", b"transfer-encoding"):
            continue  # re-stated below: we always send the body whole
        has_host = has_host or lower == b"host"
        headers.append((name, value))
    if not has_host:
        headers.insert(0, (b"Host", request.url.netloc))
    if body or request.method in ("POST", "PUT", "PATCH"):
        headers.append((b"Content-Length", str(len(body)).encode()))
    return headers
