"""Batch runs: in process through ``reverie batch`` (resume skips the rows done, retries the
failed), the per-provider limits, and on a DBOS queue in Postgres shared by two worker
processes, one of them killed mid-batch."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reverie.batch import BatchSpec, ProviderLimiter, read_rows, run_batch_durable
from reverie.cli import main
from reverie.errors import ConfigurationError, DataFormatError
from tests.durable.loopback import Loopback

REPO = Path(__file__).resolve().parents[2]


def write_rows(path: Path, count: int, fail: set[int] = frozenset()) -> Path:  # type: ignore[assignment]
    with path.open("w") as f:
        for i in range(count):
            prompt = f"FAIL {i}" if i in fail else f"question {i}"
            f.write(json.dumps({"id": f"row-{i}", "prompt": prompt}) + "\n")
    return path


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def env(server: Loopback, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", "sk-loopback-0123456789")
    monkeypatch.delenv("REVERIE_DURABLE", raising=False)
    return dict(os.environ)


def test_a_batch_writes_a_line_per_row_and_a_rerun_runs_only_the_failed_rows(
    server: Loopback, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = write_rows(tmp_path / "in.jsonl", 12, fail={3})
    out = tmp_path / "out.jsonl"
    args = ["batch", str(rows), "-m", "openai-compatible:m", "--out", str(out)]
    assert main([*args, "--concurrency", "4", "--rps", "1000", "--retries", "0"]) == 1
    first = lines(out)
    assert sorted(line["id"] for line in first) == sorted(f"row-{i}" for i in range(12))
    by_id = {line["id"]: line for line in first}
    assert by_id["row-5"]["text"] == "answer: question 5"
    assert by_id["row-5"]["usage"] == {"input_tokens": 12, "output_tokens": 4}
    assert by_id["row-3"]["error"]["kind"] == "InvalidRequestError"
    assert len(server.requests) == 12
    err = capsys.readouterr().err
    assert "rows 12/12" in err and "1 error" in err and "176 tokens" in err  # 11 rows of 16

    assert main([*args, "--retries", "0"]) == 1  # only row-3 again: it fails again
    assert len(server.requests) == 13
    again = lines(out)
    assert len(again) == 12 and [line["id"] for line in again].count("row-3") == 1
    assert "11 skipped" in capsys.readouterr().err


def test_bad_rows_and_settings_are_refused_with_where_and_why(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('"a prompt"\n{"prompt": 3}\n')
    with pytest.raises(DataFormatError, match=r"bad.jsonl:2: the row has no \"prompt\""):
        list(read_rows(bad))
    bad.write_text('{"id": "x", "prompt": "a"}\n{"id": "x", "prompt": "b"}\n')
    with pytest.raises(DataFormatError, match="'x' was used before"):
        list(read_rows(bad))
    with pytest.raises(ConfigurationError, match="above 0"):
        ProviderLimiter(requests_per_second=0)
    with pytest.raises(ConfigurationError, match="--output-type"):
        BatchSpec("openai-compatible:m", output_type="nomodule").agent("k")
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "object", "properties": {"label": {"type": "string"}}}')
    spec = BatchSpec("openai-compatible:m", output_type=str(schema), base_url="http://x/v1")
    assert BatchSpec.from_value(spec.to_value()) == spec
    assert spec.agent("k").output is not None


@pytest.mark.anyio
async def test_the_limits_space_requests_and_hold_back_past_the_token_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(round(seconds, 3))
        clock[0] += seconds

    monkeypatch.setattr("reverie.batch._limits.time.monotonic", lambda: clock[0])
    monkeypatch.setattr("reverie.batch._limits.asyncio.sleep", sleep)
    limiter = ProviderLimiter(requests_per_second=4, tokens_per_minute=1000)
    for _ in range(3):
        await limiter.acquire()
    assert waits == [0.25, 0.25]  # evenly spaced, four a second
    limiter.record(1000)  # the minute's budget is used up
    clock[0] += 1
    await limiter.acquire()
    assert waits[-1] == 59.0  # until the tokens leave the 60-second window


@pytest.mark.anyio
async def test_workers_share_a_durable_batch_and_a_killed_workers_rows_are_taken_over(
    server: Loopback, env: dict[str, str], tmp_path: Path, postgres_url: str
) -> None:
    server.delay = 0.2  # rows take a while: the kill lands while some are in flight
    rows = write_rows(tmp_path / "in.jsonl", 40)
    out = tmp_path / "out.jsonl"
    spec = BatchSpec("openai-compatible:loop")
    worker = [sys.executable, "-m", "reverie.cli", "worker", "--durable", postgres_url]

    logs = (tmp_path / "worker.log").open("w")

    def start(*extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*worker, "--concurrency", "4", *extra],
            env=env, cwd=REPO, stdout=logs, stderr=logs, text=True,
        )  # fmt: skip

    doomed = start()
    survivor = start("--until-idle")
    collect = asyncio.ensure_future(
        run_batch_durable(spec, rows, out, postgres_url, work_here=False, batch_id="b1")
    )
    try:
        while len(server.requests) < 8:  # noqa: ASYNC110 (both workers are busy)
            await asyncio.sleep(0.05)
        doomed.send_signal(signal.SIGKILL)
        doomed.communicate(timeout=30)
        summary = await asyncio.wait_for(collect, timeout=120)
        assert survivor.wait(timeout=60) == 0, (tmp_path / "worker.log").read_text()
    finally:
        for process in (doomed, survivor):
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
        logs.close()
    got = lines(out)
    assert sorted(line["id"] for line in got) == sorted(f"row-{i}" for i in range(40))
    assert all(line["text"] == f"answer: question {line['id'][4:]}" for line in got)
    assert summary.done == 40 and summary.errors == 0
    prompts = [r["messages"][-1]["content"] for r in server.requests]
    assert set(prompts) == {f"question {i}" for i in range(40)}
    # A row is asked again only if the killed worker's call was in flight (at most 4).
    assert len(prompts) - 40 <= 4

    before = len(server.requests)  # a rerun finds every row done
    rerun = await run_batch_durable(spec, rows, out, postgres_url, work_here=False, batch_id="b1")
    assert rerun.skipped == 40 and rerun.done == 0 and len(server.requests) == before
