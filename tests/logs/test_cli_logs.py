"""``reverie run`` logs its run; ``reverie logs`` lists, shows and finds it. The provider is
an OpenAI-compatible server on 127.0.0.1 (``openai:gpt-4o-mini`` with ``OPENAI_BASE_URL``),
so the run has a real price."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import genai_prices
import pytest

from reverie import Agent
from reverie.cli import main
from reverie.runlog import RunLog
from reverie.testing import FakeModel
from tests.testing.fake_openai import FakeOpenAI

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-planted-cli-0123456789abcdefghijkl"
TOOLS = '''
def weather(location: str) -> str:
    """Get weather information for a location"""
    return "40 C and sunny in " + location
'''


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


@pytest.fixture
def env(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The provider's address, and no key in the environment: it comes from --api-key."""
    for name in ("REVERIE_MODEL", "REVERIE_LOG", "REVERIE_LOG_DB", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("NO_COLOR", "1")
    return dict(os.environ)


def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def expected_cost(prompt: int, completion: int) -> Decimal:
    prices = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=1), "gpt-4o-mini", provider_id="openai"
    ).model_price
    return (prompt * prices.input_mtok + completion * prices.output_mtok) / 1_000_000


def test_a_run_then_logs_shows_it_with_usage_and_cost_and_search_finds_it(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "logs.db")
    tools = tmp_path / "tools.py"
    tools.write_text(TOOLS)
    prompt = f"What is the weather in Florence? My key is {KEY}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "reverie",
            "run",
            prompt,
            "-m",
            "openai:gpt-4o-mini",
            "--api-key",
            KEY,
            "--tool",
            f"{tools}:weather",
            "--db",
            db,
        ],
        capture_output=True,
        text=True,
        timeout=100,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    run = cli(capsys)

    code, out, _ = run("logs", "--json", "--db", db)
    assert code == 0
    (logged,) = json.loads(out)
    # Two steps (the tool call, then the answer), each 10 in and 5 out on this server.
    assert logged["status"] == "finished" and logged["steps"] == 2
    assert logged["model"] == "openai:gpt-4o-mini"
    assert logged["usage"]["input_tokens"] == 20 and logged["usage"]["output_tokens"] == 10
    assert logged["usage"]["total_tokens"] == 30
    assert logged["cost_usd"] == pytest.approx(float(expected_cost(20, 10)))
    assert logged["prompt"] == "What is the weather in Florence? My key is [REDACTED]"
    assert logged["answer"].startswith("The weather in Florence is 40 C")

    code, out, _ = run("logs", "search", "florence", "--json", "--db", db)
    assert [r["run_id"] for r in json.loads(out)] == [logged["run_id"]]
    code, out, _ = run("logs", "search", "no-such-word", "--db", db)
    assert code == 0 and out == ""

    code, out, _ = run("logs", "show", logged["run_id"][:10], "--json", "--db", db)
    shown = json.loads(out)
    assert [s["number"] for s in shown["steps"]] == [0, 1]
    assert shown["steps"][0]["cost_usd"] == pytest.approx(float(expected_cost(10, 5)))
    (call,) = shown["tool_calls"]
    assert (call["tool_name"], call["output"]) == ("weather", "40 C and sunny in Florence")
    assert shown["input"][-1]["role"] == "user"

    code, out, _ = run("logs", "--db", db)
    assert logged["run_id"][:16] in out and "openai:gpt-4o-mini" in out and "$0.0000" in out
    code, out, _ = run("logs", "show", logged["run_id"], "--db", db)
    assert "tool weather(" in out and "→ 40 C and sunny in Florence" in out
    assert "assistant: The weather in Florence" in out

    for path in tmp_path.glob("logs.db*"):
        assert KEY.encode() not in path.read_bytes()


def test_no_log_and_reverie_log_0_keep_runs_out(
    env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = str(tmp_path / "logs.db")
    run = cli(capsys)
    assert (
        run("run", "hi", "-m", "openai:gpt-4o-mini", "--api-key", KEY, "--db", db, "--no-log")[0]
        == 0
    )
    monkeypatch.setenv("REVERIE_LOG", "0")
    assert run("run", "hi", "-m", "openai:gpt-4o-mini", "--api-key", KEY, "--db", db)[0] == 0
    monkeypatch.delenv("REVERIE_LOG")
    assert json.loads(run("logs", "--json", "--db", db)[1]) == []
    assert run("run", "hi", "-m", "openai:gpt-4o-mini", "--api-key", KEY, "--db", db)[0] == 0
    assert len(json.loads(run("logs", "--json", "--db", db)[1])) == 1


def test_a_log_that_cannot_be_written_is_said_once_and_the_run_succeeds(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "logs.db"
    bad.write_bytes(b"not a database " * 400)
    code, out, err = cli(capsys)(
        "run", "hi", "-m", "openai:gpt-4o-mini", "--api-key", KEY, "--db", str(bad)
    )
    assert code == 0 and "Olá" in out
    assert err.count("the run log could not be written") == 1


def test_logs_show_of_an_unknown_run_and_an_unreadable_log(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(capsys)
    db = str(tmp_path / "logs.db")
    code, _, err = run("logs", "show", "run_nope", "--db", db)
    assert code == 1 and "no run 'run_nope'" in err
    code, _, err = run("logs", "--db", db)
    assert code == 0 and "no runs logged yet" in err
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database " * 400)
    code, _, err = run("logs", "--db", str(bad))
    assert code == 1 and str(bad) in err
    code, out, _ = run("logs", "path", "--json", "--db", db)
    assert json.loads(out) == {"db": db}


def test_reverie_log_1_logs_every_agent_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = str(tmp_path / "env.db")
    monkeypatch.setenv("REVERIE_LOG", "1")
    monkeypatch.setenv("REVERIE_LOG_DB", db)
    Agent(FakeModel([FakeModel.text("one")])).generate_sync("logged by the switch")
    own = RunLog(db)
    Agent(FakeModel([FakeModel.text("two")]), observers=[own]).generate_sync("logged once")
    own.flush()
    monkeypatch.setenv("REVERIE_LOG", "0")
    assert Agent(FakeModel([])).observers == ()
    from reverie.runlog import environment_log

    monkeypatch.setenv("REVERIE_LOG", "1")
    shared = environment_log()
    assert shared is not None
    shared.flush()
    assert sorted(r.prompt for r in own.runs()) == ["logged by the switch", "logged once"]
    detail = own.get(own.runs()[0].run_id)
    assert detail is not None and len(detail.steps) == 1  # not written twice
    own.close()
    shared.close()


def test_logs_prune_takes_an_age_and_says_what_it_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(capsys)
    db = str(tmp_path / "logs.db")
    with RunLog(db) as log:
        Agent(FakeModel([FakeModel.text("hi there")]), observers=[log]).generate_sync("hello")
    assert run("logs", "prune", "--older-than", "30d", "--db", db)[:2] == (0, "deleted 0 runs\n")
    code, out, _ = run("logs", "prune", "--older-than", "0m", "--db", db, "--json")
    assert (code, json.loads(out)) == (0, {"deleted": 1})
    assert run("logs", "--db", db, "--json")[1].strip() == "[]"
    for bad in ("30", "d", "-1d", "nand", "30y"):
        with pytest.raises(SystemExit) as exited:
            run("logs", "prune", "--older-than", bad, "--db", db)
        assert exited.value.code == 2
