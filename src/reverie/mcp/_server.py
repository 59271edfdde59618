"""An MCP server as a toolset of an agent; its resources and prompts as reverie values.

The transport-independent part of :class:`MCPServerStdio`, :class:`MCPServerHTTP` and
:class:`MCPServerSSE` (see :mod:`reverie.mcp._transports`).

Lifecycle. ``async with server:`` connects (for stdio, starts the process) and finishes the
MCP handshake within ``startup_timeout`` seconds, or raises :class:`MCPServerError` with the
server's stderr. Entering is counted: the agent enters the server for each run, so a server
the caller holds open stays open across runs, and one it does not is started and stopped by
each run. Leaving the last ``async with`` stops the server process.

Tools. Listed once (every page) and again after the server says its list changed; shaped
for the provider of the step that will use them (:mod:`reverie.mcp._schema`). A call runs
under ``call_timeout`` seconds with progress reported to ``on_progress``; when the run is
cancelled, the call is cancelled and the server told. Whatever goes wrong in a call (the
server's error, a timeout, a crash, a result over ``max_result_size``) comes back as an
error result the model reads; the run goes on.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import IO, Any, Literal

import mcp.types as types
from mcp.client import Transport
from mcp.shared.subscriptions import ToolsListChanged

from reverie.content import ErrorOutput, Message, Part, ToolOutput
from reverie.mcp._connection import Connection, Handlers, MCPServerError
from reverie.mcp._elicitation import ElicitationHandler, elicitation_callback
from reverie.mcp._resources import content_part, prompt_messages
from reverie.mcp._results import to_tool_output
from reverie.mcp._sampling import sampling_callback
from reverie.mcp._schema import target_for
from reverie.mcp._tools import ToolFilter, build_tools
from reverie.model import LanguageModel
from reverie.tool import FunctionTool

logger = logging.getLogger(__name__.rpartition(".")[0])  # "reverie.mcp"

_MAX_PAGES = 1000  # a server whose cursors never end cannot hang the listing


@dataclass(frozen=True, slots=True)
class ToolProgress:
    """A progress report for a running tool call (``total`` and ``message`` when given)."""

    server: str
    tool: str
    progress: float
    total: float | None
    message: str | None


ProgressHandler = Callable[[ToolProgress], Awaitable[None] | None]


class MCPServer:
    """Base of the MCP server toolsets; construct a subclass for a transport.

    Options (keyword-only, on every subclass):

    - ``name``: prefix for tool names that collide with other tools (default: the server's
      own name); ``prefix``: put ``<prefix>_`` before every tool name;
    - ``include`` / ``exclude``: offer only these tools / not these (server names);
    - ``strict``: shape schemas for OpenAI's strict mode (when you turn it on);
    - ``sampling_model``: a model (or name) that answers the server's sampling requests;
    - ``elicitation``: a callback that answers the server's questions to the user;
    - ``on_progress``: called with :class:`ToolProgress` while tools run;
    - ``startup_timeout``, ``call_timeout`` (seconds), ``max_result_size`` (characters of
      text plus bytes of media in one result);
    - ``protocol``: ``"auto"`` (the newest the server speaks) or ``"legacy"`` (the
      ``initialize`` handshake only).
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        prefix: str | None = None,
        include: Collection[str] | None = None,
        exclude: Collection[str] = (),
        strict: bool = False,
        sampling_model: LanguageModel | str | None = None,
        elicitation: ElicitationHandler | None = None,
        on_progress: ProgressHandler | None = None,
        startup_timeout: float = 30.0,
        call_timeout: float | None = 300.0,
        max_result_size: int = 1_000_000,
        protocol: Literal["auto", "legacy"] = "auto",
    ) -> None:
        self._name = name
        self.prefix = prefix
        self.tool_filter = ToolFilter(include, exclude)
        self.strict = strict
        self.sampling_model = sampling_model
        self.elicitation = elicitation
        self.on_progress = on_progress
        self.startup_timeout = startup_timeout
        self.call_timeout = call_timeout
        self.max_result_size = max_result_size
        self.protocol = protocol
        self._conn: Connection | None = None
        self._users = 0
        self._lock: asyncio.Lock | None = None
        self._listing: list[types.Tool] | None = None
        self._stale = False
        self._built: dict[str, list[FunctionTool]] = {}

    # -- what a transport subclass provides ---------------------------------------------

    def _transport(self, stderr: IO[str] | None) -> Transport:
        raise NotImplementedError

    @property
    def label(self) -> str:
        """How messages name this server (never with credentials)."""
        return "MCP server"

    _capture_stderr = False

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The toolset name: ``name=``, else the server's own name, else ``"mcp"``."""
        if self._name:
            return self._name
        info = self._conn.client.server_info if self._conn is not None else None
        raw = info.name if info is not None else ""
        return re.sub(r"[^A-Za-z0-9_-]+", "_", raw.rsplit("/", 1)[-1]).strip("_") or "mcp"

    async def __aenter__(self) -> MCPServer:
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if self._conn is None:
                self._conn = await Connection.open(
                    self.label,
                    self._transport,
                    self._handlers(),
                    startup_timeout=self.startup_timeout,
                    mode=self.protocol,
                    capture_stderr=self._capture_stderr,
                )
            self._users += 1
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._lock is not None
        async with self._lock:
            self._users -= 1
            if self._users > 0 or self._conn is None:
                return
            conn, self._conn = self._conn, None
            self._listing, self._stale = None, False
            self._built.clear()
        await conn.close()

    def _handlers(self) -> Handlers:
        handlers = Handlers(on_notification=self._notified)
        if self.sampling_model is not None:
            handlers.sampling = sampling_callback(self._sampler, self.label)
        if self.elicitation is not None:
            handlers.elicitation = elicitation_callback(self.elicitation, self.label)
        return handlers

    def _sampler(self) -> LanguageModel:
        model = self.sampling_model
        if isinstance(model, str):
            from reverie.providers import get_model

            self.sampling_model = model = get_model(model)
        assert model is not None
        return model

    def _notified(self, message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification | ToolsListChanged):
            self._stale = True  # refetched before the next step

    def _connection(self) -> Connection:
        if self._conn is None:
            raise MCPServerError(
                f"{self.label} is not running: use `async with server:` or pass it to an Agent"
            )
        return self._conn

    @property
    def client(self) -> Any:
        """The SDK's ``mcp.Client`` of the open connection, for anything not wrapped here."""
        return self._connection().client

    # -- tools -----------------------------------------------------------------------------

    async def list_tools(self, model: LanguageModel | None = None) -> list[FunctionTool]:
        """The server's tools as reverie tools, schemas shaped for ``model``'s provider."""
        conn = self._connection()
        if self._listing is None or self._stale:
            self._stale = False
            try:
                listing = await self._pages(conn, "tools")
            except MCPServerError:
                if self._listing is None:
                    raise
                logger.warning("%s: keeping the old tool list", self.label, exc_info=True)
            else:
                self._listing = [t for t in listing if isinstance(t, types.Tool)]
                self._built.clear()
        assert self._listing is not None
        target = target_for(model.provider if model is not None else None, strict=self.strict)
        if target not in self._built:
            self._built[target] = build_tools(
                self._listing,
                target,
                self.call_tool,
                prefix=self.prefix,
                tool_filter=self.tool_filter,
            )
        return self._built[target]

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None) -> ToolOutput:
        """Call a tool by the server's name for it; failures are an :class:`ErrorOutput`."""
        conn = self._conn
        where = f"tool {name!r} of {self.label}"
        if conn is None:
            return ErrorOutput(f"{where} cannot run: the server is not running")
        try:
            result = await conn.client.call_tool(
                name,
                arguments or {},
                read_timeout_seconds=self.call_timeout,
                progress_callback=self._progress(name),
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return ErrorOutput(f"{where} failed: {conn.explain(exc)}")
        return to_tool_output(result, max_size=self.max_result_size, where=where)

    def _progress(self, tool: str) -> Any:
        handler = self.on_progress
        if handler is None:
            return None

        async def report(progress: float, total: float | None, message: str | None) -> None:
            outcome = handler(ToolProgress(self.name, tool, progress, total, message))
            if inspect.isawaitable(outcome):
                await outcome

        return report

    # -- resources and prompts -------------------------------------------------------------

    async def list_resources(self) -> list[types.Resource]:
        """Every resource the server lists (all pages)."""
        return list(await self._pages(self._connection(), "resources"))

    async def list_resource_templates(self) -> list[types.ResourceTemplate]:
        """Every resource template the server lists (all pages)."""
        return list(await self._pages(self._connection(), "templates"))

    async def read_resource(self, uri: str) -> list[Part]:
        """A resource's contents: text as :class:`TextPart`, binary as :class:`FilePart`."""
        result = await self._request(self._connection().client.read_resource(uri))
        return [content_part(c) for c in result.contents]

    async def list_prompts(self) -> list[types.Prompt]:
        """Every prompt the server lists (all pages)."""
        return list(await self._pages(self._connection(), "prompts"))

    async def get_prompt(self, name: str, arguments: dict[str, str] | None = None) -> list[Message]:
        """A prompt filled in with ``arguments``, as messages ready for ``agent.generate``."""
        result = await self._request(self._connection().client.get_prompt(name, arguments))
        return prompt_messages(result)

    async def _request(self, request: Awaitable[Any]) -> Any:
        conn = self._connection()
        try:
            async with asyncio.timeout(self.call_timeout):
                return await request
        except TimeoutError as exc:
            raise MCPServerError(
                f"{self.label} did not answer within {self.call_timeout} s"
            ) from exc
        except MCPServerError:
            raise
        except Exception as exc:
            raise MCPServerError(conn.explain(exc)) from exc

    async def _pages(self, conn: Connection, kind: str) -> list[Any]:
        client = conn.client
        fetch = {
            "tools": (client.list_tools, "tools"),
            "resources": (client.list_resources, "resources"),
            "templates": (client.list_resource_templates, "resource_templates"),
            "prompts": (client.list_prompts, "prompts"),
        }
        method, field = fetch[kind]
        items: list[Any] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(_MAX_PAGES):
            page = await self._request(method(cursor=cursor, cache_mode="bypass"))
            items.extend(getattr(page, field))
            cursor = page.next_cursor
            if not cursor:
                return items
            if cursor in seen:
                raise MCPServerError(f"{self.label} repeated a {kind} page cursor ({cursor!r})")
            seen.add(cursor)
        raise MCPServerError(f"{self.label} listed more than {_MAX_PAGES} pages of {kind}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label})"
