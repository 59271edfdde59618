"""reverie's default HTTP transport: httpx2's interface over aiohttp's pool and C parser.

Providers, cassettes and users keep talking to an ``httpx2.AsyncClient``; only the transport
under it changes. aiohttp parses responses with llhttp (C) and queues the body per socket
read, so a stream costs per read, not per HTTP chunk (httpcore hands each chunk through
h11 and several async layers). Response decompression stays httpx2's job: aiohttp is told
not to decode, so both of reverie's transports answer alike.

Why our own adapter rather than ``httpx-aiohttp``: that package depends on httpx and
httpcore (a second HTTP stack next to httpx2, plus certifi); its error mapping turns every
connection error into ``ConnectTimeout`` and cannot tell a cut-off body from a malformed
one; it reads the body in fixed 16 KB pieces rather than as it arrives; and it leaves
aiohttp's own defaults in place (``User-Agent``, ``Content-Type: application/octet-stream``,
cookies, no environment proxies). What reverie needs is the adapter below, held to the
same contract suite as httpx2's transport (``tests/providers/test_transport.py``).

The rules:

- **Errors** leave as httpx2's types, so :mod:`reverie.providers._http` maps both transports
  the same way: ``ConnectError`` (refused, DNS, TLS verification), ``ConnectTimeout``
  (connecting, or waiting for a free connection), ``ReadTimeout``, ``RemoteProtocolError``
  (a malformed response; a body cut short says "incomplete"), ``ReadError`` (reset),
  ``ProxyError``, ``InvalidURL``/``UnsupportedProtocol``. aiohttp's exceptions are not
  chained: some quote the request URL, which may carry a key; the message keeps the detail.
- **No silent re-send.** aiohttp retries a request on a reused keep-alive connection that
  turns out dead only for idempotent methods (RFC 9112 §9.3.1), never a POST: an LLM call
  that may have reached the server fails as ``RemoteProtocolError`` (retryable in reverie,
  so the agent's ``Retry`` event shows it) instead of being billed twice unseen.
- **Headers** go out exactly as httpx2 built them (aiohttp adds none of its own), after
  h11's checks (:mod:`reverie.providers._headers`): nothing with CR, LF or NUL is written.
  The host is httpx2's IDNA 2008 form (``xn--...``) for the connection, TLS SNI and
  verification, a proxy's ``CONNECT`` and the ``Host`` header alike.
- **TLS**: ``httpx2.create_ssl_context`` (the same rules as httpx2: ``SSL_CERT_FILE`` /
  ``SSL_CERT_DIR`` when ``trust_env``, verification on; on Linux the system CA files
  directly, not ``truststore``, whose per-handshake cost grows on long-lived contexts with
  OpenSSL < 3.4), built on the first https request; ALPN ``http/1.1``.
- **Proxies** from the environment when ``trust_env`` (``HTTP_PROXY``, ``HTTPS_PROXY``,
  ``ALL_PROXY``, ``NO_PROXY``, read when the transport is made, as httpx2 does), on this
  same transport and pool: https through ``CONNECT``, credentials in the proxy URL sent as
  ``Proxy-Authorization``.
- **Limits**: ``httpx2.Limits.max_connections`` (total) and ``keepalive_expiry``; aiohttp has
  no cap on idle connections, so ``max_keepalive_connections`` is not applied. Timeouts per
  request from httpx2's ``Timeout``: ``connect``, ``read`` (between socket reads), ``pool``
  (added to ``connect`` for getting a connection); aiohttp has no ``write`` timeout.
- One transport serves one event loop (its aiohttp session is made on the first request).
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import re
import ssl
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import httpx2
from yarl import URL

from reverie.providers._headers import header_problem, shown_name

# Headers aiohttp would add when httpx2's request lacks them; httpx2 decides what is sent.
_NO_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
_RESTATED = (b"content-length", b"transfer-encoding")  # aiohttp frames the bytes we pass


class AiohttpTransport(httpx2.AsyncBaseTransport):
    """An ``httpx2.AsyncBaseTransport`` that sends through one ``aiohttp.ClientSession``.

    ``verify``: ``True`` (system CAs, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``), ``False`` (no
    verification; tests only) or an ``ssl.SSLContext`` (used as given).
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | bool = True,
        limits: httpx2.Limits,
        trust_env: bool = True,
    ) -> None:
        self._verify = verify
        self._trust_env = trust_env
        self._limits = limits
        self._ssl: ssl.SSLContext | None = verify if isinstance(verify, ssl.SSLContext) else None
        self._proxies = EnvProxies(urllib.request.getproxies()) if trust_env else None
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        scheme = url.scheme
        if scheme != "http" and scheme != "https":
            raise httpx2.UnsupportedProtocol(
                f"reverie's transport speaks http and https, not {scheme!r}"
            )
        port = url.port
        if port is not None and not 0 < port < 65536:
            raise httpx2.InvalidURL(f"port {port} is out of range (1-65535)")
        headers: list[tuple[str, str]] = []
        for name, value in request.headers.raw:
            problem = header_problem(name, value)
            if problem is not None:
                raise httpx2.LocalProtocolError(f"the header {shown_name(name)!r} {problem}")
            if name.lower() not in _RESTATED:
                headers.append((name.decode("latin-1"), value.decode("latin-1")))
        body = await request.aread()
        target = URL(
            f"{scheme}://{url.netloc.decode('ascii')}{url.raw_path.decode('ascii')}", encoded=True
        )
        proxy: URL | None = None
        proxy_headers: dict[str, str] | None = None
        if self._proxies is not None:
            found = self._proxies.find(scheme, url.raw_host.decode("ascii"), port)
            if found is not None:
                proxy, authorization = found
                if authorization is not None:
                    if scheme == "https":  # said to the proxy in CONNECT, not to the host
                        proxy_headers = {"Proxy-Authorization": authorization}
                    else:
                        headers.append(("Proxy-Authorization", authorization))
        extensions = request.extensions
        session = self._session_for_loop()
        try:
            response = await session.request(
                request.method,
                target,
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=self._client_timeout(extensions.get("timeout", {})),
                ssl=self._ssl_context() if scheme == "https" else True,
                server_hostname=extensions.get("sni_hostname"),
                proxy=proxy,
                proxy_headers=proxy_headers,
            )
        except _ERRORS as exc:
            error = _mapped(exc, url.host)
        else:
            version = response.version
            return httpx2.Response(
                response.status,
                headers=response.raw_headers,
                stream=_Body(response),
                extensions={
                    "http_version": b"HTTP/%d.%d" % (version.major, version.minor)
                    if version
                    else b"HTTP/1.1",
                    "reason_phrase": (response.reason or "").encode("latin-1", "replace"),
                },
            )
        raise error  # outside the handler: aiohttp's exception is not chained (see above)

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _session_for_loop(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None:
            if self._loop is not loop:
                raise RuntimeError(
                    "this HTTP client was made on another event loop; make one per loop "
                    "(reverie's default client already is one per loop)"
                )
            return session
        limits = self._limits
        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,
            limit_per_host=0,
            keepalive_timeout=limits.keepalive_expiry,
        )
        session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # cookies are the httpx2 client's business
            skip_auto_headers=_NO_AUTO_HEADERS,
            auto_decompress=False,  # httpx2 decodes, as for any transport
            trust_env=False,  # proxies are resolved above; no netrc lookups per request
            timeout=aiohttp.ClientTimeout(total=None),
        )
        self._session, self._loop = session, loop
        return session

    def _client_timeout(self, timeout: Mapping[str, float | None]) -> aiohttp.ClientTimeout:
        connect, read, pool = timeout.get("connect"), timeout.get("read"), timeout.get("pool")
        key = (connect, read, pool)
        found = self._timeouts.get(key)
        if found is None:
            acquire = None if connect is None or pool is None else connect + pool
            found = aiohttp.ClientTimeout(
                total=None, connect=acquire, sock_connect=connect, sock_read=read
            )
            if len(self._timeouts) < 64:
                self._timeouts[key] = found
        return found

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            context = httpx2.create_ssl_context(verify=self._verify, trust_env=self._trust_env)
            context.set_alpn_protocols(["http/1.1"])
            self._ssl = context
        return self._ssl


