"""The README's twenty-line agent runs as printed, on a scripted model, and reads well."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from reverie.content import ErrorOutput, JsonOutput, MediaOutput, TextOutput
from reverie.testing import FakeModel

README = Path(__file__).resolve().parents[1] / "README.md"


def _twenty_line_agent() -> str:
    section = README.read_text(encoding="utf-8").split("## An agent in twenty lines", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README lost its twenty-line agent"
    return match.group(1)


def test_the_readme_agent_prints_the_tool_result_as_text() -> None:
    code = _twenty_line_agent()
    model_name = '"openai:gpt-4o"'
    assert model_name in code
    model = FakeModel(
        [
            FakeModel.tool_calls(("weather", {"location": "Florence, Italy"})),
            FakeModel.text("It is 40 C in Florence."),
        ]
    )
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(
            compile(code.replace(model_name, "__model__"), str(README), "exec"),
            {"__model__": model},
        )

    printed = out.getvalue()
    assert "-> weather(" in printed and "Florence, Italy" in printed
    assert "<- 40 C\n" in printed  # the tool's text, not TextOutput(text='40 C', type='text')
    assert printed.rstrip().endswith("It is 40 C in Florence.")
    assert model.calls[1].messages[-1].role == "tool"


def test_tool_outputs_read_as_the_text_a_model_sees() -> None:
    assert str(TextOutput("40 C")) == "40 C"
    assert f"{ErrorOutput('no such city')}" == "no such city"
    assert str(JsonOutput({"results": [1, 2]})) == '{"results":[1,2]}'
    assert str(MediaOutput(b"\x89PNG", "image/png", text="a chart")) == "a chart"
    assert str(MediaOutput(b"\x89PNG", "image/png")) == "<image/png, 4 bytes>"
