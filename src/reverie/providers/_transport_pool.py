"""The connection pool of :class:`~reverie.providers._transport.FastTransport`.

Connections are kept per origin; at most ``max_connections`` are open (or connecting) in
total. A request that finds no idle connection and no free slot closes the oldest idle
connection of another origin, else waits (FIFO) for a slot, bounded by the pool timeout.
Idle connections are reused newest first, if still alive, quiet and younger than
``keepalive_expiry``; at most ``max_keepalive`` are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable

import httpx2

from reverie.providers._transport_conn import Connection, Origin

Connector = Callable[[Origin], Awaitable[Connection]]


class Pool:
    """Open connections by origin, with a total limit and FIFO waiters for a free slot."""

    def __init__(self, max_connections: int, max_keepalive: int, keepalive_expiry: float) -> None:
        self.max_connections = max_connections
        self.max_keepalive = max_keepalive
        self.keepalive_expiry = keepalive_expiry
        self.open = 0  # open or connecting connections
        self._idle: dict[Origin, list[Connection]] = {}
        self._idle_count = 0
        self._all: set[Connection] = set()
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(
        self, origin: Origin, pool_timeout: float | None, connect: Connector
    ) -> Connection:
        """A reusable idle connection to ``origin``, or a new one once a slot is free."""
        loop = asyncio.get_running_loop()
        deadline = None if pool_timeout is None else loop.time() + pool_timeout
        while True:
            idle = self._idle.get(origin)
            while idle:
                conn = idle.pop()
                self._idle_count -= 1
                if conn.reusable(loop.time() - self.keepalive_expiry):
                    return conn
                self._close(conn)
            if self.open >= self.max_connections and self._idle_count:
                self._close_oldest_idle()
            if self.open < self.max_connections:
                break
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout_at(deadline):
                    await waiter
            except BaseException as exc:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # woken, but leaving (timeout, cancel): pass the turn on
                else:
                    self._remove_waiter(waiter)
                if isinstance(exc, TimeoutError):
                    raise httpx2.PoolTimeout(
                        f"all {self.max_connections} connections are busy (pool timeout)"
                    ) from None
                raise
        self.open += 1
        try:
            conn: Connection = await connect(origin)
        except BaseException:
            self.open -= 1
            self._wake()
            raise
        self._all.add(conn)
        return conn

    def release(self, conn: Connection) -> None:
        """Return a connection whose response was read to the end and may be reused."""
        if conn.closed or self._idle_count >= self.max_keepalive or conn not in self._all:
            self.discard(conn)
            return
        conn.idle_since = asyncio.get_running_loop().time()
        conn.stop_timer()
        self._idle.setdefault(conn.origin, []).append(conn)
        self._idle_count += 1
        self._wake()

    def discard(self, conn: Connection) -> None:
        """Close a connection that must not be reused (idempotent)."""
        if conn in self._all:
            self._close(conn)

    def close(self) -> None:
        """Close every connection, idle or busy (the client is closing)."""
        for conn in list(self._all):
            self._close(conn)
        self._idle.clear()
        self._idle_count = 0

    def _close(self, conn: Connection) -> None:
        conn.close()
        if conn in self._all:
            self._all.discard(conn)
            self.open -= 1
            self._wake()

    def _close_oldest_idle(self) -> None:
        oldest: Connection | None = None
        for conns in self._idle.values():
            if conns and (oldest is None or conns[0].idle_since < oldest.idle_since):
                oldest = conns[0]
        if oldest is not None:
            self._idle[oldest.origin].remove(oldest)
            self._idle_count -= 1
            self._close(oldest)

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _remove_waiter(self, waiter: asyncio.Future[None]) -> None:
        with contextlib.suppress(ValueError):
            self._waiters.remove(waiter)