class _Body(httpx2.AsyncByteStream):
    """The response body, one bytes object per socket read (every HTTP chunk that read
    completed, joined). aiohttp puts the connection back in its pool when the body has
    been read to the end; :meth:`aclose` before that closes the connection instead."""

    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            data = await content.readany()
            while data:
                yield data
                data = await content.readany()
        except _ERRORS as exc:
            error = _mapped(exc, self._response.url.host, in_body=True)
        else:
            return
        self._response.close()
        raise error

    async def aclose(self) -> None:
        self._response.close()  # no-op once the body was read and the connection released


class EnvProxies:
    """The proxies the environment names, read once, and ``NO_PROXY``, as httpx2 reads them:
    ``HTTP_PROXY``/``HTTPS_PROXY`` per scheme, else ``ALL_PROXY``; a proxy without a scheme
    is ``http://``. ``NO_PROXY`` entries: ``*`` (no proxy at all), ``host`` (the host and its
    subdomains), ``.host`` or ``*.host`` (subdomains only), IP addresses, ``host:port``."""

    def __init__(self, found: Mapping[str, str]) -> None:
        self._proxies: dict[str, tuple[URL, str | None]] = {}
        self._unsupported: dict[str, str] = {}
        for scheme in ("http", "https"):
            raw = found.get(scheme) or found.get("all")
            if raw:
                proxy = _proxy(raw if "://" in raw else f"http://{raw}")
                if proxy[0].scheme in ("http", "https"):
                    self._proxies[scheme] = proxy
                else:  # e.g. ALL_PROXY=socks5://... meant for other tools
                    self._unsupported[scheme] = proxy[0].scheme
        self._no_proxy = [e.strip().lower() for e in found.get("no", "").split(",") if e.strip()]
        if "*" in self._no_proxy:
            self._proxies.clear()
            self._unsupported.clear()
        self._bypass: dict[tuple[str, int | None], bool] = {}

    def find(self, scheme: str, host: str, port: int | None) -> tuple[URL, str | None] | None:
        """(proxy URL, ``Proxy-Authorization`` value or None) for a request, or None."""
        proxy = self._proxies.get(scheme)
        if proxy is None and scheme not in self._unsupported:
            return None
        bypass = self._bypass.get((host, port))
        if bypass is None:
            bypass = self._bypass[(host, port)] = self._bypassed(host.lower(), port)
        if bypass:
            return None
        if proxy is None:
            raise httpx2.ProxyError(
                f"the environment names a {self._unsupported[scheme]}:// proxy for {scheme} "
                "requests; reverie's transport speaks to http:// proxies (set HTTPS_PROXY / "
                "HTTP_PROXY to one, or NO_PROXY for this host)"
            )
        return proxy

    def _bypassed(self, host: str, port: int | None) -> bool:
        for entry in self._no_proxy:
            entry = entry.split("://", 1)[-1].rstrip("/")
            name, _, entry_port = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
            if entry_port and str(port) != entry_port:
                continue
            name = name.strip("[]")
            if name.startswith(("*.", ".")):
                if host.endswith(name.lstrip("*")):
                    return True
            elif host == name or host.endswith("." + name):
                return True
        return False


