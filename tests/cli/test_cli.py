"""The ``reverie`` command: replay, run, chat, models, local, through main(argv) and as a
real subprocess."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reverie._loading import load_tool
from reverie.cli import main
from reverie.cli._agent import LOCAL_DEFAULT, choose_model
from reverie.errors import ConfigurationError
from tests.local_model import local_model_or_skip

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "src" / "reverie" / "_data" / "seed_multi_tool_streaming.yaml"
EXAMPLE_TOOLS = REPO / "examples" / "tools.py"


def test_replay_prints_the_seed_conversation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(SEED)]) == 0
    out = capsys.readouterr().out
    lines = [line.strip() for line in out.splitlines()]
    assert "(2 interactions)" in out
    assert "user:        Add and multiply the number 2 and 3" in lines
    assert 'call:        add({"a": 2, "b": 3})' in lines
    assert 'call:        multiply({"a": 2, "b": 3})' in lines
    assert "tool result: 5" in lines
    assert "tool result: 6" in lines
    assert "assistant:   The sum of 2 and 3 is 5, and the product of 2 and 3 is 6." in lines
    assert "usage: 408 in, 59 out, 467 total" in lines
    # the second request repeats the history; the transcript shows it once
    assert out.count("Add and multiply the number 2 and 3") == 1


def test_replay_of_a_missing_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "/nonexistent.yaml"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_replay_of_a_file_that_is_not_a_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("just: text\n")
    assert main(["replay", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("reverie replay:")


def test_replay_reads_anthropic_gemini_and_responses_wires(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = {
        "fantasy/TestAnthropicThinking/claude-sonnet-4/thinking-streaming.yaml": (
            'weather({"location": "Florence, Italy"})'
        ),
        "fantasy/TestGoogleCommon/gemini-2.5-flash/tool.yaml": 'tool result: {"result":"40 C"}',
        "fantasy/TestOpenAIResponsesCommon/openai-gpt-4o/multi_tool_streaming.yaml": (
            'multiply({"a":2,"b":3})'
        ),
    }
    for path, expected in cases.items():
        if not (corpus / path).is_file():
            pytest.skip(f"{path} not in the corpus")
        assert main(["replay", str(corpus / path)]) == 0
        assert expected in capsys.readouterr().out


def test_models_lists_the_local_provider(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("local ") for line in out.splitlines())
    assert "reverie run" in out


def test_demo_still_replays_the_seed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "call   add" in out
    assert "5" in out


def test_model_choice_prefers_flag_then_env_then_keys_then_local(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("REVERIE_MODEL", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY",
                 "GROQ_API_KEY", "CEREBRAS_API_KEY"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    assert choose_model(None) == LOCAL_DEFAULT
    monkeypatch.setenv("CEREBRAS_API_KEY", "k")
    assert choose_model(None) == "cerebras:qwen-3-coder-480b"
    monkeypatch.setenv("REVERIE_MODEL", "groq:some-model")
    assert choose_model(None) == "groq:some-model"
    assert choose_model("openai:gpt-4o") == "openai:gpt-4o"


def test_tools_load_from_a_file_or_a_module() -> None:
    add = load_tool(f"{EXAMPLE_TOOLS}:add")
    assert add.name == "add"
    assert add.required == ("a", "b")
    assert add.input_schema["properties"]["a"]["description"] == "first number"
    assert load_tool("reverie.testing._conformance:weather").name == "weather"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_colon", "must look like"),
        ("/nonexistent/tools.py:add", "no file"),
        ("no_such_module_xyz:fn", "cannot import"),
        ("reverie.testing._conformance:nothing_here", "has no"),
    ],
)
def test_bad_tool_specs_are_configuration_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_tool(spec)


def test_run_with_a_bad_tool_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "hi", "--tool", "nope"]) == 2
    assert "must look like" in capsys.readouterr().err


def _reverie(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    for name in ("REVERIE_MODEL", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY",
                 "GROQ_API_KEY", "CEREBRAS_API_KEY"):  # fmt: skip
        env.pop(name, None)
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


def test_run_streams_the_local_model_answer_with_no_key() -> None:
    local_model_or_skip()
    done = _reverie("run", "Say hi in Portuguese", "--max-tokens", "24", "--temperature", "0")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()  # the answer, alone on stdout when piped
    assert "local:smollm2" in done.stderr
    assert "small local model" in done.stderr
    assert "usage:" in done.stderr.splitlines()[-1]
    assert " s" in done.stderr.splitlines()[-1]


def test_run_shows_tool_calls_and_results(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    local_model_or_skip()
    monkeypatch.delenv("REVERIE_MODEL", raising=False)
    code = main(["run", "What is 2 plus 3?", "--tool", f"{EXAMPLE_TOOLS}:add",
                 "-m", "local:smollm2", "--max-tokens", "120", "--temperature", "0"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "→ add(" in captured.err
    assert "← add result:" in captured.err
    assert "2 steps" in captured.err


def test_run_json_prints_one_event_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    local_model_or_skip()
    code = main(
        [
            "run",
            "Say hi",
            "--json",
            "-m",
            "local:smollm2",
            "--max-tokens",
            "12",
            "--temperature",
            "0",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    events = [json.loads(line) for line in captured.out.splitlines()]
    assert events[0] == {"type": "step-start", "step": 0}
    assert any(e["type"] == "text-delta" for e in events)
    last = events[-1]
    assert last["type"] == "run-finish"
    assert last["usage"]["total_tokens"] > 0
    assert last["seconds"] > 0
    assert last["text"] == "".join(e["delta"] for e in events if e["type"] == "text-delta")


def test_chat_keeps_the_conversation_until_exit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    local_model_or_skip()
    monkeypatch.setattr("sys.stdin", io.StringIO("Hello\n/reset\nBye\n/exit\n"))
    code = main(["chat", "-m", "local:smollm2", "--max-tokens", "12", "--temperature", "0"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err.count("usage:") == 2
    assert "(conversation cleared)" in captured.err
    assert "you>" not in captured.out + captured.err  # input is not a terminal: no prompt


def test_chat_ends_at_end_of_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    local_model_or_skip()

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["chat", "-m", "local:smollm2"]) == 0
    assert "local:smollm2" in capsys.readouterr().err


def test_rich_and_plain_printers_show_the_same_run() -> None:
    import io

    from reverie.agent import RunResult
    from reverie.cli._console import Console
    from reverie.cli._render import EventPrinter
    from reverie.content import TextOutput, ToolCallPart, ToolResultPart
    from reverie.events import ReasoningDelta, TextDelta, TextEnd, ToolCall, ToolResult
    from reverie.model import Usage

    events = [
        ReasoningDelta("r", "thinking hard"),
        ToolCall(ToolCallPart("c1", "add", '{"a":2,"b":3}')),
        ToolResult(ToolResultPart("c1", "add", TextOutput("5"))),
        TextDelta("t", "The answer is 5."),
        TextEnd("t"),
    ]
    for rich in (False, True):
        buffer = io.StringIO()
        console = Console(buffer, rich=rich)
        printer = EventPrinter(console, console)
        for event in events:
            printer.event(event)  # pyright: ignore[reportArgumentType]
        printer.finish(RunResult((), Usage(10, 5, 15), ()), 1.25)
        text = buffer.getvalue()
        assert "thinking: thinking hard" in text
        assert '→ add({"a":2,"b":3})' in text
        assert "← add result: 5" in text
        assert "The answer is 5.\n" in text
        assert text.rstrip().endswith("usage: 10 in, 5 out, 15 total · 0 steps · 1.2 s")


def test_importing_reverie_loads_neither_the_cli_extras_nor_the_local_engine() -> None:
    code = (
        "import sys, reverie, reverie.cli; "
        "bad = [m for m in sys.modules if m.startswith(('rich', 'xllamacpp', "
        "'reverie.providers._local'))]; print(bad)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_run_without_the_local_model_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reverie.providers._local import files

    monkeypatch.setattr(files, "engine_available", lambda: False)
    monkeypatch.setattr("reverie.cli._agent.choose_model", lambda explicit: LOCAL_DEFAULT)
    assert main(["run", "hi"]) == 2
    err = capsys.readouterr().err
    assert "uv sync" in err
    assert "-m openai:gpt-4o-mini" in err
