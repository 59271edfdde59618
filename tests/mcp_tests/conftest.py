"""Fixtures for the MCP tests: the reference servers from npm, the SDK server on loopback,
and a look at the process table."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mcp_tests import sdk_server
from tests.mcp_tests.node_env import package_bin


def descendants(pid: int | None = None) -> set[int]:
    """Every live process below ``pid`` (this one by default), from /proc."""
    root = os.getpid() if pid is None else pid
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":  # a zombie has exited; only its parent's wait is missing
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _adopt_orphans() -> None:
    """Make this process the reaper of its orphaned descendants (Linux), so a process a
    server started and left behind stays in :func:`descendants` after the server exits
    instead of moving to init, out of sight."""
    import ctypes

    pr_set_child_subreaper = 36
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) != 0:
        pytest.skip("cannot watch for orphaned processes here (prctl failed)")


@pytest.fixture
def no_new_processes() -> Iterator[None]:
    """Fails the test if it leaves a process of its own running."""
    _adopt_orphans()
    before = descendants()
    yield
    left = descendants() - before
    for _ in range(100):  # a process that was just killed may take a moment to be gone
        if not left:
            break
        time.sleep(0.05)
        left = descendants() - before
    assert not left, f"processes left running: {_commands(left)}"


def _commands(pids: set[int]) -> list[str]:
    out: list[str] = []
    for pid in pids:
        try:
            out.append(Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").strip())
        except OSError:
            out.append(str(pid))
    return out


@pytest.fixture(scope="session")
def everything_cmd() -> list[str]:
    """``@modelcontextprotocol/server-everything`` over stdio, as argv."""
    return [*package_bin("@modelcontextprotocol/server-everything", "dist/index.js"), "stdio"]


@pytest.fixture(scope="session")
def filesystem_cmd() -> list[str]:
    """``@modelcontextprotocol/server-filesystem`` (append the allowed folders)."""
    return package_bin("@modelcontextprotocol/server-filesystem", "dist/index.js")


@pytest.fixture
def sdk() -> Iterator[sdk_server.Running]:
    with sdk_server.running() as running:
        yield running
