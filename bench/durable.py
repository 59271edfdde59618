"""Durable runs and batches: what DBOS costs, and how workers scale. Not a test.

    uv run python bench/durable.py                 # both parts
    uv run python bench/durable.py --part overhead --rounds 30
    uv run python bench/durable.py --part batch --rows 10000 --workers 1,4

(a) overhead: the seed conversation's shape (two tool calls, then the answer: 2 model steps,
    2 tool calls) against the tests' loopback server (JSON answers: a durable run's model
    calls are not streamed), as a plain run and as a durable run on SQLite and on
    Postgres (a throwaway cluster, as the tests start one); median wall time per run, and
    the difference per agent step.
(b) batch: ROWS scripted rows enqueued on the DBOS queue in Postgres, then worked by 1 and
    by 4 ``reverie worker --until-idle`` processes against the loopback server of the tests
    (each answer after DELAY seconds, as a model would); rows per second from the workers'
    start to the last one's exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


async def _overhead(rounds: int, databases: dict[str, str]) -> dict[str, float]:
    from tests.durable.loopback import Loopback

    from reverie import Agent, get_model
    from reverie.durable.dbos import DBOSEngine

    server = Loopback().__enter__()
    prompt = "What is the sum and product of 2 and 3?"

    def add(x: int) -> str:
        """Add."""
        return str(x + x)

    def multiply(x: int) -> str:
        """Multiply."""
        return str(x * x)

    agent = Agent(
        get_model("openai-compatible:seed", base_url=server.base_url, api_key="sk-bench-012345"),
        system="You are a helpful assistant.",
        tools=[add, multiply],
    )
    out: dict[str, float] = {}
    try:
        times: list[float] = []
        for _ in range(rounds + 2):
            started = time.perf_counter()
            result = await agent.generate(prompt)
            times.append(time.perf_counter() - started)
        assert len(result.steps) == 2, result.text
        out["plain"] = statistics.median(times[2:]) * 1e3
        for name, url in databases.items():
            async with DBOSEngine(url, agents={"seed": agent}) as engine:
                times = []
                for i in range(rounds + 2):
                    started = time.perf_counter()
                    result = await engine.run("seed", prompt, run_id=f"seed-{name}-{i}")
                    times.append(time.perf_counter() - started)
                assert len(result.steps) == 2
            out[name] = statistics.median(times[2:]) * 1e3
    finally:
        server.__exit__()
    return out


def _batch(url: str, rows: int, workers: int, delay: float, concurrency: int) -> float:
    """Rows per second through ``workers`` worker processes."""
    from reverie.batch import BatchSpec
    from reverie.batch._durable import _client, _enqueue, _register_queue

    server = subprocess.Popen(
        [sys.executable, "-m", "tests.durable.loopback", "0", str(delay)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    base_url = server.stdout.readline().strip()
    os.environ["OPENAI_COMPATIBLE_BASE_URL"] = base_url
    os.environ["OPENAI_COMPATIBLE_API_KEY"] = "sk-bench-0123456789"
    env = dict(os.environ)
    try:
        spec = BatchSpec("openai-compatible:loop")
        agent = spec.agent()
        client = _client(url)
        _register_queue(client, concurrency)
        from reverie.batch._spec import Row

        todo = {f"b{workers}/{i}": Row(str(i), f"question {i}") for i in range(rows)}
        started = time.perf_counter()
        _enqueue(client, todo, {"spec": spec.to_value()}, agent)
        print(f"  enqueued {rows} rows in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "reverie.cli",
                    "worker",
                    "--durable",
                    url,
                    "--concurrency",
                    str(concurrency),
                    "--until-idle",
                ],
                cwd=ROOT,
                env=env,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        for proc in procs:
            proc.wait()
        seconds = time.perf_counter() - started
        done = client.list_workflows(
            workflow_id_prefix=f"b{workers}/", status="SUCCESS", load_input=False,
            load_output=False,
        )  # fmt: skip
        client.destroy()
        assert len(done) == rows, f"only {len(done)} of {rows} rows finished"
        return rows / seconds
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    from tests._postgres import PostgresServer, find_pg_bin

    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("overhead", "batch", "all"), default="all")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--workers", default="1,4")
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    results: dict[str, object] = {}
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise SystemExit("Postgres server binaries not found (apt-get install postgresql)")
    pg = PostgresServer(bin_dir)
    pg.start()
    base = pg.url("")
    with contextlib.ExitStack() as cleanup, tempfile.TemporaryDirectory() as tmp:
        cleanup.callback(pg.stop)
        if args.part in ("overhead", "all"):
            databases = {"sqlite": f"sqlite:///{tmp}/bench.sqlite", "postgres": f"{base}bench"}
            ms = asyncio.run(_overhead(args.rounds, databases))
            for name in databases:
                ms[f"{name} per step"] = (ms[name] - ms["plain"]) / 2  # 2 agent steps
            results["overhead ms"] = {k: round(v, 2) for k, v in ms.items()}
            print(json.dumps(results["overhead ms"]), flush=True)
        if args.part in ("batch", "all"):
            rates: dict[str, float] = {}
            for count in (int(n) for n in args.workers.split(",")):
                rate = _batch(f"{base}batch{count}", args.rows, count, args.delay, args.concurrency)
                rates[f"{count} worker(s) rows/s"] = round(rate, 1)
                print(json.dumps(rates), flush=True)
            results["batch"] = rates
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
