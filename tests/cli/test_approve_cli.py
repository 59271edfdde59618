"""``reverie run --approve``, ``--save-state`` and ``reverie resume`` against an
OpenAI-compatible server on 127.0.0.1: the y/n answers piped to real subprocesses; the
saved-state flow through ``main(argv)`` in this process (it reads no stdin)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reverie.cli import main
from tests.testing.fake_openai import FakeOpenAI

REPO = Path(__file__).resolve().parents[2]

TOOLS = '''
from pathlib import Path
from reverie import tool

LOG = Path(__file__).with_name("ran.txt")


@tool(requires_approval=True)
def weather(location: str) -> str:
    """Get weather information for a location"""
    with LOG.open("a") as f:
        f.write(location + "\\n")
    return "40 C"


@tool(name="weather")  # the same tool, not marked as needing approval
def plain_weather(location: str) -> str:
    """Get weather information for a location"""
    with LOG.open("a") as f:
        f.write(location + "\\n")
    return "40 C"
'''


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    path = tmp_path / "tools.py"
    path.write_text(TOOLS)
    return path


def reverie(server: FakeOpenAI, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "OPENAI_COMPATIBLE_BASE_URL": server.base_url}
    env.pop("REVERIE_MODEL", None)
    return subprocess.run(
        [sys.executable, "-m", "reverie.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=100,
        env=env,
        cwd=REPO,
        check=False,
    )


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(
    server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Done]:
    """``reverie ARGS`` in this process; its exit status and output."""
    monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", server.base_url)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("REVERIE_MODEL", raising=False)

    def run(*args: str) -> Done:
        code = main(list(args))
        captured = capsys.readouterr()
        return Done(code, captured.out, captured.err)

    return run


def ran(tools: Path) -> list[str]:
    log = tools.with_name("ran.txt")
    return log.read_text().split() if log.exists() else []


MODEL = ("-m", "openai-compatible:fake-model")
PROMPT = "What's the weather in Florence?"


def test_yes_on_stdin_runs_the_marked_tool_and_the_answer_follows(
    server: FakeOpenAI, tools: Path
) -> None:
    done = reverie(
        server, "run", PROMPT, *MODEL, "--tool", f"{tools}:weather", "--approve", stdin="y\n"
    )
    assert done.returncode == 0, done.stderr
    assert 'approve weather({"location": "Florence"})? [y/N]' in done.stderr
    assert "40 C" in done.stdout
    assert ran(tools) == ["Florence"]
    assert len(server.requests) == 2


def test_no_on_stdin_denies_and_the_model_is_told(server: FakeOpenAI, tools: Path) -> None:
    done = reverie(
        server, "run", PROMPT, *MODEL, "--tool", f"{tools}:weather", "--approve", stdin="n\n"
    )
    assert done.returncode == 0, done.stderr
    assert ran(tools) == []
    last = json.loads(server.requests[-1]["body"])["messages"][-1]
    assert last["role"] == "tool" and "denied" in last["content"]


def test_approve_all_asks_before_a_tool_that_is_not_marked(server: FakeOpenAI, tools: Path) -> None:
    spec = f"{tools}:plain_weather"
    done = reverie(server, "run", PROMPT, *MODEL, "--tool", spec, "--approve", "all", stdin="yes\n")
    assert done.returncode == 0, done.stderr
    assert "approve weather(" in done.stderr
    assert ran(tools) == ["Florence"]


def test_without_approve_an_unmarked_tool_just_runs(cli: Callable[..., Done], tools: Path) -> None:
    done = cli("run", PROMPT, *MODEL, "--tool", f"{tools}:plain_weather")
    assert done.returncode == 0 and "approve" not in done.stderr
    assert ran(tools) == ["Florence"]


def test_without_approve_a_marked_tool_stops_the_run_and_says_how_to_go_on(
    cli: Callable[..., Done], tools: Path
) -> None:
    done = cli("run", PROMPT, *MODEL, "--tool", f"{tools}:weather")
    assert "weather waits for approval" in done.stderr
    assert ran(tools) == []


def test_save_state_then_resume_with_approve(
    cli: Callable[..., Done], server: FakeOpenAI, tools: Path, tmp_path: Path
) -> None:
    state = tmp_path / "run.json"
    spec = f"{tools}:weather"
    paused = cli("run", PROMPT, *MODEL, "--tool", spec, "--save-state", str(state))
    assert paused.returncode == 3, paused.stderr
    assert 'call_1  weather({"location": "Florence"})  [approval]' in paused.stderr
    assert f"reverie resume {state} --approve call_1" in paused.stderr
    assert ran(tools) == [] and len(server.requests) == 1
    saved = json.loads(state.read_text())
    assert saved["format"] == "reverie.run-state" and saved["metadata"]["cli"]["tools"] == [spec]
    assert "sk-" not in state.read_text()

    wrong = cli("resume", str(state), "--approve", "call_9")
    assert wrong.returncode == 2 and "no such pending call" in wrong.stderr

    done = cli("resume", str(state), "--approve", "call_1")
    assert done.returncode == 0, done.stderr
    assert "40 C" in done.stdout and ran(tools) == ["Florence"]
    assert len(server.requests) == 2
    assert json.loads(state.read_text())["finished"] is True
    finished = cli("resume", str(state))
    assert finished.returncode == 0 and "has finished" in finished.stderr


def test_resume_with_deny_and_a_reason(
    cli: Callable[..., Done], server: FakeOpenAI, tools: Path, tmp_path: Path
) -> None:
    state = tmp_path / "run.json"
    args = ("--tool", f"{tools}:weather", "--save-state", str(state), "--json")
    paused = cli("run", PROMPT, *MODEL, *args)
    assert paused.returncode == 3
    events = [json.loads(line) for line in paused.stdout.splitlines()]
    assert events[-2] == {
        "type": "run-paused",
        "pending": [
            {
                "id": "call_1",
                "name": "weather",
                "arguments": {"location": "Florence"},
                "kind": "approval",
            }
        ],
    }
    assert events[-1]["type"] == "run-finish" and events[-1]["status"] == "paused"
    done = cli("resume", str(state), "--deny", "call_1=it is a secret")
    assert done.returncode == 0, done.stderr
    last = json.loads(server.requests[-1]["body"])["messages"][-1]
    assert "it is a secret" in last["content"] and ran(tools) == []


def test_resume_of_a_file_that_is_not_a_state_exits_2(
    cli: Callable[..., Done], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "reverie.run-state", "version": 99}')
    done = cli("resume", str(bad))
    assert done.returncode == 2 and "newer reverie" in done.stderr
