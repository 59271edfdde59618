"""One HTTP/1.1 connection of :class:`~reverie.providers._transport.FastTransport`.

An ``asyncio.Protocol`` that buffers what the socket delivers and hands it out per
:meth:`Connection.read` as one bytes object (no copy when a single segment is waiting).
Read timeouts use one timer per connection, armed when a read starts waiting and re-armed
lazily when it fires early, instead of a timer per read. Failures surface as httpx2's
exception types.
"""

from __future__ import annotations

import asyncio
import ssl

import httpx2

Origin = tuple[str, str, int]
"""(scheme, host, port)"""

_HIGH_WATER = 1 << 20  # stop reading the socket when this much is buffered and unread


class Connection(asyncio.Protocol):
    """A connected socket (plain or TLS) speaking to one origin."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.requests = 0  # requests sent on this connection (> 0 means reused)
        self.idle_since = 0.0
        self.closed = False
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._chunks: list[bytes] = []
        self._size = 0
        self._eof = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._reading_paused = False
        self._drain: asyncio.Future[None] | None = None
        self._writing_paused = False
        self._timer: asyncio.TimerHandle | None = None
        self._wait_started = 0.0
        self._timeout = 0.0

    @classmethod
    async def open(
        cls,
        origin: Origin,
        host: str,
        port: int,
        context: ssl.SSLContext | None,
        connect_timeout: float | None,
    ) -> Connection:
        """Connect (and handshake TLS with SNI ``host``) within ``connect_timeout`` seconds."""
        loop = asyncio.get_running_loop()
        conn = cls(origin)
        try:
            async with asyncio.timeout(connect_timeout):
                await loop.create_connection(
                    lambda: conn,
                    host,
                    port,
                    ssl=context,
                    server_hostname=host if context is not None else None,
                    # Try the next address (IPv4 after IPv6) if one stalls, as browsers do.
                    happy_eyeballs_delay=0.25,
                )
        except TimeoutError:
            conn.close()
            raise httpx2.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
        except (OSError, ssl.SSLError) as exc:
            conn.close()
            raise httpx2.ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        return conn

    # -- asyncio.Protocol -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._chunks.append(data)
        self._size += len(data)
        if self._size > _HIGH_WATER and not self._reading_paused and self._transport:
            self._transport.pause_reading()
            self._reading_paused = True
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return False  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._eof = True
        self._error = exc
        self._wake()
        self.stop_timer()
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_exception(httpx2.WriteError(f"connection lost while writing: {exc}"))

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)

    # -- used by the transport --------------------------------------------------------

    def reusable(self, expired_before: float) -> bool:
        """Idle, alive, quiet (no unsolicited bytes) and used recently enough."""
        return (
            not self.closed
            and not self._eof
            and not self._chunks
            and self.idle_since >= expired_before
            and self._transport is not None
            and not self._transport.is_closing()
        )

    async def write(self, data: bytes, write_timeout: float | None) -> None:
        transport = self._transport
        if transport is None or self.closed or transport.is_closing():
            raise httpx2.WriteError("the connection was closed before the request was sent")
        transport.write(data)
        if self._writing_paused:
            self._drain = self._loop.create_future()
            try:
                async with asyncio.timeout(write_timeout):
                    await self._drain
            except TimeoutError:
                raise httpx2.WriteTimeout("sending the request timed out") from None
            finally:
                self._drain = None

    async def read(self, read_timeout: float | None) -> bytes:
        """The bytes received so far (waiting for some if none); ``b""`` at a clean EOF."""
        if not self._chunks:
            if self._eof:
                return self._at_eof()
            await self._wait(read_timeout)
            if not self._chunks:
                return self._at_eof()
        chunks = self._chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._chunks = []
        self._size = 0
        if self._reading_paused and self._transport is not None:
            self._reading_paused = False
            self._transport.resume_reading()
        return data

    def close(self) -> None:
        self.closed = True
        self.stop_timer()
        if self._transport is not None:
            self._transport.abort()  # nothing of ours is worth flushing; free the socket now

    def stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # -- internals --------------------------------------------------------------------

    def _at_eof(self) -> bytes:
        if self._error is not None:
            raise httpx2.ReadError(f"connection lost: {self._error}")
        return b""

    async def _wait(self, read_timeout: float | None) -> None:
        waiter = self._loop.create_future()
        self._waiter = waiter
        if read_timeout is not None:
            timeout = read_timeout
            now = self._loop.time()
            self._wait_started = now
            self._timeout = timeout
            timer = self._timer
            if timer is None or timer.when() > now + timeout:
                if timer is not None:
                    timer.cancel()
                self._timer = self._loop.call_at(now + timeout, self._on_timer)
        try:
            await waiter
        finally:
            self._waiter = None

    def _on_timer(self) -> None:
        # Armed by an earlier wait, this may fire before the current wait is due: re-arm.
        self._timer = None
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        due = self._wait_started + self._timeout
        if self._loop.time() + 0.001 < due:
            self._timer = self._loop.call_at(due, self._on_timer)
            return
        self._waiter = None
        waiter.set_exception(httpx2.ReadTimeout(f"no data for {self._timeout:g} s (read timeout)"))

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
