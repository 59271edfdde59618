"""An MCP server's tool listing as reverie tools, named and shaped for one provider.

MCP tool names may use characters providers refuse (``.``, ``/``, spaces) or be longer
than 64 characters: such a name is rewritten to the ``[A-Za-z0-9_-]{1,64}`` form (and made
unique within its server); the call still goes out under the server's own name. A
``prefix`` puts ``<prefix>_`` before every name. The description is the tool's
description, else its title.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mcp.types as types

from reverie.content import ToolOutput
from reverie.mcp._schema import Target, drop_added_nulls, normalize_schema
from reverie.tool import FunctionTool

CallTool = Callable[[str, dict[str, Any]], Awaitable[ToolOutput]]
"""Calls a tool by the server's own name with arguments; never raises for a tool's fault."""


@dataclass(frozen=True, slots=True)
class ToolFilter:
    """Which of a server's tools to offer: ``include`` (None: all) minus ``exclude``."""

    include: Collection[str] | None = None
    exclude: Collection[str] = ()

    def allows(self, name: str) -> bool:
        return (self.include is None or name in self.include) and name not in self.exclude


def build_tools(
    listing: Sequence[types.Tool],
    target: Target,
    call: CallTool,
    *,
    prefix: str | None,
    tool_filter: ToolFilter,
) -> list[FunctionTool]:
    """One :class:`FunctionTool` per offered tool; schema problems raise ``SchemaError``."""
    names = local_names([t.name for t in listing if tool_filter.allows(t.name)], prefix)
    out: list[FunctionTool] = []
    for tool in listing:
        if not tool_filter.allows(tool.name):
            continue
        schema = normalize_schema(tool.input_schema, target, tool=tool.name)
        fn = _caller(call, tool.name, tool.input_schema if target == "openai-strict" else None)
        description = tool.description or tool.title or ""
        out.append(FunctionTool.from_schema(names[tool.name], description, schema, fn))
    return out


def _caller(
    call: CallTool, name: str, original: Mapping[str, Any] | None
) -> Callable[[dict[str, Any]], Awaitable[ToolOutput]]:
    async def run(arguments: dict[str, Any]) -> ToolOutput:
        if original is not None:  # strict mode: remove the nulls it made the model send
            arguments = drop_added_nulls(arguments, original)
        return await call(name, arguments)

    return run


def local_names(names: Sequence[str], prefix: str | None) -> dict[str, str]:
    """Server tool name -> a name providers accept, unique among ``names``."""
    head = f"{_clean(prefix)}_" if prefix else ""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        base = (head + _clean(name))[:64]
        candidate, n = base, 1
        while candidate in taken:
            suffix = f"_{n}"
            candidate, n = base[: 64 - len(suffix)] + suffix, n + 1
        taken.add(candidate)
        out[name] = candidate
    return out


def _clean(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name) or "tool"
