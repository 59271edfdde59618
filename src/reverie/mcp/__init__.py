"""MCP (Model Context Protocol): tools from any MCP server, and reverie tools as one.

Client: an MCP server is a toolset an :class:`~reverie.Agent` takes next to plain tools::

    from reverie import Agent
    from reverie.mcp import MCPServerStdio

    files = MCPServerStdio("npx", ["-y", "@modelcontextprotocol/server-filesystem", "."])
    agent = Agent("openai:gpt-4o", tools=[files])
    print(agent.generate_sync("What is in README.md?").text)

:class:`MCPServerStdio` runs a local command, :class:`MCPServerHTTP` speaks streamable
HTTP, :class:`MCPServerSSE` the legacy SSE transport. The options they share (names,
filters, timeouts, sampling, elicitation, progress) are on :class:`MCPServer`.

Server: :func:`serve_stdio` and :func:`serve_http` expose Python functions (and, through
:func:`agent_tool`, a whole agent) as an MCP server; ``reverie mcp serve`` does it from
the command line. Inside a served function, :func:`request_context` reports progress, logs,
samples the client's model and asks its user.

Errors: :class:`MCPServerError` (a :class:`~reverie.errors.ReverieError`) when a server
cannot be started, reached or used; :class:`SchemaError` (a ``ConfigurationError``) when a
tool's schema cannot be sent to the provider. A failing *call* is never raised: it is an
error result the model reads.

Needs the ``mcp`` extra: ``pip install 'reverie[mcp]'``. ``import reverie`` never imports
this package.
"""

try:
    import mcp as _mcp  # noqa: F401  # pyright: ignore[reportUnusedImport]
except ImportError as exc:  # pragma: no cover - only without the extra
    from reverie.errors import ConfigurationError as _ConfigurationError

    raise _ConfigurationError(
        "reverie.mcp needs the MCP SDK: pip install 'reverie[mcp]' (or uv add 'reverie[mcp]')"
    ) from exc

from reverie.mcp._connection import MCPServerError
from reverie.mcp._context import RequestContext, request_context
from reverie.mcp._elicitation import Elicitation, ElicitationHandler, ElicitationResponse
from reverie.mcp._schema import SchemaError, normalize_schema, target_for
from reverie.mcp._serve import agent_tool, build_server, serve_http, serve_stdio
from reverie.mcp._server import MCPServer, ProgressHandler, ToolProgress
from reverie.mcp._transports import MCPServerHTTP, MCPServerSSE, MCPServerStdio

__all__ = [
    "Elicitation",
    "ElicitationHandler",
    "ElicitationResponse",
    "MCPServer",
    "MCPServerError",
    "MCPServerHTTP",
    "MCPServerSSE",
    "MCPServerStdio",
    "ProgressHandler",
    "RequestContext",
    "SchemaError",
    "ToolProgress",
    "agent_tool",
    "build_server",
    "normalize_schema",
    "request_context",
    "serve_http",
    "serve_stdio",
    "target_for",
]
