"""The CLI as a new user meets it: version, errors in one line, options that the hints name,
piped output, the same JSON everywhere, usage that adds up, runs that say why they stopped.

Runs that need a model use a real HTTP server on 127.0.0.1 (``tests/testing/fake_openai``)
through ``--base-url``, or the local model where the behaviour is its own.
"""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reverie.cli import main
from reverie.cli._main import cli_hint
from reverie.cli._render import usage_text
from reverie.model import Usage
from tests.local_model import local_model_or_skip
from tests.testing.fake_openai import FakeOpenAI

REPO = Path(__file__).resolve().parents[2]
KEYS = ("REVERIE_MODEL", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY",
        "GROQ_API_KEY", "CEREBRAS_API_KEY", "OPENAI_COMPATIBLE_BASE_URL")  # fmt: skip


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in KEYS}
    return {**env, "NO_COLOR": "1", **extra}


def _subprocess(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("env", _env())
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=REPO,
                          check=False, **kwargs)  # fmt: skip


@pytest.fixture
def server() -> Any:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEYS:
        monkeypatch.delenv(name, raising=False)


def test_version_and_python_dash_m(capsys: pytest.CaptureFixture[str]) -> None:
    from reverie import __version__

    done = _subprocess(sys.executable, "-m", "reverie", "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"reverie {__version__}"
    helped = _subprocess(sys.executable, "-m", "reverie", "--help")
    assert helped.returncode == 0
    assert "run" in helped.stdout and "check" in helped.stdout
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"reverie {__version__}"


def test_check_on_a_users_own_cassettes_is_not_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = REPO / "tests" / "examples" / "cassettes"
    assert main(["check", str(own)]) == 0
    out = capsys.readouterr().out
    assert "0 failed" in out
    count = len(list(own.glob("*.yaml")))
    assert f"{count} cassettes are not a conformance scenario" in out
    # The same file placed in the corpus layout is a scenario ("simple"), and fails as one.
    scenario = tmp_path / "suite" / "TestOpenAICommon" / "some-model" / "simple.yaml"
    scenario.parent.mkdir(parents=True)
    scenario.write_bytes((own / "simple.yaml").read_bytes())
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "1 failed" in out


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def add(a: int, b: int) -> int\n    return a + b\n", "failed at line 1: SyntaxError"),
        ("import json\nraise RuntimeError('no database')\n", "RuntimeError: no database"),
    ],
    ids=["syntax-error", "import-time-exception"],
)
def test_a_broken_tool_file_is_one_line_and_exit_2(
    tmp_path: Path, source: str, expected: str
) -> None:
    tools = tmp_path / "mytools.py"
    tools.write_text(source)
    done = _subprocess(sys.executable, "-m", "reverie", "run", "hi", "--tool", f"{tools}:add")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(tools) in lines[0] and expected in lines[0]
    if "RuntimeError" in expected:
        assert f"{tools}:2" in lines[0]  # where it failed, in the user's file


