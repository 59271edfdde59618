"""Loopback servers for the transport contract suite: an HTTP/1.1 origin (plain or TLS), a
forwarding proxy (absolute-form requests and ``CONNECT`` tunnels), and certificates made
in the test (a CA with ``trustme``, a self-signed leaf with ``cryptography``).

Everything listens on 127.0.0.1 and is closed by its context manager.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import trustme

from reverie.providers._client import new_http_client

BACKENDS = ["aiohttp", "httpx2"]
"""reverie's default transport (the aiohttp adapter) and httpx2's own: the contract holds
for both."""

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "Server"], Awaitable[None]]


def client(backend: str, **kwargs: object) -> httpx2.AsyncClient:
    """A client made as reverie makes its default, over ``backend``, 5 s backstop timeout."""
    kwargs.setdefault("timeout", 5)
    return new_http_client(transport=backend, **kwargs)  # type: ignore[arg-type]


@dataclass
class Server:
    """What the origin saw: connections accepted, those still open, requests, TLS names."""

    port: int = 0
    connections: int = 0
    open: int = 0
    requests: list[bytes] = field(default_factory=list[bytes])
    sni: list[str | None] = field(default_factory=list[str | None])
    alpn: list[str | None] = field(default_factory=list[str | None])

    async def settle(self, within: float = 2.0) -> bool:
        """Wait until every connection is closed; False if one is still open after that."""
        loop = asyncio.get_running_loop()
        end = loop.time() + within
        while self.open and loop.time() < end:  # noqa: ASYNC110  (the server's own count)
            await asyncio.sleep(0.01)
        return self.open == 0


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """One request (head and Content-Length body); IncompleteReadError at EOF."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + (await reader.readexactly(length) if length else b"")


def request_headers(raw: bytes) -> dict[bytes, bytes]:
    head = raw.partition(b"\r\n\r\n")[0]
    pairs = (line.partition(b":") for line in head.split(b"\r\n")[1:])
    return {name.strip().lower(): value.strip() for name, _, value in pairs}


@asynccontextmanager
async def serve(handler: Handler, context: ssl.SSLContext | None = None) -> AsyncIterator[Server]:
    """An origin on 127.0.0.1 running ``handler`` per connection (TLS with ``context``)."""
    state = Server()
    tasks: set[asyncio.Task[None]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        state.open += 1
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        tls = writer.get_extra_info("ssl_object")
        if tls is not None:
            state.sni.append(getattr(tls, "reverie_sni", None))
            state.alpn.append(tls.selected_alpn_protocol())
        try:
            await handler(reader, writer, state)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            state.open -= 1
            tasks.discard(task)

    if context is not None:

        def remember_sni(sock: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> None:
            sock.reverie_sni = name  # type: ignore[attr-defined]

        context.sni_callback = remember_sni  # type: ignore[assignment]
    server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=context)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


def keep_serving(response: bytes) -> Handler:
    """Answer every request on the connection with ``response`` (keep-alive)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: Server):
        while True:
            s.requests.append(await read_request(reader))
            writer.write(response)
            await writer.drain()

    return handler


# -- the proxy ---------------------------------------------------------------------------


@dataclass
class Proxy:
    """What the proxy saw: each request's first line and headers."""

    port: int = 0
    lines: list[bytes] = field(default_factory=list[bytes])
    headers: list[dict[bytes, bytes]] = field(default_factory=list[dict[bytes, bytes]])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@asynccontextmanager
async def proxy_to(origin_port: int) -> AsyncIterator[Proxy]:
    """A forwarding proxy that sends everything to 127.0.0.1:``origin_port`` whatever host
    is asked for (so names that do not resolve can be tested): ``CONNECT`` is tunnelled,
    an absolute-form request is passed on as is."""
    state = Proxy()
    tasks: set[asyncio.Task[None]] = set()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(Exception):
            writer.close()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        up_writer: asyncio.StreamWriter | None = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            state.lines.append(head.split(b"\r\n", 1)[0])
            state.headers.append(request_headers(head))
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", origin_port)
            if head.startswith(b"CONNECT "):
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                up_writer.write(head)
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for w in (writer, up_writer):
                if w is not None:
                    w.close()
                    with contextlib.suppress(Exception):
                        await w.wait_closed()
            tasks.discard(task)

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


# -- certificates ------------------------------------------------------------------------


class Certificates:
    """A test CA (trusted only where a test says so) and server contexts for given names."""

    def __init__(self, directory: Path) -> None:
        self.ca = trustme.CA()
        self.ca_file = directory / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.directory = directory

    def server(self, *names: str) -> ssl.SSLContext:
        """A server context with a certificate from the CA for ``names``; ALPN http/1.1."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(*names).configure_cert(context)
        context.set_alpn_protocols(["http/1.1"])
        return context

    def trusting(self) -> ssl.SSLContext:
        """A client context that trusts the CA (and nothing else)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        context.set_alpn_protocols(["http/1.1"])
        return context

    def self_signed_server(self, name: str) -> ssl.SSLContext:
        """A server context with a self-signed certificate for ``name`` and 127.0.0.1."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.UTC)
        alt = [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .sign(key, hashes.SHA256())
        )
        cert_file, key_file = self.directory / "self.pem", self.directory / "self.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        return context
