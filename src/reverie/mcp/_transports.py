"""The three ways to reach an MCP server: a local command, streamable HTTP, legacy SSE.

Each class is an :class:`~reverie.mcp.MCPServer` (options there); they differ only in how
the connection is made:

- :class:`MCPServerStdio` starts ``command args...`` in a new process group, talks
  JSON-RPC over its stdin/stdout and captures its stderr (quoted in startup and crash
  errors). The environment is the SDK's safe default (``PATH``, ``HOME``, ...) plus ``env``.
- :class:`MCPServerHTTP` speaks streamable HTTP to ``url``; :class:`MCPServerSSE` the
  older HTTP+SSE transport. Both take ``headers`` and an httpx2 ``auth``: the SDK's
  ``OAuthClientProvider`` (``mcp.client.auth``) gives OAuth 2.1 with discovery, dynamic or
  pre-registered clients and PKCE, or any bearer-token auth.
"""

from __future__ import annotations

import shlex
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any, TextIO, cast
from urllib.parse import urlsplit, urlunsplit

import httpx2
from mcp.client import Transport
from mcp.client.sse import sse_client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from reverie.mcp._server import MCPServer
from reverie.mcp._stdio import stdio_transport

# The SDK's defaults: a server may hold a response stream open for minutes.
_HTTP_TIMEOUT = httpx2.Timeout(30.0, read=300.0)


class MCPServerStdio(MCPServer):
    """A server run as a local command: ``MCPServerStdio("npx", ["-y", "pkg"])``."""

    _capture_stderr = True

    def __init__(
        self,
        command: str,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.command = command
        self.args = list(args)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd

    @classmethod
    def from_command_line(cls, line: str, **options: Any) -> MCPServerStdio:
        """A server from one shell-style line: ``"npx -y @scope/server /tmp"``."""
        words = shlex.split(line)
        if not words:
            from reverie.errors import ConfigurationError

            raise ConfigurationError("an MCP server command line is empty")
        return cls(words[0], words[1:], **options)

    @property
    def label(self) -> str:
        return f"MCP server `{shlex.join([self.command, *self.args])}`"

    def _transport(self, stderr: IO[str] | None) -> Transport:
        params = StdioServerParameters(
            command=self.command, args=self.args, env=self.env, cwd=self.cwd
        )
        return stdio_transport(params, cast(TextIO, stderr) if stderr is not None else None)


class MCPServerHTTP(MCPServer):
    """A server reached over streamable HTTP: ``MCPServerHTTP("http://host/mcp")``."""

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: httpx2.Auth | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.url = url
        self.headers = dict(headers or {})
        self.auth = auth

    @property
    def label(self) -> str:
        return f"MCP server at {_public_url(self.url)}"

    def _transport(self, stderr: IO[str] | None) -> Transport:
        return _streamable(self.url, self.headers, self.auth)


class MCPServerSSE(MCPServerHTTP):
    """A server reached over the legacy HTTP+SSE transport (``.../sse`` endpoints)."""

    def _transport(self, stderr: IO[str] | None) -> Transport:
        return sse_client(self.url, headers=self.headers or None, auth=self.auth)


@asynccontextmanager
async def _streamable(
    url: str, headers: dict[str, str], auth: httpx2.Auth | None
) -> AsyncGenerator[Any]:
    async with (
        httpx2.AsyncClient(headers=headers, auth=auth, timeout=_HTTP_TIMEOUT) as http,
        streamable_http_client(url, http_client=http) as streams,
    ):
        yield streams


def _public_url(url: str) -> str:
    """``url`` without user info, query or fragment (where tokens hide)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
