"""``reverie mcp serve`` (the ``--mcp`` / ``--mcp-url`` options are :mod:`._mcp_client`).

``reverie mcp serve --tool FILE:fn ... [--agent FILE:name ...] [--http]`` serves Python
functions (and agents, one tool each) as an MCP server, on stdin/stdout by default or over
streamable HTTP at ``http://HOST:PORT/mcp``. ``reverie run`` and ``reverie chat`` take
``--mcp "COMMAND ARGS"`` (a local server, started for the session) and ``--mcp-url URL``
(streamable HTTP; a URL whose path ends in ``/sse`` uses the legacy SSE transport).

Nothing here imports the MCP SDK until an MCP option is used, so ``reverie --help`` stays
quick and works without the ``mcp`` extra.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from reverie.errors import ConfigurationError

if TYPE_CHECKING:
    pass


def add_parser(sub: Any) -> None:
    """The ``reverie mcp`` command."""
    mcp = sub.add_parser("mcp", help="serve Python functions or an agent as an MCP server")
    mcp.set_defaults(handler="reverie.cli._mcp:run_mcp")
    actions = mcp.add_subparsers(dest="mcp_action", required=True, metavar="ACTION")
    serve = actions.add_parser("serve", help="serve tools over stdio (default) or HTTP")
    serve.add_argument(
        "-t",
        "--tool",
        action="append",
        default=[],
        metavar="FILE:FUNCTION",
        help="a function to serve as a tool (repeatable); module:function or file.py:function",
    )
    serve.add_argument(
        "--agent",
        action="append",
        default=[],
        metavar="FILE:NAME",
        help="an Agent (or a function returning one) to serve as one tool named NAME",
    )
    serve.add_argument("--name", default="reverie", help="the server name clients see")
    serve.add_argument("--http", action="store_true", help="serve streamable HTTP, not stdio")
    serve.add_argument("--host", default="127.0.0.1", help="with --http: address to bind")
    serve.add_argument("--port", type=int, default=8000, help="with --http: port (0: any free)")
    serve.add_argument("--path", default="/mcp", help="with --http: the endpoint path")


def run_mcp(args: argparse.Namespace) -> int:
    """``reverie mcp serve``: 0 when the client closed the connection (or Ctrl-C)."""
    import asyncio

    from reverie._loading import load_tool
    from reverie.mcp import agent_tool, serve_http, serve_stdio

    tools: list[Any] = [load_tool(spec) for spec in args.tool]
    for spec in args.agent:
        agent, name = _load_agent(spec)
        tools.append(agent_tool(agent, name=name))
    if not tools:
        raise ConfigurationError("reverie mcp serve needs at least one --tool or --agent")

    def announce(url: str) -> None:
        print(f"reverie: serving {len(tools)} tool(s) at {url}", file=sys.stderr, flush=True)

    try:
        if args.http:
            asyncio.run(
                serve_http(
                    tools,
                    host=args.host,
                    port=args.port,
                    path=args.path,
                    name=args.name,
                    on_ready=announce,
                )
            )
        else:
            asyncio.run(serve_stdio(tools, name=args.name))
    except KeyboardInterrupt:
        return 0
    return 0


def _takes_no_arguments(fn: Any) -> bool:
    import inspect

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(
        p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params
    )


def _load_agent(spec: str) -> tuple[Any, str]:
    """``file.py:name`` or ``module:name``: an Agent, or a function that returns one."""
    from reverie._loading import load_attribute
    from reverie.agent import Agent

    value, name = load_attribute(spec, "--agent")
    if not isinstance(value, Agent) and callable(value) and _takes_no_arguments(value):
        value = value()
    if not isinstance(value, Agent):
        raise ConfigurationError(
            f"--agent {spec!r} is not a reverie Agent (got {type(value).__name__})"
        )
    return value, name
