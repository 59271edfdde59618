"""The benchmark: reverie against the raw httpx2 floor and the peers, in one run.

    uv sync --group bench && uv run python bench/run.py [--rounds 5] [--quick]

Every figure is the median of ``--rounds`` rounds (min and max shown) and is reported as a
ratio to the floor measured in the same run, on the same machine, against the same local
server (a separate process, so its CPU is not counted). Measured:

(a) import time in a fresh interpreter;
(b) client CPU per chunk: a 2000-chunk text stream, and a tool call whose arguments arrive
    in 1000 fragments;
(c) client CPU for the seed's two-step tool conversation, end to end;
(d) 1000 concurrent streams of 500 chunks in one process: wall time and peak memory (each
    client in its own fresh process).

Every adapter's output is checked; a wrong answer aborts the run. This is a benchmark, not
a test: CI never runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import server  # noqa: E402
from adapters import FACTORIES, IMPORTS, Adapter  # noqa: E402

TEXT_CHUNKS = 2000
TOOL_FRAGMENTS = 1000
CONCURRENT_STREAMS = 1000
CONCURRENT_CHUNKS = 500


def start_server() -> tuple[str, multiprocessing.Process]:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    port = sock.getsockname()[1]
    proc = multiprocessing.get_context("fork").Process(
        target=server.serve_forever, args=(sock,), daemon=True
    )
    proc.start()
    sock.close()
    return f"http://127.0.0.1:{port}/v1", proc


def stats(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


async def cpu_rounds(job: Callable[[], Awaitable[str]], expected: str, rounds: int) -> list[float]:
    """Client CPU seconds of each round (after one warm-up); checks every answer."""
    got = await job()
    if got != expected:
        raise SystemExit(f"wrong result: {got[:80]!r}... != {expected[:80]!r}...")
    times: list[float] = []
    for _ in range(rounds):
        gc.collect()
        start = time.process_time()
        got = await job()
        times.append(time.process_time() - start)
        if got != expected:
            raise SystemExit(f"wrong result in a timed round: {got[:80]!r}")
    return times


async def measure_cpu(
    name: str, base_url: str, rounds: int
) -> dict[str, tuple[float, float, float]]:
    adapter: Adapter = FACTORIES[name](base_url)
    try:
        text = await cpu_rounds(
            lambda: adapter.text(TEXT_CHUNKS), server.expected_text(TEXT_CHUNKS), rounds
        )
        tool = await cpu_rounds(
            lambda: adapter.tool(TOOL_FRAGMENTS), server.expected_arguments(TOOL_FRAGMENTS), rounds
        )
        seed = await cpu_rounds(adapter.seed, server.SEED_ANSWER, rounds)
    finally:
        await adapter.close()
    return {
        "text µs/chunk": stats([t / TEXT_CHUNKS * 1e6 for t in text]),
        "tool µs/fragment": stats([t / TOOL_FRAGMENTS * 1e6 for t in tool]),
        "seed ms": stats([t * 1e3 for t in seed]),
    }


def measure_import(module: str, rounds: int) -> tuple[float, float, float]:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env)
    values = []
    for _ in range(rounds):
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
        )
        values.append(float(out.stdout.strip().splitlines()[-1]) * 1e3)
    return stats(values)


async def _concurrent(name: str, base_url: str, streams: int, chunks: int) -> float:
    adapter = FACTORIES[name](base_url)
    expected = server.expected_text(chunks)
    await adapter.text(chunks)  # warm up the connection machinery
    start = time.perf_counter()
    results = await asyncio.gather(*(adapter.text(chunks) for _ in range(streams)))
    wall = time.perf_counter() - start
    await adapter.close()
    bad = sum(r != expected for r in results)
    if bad:
        raise SystemExit(f"{name}: {bad} of {streams} concurrent streams were wrong")
    return wall


def concurrency_worker(name: str, base_url: str, streams: int, chunks: int) -> None:
    wall = asyncio.run(_concurrent(name, base_url, streams, chunks))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "peak_mb": peak_mb}))


def measure_concurrency(
    name: str, base_url: str, rounds: int, streams: int, chunks: int
) -> dict[str, tuple[float, float, float]]:
    walls, peaks = [], []
    for _ in range(rounds):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                name,
                "--url",
                base_url,
                "--streams",
                str(streams),
                "--chunks",
                str(chunks),
            ],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
        )
        data = json.loads(out.stdout.strip().splitlines()[-1])
        walls.append(data["wall"])
        peaks.append(data["peak_mb"])
    return {"concurrent wall s": stats(walls), "concurrent peak MB": stats(peaks)}


def table(results: dict[str, dict[str, tuple[float, float, float]]]) -> str:
    floor = results["floor"]
    metrics = list(floor)
    lines = [
        "| client | " + " | ".join(metrics) + " |",
        "|---|" + "---|" * len(metrics),
    ]
    for name, row in results.items():
        cells = []
        for m in metrics:
            if m not in row:
                cells.append("–")
                continue
            med, lo, hi = row[m]
            ratio = med / floor[m][0] if floor[m][0] else float("nan")
            cells.append(f"**{ratio:.2f}x** ({med:.3g}; {lo:.3g}–{hi:.3g})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", default="floor,reverie,openai,pydantic-ai,litellm")
    parser.add_argument("--quick", action="store_true", help="skip the concurrency runs")
    parser.add_argument("--streams", type=int, default=CONCURRENT_STREAMS)
    parser.add_argument("--chunks", type=int, default=CONCURRENT_CHUNKS)
    parser.add_argument("--worker")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.worker:
        concurrency_worker(args.worker, args.url, args.streams, args.chunks)
        return

    base_url, proc = start_server()
    time.sleep(0.3)
    names = args.clients.split(",")
    results: dict[str, dict[str, tuple[float, float, float]]] = {}
    try:
        for name in names:
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            row = {"import ms": measure_import(IMPORTS[name], args.rounds)}
            row.update(asyncio.run(measure_cpu(name, base_url, args.rounds)))
            if not args.quick:
                row.update(
                    measure_concurrency(name, base_url, args.rounds, args.streams, args.chunks)
                )
            results[name] = row
    finally:
        proc.terminate()
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; median of {args.rounds} rounds (min–max); "
        "ratios to the httpx2 floor of the same run.\n"
    )
    print(table(results))


if __name__ == "__main__":
    main()
