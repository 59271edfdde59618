"""One live connection to an MCP server, held open by a task of its own.

The SDK's client lives in anyio task groups and cancel scopes, which must be entered and
left by one task. An agent run is an async generator whose closing may happen on another
task (a finalizer, a cancelled consumer), so the connection is opened and closed by a
dedicated *owner* task; every other task only sends requests over it, which the SDK allows.
Closing signals the owner and waits for it, from any task; the SDK then closes the
transport and, for a local server, stops its process (stdin closed, then SIGTERM, then
SIGKILL to the whole process group), so no child outlives the connection.

The connection notices when a server dies or breaks the protocol (a line on stdout that is
not JSON-RPC) and keeps the reason, so errors can say what happened, together with the
tail of the server's stderr when reverie captured it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

import anyio
import mcp.types as types
from mcp import Client
from mcp.client import Transport
from mcp.client.session import ElicitationFnT, SamplingFnT
from mcp.shared.exceptions import MCPError
from mcp.types.version import MODERN_PROTOCOL_VERSIONS

from reverie.errors import ReverieError

logger = logging.getLogger(__name__.rpartition(".")[0])  # "reverie.mcp"

_STDERR_TAIL = 2000  # characters of a server's stderr quoted in an error


class MCPServerError(ReverieError):
    """An MCP server could not be started or reached, or stopped answering."""


@dataclass
class Handlers:
    """What the connection calls back into (all optional)."""

    sampling: SamplingFnT | None = None
    elicitation: ElicitationFnT | None = None
    on_notification: Callable[[Any], None] | None = None
    client_info: types.Implementation = field(
        default_factory=lambda: types.Implementation(name="reverie", version=package_version())
    )


class Connection:
    """An open client session over ``transport``; create with :meth:`open`."""

    def __init__(self, label: str, stderr: IO[str] | None) -> None:
        self.label = label
        self._stderr = stderr
        self._stderr_tail = ""
        self._client: Client | None = None
        self._stop = asyncio.Event()
        self._owner: asyncio.Task[None] | None = None
        self._scope: anyio.CancelScope | None = None
        self.failure: str | None = None  # why the server is unusable, once it is
        self.broken: str | None = None  # the last protocol violation seen, if any

    @classmethod
    async def open(
        cls,
        label: str,
        make_transport: Callable[[IO[str] | None], Transport],
        handlers: Handlers,
        *,
        startup_timeout: float,
        mode: str,
        capture_stderr: bool,
    ) -> Connection:
        """Connect and finish the handshake within ``startup_timeout`` seconds, or raise
        :class:`MCPServerError` (the server process, if any, is stopped first)."""
        # Closed by close(), which every path out of a connection goes through.
        stderr = tempfile.TemporaryFile("w+", encoding="utf-8") if capture_stderr else None  # noqa: SIM115
        conn = cls(label, stderr)
        ready: asyncio.Future[Client] = asyncio.get_running_loop().create_future()
        owner = conn._hold(make_transport(stderr), handlers, mode, startup_timeout, ready)
        conn._owner = asyncio.create_task(owner, name=f"mcp:{label}")
        try:
            conn._client = await asyncio.shield(ready)
        except BaseException as exc:
            await conn.close()
            if isinstance(exc, asyncio.CancelledError):
                raise
            if isinstance(exc, TimeoutError):
                why = f" ({conn.broken})" if conn.broken else ""
                raise MCPServerError(
                    f"{label} did not finish the MCP handshake within {startup_timeout:g} s"
                    f"{why}{conn.stderr_note()}; check the command or URL (a server must "
                    "speak JSON-RPC on stdout or at the URL), or raise startup_timeout"
                ) from None
            closed = isinstance(exc, MCPError) and exc.code == types.CONNECTION_CLOSED
            why = "it closed the connection (did it exit?)" if closed else _describe(exc)
            raise MCPServerError(
                f"{label} could not be started or reached: {why}{conn.stderr_note()}"
            ) from exc
        return conn

    async def _hold(
        self,
        transport: Transport,
        handlers: Handlers,
        mode: str,
        startup_timeout: float,
        ready: asyncio.Future[Client],
    ) -> None:
        async def on_message(message: Any) -> None:
            if isinstance(message, ValueError):  # pydantic's ValidationError is one too
                # A line that is not JSON-RPC: the server broke the protocol. Not fatal (a
                # stray log line on stdout), but the reason a request may never be answered.
                self.broken = f"it sent something that is not JSON-RPC: {_describe(message)[:300]}"
                logger.warning("%s: %s", self.label, self.broken)
            elif isinstance(message, Exception):
                logger.info("%s: transport: %s", self.label, _describe(message))
            elif handlers.on_notification is not None:
                handlers.on_notification(message)

        client = Client(
            transport,
            mode=mode,
            cache=None,  # reverie refetches on list_changed itself
            client_info=handlers.client_info,
            message_handler=on_message,
            sampling_callback=handlers.sampling,
            elicitation_callback=handlers.elicitation,
            logging_callback=self._log,
        )
        # anyio's own cancellation (not Task.cancel) stops the owner: the SDK's shielded
        # shutdown, which stops the server process, then always runs to its end.
        # The scope's deadline bounds the handshake and is lifted once it is done.
        deadline = anyio.current_time() + startup_timeout
        with anyio.CancelScope(deadline=deadline) as self._scope:
            try:
                async with client, anyio.create_task_group() as tasks:
                    self._scope.deadline = math.inf
                    if _announces_tool_changes(client):
                        tasks.start_soon(self._listen, client, handlers)
                    ready.set_result(client)
                    await self._stop.wait()
                    tasks.cancel_scope.cancel()
            except BaseException as exc:
                if not ready.done() and isinstance(exc, Exception):
                    ready.set_exception(exc)
                elif isinstance(exc, Exception):
                    self.failure = self.failure or f"its connection failed: {_describe(exc)}"
                if not isinstance(exc, Exception):
                    raise
        if not ready.done():
            timed_out = self._scope.cancelled_caught and not self._stop.is_set()
            ready.set_exception(
                TimeoutError()
                if timed_out
                else MCPServerError("the connection was closed during the handshake")
            )

    async def _listen(self, client: Client, handlers: Handlers) -> None:
        """On a 2026 connection a server announces changes only on a subscription stream."""
        try:
            async with client.listen(tools_list_changed=True) as subscription:
                async for event in subscription:
                    if handlers.on_notification is not None:
                        handlers.on_notification(event)
        except Exception as exc:  # the stream is an optimisation: lists are refetched anyway
            logger.info("%s: no change notifications (%s)", self.label, _describe(exc))

    async def _log(self, params: types.LoggingMessageNotificationParams) -> None:
        level = {"debug": logging.DEBUG, "info": logging.INFO, "notice": logging.INFO}.get(
            params.level, logging.WARNING
        )
        logger.log(level, "%s: %s", self.label, params.data)

    @property
    def client(self) -> Client:
        if self._client is None:
            raise MCPServerError(f"{self.label} is not connected")
        return self._client

    def stderr_note(self) -> str:
        """``"; its stderr ended with: ..."`` when reverie captured some, else ``""``."""
        tail = self._stderr_tail if self._stderr is None else self._read_stderr()
        return f"; its stderr ended with:\n{tail}" if tail else ""

    def _read_stderr(self) -> str:
        assert self._stderr is not None
        with contextlib.suppress(OSError, ValueError):
            self._stderr.flush()
            self._stderr.seek(0, 2)
            end = self._stderr.tell()
            self._stderr.seek(max(0, end - _STDERR_TAIL * 4))
            return self._stderr.read()[-_STDERR_TAIL:].strip()
        return ""

    def explain(self, exc: BaseException) -> str:
        """Why a request failed, in words for the model and the user."""
        if isinstance(exc, MCPError) and exc.code == types.REQUEST_TIMEOUT:
            why = f"; before that, {self.broken}" if self.broken else ""
            return f"{self.label} did not answer in time (the request was cancelled){why}"
        closed = isinstance(exc, MCPError) and exc.code == types.CONNECTION_CLOSED
        if closed or self._owner is None or self._owner.done():
            self.failure = self.failure or "it closed the connection (it may have crashed)"
        if self.failure:
            return f"{self.label} is not usable: {self.failure}{self.stderr_note()}"
        return f"{self.label} failed: {_describe(exc)}"

    async def close(self) -> None:
        """Close the session and stop the server; idempotent, safe from any task."""
        self._stop.set()
        owner = self._owner
        if self._client is None and self._scope is not None:
            self._scope.cancel()  # still connecting: give up the handshake
        if owner is not None and not owner.done():
            try:
                # Shielded: a caller being cancelled must not leave the server running.
                await asyncio.shield(owner)
            except asyncio.CancelledError:
                await asyncio.wait({owner})
                raise
            except Exception:
                pass
        if self._stderr is not None:
            self._stderr_tail = self._read_stderr()  # kept for errors raised after closing
            self._stderr.close()
            self._stderr = None
        self._client = None


def _announces_tool_changes(client: Client) -> bool:
    tools = client.server_capabilities.tools
    modern = client.protocol_version in MODERN_PROTOCOL_VERSIONS
    return modern and tools is not None and bool(tools.list_changed)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        inner: tuple[BaseException, ...] = exc.exceptions  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        return "; ".join(_describe(e) for e in inner)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def package_version() -> str:
    """reverie's version, as MCP client and server info carry it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("reverie")
    except PackageNotFoundError:
        return "0"
