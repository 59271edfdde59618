"""Lint and types are part of the test command: ruff clean, pyright strict clean on src/ and
on tests/typing (the public API as users write it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_ruff_lint_and_format_are_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    lint = _run(ruff, "check", "src", "tests")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run(ruff, "format", "--check", "src")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_pyright_strict_is_clean_on_src() -> None:
    pyright = shutil.which("pyright") or str(Path(sys.executable).parent / "pyright")
    result = _run(pyright)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