def _has_port(entry: str) -> bool:
    head, sep, tail = entry.rpartition(":")
    return bool(sep) and tail.isdigit() and (head.endswith("]") or ":" not in head)


def _proxy(raw: str) -> tuple[URL, str | None]:
    url = URL(raw)
    authorization = None
    if url.user is not None:
        user = urllib.parse.unquote(url.raw_user or "")
        password = urllib.parse.unquote(url.raw_password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        authorization = f"Basic {token}"
    return url.with_user(None), authorization


_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError)


def _mapped(exc: BaseException, host: str | None, *, in_body: bool = False) -> Exception:
    """aiohttp's (or the socket layer's) exception as the httpx2 error it stands for."""
    where = host or "the server"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return httpx2.ConnectError(
            f"TLS certificate verification failed for {where}: {exc.certificate_error}"
        )
    if isinstance(exc, aiohttp.ClientConnectorSSLError | aiohttp.ClientSSLError):
        return httpx2.ConnectError(f"TLS handshake with {where} failed: {_os_detail(exc)}")
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return httpx2.ProxyError(f"cannot connect to the proxy: {_os_detail(exc)}")
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return httpx2.ProxyError(
            f"the proxy refused the tunnel to {where}: {exc.status} {exc.message}"
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx2.ConnectError(f"cannot connect to {exc.host}:{exc.port}: {_os_detail(exc)}")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx2.ConnectTimeout(f"connecting to {where} timed out")
    if isinstance(exc, asyncio.TimeoutError):  # aiohttp's SocketTimeoutError is one too
        return httpx2.ReadTimeout(f"no data from {where} within the read timeout")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        if in_body:
            return httpx2.RemoteProtocolError(
                f"{where} closed the connection before the body was complete (incomplete read)"
            )
        return httpx2.RemoteProtocolError(
            f"{where} closed the connection without sending a response; the request was "
            "not sent again (it may have been received)"
        )
    if isinstance(exc, aiohttp.ClientPayloadError):
        text = str(exc)
        lost = _socket_error(text)
        if lost is not None:  # a reset, not a clean close: a connection error, as httpcore's
            return httpx2.ReadError(f"the connection to {where} was lost mid-body ({lost})")
        if "not completed" in text or "Not enough data" in text:
            return httpx2.RemoteProtocolError(
                f"{where} closed the connection before the body was complete "
                f"(incomplete read: {_first_line(text)})"
            )
        return httpx2.RemoteProtocolError(
            f"{where} sent a malformed response body: {_first_line(text)}"
        )
    if isinstance(exc, aiohttp.ClientResponseError):  # the response head did not parse
        return httpx2.RemoteProtocolError(
            f"{where} sent a malformed response: {_first_line(exc.message)}"
        )
    if isinstance(exc, aiohttp.NonHttpUrlClientError):
        return httpx2.UnsupportedProtocol("the URL is not http or https")
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx2.InvalidURL(f"the URL cannot be used: {exc.description or 'invalid'}")
    if isinstance(exc, OSError | aiohttp.ClientConnectionError):
        return httpx2.ReadError(f"the connection to {where} failed: {_os_detail(exc)}")
    if isinstance(exc, ValueError):
        return httpx2.LocalProtocolError(f"the request cannot be sent: {type(exc).__name__}")
    return httpx2.TransportError(f"{type(exc).__name__} talking to {where}")


def _os_detail(exc: BaseException) -> str:
    """What went wrong at the socket, without anything that might quote the URL."""
    os_error: Any = getattr(exc, "os_error", None) or exc
    if isinstance(os_error, OSError) and os_error.strerror:
        return os_error.strerror
    return str(os_error) or type(os_error).__name__


def _first_line(message: str) -> str:
    """llhttp's reason without the quoted bytes and caret lines that follow it, capped."""
    line = message.strip().split("\n", 1)[0].rstrip(": ")
    return line if len(line) <= 160 else line[:157] + "..."


def _socket_error(payload_error: str) -> str | None:
    """The socket error aiohttp appends to "payload is not completed" when the connection
    did not close cleanly (``... <ContentLengthError ...>. ConnectionResetError(104, ...)``)."""
    match = re.search(r"\. (\w+)\(", payload_error)
    kind = getattr(builtins, match.group(1), None) if match else None
    if isinstance(kind, type) and issubclass(kind, OSError):
        return kind.__name__
    return None
