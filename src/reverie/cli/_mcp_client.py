"""``--mcp`` and ``--mcp-url`` for the commands that run an agent: MCP servers as toolsets.

(Serving is :mod:`reverie.cli._mcp`; this half is what ``run``, ``chat`` and ``resume`` need,
and imports no more of the CLI than the agent builder does.)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from reverie.errors import ConfigurationError

if TYPE_CHECKING:
    from reverie.mcp import Elicitation, ElicitationResponse


def add_agent_options(parser: argparse.ArgumentParser) -> None:
    """``--mcp`` and ``--mcp-url`` for ``run`` and ``chat``."""
    parser.add_argument(
        "--mcp",
        action="append",
        default=[],
        metavar='"COMMAND ARGS"',
        help="an MCP server to start and use the tools of, as one command line (repeatable)",
    )
    parser.add_argument(
        "--mcp-url",
        action="append",
        default=[],
        metavar="URL",
        help="an MCP server to use over HTTP (streamable HTTP; .../sse: legacy SSE) (repeatable)",
    )


def toolsets(commands: Sequence[str], urls: Sequence[str], model: str) -> list[Any]:
    """MCP servers for ``--mcp`` and ``--mcp-url`` (none: no SDK import).

    Their sampling requests are answered by ``model`` (the session's model), and their
    questions to the user asked on the terminal when there is one.
    """
    if not commands and not urls:
        return []
    from reverie.mcp import MCPServerHTTP, MCPServerSSE, MCPServerStdio

    options: dict[str, Any] = {"sampling_model": model}
    if sys.stdin.isatty():
        options["elicitation"] = ask_in_terminal
    servers: list[Any] = [MCPServerStdio.from_command_line(c, **options) for c in commands]
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(f"--mcp-url {url!r} must be an http:// or https:// URL")
        sse = parts.path.rstrip("/").endswith("/sse")
        servers.append(MCPServerSSE(url, **options) if sse else MCPServerHTTP(url, **options))
    return servers


async def ask_in_terminal(request: Elicitation) -> ElicitationResponse:
    """A server's question (elicitation), asked on the terminal; end of input cancels."""
    import asyncio

    from reverie.mcp import ElicitationResponse

    def ask(prompt: str) -> str:
        print(prompt, end="", file=sys.stderr, flush=True)
        return input()

    try:
        print(f"\n{request.server} asks: {request.message}", file=sys.stderr)
        if request.mode == "url":
            answer = await asyncio.to_thread(ask, f"  open {request.url} — done? [y/N] ")
            return ElicitationResponse("accept" if answer.strip().lower() == "y" else "decline")
        content: dict[str, Any] = {}
        fields: Mapping[str, Any] = request.schema.get("properties") or {}
        for name, field in fields.items():
            spec: Mapping[str, Any] = (
                cast("Mapping[str, Any]", field) if isinstance(field, Mapping) else {}
            )
            hint = spec.get("description") or spec.get("type", "")
            default = f", Enter for {spec['default']!r}" if "default" in spec else ""
            text = await asyncio.to_thread(ask, f"  {name} ({hint}{default}): ")
            if text.strip():
                content[name] = _typed(text.strip(), spec.get("type"))
        answer = await asyncio.to_thread(ask, "  send? [Y/n] ")
    except (EOFError, KeyboardInterrupt):
        return ElicitationResponse("cancel")
    if answer.strip().lower() in ("n", "no"):
        return ElicitationResponse("decline")
    return ElicitationResponse("accept", content)


def _typed(text: str, kind: Any) -> Any:
    """A typed answer as the schema's type wants it (the text itself when it does not fit)."""
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return text.lower() in ("y", "yes", "true", "1")
    return text
