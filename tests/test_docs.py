"""Every Python block in README.md and docs/ runs, offline, so a snippet cannot drift.

The blocks of one file run in order in one namespace (a later block may use an earlier
one's names), in a temporary working folder. A block runs as written, with top-level
``await`` allowed. Offline means: ``openai:`` models talk to a real HTTP server on
127.0.0.1 (``tests/testing/fake_openai``, via ``OPENAI_BASE_URL``), ``anthropic:`` models to
the scripted Messages server (``tests/examples/scripted_anthropic``), other named models to
a scripted ``FakeModel`` a setup comment installs, and the local model is the real one.

An HTML comment right before a block tells the runner more (it does not show on the page):

- ``<!-- doc-test: setup`` + Python + ``-->``: run first, e.g. to define a ``model`` the
  snippet assumes, or ``offline_model("cerebras:...", FakeModel([...]))``;
- ``<!-- doc-test: skip: <reason> -->``: not run; the reason is required;
- ``<!-- doc-test: local-model -->``: needs the local model (skipped, saying so, without it);
- ``<!-- doc-test: pytest <path> [creates <file>] -->``: the block is a test file: it is
  written to ``<path>`` and run by pytest with ``--record-mode=once``, then replayed, and
  ``<file>`` must be what the recording wrote.

An unmarked block that fails fails the test, with the file and line of the block.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from reverie import providers
from reverie.providers import _registry
from tests.examples.scripted_anthropic import serve as serve_anthropic
from tests.local_model import local_model_or_skip
from tests.testing.fake_openai import FakeOpenAI

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```(?:python|py)\n(.*?)^```", re.S | re.M)
_COMMENT = re.compile(r"<!--\s*doc-test:\s*([\w-]+)(.*)-->\Z", re.S)


@dataclass
class Block:
    path: Path
    line: int
    code: str
    directives: list[tuple[str, str]]

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO) if self.path.is_relative_to(REPO) else self.path}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """The Python blocks of a Markdown file, each with the doc-test comments before it."""
    text = path.read_text()
    found: list[Block] = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip()
        directives: list[tuple[str, str]] = []
        while before.endswith("-->") and (start := before.rfind("<!--")) >= 0:
            comment = _COMMENT.match(before[start:])
            if comment is None:
                break  # an HTML comment, but not for this runner
            directives.insert(0, (comment.group(1), comment.group(2).strip()))
            before = before[:start].rstrip()
        line = text[: match.start()].count("\n") + 2
        found.append(Block(path, line, match.group(1), directives))
    return found


def run_code(code: str, namespace: dict[str, Any], name: str) -> None:
    """Run ``code`` in ``namespace``; top-level ``await`` runs in a fresh event loop."""
    compiled = compile(code, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if compiled.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(compiled, namespace))
    else:
        exec(compiled, namespace)


def load_example(name: str) -> ModuleType:
    """``examples/<name>.py`` as a module (what ``import simple`` is in the docs)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_pytest_block(block: Block, argument: str, env: dict[str, str]) -> None:
    """A test-file block: record once, then replay; the recording lands where it says."""
    target, _, created = argument.partition(" creates ")
    path = Path(target.strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(block.code)
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)]
    for extra in (["--record-mode=once"], []):
        done = subprocess.run([*base, *extra], capture_output=True, text=True, env=env,
                              timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, f"{block.where}: {done.stdout[-2000:]}{done.stderr[-1000:]}"
        if created.strip():
            assert Path(created.strip()).is_file(), (
                f"{block.where}: no {created.strip()} was written; the folder has "
                f"{sorted(str(p) for p in Path().rglob('*.yaml'))}"
            )


def run_file(path: Path, env: dict[str, str], offline: Callable[[str, Any], None]) -> None:
    """Every block of ``path``, in order (see the module docstring)."""
    namespace: dict[str, Any] = {
        "__name__": "__doc_test__",
        "offline_model": offline,
        "load_example": load_example,
    }
    for block in blocks(path):
        kinds = dict(block.directives)
        if "skip" in kinds:
            reason = kinds["skip"].lstrip(":").strip()
            assert reason, f"{block.where}: a skipped block must say why"
            continue
        if "local-model" in kinds:
            local_model_or_skip()
        try:
            if "setup" in kinds:
                run_code(kinds["setup"], namespace, f"{block.where} (setup)")
            if "pytest" in kinds:
                run_pytest_block(block, kinds["pytest"], env)
            else:
                run_code(block.code, namespace, block.where)
        except AssertionError:
            raise
        except Exception as exc:
            pytest.fail(f"{block.where}: {type(exc).__name__}: {exc}\n{block.code}")


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    """The loopback OpenAI and Anthropic servers, one pair for every doc (they are
    stateless; starting and stopping them per file cost a second each)."""
    with FakeOpenAI() as openai, serve_anthropic() as anthropic:
        yield openai.base_url, anthropic


@pytest.fixture
def offline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, servers: tuple[str, str]
) -> tuple[dict[str, str], Callable[[str, Any], None]]:
    """The offline world a doc block runs in: ``(env, offline_model)``."""
    fakes: dict[str, Any] = {}
    real = providers.get_model

    def get_model(name: str, **options: Any) -> Any:
        return fakes[name] if name in fakes else real(name, **options)

    # reverie.get_model first: `reverie` loads its names lazily, and loading it after
    # providers.get_model is patched would keep the fake as the name to restore.
    monkeypatch.setattr("reverie.get_model", get_model)
    monkeypatch.setattr(providers, "get_model", get_model)
    monkeypatch.setattr(_registry, "_REGISTRY", dict(_registry._REGISTRY))  # pyright: ignore[reportPrivateUsage]
    monkeypatch.chdir(tmp_path)
    # Pages name the project's example files as a reader at the repository root would.
    (tmp_path / "examples").symlink_to(REPO / "examples", target_is_directory=True)
    openai, anthropic = servers
    settings = {
        "OPENAI_BASE_URL": openai,
        "OPENAI_API_KEY": "sk-doc-test-openai",
        "ANTHROPIC_BASE_URL": anthropic,
        "ANTHROPIC_API_KEY": "sk-ant-doc-test",
        "REVERIE_RETRY_NO_WAIT": "1",
    }
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("REVERIE_RECORD_MODE", raising=False)
    return dict(os.environ), fakes.__setitem__


@pytest.mark.parametrize("path", DOCS, ids=[str(p.relative_to(REPO)) for p in DOCS])
def test_every_python_block_runs(path: Path, offline: Any) -> None:
    env, install = offline
    run_file(path, env, install)


def test_the_docs_have_python_blocks_and_most_run() -> None:
    every = [b for path in DOCS for b in blocks(path)]
    skipped = [b.where for b in every if "skip" in dict(b.directives)]
    assert len(every) >= 20
    assert len(skipped) <= len(every) // 4, skipped


def test_an_unmarked_block_that_fails_fails_the_test(tmp_path: Path, offline: Any) -> None:
    env, install = offline
    page = tmp_path / "page.md"
    page.write_text("Text.\n\n```python\nx = 1\n```\n\n```python\nundefined_name\n```\n")
    with pytest.raises(pytest.fail.Exception, match=r"page.md:8: NameError"):
        run_file(page, env, install)
    page.write_text("<!-- doc-test: skip -->\n```python\nundefined_name\n```\n")
    with pytest.raises(AssertionError, match="must say why"):
        run_file(page, env, install)
    page.write_text("<!-- doc-test: skip: not offline -->\n```python\nundefined_name\n```\n")
    run_file(page, env, install)
