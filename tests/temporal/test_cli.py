"""The command line's durable contract on Temporal, with real processes and SIGKILL:

    reverie run PROMPT -m MODEL --tool FILE:fn ... --durable temporal://HOST:PORT --run-id ID

The same contract as on DBOS (tests/durable/test_cli_contract.py): the first process is
killed while the slow tool runs; the same command again prints the final answer, the model
got one step-1 and one step-2 request across both, and the tool that had finished ran once;
a third run prints the answer with no request. Then a run that waits for approval is
answered with ``reverie approve`` from another process.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import pytest
from temporalio.client import Client

from reverie.cli import main
from reverie.cli._temporal import is_temporal
from tests.durable.loopback import Loopback
from tests.durable.test_cli_contract import (
    APPROVAL_TOOLS,
    REPO,
    TOOLS,
    approval_command,
    command,
    environment,
    finish,
    log,
    stderr_until,
    wait_for,
)


def completed_activities(address: str, run_id: str) -> int:
    """How many of the run's activities Temporal has recorded as completed."""

    async def count() -> int:
        client = await Client.connect(address)
        history = await client.get_workflow_handle(run_id).fetch_history()
        return sum(
            1 for e in history.events if e.HasField("activity_task_completed_event_attributes")
        )

    try:
        return asyncio.run(count())
    except Exception:  # not started yet
        return 0


def test_a_killed_run_resumes_on_temporal_and_a_finished_one_calls_nothing(
    temporal_address: str, tmp_path: Path
) -> None:
    tools = tmp_path / "tools.py"
    tools.write_text(TOOLS)
    url = f"temporal://{temporal_address}"
    with Loopback() as server:
        env = environment(server)
        args = command(tools, url, "cli-job-1", "--db", str(tmp_path / "logs.db"))
        first = subprocess.Popen(
            args, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            wait_for(lambda: "slow-start" in log(tools), "the slow tool to start")
            # Killed once the model step and the fast tool are recorded: the fast tool "had
            # finished".
            wait_for(
                lambda: completed_activities(temporal_address, "cli-job-1") >= 2,
                "the fast tool's completion in the history",
            )
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=30)
        assert sorted(log(tools)) == ["fast", "slow-start"]
        assert server.steps() == [1]

        again = finish(args, env)
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip() == "done: fast ok + slow ok"
        assert server.steps() == [1, 2]
        assert log(tools).count("fast") == 1 and log(tools).count("slow") == 1

        third = finish(args, env)
        assert third.returncode == 0, third.stderr
        assert third.stdout == again.stdout
        assert "has finished" in third.stderr
        assert server.steps() == [1, 2]  # no request at all


def test_a_run_waiting_for_approval_is_approved_from_another_process(
    temporal_address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tools = tmp_path / "tools.py"
    tools.write_text(APPROVAL_TOOLS)
    url = f"temporal://{temporal_address}"
    with Loopback() as server:
        env = environment(server)
        args = approval_command(tools, url, "cli-pay-1")
        waiting = subprocess.Popen(
            args, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            seen = stderr_until(waiting, "reverie approve cli-pay-1 call_pay")
            assert f"--durable {url}" in seen
            assert log(tools) == []  # not run before approval

            # Another process (this one) answers: a wrong id is refused, the right one sent.
            assert main(["approve", "cli-pay-1", "call_nope", "--durable", url]) == 2
            assert "waiting: call_pay" in capsys.readouterr().err
            assert main(["approve", "cli-pay-1", "call_pay", "--durable", url]) == 0
            out, _ = waiting.communicate(timeout=120)
        finally:
            if waiting.poll() is None:
                waiting.kill()
                waiting.communicate()
        assert waiting.returncode == 0
        assert out.strip() == "done: paid"
        assert log(tools) == ["pay"]


@pytest.mark.parametrize(
    "url",
    ["temporal://", "temporal://localhost", "temporal://localhost:port", "temporal://u@h:1",
     "temporal://localhost:7233?tls=1"],
)  # fmt: skip
def test_a_temporal_url_needs_a_host_and_a_port(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert is_temporal(url) and not is_temporal("sqlite:///runs.sqlite")
    assert main(["approve", "some-run", "call_1", "--durable", url]) == 2
    assert "temporal://HOST:PORT[/NAMESPACE]" in capsys.readouterr().err


def test_an_unreachable_temporal_server_is_one_clear_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["approve", "some-run", "call_1", "--durable", "temporal://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Temporal server at 127.0.0.1:9" in err and len(err.splitlines()) == 1
