"""A third-party MCP server built with the official SDK, served on loopback for the tests.

It is written the way a server author would write one with the SDK's low-level ``Server``,
and offers what the client side must cope with: tools listed two per page, a tool that adds
another and announces ``tools/list_changed``, progress, a tool that waits until it is
cancelled, sampling and elicitation requests back to the client, an error result, a result
far over any sane size, resources (text and binary) and a prompt. It is reachable over
streamable HTTP (``/mcp``) and the legacy SSE transport (``/sse``), from uvicorn running on
a thread of the test process.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import uvicorn
from mcp import types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import NotificationOptions, Server
from mcp.server.sse import SseServerTransport
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ToolsListChanged
from mcp.shared.exceptions import MCPError
from mcp.types.version import MODERN_PROTOCOL_VERSIONS
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

PAGE = 2
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
OBJECT: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass
class State:
    """What the server saw, for the tests to check (set from the server's thread)."""

    unlocked: bool = False
    started: threading.Event = field(default_factory=threading.Event)
    cancelled: threading.Event = field(default_factory=threading.Event)
    calls: list[tuple[str, dict[str, Any]]] = field(
        default_factory=list[tuple[str, dict[str, Any]]]
    )


def _tool(name: str, description: str, schema: dict[str, Any] | None = None) -> types.Tool:
    return types.Tool(name=name, description=description, input_schema=schema or OBJECT)


TOOLS = [
    _tool(
        "add",
        "Add two numbers",
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
    ),
    _tool("unlock", "Reveal the secret tool"),
    _tool(
        "slow",
        "Count to n, slowly, reporting progress",
        {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
    ),
    _tool("wait_forever", "Never returns"),
    _tool(
        "ask_model",
        "Ask the client's model",
        {
            "type": "object",
            "properties": {"question": {"type": "string"}},
            "required": ["question"],
        },
    ),
    _tool("ask_user", "Ask the client's user for a name"),
    _tool("fail", "Always fails"),
    _tool("huge", "Returns two megabytes of text"),
    _tool("picture", "Returns a PNG and a caption"),
]
SECRET = _tool("secret", "The secret tool")


def build(state: State) -> Server[Any]:
    bus = InMemorySubscriptionBus()

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        tools = [*TOOLS, SECRET] if state.unlocked else TOOLS
        start = int(params.cursor) if params is not None and params.cursor else 0
        end = start + PAGE
        return types.ListToolsResult(
            tools=tools[start:end], next_cursor=str(end) if end < len(tools) else None
        )

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        args = params.arguments or {}
        state.calls.append((params.name, args))
        text = await _run(ctx, state, bus, params.name, args)
        if params.name == "fail":
            return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)
        if params.name == "picture":
            image = types.ImageContent(data=base64.b64encode(PNG).decode(), mime_type="image/png")
            return types.CallToolResult(content=[types.TextContent(text=text), image])
        return types.CallToolResult(content=[types.TextContent(text=text)])

    async def list_resources(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(uri="test://notes", name="notes", mime_type="text/plain"),
                types.Resource(uri="test://dot.png", name="dot", mime_type="image/png"),
            ]
        )

    async def read_resource(
        ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        if str(params.uri) == "test://notes":
            contents: list[Any] = [types.TextResourceContents(uri=params.uri, text="buy milk")]
        else:
            blob = base64.b64encode(PNG).decode()
            contents = [
                types.BlobResourceContents(uri=params.uri, mime_type="image/png", blob=blob)
            ]
        return types.ReadResourceResult(contents=contents)

    async def list_prompts(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        arg = types.PromptArgument(name="name", required=True)
        return types.ListPromptsResult(prompts=[types.Prompt(name="greet", arguments=[arg])])

    async def get_prompt(
        ctx: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        name = (params.arguments or {}).get("name", "you")
        return types.GetPromptResult(
            messages=[
                types.PromptMessage(role="user", content=types.TextContent(text=f"Greet {name}")),
                types.PromptMessage(role="assistant", content=types.TextContent(text="Hello!")),
            ]
        )

    return Server(
        "sdk-test-server",
        version="1.0",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
        on_subscriptions_listen=ListenHandler(bus),
    )


async def _run(
    ctx: ServerRequestContext[Any, Any],
    state: State,
    bus: InMemorySubscriptionBus,
    name: str,
    args: dict[str, Any],
) -> str:
    session = ctx.session
    if name == "add":
        return str(args["a"] + args["b"])
    if name == "unlock":
        state.unlocked = True
        # 2026-07-28 clients hear of it on their subscriptions/listen stream; earlier ones
        # by a notification, sent on this request's stream so it precedes the result.
        await bus.publish(ToolsListChanged())
        if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            await session.send_notification(types.ToolListChangedNotification(), ctx.request_id)
        return "unlocked"
    if name == "secret":
        return "the secret is 42"
    if name == "slow":
        for i in range(1, args["n"] + 1):
            await anyio.sleep(0.01)
            await session.report_progress(i, args["n"], f"step {i}")
        return f"counted to {args['n']}"
    if name == "wait_forever":
        state.started.set()
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            state.cancelled.set()
            raise
    if name == "ask_model":
        message = types.SamplingMessage(
            role="user", content=types.TextContent(text=args["question"])
        )
        result = await session.create_message(  # pyright: ignore[reportDeprecated]
            [message], max_tokens=50, related_request_id=ctx.request_id
        )
        content = result.content
        return f"the model said: {content.text if isinstance(content, types.TextContent) else '?'}"
    if name == "ask_user":
        schema = {
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "required": ["name"],
        }
        answer = await session.elicit_form("What is your name?", schema, ctx.request_id)
        return f"{answer.action}: {answer.content}"
    if name == "fail":
        return "the disk is full"
    if name == "huge":
        return "x" * 2_000_000
    if name == "picture":
        return "a red dot"
    raise MCPError(types.INVALID_PARAMS, f"unknown tool {name}")


@dataclass(frozen=True)
class Running:
    url: str
    sse_url: str
    state: State


@contextmanager
def running() -> Iterator[Running]:
    """The server on a free loopback port, for the duration of the ``with``."""
    state = State()
    server = build(state)
    sse = SseServerTransport("/messages/")

    async def handle_sse(request: Request) -> Response:
        async with sse.connect_sse(request.scope, request.receive, request._send) as (read, write):  # pyright: ignore[reportPrivateUsage]
            options = server.create_initialization_options(NotificationOptions(tools_changed=True))
            await server.run(read, write, options)
        return Response()

    app = server.streamable_http_app(
        custom_starlette_routes=[
            Route("/sse", endpoint=handle_sse, methods=["GET"]),
            Mount("/messages/", app=sse.handle_post_message),  # type: ignore[list-item]
        ]
    )
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="error", timeout_graceful_shutdown=1
    )
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    try:
        while not web.started:
            if not thread.is_alive():
                raise RuntimeError("the SDK test server did not start")
            threading.Event().wait(0.01)
        port = web.servers[0].sockets[0].getsockname()[1]
        yield Running(f"http://127.0.0.1:{port}/mcp", f"http://127.0.0.1:{port}/sse", state)
    finally:
        web.should_exit = True
        thread.join(timeout=10)