def test_an_empty_prompt_is_a_usage_error_before_any_model(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was built for an empty prompt")

    monkeypatch.setattr("reverie.providers.get_model", no_model)
    assert main(["run", "   "]) == 2
    assert "the prompt is empty" in capsys.readouterr().err


def test_hints_name_the_cli_options_and_the_options_work(
    server: FakeOpenAI, no_keys: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "hi", "-m", "openai-compatible:m"]) == 2
    err = capsys.readouterr().err
    assert "--base-url" in err and "OPENAI_COMPATIBLE_BASE_URL" in err
    assert "base_url=" not in err
    assert main(["run", "hi", "-m", "groq:m"]) == 2
    assert "set GROQ_API_KEY or pass --api-key" in capsys.readouterr().err
    code = main(["run", "Say hi", "-m", "openai-compatible:m", "--base-url", server.base_url,
                 "--api-key", "sk-test-123"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Olá" in captured.out
    assert server.requests[-1]["headers"]["Authorization"] == "Bearer sk-test-123"
    assert "sk-test-123" not in captured.out + captured.err
    assert cli_hint("pass base_url='https://x' or api_key=...") == (
        "pass --base-url 'https://x' or --api-key ..."
    )


def test_chat_prompts_on_stderr_only_at_a_terminal(server: FakeOpenAI) -> None:
    args = [sys.executable, "-m", "reverie", "chat", "-m", "openai-compatible:m",
            "--base-url", server.base_url]  # fmt: skip
    piped = _subprocess(*args, input="Say hi\n/exit\n")
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.strip() == "Olá! Tudo bem?"  # just the answers
    assert "you>" not in piped.stderr
    primary, replica = pty.openpty()
    try:
        os.write(primary, b"Say hi\n/exit\n")
        tty = _subprocess(*args, stdin=replica)
    finally:
        os.close(primary)
        os.close(replica)
    assert tty.returncode == 0, tty.stderr
    assert tty.stdout.strip() == "Olá! Tudo bem?"
    assert "you> " in tty.stderr


def _json_events(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    assert main(argv) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_demo_json_has_the_run_json_schema(
    server: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = _json_events(["demo", "--json"], capsys)
    tools = REPO / "examples" / "tools.py"
    run = _json_events(["run", "Weather in Florence?", "--json", "-m", "openai-compatible:m",
                        "--base-url", server.base_url, "--tool", f"{tools}:weather"], capsys)  # fmt: skip
    shapes = {e["type"]: set(e) for e in run}
    assert {"step-start", "tool-call", "tool-result", "step-finish", "run-finish"} <= set(shapes)
    for event in demo:
        assert set(event) == shapes.get(event["type"], set(event)), event
    results = [e for e in demo if e["type"] == "tool-result"]
    assert [(r["name"], r["output"]) for r in results] == [("add", "5"), ("multiply", "6")]
    assert [e["step"] for e in demo if e["type"] == "step-start"] == [0, 1]
    assert demo[-1]["type"] == "run-finish" and demo[-1]["usage"]["total_tokens"] > 0


def test_the_usage_line_adds_up() -> None:
    assert usage_text(Usage(181, 45, 229, cache_read_tokens=3)) == (
        "184 in (3 cached), 45 out, 229 total"
    )
    assert usage_text(Usage(10, 20, 130, 8, 0, 100)) == (
        "110 in (100 written to cache), 20 out (8 reasoning), 130 total"
    )


def test_max_tokens_truncation_is_visible(capsys: pytest.CaptureFixture[str]) -> None:
    local_model_or_skip()
    code = main(["run", "Count from one to one hundred in words.", "-m", "local:smollm2",
                 "--max-tokens", "3"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "… [stopped: max tokens" in captured.err


def test_examples_without_a_key_or_model_say_what_to_set_in_one_line(tmp_path: Path) -> None:
    for script, needle in (("simple.py", "OPENAI_API_KEY"), ("web_search.py", "ANTHROPIC_API_KEY")):
        done = _subprocess(sys.executable, f"examples/{script}")
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1 and needle in done.stderr, done.stderr
    missing = _env(REVERIE_LOCAL_MODEL=str(tmp_path / "none.gguf"))
    done = _subprocess(sys.executable, "examples/local_agent.py", env=missing)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "REVERIE_LOCAL_MODEL" in done.stderr, done.stderr


def test_web_search_on_a_model_without_hosted_search_warns(server: FakeOpenAI) -> None:
    env = _env(OPENAI_COMPATIBLE_BASE_URL=server.base_url)
    done = _subprocess(sys.executable, "examples/web_search.py", "openai-compatible:m", env=env)
    assert done.returncode == 0, done.stderr
    assert "warning: provider tool anthropic.web_search_20250305 is not supported" in (done.stderr)


def test_chat_reads_lines_until_the_end_of_input(
    server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Say hi\n\nSay hi again\n"))
    assert main(["chat", "-m", "openai-compatible:m", "--base-url", server.base_url]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("Olá! Tudo bem?") == 2
    assert captured.err.count("usage:") == 2
