"""A worker killed (SIGKILL) while a slow tool runs; a new worker finishes the run. Real
processes, a real Temporal dev server, a real HTTP model server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.client import Client

from reverie.durable.temporal import start_run
from reverie.events import AgentEvent, RunFinish, StepStart, TextDelta, ToolResult
from tests.temporal.scripted_openai import ANSWER, ScriptedOpenAI

pytestmark = pytest.mark.anyio

WORKER = Path(__file__).with_name("worker_main.py")


def start_worker(
    address: str, queue: str, base_url: str, log: Path, slow: float, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(WORKER), address, queue, base_url, str(log), str(slow)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


def lines(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


async def collect(events: AsyncIterator[AgentEvent]) -> list[AgentEvent]:
    return [e async for e in events]


async def wait_for(condition: object, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_a_new_worker_finishes_a_run_whose_worker_was_killed_mid_tool(
    temporal_address: str, worker_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "tools.log"
    queue = f"restart-{uuid.uuid4().hex[:8]}"
    client = await Client.connect(temporal_address)
    with ScriptedOpenAI() as server:
        first = start_worker(temporal_address, queue, server.base_url, log, 600, worker_env)
        second: subprocess.Popen[bytes] | None = None
        try:
            run = await start_run(client, "run both tools", task_queue=queue)
            watching = asyncio.ensure_future(collect(run.events()))  # live, across the kill
            await wait_for(lambda: {"fast-done", "slow-start"} <= set(lines(log)), "the tools")
            first.kill()  # SIGKILL: no cleanup, the slow tool dies mid-run
            first.wait()
            assert lines(log).count("slow-done") == 0

            second = start_worker(temporal_address, queue, server.base_url, log, 0, worker_env)
            result = await asyncio.wait_for(run.result(), 90)
            events = await asyncio.wait_for(watching, 30)
        finally:
            for process in (first, second):
                if process is not None and process.poll() is None:
                    process.kill()
                    process.wait()

        assert result.text == ANSWER and result.status == "finished"
        assert server.steps == [0, 1]  # one request per step across both workers
        ran = lines(log)
        assert ran.count("fast-done") == 1  # finished before the kill: not run again
        assert ran.count("slow-start") == 2 and ran.count("slow-done") == 1
        tool_results = [m for m in result.messages if m.role == "tool"]
        assert len(tool_results) == 1 and len(tool_results[0].content) == 2

        assert [e.step_number for e in events if isinstance(e, StepStart)] == [0, 1]
        assert sorted(e.result.tool_name for e in events if isinstance(e, ToolResult)) == [
            "fast",
            "slow",
        ]
        assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == ANSWER
        assert isinstance(events[-1], RunFinish) and events[-1].result.text == ANSWER
