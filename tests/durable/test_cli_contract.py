"""The command line's durable contract, with real processes, SIGKILL and a loopback server:

    reverie run PROMPT -m MODEL --tool FILE:fn ... --durable URL --run-id ID

The model answers step 1 with two tool calls (``fast``, ``slow``); the first process is
killed while ``slow`` runs. The same command again prints the final answer; across both
processes the model got one step-1 and one step-2 request and ``fast`` ran once. A third
run prints the same answer with no request. On SQLite and on Postgres.

Also across processes: a run waiting for approval, killed, answered by ``reverie approve``
from another process, and resumed by running its command again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.durable.loopback import Loopback

REPO = Path(__file__).resolve().parents[2]

TOOLS = '''
import time
from pathlib import Path

LOG = Path(__file__).with_name("ran.txt")


def _log(line):
    with LOG.open("a") as f:
        f.write(line + "\\n")


def fast(x: int) -> str:
    """Fast."""
    _log("fast")
    return "fast ok"


def slow(x: int) -> str:
    """Slow: the first time it runs it takes a minute (long enough to be killed)."""
    first = "slow-start" not in (LOG.read_text() if LOG.exists() else "")
    _log("slow-start")
    if first:
        time.sleep(60)
    _log("slow")
    return "slow ok"
'''


def command(tools: Path, url: str, run_id: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "reverie.cli",
        "run",
        "Use both tools",
        "-m",
        "openai-compatible:loop-model",
        "--tool",
        f"{tools}:fast",
        "--tool",
        f"{tools}:slow",
        "--durable",
        url,
        "--run-id",
        run_id,
        *extra,
    ]


def environment(server: Loopback) -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1", "OPENAI_COMPATIBLE_BASE_URL": server.base_url}
    env["OPENAI_COMPATIBLE_API_KEY"] = "sk-loopback-0123456789"
    env.pop("REVERIE_MODEL", None)
    env.pop("REVERIE_DURABLE", None)
    return env


def log(tools: Path) -> list[str]:
    path = tools.with_name("ran.txt")
    return path.read_text().split() if path.exists() else []


def wait_for(condition: object, what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not callable(condition) or not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def recorded(url: str, step_name: str) -> bool:
    """Whether DBOS has checkpointed the step named ``step_name``."""
    query = "SELECT count(*) FROM {}operation_outputs WHERE function_name = %s"
    if url.startswith("sqlite"):
        import sqlite3

        path = url.split(":///", 1)[1]
        if not Path(path).exists():
            return False
        with sqlite3.connect(path) as conn:
            try:
                row = conn.execute(query.format("").replace("%s", "?"), (step_name,)).fetchone()
            except sqlite3.OperationalError:
                return False  # the tables are not made yet
    else:
        import psycopg

        with psycopg.connect(url) as conn:
            row = conn.execute(query.format("dbos."), (step_name,)).fetchone()
    return bool(row and row[0])


def finish(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, timeout=120, env=env, cwd=REPO, check=False
    )


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))


def test_a_killed_run_resumes_without_repeating_calls_and_a_finished_one_calls_nothing(
    server: Loopback, tmp_path: Path, database: str
) -> None:
    tools = tmp_path / "tools.py"
    tools.write_text(TOOLS)
    env = environment(server)
    run_log = tmp_path / "logs.db"
    args = command(tools, database, "job-1", "--db", str(run_log))

    first = subprocess.Popen(
        args, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for(lambda: "slow-start" in log(tools), "the slow tool to start")
        # Killed once the fast tool's outcome is checkpointed: it "had finished".
        wait_for(lambda: recorded(database, "reverie.tool/0/call_fast"), "the fast tool's record")
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    assert sorted(log(tools)) == ["fast", "slow-start"]
    assert server.steps() == [1]

    again = finish(args, env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "done: fast ok + slow ok"
    assert server.steps() == [1, 2]  # one step-1 and one step-2 request across both processes
    assert log(tools).count("fast") == 1  # the tool that had finished did not run again
    assert log(tools).count("slow") == 1

    logged = logged_runs(run_log)  # --db is where the run is logged, as without --durable
    assert [(r.run_id, r.status, r.steps) for r in logged] == [("job-1", "finished", 2)]

    third = finish(args, env)
    assert third.returncode == 0, third.stderr
    assert third.stdout == again.stdout
    assert server.steps() == [1, 2]  # no request at all
    assert log(tools).count("fast") == 1 and log(tools).count("slow") == 1
    assert logged_runs(run_log) == logged  # giving the answer again is not a run to log


def logged_runs(path: Path) -> list[Any]:
    from reverie.runlog import RunLog

    with RunLog(str(path)) as run_log:
        return run_log.runs()


APPROVAL_TOOLS = '''
from pathlib import Path

LOG = Path(__file__).with_name("ran.txt")


def pay(x: int) -> str:
    """Pay."""
    with LOG.open("a") as f:
        f.write("pay\\n")
    return "paid"
'''


def approval_command(tools: Path, url: str, run_id: str) -> list[str]:
    """``reverie run`` of a run whose one tool call (``pay``) needs approval."""
    return [
        sys.executable, "-m", "reverie.cli", "run", "Pay it", "-m", "openai-compatible:loop",
        "--tool", f"{tools}:pay", "--approve", "all", "--durable", url, "--run-id", run_id,
    ]  # fmt: skip


def stderr_until(process: subprocess.Popen[str], marker: str) -> str:
    """What ``process`` wrote on stderr up to the line containing ``marker``."""
    assert process.stderr is not None
    seen = ""
    while marker not in seen:
        line = process.stderr.readline()
        assert line, f"the run ended without asking: {seen}"
        seen += line
    return seen


def test_a_run_waiting_for_approval_survives_its_process_and_is_approved_from_another(
    server: Loopback, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tools = tmp_path / "tools.py"
    tools.write_text(APPROVAL_TOOLS)
    env = environment(server)
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    args = approval_command(tools, url, "pay-1")
    waiting = subprocess.Popen(
        args, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        seen = stderr_until(waiting, "reverie approve pay-1 call_pay")
    finally:
        waiting.send_signal(signal.SIGKILL)
        waiting.communicate(timeout=30)
    assert 'pay({"x": 1})' in seen and log(tools) == []

    # Another process (this one) answers: a wrong id is refused, the right one sent.
    from reverie.cli import main

    assert main(["approve", "pay-1", "call_nope", "--durable", url]) == 2
    assert "waiting: call_pay" in capsys.readouterr().err
    assert main(["approve", "pay-1", "call_pay", "--durable", url]) == 0

    resumed = finish(args, env)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip() == "done: paid"
    assert log(tools) == ["pay"] and server.steps() == [1, 2]
