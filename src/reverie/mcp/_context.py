"""What a function served over MCP can ask of the client while it runs.

::

    async def index(folder: str) -> str:
        ctx = request_context()
        for i, name in enumerate(files, 1):
            await ctx.report_progress(i, len(files), f"indexed {name}")
        summary = await ctx.sample("Summarise: ...", max_tokens=200)
        answer = await ctx.elicit("Overwrite the old index?", {"type": "object", ...})

:func:`request_context` works in a served *async* function (and in what it awaits); a sync
function runs in a worker thread, where these coroutines cannot be awaited. Each request to
the client fails with :class:`MCPServerError` when the client did not offer the capability
(sampling, elicitation) or refused.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

import mcp.types as types
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.types.version import MODERN_PROTOCOL_VERSIONS

from reverie.mcp._connection import MCPServerError
from reverie.mcp._elicitation import ElicitationResponse

_current: ContextVar[RequestContext | None] = ContextVar("reverie_mcp_request", default=None)

LogLevel = Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]


@contextmanager
def _era_2025() -> Generator[None]:
    """Logging and sampling are deprecated in the 2026 protocol and still part of 2025's,
    which most clients speak: use them without the SDK's warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        yield


def current_request() -> RequestContext | None:
    """The request being served in this context, if any."""
    return _current.get()


@contextmanager
def serving(ctx: RequestContext) -> Generator[None]:
    """Make ``ctx`` the :func:`request_context` of the code run inside."""
    token = _current.set(ctx)
    try:
        yield
    finally:
        _current.reset(token)


def request_context() -> RequestContext:
    """The MCP request the current served function is answering."""
    ctx = _current.get()
    if ctx is None:
        raise MCPServerError(
            "request_context() is only available while a function served over MCP runs "
            "(reverie mcp serve, serve_stdio or serve_http)"
        )
    return ctx


@dataclass(frozen=True, slots=True)
class RequestContext:
    """One ``tools/call`` being served: report progress, log, sample, elicit."""

    raw: ServerRequestContext[Any, Any]
    tool: str

    def _require_2025(self, what: str) -> None:
        if self.raw.protocol_version in MODERN_PROTOCOL_VERSIONS:
            raise MCPServerError(
                f"cannot {what}: the client speaks MCP {self.raw.protocol_version}, where a "
                "server asks by returning input_required, which served functions do not do "
                "yet; a client connecting with the 2025-11-25 handshake can (for reverie: "
                'protocol="legacy")'
            )

    async def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Tell the client how far the call is (sent only if the client asked for it)."""
        await self.raw.session.report_progress(progress, total, message)

    async def log(self, level: LogLevel, message: Any, logger: str | None = None) -> None:
        """A log message for the client (``notifications/message``)."""
        with _era_2025():
            sending = self.raw.session.send_log_message(  # pyright: ignore[reportDeprecated]
                level, message, logger, related_request_id=self.raw.request_id
            )
        await sending

    async def sample(
        self, prompt: str, *, max_tokens: int = 1000, system: str | None = None
    ) -> str:
        """Ask the client's model for a completion of ``prompt``; its text."""
        self._require_2025("sample")
        message = types.SamplingMessage(role="user", content=types.TextContent(text=prompt))
        try:
            with _era_2025():
                asking = self.raw.session.create_message(  # pyright: ignore[reportDeprecated]
                    [message],
                    max_tokens=max_tokens,
                    system_prompt=system,
                    related_request_id=self.raw.request_id,
                )
            result = await asking
        except MCPError as exc:
            raise MCPServerError(f"the client refused to sample: {exc.message}") from exc
        blocks = result.content if isinstance(result.content, list) else [result.content]
        return "".join(b.text for b in blocks if isinstance(b, types.TextContent))

    async def elicit(self, message: str, schema: dict[str, Any]) -> ElicitationResponse:
        """Ask the client's user to fill in a form (a flat object ``schema``)."""
        self._require_2025("ask its user")
        try:
            result = await self.raw.session.elicit_form(
                message, schema, related_request_id=self.raw.request_id
            )
        except MCPError as exc:
            raise MCPServerError(f"the client refused to ask its user: {exc.message}") from exc
        return ElicitationResponse(result.action, result.content)
