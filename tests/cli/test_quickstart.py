"""The README's first command, run exactly as a new user runs it: no key, the local model.

It must call both tools, in one step (a reply may hold several calls), and answer with
both results. Tool steps on the local model are greedy, so the run is the same each time
on a given machine; the model is real, so this is the test that would catch a protocol
change that makes SmolLM2 stop doing it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.local_model import local_model_or_skip

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = [
    "run",
    "Add and multiply the numbers 2 and 3",
    "--tool",
    "examples/tools.py:add",
    "--tool",
    "examples/tools.py:multiply",
]
KEYS = ("REVERIE_MODEL", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY",
        "GROQ_API_KEY", "CEREBRAS_API_KEY")  # fmt: skip


def test_the_readme_quickstart_calls_both_tools_and_answers_5_and_6() -> None:
    local_model_or_skip()
    readme = (REPO / "README.md").read_text()
    command = 'uv run reverie run "Add and multiply the numbers 2 and 3" --tool examples/tools.py:add --tool examples/tools.py:multiply'
    assert command in readme  # the test runs what the README says
    uv = shutil.which("uv")
    prefix = [uv, "run", "reverie"] if uv else [sys.executable, "-m", "reverie"]
    env = {k: v for k, v in os.environ.items() if k not in KEYS}
    done = subprocess.run([*prefix, *QUICKSTART], cwd=REPO, env={**env, "NO_COLOR": "1"},
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    info = done.stderr.splitlines()
    assert "local:smollm2" in info[0]
    calls = [line for line in info if line.startswith("→ ")]
    results = [line for line in info if line.startswith("← ")]
    assert [c.split("(")[0] for c in calls] == ["→ add", "→ multiply"], done.stderr
    assert results == ["← add result: 5", "← multiply result: 6"], done.stderr
    assert info.index(calls[1]) < info.index(results[0])  # both calls in the first step
    assert "2 steps" in info[-1]
    numbers = re.findall(r"\d+(?:\.\d+)?", done.stdout)
    assert "5" in numbers and "6" in numbers, done.stdout
    assert "[stopped" not in done.stderr
