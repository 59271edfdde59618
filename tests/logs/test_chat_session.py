"""``reverie chat --session NAME`` goes on with the conversation in a new process, on SQLite
and on PostgreSQL, against an OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reverie.cli import main
from tests.testing.fake_openai import FakeOpenAI

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


def chat(server: FakeOpenAI, db: str, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "OPENAI_COMPATIBLE_BASE_URL": server.base_url}
    env.pop("REVERIE_MODEL", None)
    env.pop("REVERIE_LOG", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "reverie",
            "chat",
            "-m",
            "openai-compatible:fake-model",
            "--db",
            db,
            *args,
        ],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=100,
        env=env,
        cwd=REPO,
        check=False,
    )


def sent_messages(server: FakeOpenAI) -> list[tuple[str, str]]:
    body = json.loads(server.requests[-1]["body"])
    return [(m["role"], m.get("content") or "") for m in body["messages"]]


def test_a_second_process_goes_on_with_the_conversation(
    server: FakeOpenAI, db_target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = chat(server, db_target, "--session", "trip", "-s", "Be kind.", stdin="Hello\n")
    assert first.returncode == 0, first.stderr
    assert "Olá! Tudo bem?" in first.stdout
    second = chat(server, db_target, "--session", "trip", "-s", "Be kind.", stdin="And now?\n")
    assert second.returncode == 0, second.stderr
    assert sent_messages(server) == [
        ("system", "Be kind."),
        ("user", "Hello"),
        ("assistant", "Olá! Tudo bem? "),  # as streamed, word by word
        ("user", "And now?"),
    ]
    # Both runs are in the log, as one thread.
    code = main(["logs", "--thread", "trip", "--json", "--db", db_target])
    assert code == 0
    runs = json.loads(capsys.readouterr().out)
    assert [(r["prompt"], r["thread_id"]) for r in runs] == [
        ("And now?", "trip"),
        ("Hello", "trip"),
    ]


@pytest.fixture
def in_process(
    server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., int]:
    """``reverie chat ARGS`` in this process, reading ``stdin``; its exit status."""
    monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", server.base_url)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("REVERIE_MODEL", raising=False)
    db = str(tmp_path / "logs.db")

    def run(*args: str, stdin: str) -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return main(["chat", "-m", "openai-compatible:fake-model", "--db", db, *args])

    return run


def test_other_sessions_and_no_session_start_from_nothing(
    server: FakeOpenAI, in_process: Callable[..., int]
) -> None:
    assert in_process("--session", "a", stdin="Hello\n") == 0
    assert in_process("--session", "b", stdin="Hi\n") == 0
    assert sent_messages(server) == [("user", "Hi")]
    assert in_process(stdin="Hi again\n") == 0
    assert sent_messages(server) == [("user", "Hi again")]
    assert in_process("--session", "a", stdin="Back\n") == 0
    assert [m for _, m in sent_messages(server)] == ["Hello", "Olá! Tudo bem? ", "Back"]


def test_reset_forgets_the_stored_conversation(
    server: FakeOpenAI, in_process: Callable[..., int]
) -> None:
    in_process("--session", "s", stdin="One\n")
    assert in_process("--session", "s", stdin="/reset\nTwo\n") == 0
    assert sent_messages(server) == [("user", "Two")]
    in_process("--session", "s", stdin="Three\n")
    assert sent_messages(server) == [
        ("user", "Two"),
        ("assistant", "Olá! Tudo bem? "),  # as streamed, word by word
        ("user", "Three"),
    ]
