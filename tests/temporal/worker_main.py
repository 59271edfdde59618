"""A worker process for the restart test: serves an agent whose model is the scripted
loopback server and whose tools log to a file.

    python worker_main.py ADDRESS TASK_QUEUE BASE_URL LOG SLOW_SECONDS

``fast`` logs ``fast-done``; ``slow`` logs ``slow-start``, sleeps SLOW_SECONDS, logs
``slow-done``. Serves until killed.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client

from reverie import Agent, get_model, tool
from reverie.durable.temporal import AgentWorker


async def main(address: str, queue: str, base_url: str, log: Path, slow_seconds: float) -> None:
    def note(line: str) -> None:
        with log.open("a") as out:
            out.write(line + "\n")

    @tool
    async def fast(x: int) -> str:
        "A quick tool."
        note("fast-done")
        return f"fast {x}"

    @tool
    async def slow(x: int) -> str:
        "A slow tool."
        note("slow-start")
        await asyncio.sleep(slow_seconds)
        note("slow-done")
        return f"slow {x}"

    model = get_model("openai-compatible:scripted", base_url=base_url, api_key="sk-loopback-1234")
    agent = Agent(model, tools=[fast, slow])
    client = await Client.connect(address)
    worker = AgentWorker(
        client,
        agent,
        task_queue=queue,
        # How soon the killed worker's slow tool is tried elsewhere. Shorter makes the test
        # faster but lets a stall of a loaded machine pass for a dead worker: the model call
        # would then be tried again, and the server would see two requests for one step.
        heartbeat_timeout=timedelta(seconds=3),
        # A dead worker's cached workflow moves to a live worker after this long.
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=1),
    )
    async with worker:
        await asyncio.Event().wait()


if __name__ == "__main__":
    address, queue, base_url, log, slow = sys.argv[1:6]
    asyncio.run(main(address, queue, base_url, Path(log), float(slow)))
