"""What watching a run costs: the agent with no observer, with the OpenTelemetry observer
and no provider configured, with an SDK recording every span and metric, and with the run
log writing every run to a SQLite file (its writes, on their own thread, are waited for
in each job, so their CPU is counted).

    uv run python bench/observers.py [--rounds 7]

Needs only the dev dependencies (the OpenTelemetry SDK), not the bench group. Each mode
runs in a fresh interpreter, so "plain" never imports OpenTelemetry at all; the modes take
turns ``--trials`` times, so a shared machine's drifting load falls on all of them. Jobs, against
the bench server (a separate process): the seed conversation (two steps, two tools, run
``--repeat`` times per round) and an agent run streaming a 2000-chunk answer. Figures are
client CPU, median of all rounds of all trials (min–max), and the ratio to "plain".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import cpu_rounds, start_server, stats

MODES = ("plain", "otel, no provider", "otel, SDK recording", "run log, SQLite")
TEXT_CHUNKS = 2000


def observers(mode: str) -> list[Any]:
    if mode == "plain":
        return []
    if mode == "run log, SQLite":
        import tempfile

        from reverie.runlog import RunLog

        return [RunLog(Path(tempfile.mkdtemp()) / "logs.db")]
    from reverie.otel import OpenTelemetry

    if mode == "otel, no provider":
        return [OpenTelemetry()]
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return [OpenTelemetry(tracer_provider=tracer_provider, meter_provider=meter_provider)]


async def child(mode: str, base_url: str, rounds: int, repeat: int) -> dict[str, Any]:
    from reverie import Agent, get_model

    def add(a: int, b: int) -> str:
        """Add two numbers"""
        return str(a + b)

    def multiply(a: int, b: int) -> str:
        """Multiply two numbers"""
        return str(a * b)

    watching = observers(mode)
    seed_agent = Agent(
        get_model("openai-compatible:seed", base_url=base_url),
        system="You are a helpful assistant. Always use both add and multiply at the same time.",
        tools=[add, multiply],
        observers=watching,
    )
    text_agent = Agent(
        get_model(f"openai-compatible:text-{TEXT_CHUNKS}", base_url=base_url),
        observers=watching,
    )

    def written() -> None:
        for log in watching:
            flush = getattr(log, "flush", None)
            if flush is not None:
                flush()

    async def seed() -> str:
        text = ""
        for _ in range(repeat):
            text = (await seed_agent.stream("Add and multiply the number 2 and 3").collect()).text
        written()
        return text

    async def text() -> str:
        answer = (await text_agent.stream("hi").collect()).text
        written()
        return answer

    expected_seed = await seed()
    expected_text = await text()
    assert "5" in expected_seed, expected_seed
    assert len(expected_text) > TEXT_CHUNKS, "the text stream came back short"
    seed_times = await cpu_rounds(seed, expected_seed, rounds)
    text_times = await cpu_rounds(text, expected_text, rounds)
    return {
        "seed ms": [t * 1000 / repeat for t in seed_times],
        "text µs/chunk": [t * 1e6 / TEXT_CHUNKS for t in text_times],
        "otel imported": "opentelemetry" in sys.modules,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--child")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        data = asyncio.run(child(args.child, args.url, args.rounds, args.repeat))
        print(json.dumps(data))
        return
    base_url, proc = start_server()
    time.sleep(0.3)
    rows: dict[str, dict[str, Any]] = {}
    try:
        for trial in range(args.trials):
            for mode in MODES:
                print(f"trial {trial + 1}: {mode} ...", file=sys.stderr, flush=True)
                out = subprocess.run(
                    [
                        *(sys.executable, __file__, "--child", mode, "--url", base_url),
                        *("--rounds", str(args.rounds), "--repeat", str(args.repeat)),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                data = json.loads(out.stdout.strip().splitlines()[-1])
                row = rows.setdefault(mode, {"otel imported": data["otel imported"]})
                for key in ("seed ms", "text µs/chunk"):
                    row.setdefault(key, []).extend(data[key])
    finally:
        proc.terminate()
    assert not rows["plain"]["otel imported"]
    assert rows["otel, no provider"]["otel imported"]
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; client CPU, median of {args.trials} x {args.rounds} "
        "rounds (min–max); "
        "ratio to plain.\n"
    )
    metrics = ("seed ms", "text µs/chunk")
    print("| mode | " + " | ".join(metrics) + " |")
    print("|---|" + "---|" * len(metrics))
    for mode, row in rows.items():
        cells = []
        for metric in metrics:
            med, lo, hi = stats(row[metric])
            base = stats(rows["plain"][metric])[0]
            cells.append(f"**{med / base:.2f}x** ({med:.3g}; {lo:.3g}–{hi:.3g})")
        print(f"| {mode} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
