"""A scripted HTTP/1.1 server on 127.0.0.1 for fault injection.

Each request takes the next :class:`Reply` of the script: a status, headers, then frames
(bytes to send, or a float to pause that many seconds), then an ending — ``"close"`` (a
clean end of body), ``"truncate"`` (close without the final chunk of a chunked body),
``"reset"`` (a TCP RST), ``"hang"`` (send nothing more until the client goes away) or
``"drop"`` (read the request, then close without answering).

A cleanly ended reply keeps the connection open for the next request (keep-alive, as real
hosts do), unless the reply says ``connection_close``; so retries after a 5xx reuse the
connection and the faults of the next reply hit a reused one. ``busy`` counts connections
with a reply in progress: one still busy after a test is a response the client failed to
close. ``{AUTH}`` in a body is replaced by the request's credential header (Authorization,
x-api-key or x-goog-api-key), to prove an echoed key is redacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

Ending = Literal["close", "truncate", "reset", "hang", "drop"]


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict[str, str])
    frames: Sequence[bytes | float] = ()
    end: Ending = "close"
    chunked: bool = True
    content_type: str = "text/event-stream"
    connection_close: bool = False


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int = 0
    """Which connection it came on (1, 2, ... in the order they were accepted)."""

    def json(self) -> Any:
        return orjson.loads(self.body)


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    529: "Overloaded",
}


class ScriptedServer:
    """Start with ``await server.start()``; ``url`` is its base; ``open`` counts live
    connections, ``busy`` those with a reply in progress, ``connections`` all accepted;
    ``requests`` records what arrived; ``closed_by_client`` counts connections the client
    closed while the server still had something to send or was hanging."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.requests: list[Request] = []
        self.open = 0
        self.busy = 0
        self.connections = 0
        self.closed_by_client = 0
        self.errors: list[str] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def add(self, *replies: Reply) -> None:
        self.script.extend(replies)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def wait_idle(self, within: float = 2.0) -> bool:
        """Wait until no reply is in progress; False if one still is after ``within`` s
        (idle kept-alive connections are fine: they belong to the client's pool)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + within
        while self.busy and loop.time() < end:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        return self.busy == 0

    async def wait_closed(self, within: float = 2.0) -> bool:
        """Wait until every connection is closed (after the client was closed)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + within
        while self.open and loop.time() < end:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        return self.open == 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.connections += 1
        connection = self.connections
        try:
            while True:
                request = await self._read_request(reader, connection)
                if request is None:
                    return  # the client closed an idle connection
                self.busy += 1
                try:
                    self.requests.append(request)
                    if not self.script:
                        self.errors.append(f"unexpected request #{len(self.requests)}")
                        writer.write(b"HTTP/1.1 599 Unscripted\r\nContent-Length: 0\r\n\r\n")
                        return
                    reply = self.script.pop(0)
                    await self._reply(reply, request, reader, writer)
                finally:
                    self.busy -= 1
                if reply.end != "close" or reply.connection_close:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            self.closed_by_client += 1
        finally:
            with contextlib.suppress(Exception):
                if not writer.transport.is_closing():
                    writer.close()
                await writer.wait_closed()
            self.open -= 1

    async def _read_request(self, reader: asyncio.StreamReader, connection: int) -> Request | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        return Request(method, path, headers, body, connection)

    async def _reply(
        self,
        reply: Reply,
        request: Request,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        h = request.headers
        auth = (
            h.get("authorization") or h.get("x-api-key") or h.get("x-goog-api-key") or ""
        ).encode()
        head = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}"]
        names = {k.lower() for k in reply.headers}
        if "content-type" not in names:
            head.append(f"Content-Type: {reply.content_type}")
        head.extend(f"{k}: {v}" for k, v in reply.headers.items())
        frames = [f.replace(b"{AUTH}", auth) if isinstance(f, bytes) else f for f in reply.frames]
        if reply.chunked:
            head.append("Transfer-Encoding: chunked")
        elif reply.end in ("close", "truncate"):
            size = sum(len(f) for f in frames if isinstance(f, bytes))
            head.append(f"Content-Length: {size + (1 if reply.end == 'truncate' else 0)}")
        if reply.connection_close:  # faulted replies do not say so: the client must notice
            head.append("Connection: close")
        if reply.end == "drop":
            return  # read, never answered: the connection closes
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        await writer.drain()
        for frame in frames:
            if isinstance(frame, float):
                await asyncio.sleep(frame)
                continue
            writer.write(b"%x\r\n%s\r\n" % (len(frame), frame) if reply.chunked else frame)
            await writer.drain()
        if reply.end == "close":
            if reply.chunked:
                writer.write(b"0\r\n\r\n")
            await writer.drain()
        elif reply.end == "reset":
            sock: socket.socket = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        elif reply.end == "hang":
            # Send nothing more; return once the client closes its end.
            while await reader.read(1024):
                pass
            self.closed_by_client += 1


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
