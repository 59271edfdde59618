"""Toolsets: tools that come from somewhere else (an MCP server) and may change during a run.

A :class:`Toolset` is passed to an agent next to plain tools::

    async with MCPServerStdio("npx", ["-y", "@modelcontextprotocol/server-everything"]) as srv:
        agent = Agent(model, tools=[add, srv])

The agent enters each toolset around every drive of a run (``generate``, ``stream``,
``resume``, ``resume_stream``, with any :class:`~reverie.effects.Effects`): an ``async with``
of its own, so a toolset the caller already opened (``async with agent:`` or ``async with
toolset:``) stays open and one it did not is opened and closed by the run. Before every step
it asks each toolset for its tools, passing the step's model (after ``prepare_step``): a
toolset may change its tools between steps (a server's ``list_changed`` notification) and may
shape their schemas for the provider that will receive them.

A run paused on a toolset's call (waiting for approval) is saved like any other: its state
names the tool. On resume the toolsets are opened and listed again (for the agent's model)
before the call runs, and a pending call whose tool no longer exists is a
:class:`ConfigurationError` before anything runs, as for plain tools.

Tool names must be unique in a step. A toolset's tool whose name is also the name of a plain
tool or of another toolset's tool is renamed ``<toolset name>_<tool name>``; plain tools keep
their names. A collision that renaming cannot resolve is a :class:`ConfigurationError`.

Durable engines: listing is done by the loop, not through :class:`~reverie.effects.Effects`,
so a replayed run lists its toolsets again; a toolset's tool call is an ordinary tool effect
(:class:`~reverie.effects.ToolRequest`), whose tool talks to the toolset the run opened in
this process.

This module imports only the core (never an integration such as :mod:`reverie.mcp`).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import AsyncExitStack, aclosing
from typing import Any, Protocol, TypeVar, runtime_checkable

from reverie.errors import ConfigurationError
from reverie.model import LanguageModel
from reverie.tool import FunctionTool

__all__ = ["Toolset", "open_toolsets", "step_tools", "with_toolsets"]

_T = TypeVar("_T")


@runtime_checkable
class Toolset(Protocol):
    """A source of tools listed anew for each step; an async context manager.

    ``name`` prefixes this toolset's tools when their names collide with others'. Entering
    must be re-entrant (counted): the agent enters a toolset for each run even when the
    caller holds it open.
    """

    @property
    def name(self) -> str:
        """A short identifier (letters, digits, ``_`` or ``-``), used as a name prefix."""
        ...

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, *exc_info: object) -> Any: ...

    async def list_tools(self, model: LanguageModel | None = None) -> Sequence[FunctionTool]:
        """The tools for a step that ``model`` will run (schemas shaped for its provider)."""
        ...


async def step_tools(
    tools: Mapping[str, FunctionTool],
    toolsets: Sequence[Toolset],
    model: LanguageModel | None,
) -> dict[str, FunctionTool]:
    """The plain tools plus every toolset's current tools, colliding names prefixed."""
    if not toolsets:
        return dict(tools)
    listed = await asyncio.gather(*(ts.list_tools(model) for ts in toolsets))
    counts = Counter([*tools, *(t.name for batch in listed for t in batch)])
    out = dict(tools)
    for toolset, batch in zip(toolsets, listed, strict=True):
        for tool in batch:
            name = tool.name
            if counts[name] > 1:
                name = _prefixed(toolset.name, name)
            if name in out:
                raise ConfigurationError(
                    f"two tools are named {name!r} (one from toolset {toolset.name!r}); give "
                    "the toolset another name or a prefix"
                )
            out[name] = tool if name == tool.name else tool.renamed(name)
    return out


def _prefixed(prefix: str, name: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9_-]", "_", prefix).strip("_") or "toolset"
    full = f"{clean}_{name}"
    if len(full) > 64:
        raise ConfigurationError(
            f"tool {name!r} collides with another tool and {full!r} is longer than the 64 "
            "characters providers accept; give its toolset a shorter name"
        )
    return full


async def open_toolsets(toolsets: Sequence[Toolset]) -> AsyncExitStack:
    """Enter every toolset; the returned stack exits them (in reverse order)."""
    stack = AsyncExitStack()
    try:
        for toolset in toolsets:
            await stack.enter_async_context(toolset)
    except BaseException:
        await stack.aclose()
        raise
    return stack


async def with_toolsets(
    toolsets: Sequence[Toolset], events: AsyncGenerator[_T, None]
) -> AsyncGenerator[_T, None]:
    """``events`` with the toolsets entered before the first and exited after the last
    (or when the consumer stops early)."""
    # The run is closed (its tool calls cancelled) before the toolsets shut down.
    async with await open_toolsets(toolsets), aclosing(events):
        async for event in events:
            yield event
