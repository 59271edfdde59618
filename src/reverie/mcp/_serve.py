"""reverie tools served as an MCP server, over stdio or streamable HTTP.

::

    server = build_server([add, multiply, agent_tool(agent, name="researcher")])
    await serve_stdio([add, multiply])                   # or: reverie mcp serve --tool ...
    await serve_http([add], host="127.0.0.1", port=8000)   # http://127.0.0.1:8000/mcp

Each tool is listed with the JSON schema reverie sends to models (``FunctionTool.
input_schema``) and called with the same validation: bad arguments and a raising function
are ``isError`` results with the reason, an unknown tool a JSON-RPC error. A function may
return anything a reverie tool returns (text, JSON-able values, :class:`MediaOutput` for an
image or audio, :class:`ErrorOutput`) or MCP content itself (a list of content blocks or a
``CallToolResult``), which goes out unchanged. While it runs, :func:`request_context`
gives it progress, logging, sampling and elicitation.

Over HTTP the server binds to loopback by default and, there, refuses requests whose
``Host``/``Origin`` is not a loopback name (DNS-rebinding protection).
"""

from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import mcp.types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.streamable_http import EventCallback, EventMessage, EventStore
from mcp.shared.exceptions import MCPError

from reverie.errors import ConfigurationError
from reverie.mcp._connection import package_version
from reverie.mcp._context import RequestContext, current_request, serving
from reverie.mcp._results import to_call_result
from reverie.tool import FunctionTool, ToolArgumentsError

if TYPE_CHECKING:
    from reverie.agent import Agent

ToolLike = FunctionTool | Callable[..., Any]


def build_server(
    tools: Iterable[ToolLike], *, name: str = "reverie", instructions: str | None = None
) -> Server[Any]:
    """An MCP server (the SDK's low-level ``Server``) offering ``tools``."""
    by_name: dict[str, FunctionTool] = {}
    for item in tools:
        tool = item if isinstance(item, FunctionTool) else FunctionTool(item)
        if tool.name in by_name:
            raise ConfigurationError(f"two served tools are named {tool.name!r}")
        by_name[tool.name] = tool
    listing = [
        types.Tool(name=t.name, description=t.description or None, input_schema=t.input_schema)
        for t in by_name.values()
    ]

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listing)

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        tool = by_name.get(params.name)
        if tool is None:
            raise MCPError(
                types.INVALID_PARAMS,
                f"unknown tool {params.name!r}; this server has: {', '.join(by_name) or 'none'}",
            )
        try:
            with serving(RequestContext(ctx, tool.name)):
                value = await tool.invoke(params.arguments or {})
        except ToolArgumentsError as exc:
            return _error(str(exc))
        except Exception as exc:
            text = str(exc)
            return _error(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
        return to_call_result(value)

    async def set_level(
        ctx: ServerRequestContext[Any, Any], params: types.SetLevelRequestParams
    ) -> types.EmptyResult:
        return types.EmptyResult()

    with warnings.catch_warnings():
        # Logging is deprecated in the 2026 protocol but still part of 2025's, which
        # clients (and the conformance suite) use: offer it without the SDK's warning.
        warnings.simplefilter("ignore")
        return Server(  # pyright: ignore[reportDeprecated]
            name,
            version=package_version(),
            instructions=instructions,
            on_list_tools=list_tools,
            on_call_tool=call_tool,
            on_set_logging_level=set_level,
        )


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)


async def serve_stdio(tools: Iterable[ToolLike], **options: Any) -> None:
    """Serve ``tools`` on this process's stdin/stdout until the client closes stdin."""
    from mcp.server.stdio import stdio_server

    server = build_server(tools, **options)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


async def serve_http(
    tools: Iterable[ToolLike],
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    path: str = "/mcp",
    on_ready: Callable[[str], Any] | None = None,
    **options: Any,
) -> None:
    """Serve ``tools`` over streamable HTTP at ``http://host:port/path`` until cancelled.

    ``port=0`` picks a free port; ``on_ready`` receives the URL once it accepts requests.
    """
    import uvicorn

    app = build_server(tools, **options).streamable_http_app(
        streamable_http_path=path,
        host=host,
        event_store=MemoryEventStore(),
        retry_interval=_RETRY_MS,
    )
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    if on_ready is None:
        await server.serve()
        return
    import asyncio

    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                await task  # re-raise why it stopped (a port in use)
                return
            await asyncio.sleep(0.02)
        bound = server.servers[0].sockets[0].getsockname()[1]
        on_ready(f"http://{_host_for_url(host)}:{bound}{path}")
        await task
    finally:
        if not task.done():
            server.should_exit = True
            await task


_RETRY_MS = 1000  # how long a client whose stream dropped waits before resuming it


class MemoryEventStore(EventStore):
    """The last ``limit`` events of every stream, so a client whose SSE stream dropped can
    resume it (``Last-Event-ID``) without losing a result."""

    def __init__(self, limit: int = 1000) -> None:
        self._events: OrderedDict[str, tuple[str, types.JSONRPCMessage | None]] = OrderedDict()
        self._limit = limit
        self._ids = itertools.count(1)

    async def store_event(self, stream_id: str, message: types.JSONRPCMessage | None) -> str:
        event_id = str(next(self._ids))
        self._events[event_id] = (stream_id, message)
        while len(self._events) > self._limit:
            self._events.popitem(last=False)
        return event_id

    async def replay_events_after(
        self, last_event_id: str, send_callback: EventCallback
    ) -> str | None:
        if last_event_id not in self._events:
            return None
        stream_id = self._events[last_event_id][0]
        after = False
        for event_id, (stream, message) in list(self._events.items()):
            if after and stream == stream_id and message is not None:
                await send_callback(EventMessage(message, event_id))
            after = after or event_id == last_event_id
        return stream_id


def agent_tool(
    agent: Agent, *, name: str = "agent", description: str | None = None
) -> FunctionTool:
    """A whole agent as one tool: it takes a ``prompt`` and returns the run's final text,
    reporting each finished step as progress when served over MCP.

    A run that pauses (a call waiting for approval or an external result) is an error
    result naming the calls: the client has no way to answer them through this tool."""
    from reverie.events import StepFinish

    async def run(prompt: str) -> str:
        current = current_request()
        async with agent.stream(prompt) as events:
            async for event in events:
                if isinstance(event, StepFinish) and current is not None:
                    await current.report_progress(event.step.number + 1)
            result = events.result
        if result is not None and result.status == "paused":
            waiting = ", ".join(f"{p.tool_name} ({p.kind})" for p in result.pending)
            raise RuntimeError(
                f"the {name} agent stopped: its calls to {waiting} wait for an answer that a "
                "served agent cannot ask for; serve it without requires_approval or "
                "external tools"
            )
        return result.text if result is not None else ""

    text = description or f"Ask the {name} agent: give it a task in `prompt`; it answers in text."
    return FunctionTool(run, name=name, description=text)


def _host_for_url(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
