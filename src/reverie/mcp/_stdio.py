"""The SDK's stdio transport, plus a sweep of what the server process left behind.

The SDK starts a server in a new process group and, when it closes the connection, stops
it (stdin closed, then SIGTERM and SIGKILL to the group if it lingers). A server that exits
promptly but started processes of its own (a helper, a browser, a language server) would
leave them running: they are still in its process group, so once the SDK is done, every
process left in that group is killed. Finding the group needs the server's pid, which the
SDK keeps to itself: it is the one new child of this process after the spawn (spawns are
serialised so that two servers starting at once cannot be mistaken for each other). Where
``/proc`` is not available the sweep is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TextIO

from mcp.client.stdio import StdioServerParameters, stdio_client

_spawning: asyncio.Lock | None = None


@asynccontextmanager
async def stdio_transport(
    params: StdioServerParameters, errlog: TextIO | None
) -> AsyncGenerator[Any]:
    """``stdio_client(params)``, whose process group is emptied when it closes."""
    global _spawning
    _spawning = _spawning or asyncio.Lock()
    client = stdio_client(params) if errlog is None else stdio_client(params, errlog=errlog)
    spawned: set[int] = set()
    try:
        async with contextlib.AsyncExitStack() as stack:
            async with _spawning:
                before = _children()
                streams = await stack.enter_async_context(client)
                spawned = _children() - before
            yield streams
    finally:  # after the SDK has stopped the server itself
        if len(spawned) == 1:
            _sweep(spawned.pop())


def _children() -> set[int]:
    """Live direct children of this process (empty without /proc)."""
    me = str(os.getpid())
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    if fields[1] == me and fields[0] != "Z":
                        found.add(int(entry.name))
    return found


def _sweep(group: int) -> None:
    """Kill whatever is left in the server's process group (the server led it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
