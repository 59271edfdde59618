"""Every example in examples/ runs offline, against the cassette it was recorded into.

Each example's ``main(model)`` is imported and called with the model it was recorded with
(``recorded.py``), whose HTTP client replays ``cassettes/<example>.yaml`` in strict mode:
the requests the example builds must equal the recorded ones, and every recorded call must
be made. The assertions are on what the example returns and prints. ``examples/testing``
is run by pytest itself, in replay mode. To re-record: ``tests/examples/record.py``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from reverie.content import ErrorOutput, SourcePart, TextOutput
from reverie.model import FinishReason
from reverie.testing import CassetteTransport
from tests.examples.recorded import RECORDED_WITH

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
CASSETTES = Path(__file__).resolve().parent / "cassettes"


def example(name: str) -> ModuleType:
    """``examples/<name>.py`` loaded from its file (names such as ``stream`` could clash
    with installed modules if examples/ went on sys.path)."""
    spec = importlib.util.spec_from_file_location(
        f"reverie_example_{name}", EXAMPLES / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def run(name: str) -> Any:
    """``examples/<name>.py``'s ``main`` on the model it was recorded with, replaying its
    cassette (replay only; every recorded call must be made)."""
    transport = CassetteTransport.open(
        CASSETTES / f"{name}.yaml", mode="replay", require_all_played=True
    )
    async with transport.client() as http:
        return await example(name).main(RECORDED_WITH[name](http))


def test_every_example_script_has_a_cassette() -> None:
    # tools.py is a tool module for `reverie run --tool`; local_agent.py needs the local
    # server itself (tests/providers/test_local_server.py covers that path); mcp_agent.py
    # runs with its MCP server process in tests/mcp_tests/test_example.py.
    scripts = {p.stem for p in EXAMPLES.glob("*.py")} - {"tools", "local_agent", "mcp_agent"}
    assert scripts == set(RECORDED_WITH)
    assert {p.stem for p in CASSETTES.glob("*.yaml")} == set(RECORDED_WITH)


@pytest.mark.anyio
async def test_simple_answers_the_question(capsys: pytest.CaptureFixture[str]) -> None:
    result = await run("simple")

    assert "Paris" in result.text
    assert len(result.steps) == 1 and result.finish_reason is FinishReason.STOP
    assert result.usage.input_tokens == 27 and result.usage.output_tokens == 8
    assert capsys.readouterr().out == "The capital of France is Paris.\n[27 tokens in, 8 out]\n"


@pytest.mark.anyio
async def test_stream_prints_the_deltas_as_they_come(capsys: pytest.CaptureFixture[str]) -> None:
    result = await run("stream")

    out = capsys.readouterr().out
    assert result.text.startswith("The sea is")
    assert out == result.text + "\n[finished: stop]\n"  # every delta printed, in order
    assert result.usage.output_tokens > 5


@pytest.mark.anyio
async def test_tool_agent_calls_the_tool_then_answers(capsys: pytest.CaptureFixture[str]) -> None:
    result = await run("tool_agent")

    first, last = result.steps[0], result.steps[-1]
    assert first.finish_reason is FinishReason.TOOL_CALLS
    assert [c.tool_name for c in first.tool_calls] == ["weather"]
    assert "Florence" in first.tool_calls[0].input
    assert first.tool_results[0].output == TextOutput("40 C and sunny in Florence")
    assert len(result.steps) == 2 and last.finish_reason is FinishReason.STOP
    assert "Florence" in result.text
    out = capsys.readouterr().out
    assert '-> weather({"location":"Florence"})\n<- 40 C and sunny in Florence\n' in out
    assert "step 0: tool-calls, 1 call(s)\nstep 1: stop, 0 call(s)\n" in out


@pytest.mark.anyio
async def test_structured_output_returns_a_validated_object() -> None:
    person = await run("structured_output")

    assert type(person).__name__ == "Person"
    assert (person.name, person.age, person.city) == ("Alice", 30, "Paris")


@pytest.mark.anyio
async def test_web_search_returns_sources_and_a_cited_answer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = await run("web_search")

    step = result.steps[0]
    assert len(result.steps) == 1  # the provider ran the search: no client tool step
    assert result.text == (
        "According to the search results, Tadej Pogačar won the 2024 Tour de France, "
        "his third Tour victory."
    )
    [call] = step.tool_calls
    assert call.provider_executed and call.tool_name == "web_search"
    assert step.tool_results[0].provider_executed
    assert [s.url for s in step.sources] == [
        "https://en.wikipedia.org/wiki/2024_Tour_de_France",
        "https://www.letour.fr/en/news/2024/pogacar-wins-his-third-tour",
    ]
    assert all(isinstance(s, SourcePart) and s.title for s in step.sources)
    assert 'searched: {"query":"Who won the 2024 Tour de France"}' in capsys.readouterr().out


@pytest.mark.anyio
async def test_approvals_pause_save_resume_and_the_model_reads_the_denial(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = await run("approvals")

    assert result.status == "finished" and len(result.steps) == 2
    first = result.steps[0]
    # The signed thinking went out and came back through the saved JSON state unchanged
    # (the scripted server refuses it otherwise, and the cassette replays strictly).
    assert first.reasoning[0].provider_metadata["anthropic"]["signature"]
    outputs = [r.output for r in first.tool_results]
    assert outputs[:2] == [
        TextOutput("2 lamps, $120, delivered"),
        TextOutput("refunded $120 for order 1042"),
    ]
    assert isinstance(outputs[2], ErrorOutput) and "need a manager" in outputs[2].message
    out = capsys.readouterr().out
    assert "approved: refund({'order_id': 1042, 'amount': 120})\n" in out
    assert "denied: refund({'order_id': 1043, 'amount': 900})\n" in out
    assert result.text in out and "need a manager" in result.text


def test_the_testing_example_passes_on_its_cassettes() -> None:
    env = {**os.environ, "REVERIE_RECORD_MODE": "replay"}
    proc = subprocess.run(
        # --no-cov: as in a user's project, and so as not to write this run's coverage file
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--no-cov", "examples/testing"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "2 passed" in proc.stdout


def test_the_cassettes_carry_no_credentials() -> None:
    files = [*CASSETTES.glob("*.yaml"), *(EXAMPLES / "testing" / "cassettes").rglob("*.yaml")]
    assert len(files) == 8
    for path in files:
        text = path.read_text()
        for needle in ("Authorization", "X-Api-Key", "Bearer", "reverie-replay-key"):
            assert needle.lower() not in text.lower(), f"{needle} in {path}"


def test_the_examples_are_ruff_clean() -> None:
    # The quality gate lints src/ and tests/; examples are read more than anything else.
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    for args in (["check", "examples"], ["format", "--check", "examples"]):
        proc = subprocess.run([ruff, *args], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
