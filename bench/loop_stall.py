"""How long model input can stall the event loop: a ticker's longest gap during a run.

    uv run python bench/loop_stall.py [--rounds 3] [--cases broken-64KiB,broken-1MiB]

A loopback OpenAI-compatible server (its own process, responses pre-rendered) streams one
tool call whose arguments arrive in 1000 fragments, then, once the tool result comes back,
a short text answer. The real agent (``openai-compatible`` model, default client) runs it
while a ticker on the same event loop sleeps 1 ms at a time and records the time between
its ticks. Reported per case: the ticker's longest gap (the worst stall every other stream
on the loop would have seen) and the run's wall time, median of ``--rounds`` (min–max),
after one warm-up run; ``idle`` is the ticker alone, the machine's scheduling noise.

Cases: ``broken-64KiB`` / ``broken-1MiB``, arguments that are not JSON (random letters and
punctuation, the shape JSON repair is slowest on); ``valid-1MiB``, a valid 1 MiB argument
string, the control (what moving 1 MiB through the stack costs anyway).

Not a test: CI never runs it. ``--case-timeout`` bounds one run (an unbounded repair on the
loop took minutes at 1 MiB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import socket
import statistics
import string
import sys
import time
from typing import Any

FRAGMENTS = 1000
SIZES = {"64KiB": 64 * 1024, "1MiB": 1024 * 1024}


def arguments(case: str) -> str:
    kind, size = case.split("-")
    n = SIZES[size]
    if kind == "valid":
        return json.dumps({"text": "x" * (n - 12)})
    rng = random.Random(n)
    return "{" + "".join(rng.choice(string.ascii_letters + " ,:{}[]") for _ in range(n - 1))


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return _event({"id": "c", "object": "chat.completion.chunk", "choices": [choice]})


def tool_call_stream(args: str) -> bytes:
    step = max(1, len(args) // FRAGMENTS)
    pieces = [args[i : i + step] for i in range(0, len(args), step)]
    first = {"index": 0, "id": "call_1", "type": "function"}
    events = [
        _chunk({"role": "assistant", "tool_calls": [{**first, "function": {"name": "echo"}}]})
    ]
    events += [_chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in pieces]
    events += [_chunk({}, "tool_calls"), b"data: [DONE]\n\n"]
    return b"".join(events)


ANSWER = b"".join(
    [_chunk({"role": "assistant", "content": "done"}), _chunk({}, "stop"), b"data: [DONE]\n\n"]
)


def serve_forever(sock: socket.socket, cases: list[str]) -> None:
    bodies = {case: tool_call_stream(arguments(case)) for case in cases}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            length = next(
                int(v)
                for k, _, v in (x.partition(":") for x in lines[1:])
                if k.lower() == "content-length"
            )
            request = await reader.readexactly(length)
            case = path.split("/")[1]
            body = ANSWER if b'"role":"tool"' in request else bodies[case]
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, sock=sock)
        await server.serve_forever()

    asyncio.run(main())


async def one_run(base_url: str, case: str) -> tuple[float, float, str]:
    """(longest ticker gap s, wall s, what the tool call became) for one agent run."""
    from reverie import Agent, tool
    from reverie.providers import get_model
    from reverie.retry import NO_RETRY

    @tool
    def echo(text: str) -> str:
        """Returns its text."""
        return text[:10]

    model = get_model("openai-compatible:m", base_url=f"{base_url}/{case}/v1")
    agent = Agent(model, tools=[echo], retry=NO_RETRY)
    loop = asyncio.get_running_loop()
    gaps: list[float] = []
    running = True

    async def ticker() -> None:
        last = loop.time()
        while running:
            await asyncio.sleep(0.001)
            now = loop.time()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    start = time.perf_counter()
    result = await agent.stream("go").collect()
    wall = time.perf_counter() - start
    running = False
    await task
    output = result.steps[0].tool_results[0].output
    outcome = type(output).__name__ + ": " + str(getattr(output, "message", "")[:60])
    return max(gaps) - 0.001, wall, outcome


async def idle_gap() -> float:
    """The ticker's longest gap over half a second with nothing else to do: the machine's
    own scheduling noise, for comparison."""
    loop = asyncio.get_running_loop()
    longest = 0.0
    last = loop.time()
    end = last + 0.5
    while last < end:
        await asyncio.sleep(0.001)
        now = loop.time()
        longest = max(longest, now - last)
        last = now
    return longest - 0.001


def stats(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{statistics.median(ms):.0f} ms ({min(ms):.0f}–{max(ms):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", default="broken-64KiB,broken-1MiB,valid-1MiB")
    parser.add_argument("--case-timeout", type=float, default=600.0)
    args = parser.parse_args()
    cases = args.cases.split(",")
    warm = "valid-64KiB"  # one run first, not counted: imports and the first connection
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    proc = multiprocessing.get_context("fork").Process(
        target=serve_forever, args=(sock, [*cases, warm]), daemon=True
    )
    proc.start()
    sock.close()
    base_url = f"http://127.0.0.1:{port}"
    time.sleep(0.3)
    rows = [f"| idle (noise floor) | {stats([asyncio.run(idle_gap()) for _ in range(3)])} | | |"]
    try:
        asyncio.run(one_run(base_url, warm))
        for case in cases:
            print(f"measuring {case} ...", file=sys.stderr, flush=True)
            gaps: list[float] = []
            walls: list[float] = []
            outcome = ""
            for _ in range(args.rounds):
                try:
                    gap, wall, outcome = asyncio.run(
                        asyncio.wait_for(one_run(base_url, case), args.case_timeout)
                    )
                except TimeoutError:
                    gap = wall = args.case_timeout
                    outcome = f"not finished within {args.case_timeout:g} s"
                gaps.append(gap)
                walls.append(wall)
            rows.append(f"| {case} | {stats(gaps)} | {stats(walls)} | {outcome} |")
    finally:
        proc.terminate()
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; median of {args.rounds} rounds (min–max).\n"
    )
    print("| case | longest loop stall | run wall time | the call's result |")
    print("|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
