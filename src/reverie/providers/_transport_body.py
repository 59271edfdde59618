"""The response body stream of :class:`~reverie.providers._transport.FastTransport`.

Yields one bytes object per socket read (for chunked bodies: the payloads of every chunk
the read completed, joined). When the body ends cleanly on a keep-alive connection, the
connection goes back to the pool at once; if the body is abandoned, fails, or the
connection cannot be reused, the connection is closed. :meth:`Body.aclose` is idempotent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import httpx2

from reverie.providers._http11 import ChunkedDecoder, H11Error

if TYPE_CHECKING:
    from reverie.providers._transport_conn import Connection
    from reverie.providers._transport_pool import Pool


class Body(httpx2.AsyncByteStream):
    """A response body framed as ``"none"``, ``"chunked"``, ``"length"`` or ``"close"``."""

    def __init__(
        self,
        pool: Pool,
        conn: Connection,
        framing: str,
        length: int,
        initial: bytes,
        keep_alive: bool,
        read_timeout: float | None,
    ) -> None:
        self._pool = pool
        self._conn: Connection | None = conn
        self._framing = framing
        self._length = length
        self._initial = initial
        self._keep_alive = keep_alive
        self._timeout = read_timeout
        if framing == "none":
            self._finish(reusable=not initial)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        try:
            if self._framing == "chunked":
                decoder = ChunkedDecoder()
                data = self._initial
                while True:
                    if data:
                        try:
                            out = decoder.feed(data)
                        except H11Error as exc:
                            raise httpx2.RemoteProtocolError(str(exc)) from exc
                        if decoder.done:
                            self._finish(reusable=not decoder.leftover)
                            if out:
                                yield out
                            return
                        if out:
                            yield out
                    data = await conn.read(self._timeout)
                    if not data:
                        raise httpx2.RemoteProtocolError(
                            "the server closed the connection in the middle of a chunked "
                            "body (incomplete chunked read)"
                        )
            elif self._framing == "length":
                remaining = self._length
                data = self._initial
                while True:
                    if data:
                        if len(data) >= remaining:
                            self._finish(reusable=len(data) == remaining)
                            if remaining:
                                yield data[:remaining]
                            return
                        remaining -= len(data)
                        yield data
                    elif remaining == 0:
                        self._finish(reusable=True)
                        return
                    data = await conn.read(self._timeout)
                    if not data:
                        raise httpx2.RemoteProtocolError(
                            f"the server closed the connection with {remaining} bytes of the "
                            "body still to come (incomplete read)"
                        )
            else:  # "close": the body is everything until the server closes
                data = self._initial
                while True:
                    if data:
                        yield data
                    data = await conn.read(self._timeout)
                    if not data:
                        self._finish(reusable=False)
                        return
        except BaseException:
            # Failed or abandoned (GeneratorExit) in the middle: the connection is unusable.
            self._finish(reusable=False)
            raise

    async def aclose(self) -> None:
        self._finish(reusable=False)

    def _finish(self, *, reusable: bool) -> None:
        conn = self._conn
        if conn is None:
            return
        self._conn = None
        if reusable and self._keep_alive:
            self._pool.release(conn)
        else:
            self._pool.discard(conn)
