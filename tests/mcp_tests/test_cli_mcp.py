"""The command line: ``reverie run/chat --mcp "COMMAND"`` and ``--mcp-url URL``."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from reverie.cli import main
from reverie.testing._fake import FakeModel
from tests.local_model import local_model_or_skip
from tests.mcp_tests.sdk_server import Running

REPO = Path(__file__).resolve().parents[2]
ADD_SERVER = shlex.join(
    [sys.executable, "-m", "reverie.cli", "mcp", "serve", "--tool", f"{REPO}/examples/tools.py:add"]
)


def scripted(monkeypatch: pytest.MonkeyPatch, *responses: object) -> FakeModel:
    """Make ``-m fake:scripted`` resolve to a scripted model."""
    model = FakeModel(list(responses))  # type: ignore[arg-type]
    monkeypatch.setattr("reverie.providers.get_model", lambda name, **_: model)
    return model


@pytest.mark.usefixtures("no_new_processes")
def test_run_uses_a_local_mcp_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted(
        monkeypatch, FakeModel.tool_calls(("add", {"a": 2, "b": 3})), FakeModel.text("It is 5.")
    )
    code = main(["run", "What is 2 plus 3?", "-m", "fake:scripted", "--mcp", ADD_SERVER])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "→ add(" in captured.err and "← add result: 5" in captured.err
    assert "It is 5." in captured.out


def test_run_uses_an_http_mcp_server(
    sdk: Running, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    model = scripted(
        monkeypatch, FakeModel.tool_calls(("add", {"a": 1, "b": 2})), FakeModel.text("3")
    )
    code = main(["run", "1+2?", "-m", "fake:scripted", "--mcp-url", sdk.url])
    assert code == 0, capsys.readouterr().err
    assert "add" in {t.name for t in model.calls[0].tools}
    assert sdk.state.calls == [("add", {"a": 1, "b": 2})]


def test_run_uses_a_legacy_sse_server(
    sdk: Running, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted(monkeypatch, FakeModel.tool_calls(("add", {"a": 4, "b": 4})), FakeModel.text("8"))
    assert main(["run", "4+4?", "-m", "fake:scripted", "--mcp-url", sdk.sse_url]) == 0
    assert sdk.state.calls == [("add", {"a": 4, "b": 4})]


@pytest.mark.usefixtures("no_new_processes")
def test_chat_keeps_its_mcp_server_for_the_whole_conversation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted(
        monkeypatch,
        FakeModel.tool_calls(("add", {"a": 2, "b": 3})),
        FakeModel.text("5"),
        FakeModel.tool_calls(("add", {"a": 5, "b": 5})),
        FakeModel.text("10"),
    )
    started: list[object] = []
    from reverie.mcp._connection import Connection

    real_open = Connection.open

    async def counting_open(*args: object, **kwargs: object) -> Connection:
        started.append(args[0])
        return await real_open(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Connection, "open", counting_open)
    lines = iter(["2+3?", "and plus 5?", "/exit"])
    monkeypatch.setattr("reverie.cli._chat.read_line", lambda: next(lines))
    fast_server = shlex.join(
        [sys.executable, str(Path(__file__).with_name("bad_server.py")), "good"]
    )
    assert main(["chat", "-m", "fake:scripted", "--mcp", fast_server]) == 0
    assert capsys.readouterr().err.count("← add result") == 2
    assert len(started) == 1  # one server process for both turns


@pytest.mark.usefixtures("no_new_processes")
def test_a_saved_run_waiting_on_an_mcp_call_resumes_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "calls.jsonl"
    server = shlex.join(
        [sys.executable, str(Path(__file__).with_name("bad_server.py")), "good", str(log)]
    )
    scripted(monkeypatch, FakeModel.tool_calls(("add", {"a": 2, "b": 3})), FakeModel.text("5"))
    saved = tmp_path / "run.json"
    argv = ["run", "2+3?", "-m", "fake:scripted", "--mcp", server, "--approve", "all"]
    assert main([*argv, "--save-state", str(saved)]) == 3
    assert "add(" in capsys.readouterr().err and not log.exists()  # asked, not run

    # `reverie resume` starts the server again from what the state file remembers.
    assert main(["resume", str(saved), "--approve", "call_0"]) == 0
    assert "← add result: 5" in capsys.readouterr().err
    assert log.read_text().splitlines() == ['["add", {"a": 2, "b": 3}]']


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "hi", "--mcp-url", "ftp://example/mcp"], "must be an http:// or https:// URL"),
        (["run", "hi", "--mcp", ""], "command line is empty"),
        (["mcp", "serve"], "needs at least one --tool or --agent"),
        (["mcp", "serve", "--agent", f"{REPO}/examples/tools.py:add"], "is not a reverie Agent"),
    ],
)
def test_bad_mcp_options_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    assert message in capsys.readouterr().err


@pytest.mark.usefixtures("no_new_processes")
def test_a_server_that_does_not_start_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted(monkeypatch, FakeModel.text("unused"))
    assert main(["run", "hi", "-m", "fake:scripted", "--mcp", "/no/such/server --stdio"]) == 1
    assert "could not be started" in capsys.readouterr().err


@pytest.mark.usefixtures("no_new_processes")
def test_the_local_model_calls_a_tool_of_an_mcp_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real local model (no key, no network), one tool from `reverie mcp serve`."""
    local_model_or_skip()
    monkeypatch.delenv("REVERIE_MODEL", raising=False)
    code = main(["run", "What is 2 plus 3?", "-m", "local:smollm2", "--mcp", ADD_SERVER,
                 "--max-tokens", "60", "--temperature", "0"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "→ add(" in captured.err
    assert "← add result:" in captured.err


@pytest.mark.usefixtures("no_new_processes")
def test_the_sessions_model_answers_a_servers_sampling_request(
    everything_cmd: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    model = scripted(
        monkeypatch,
        FakeModel.tool_calls(
            ("trigger-sampling-request", {"prompt": "Capital of Peru?", "maxTokens": 9})
        ),
        FakeModel.text("Lima"),  # the sampling request, answered by the same model
        FakeModel.text("The server heard: Lima"),
    )
    code = main(["run", "ask", "-m", "fake:scripted", "--mcp", shlex.join(everything_cmd)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert model.calls[1].messages[-1].text.endswith("Capital of Peru?")
    assert "LLM sampling result" in captured.err and "Lima" in captured.err  # the tool result
    assert model.remaining == 0


@pytest.mark.anyio
async def test_a_servers_question_is_asked_on_the_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reverie.cli._mcp_client import ask_in_terminal
    from reverie.mcp import Elicitation, ElicitationResponse

    form = Elicitation(
        "srv",
        "Your details?",
        schema={
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "your name"},
                "age": {"type": "integer"},
                "member": {"type": "boolean", "default": False},
            },
        },
    )
    answers = iter(["Ada", "36", "", "y"])
    monkeypatch.setattr("builtins.input", lambda: next(answers))
    assert await ask_in_terminal(form) == ElicitationResponse("accept", {"name": "Ada", "age": 36})
    assert "srv asks: Your details?" in capsys.readouterr().err
    answers = iter(["", "", "", "n"])
    assert await ask_in_terminal(form) == ElicitationResponse("decline")

    def closed() -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", closed)
    assert await ask_in_terminal(form) == ElicitationResponse("cancel")
