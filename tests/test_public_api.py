"""The public API is deliberate: which modules, which names, and where each name lives.

A module is public when no part of its dotted name starts with an underscore; every other
module is private. Each public module declares ``__all__`` (sorted the way ruff's RUF022
sorts it: CONSTANTS, then Classes, then functions), every public name it defines is in
it, and a package lists every name it re-exports from reverie. A name from a private
module is re-exported on purpose: by the public package that owns that module (or a pair
in :data:`DELIBERATE`), and from there by others (``reverie.Agent``). The built wheel ships ``py.typed``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"

PUBLIC = (
    "reverie",
    "reverie.agent",
    "reverie.approval",
    "reverie.batch",
    "reverie.cli",
    "reverie.codec",
    "reverie.content",
    "reverie.cost",
    "reverie.durable",
    "reverie.durable.dbos",
    "reverie.durable.temporal",
    "reverie.effects",
    "reverie.embeddings",
    "reverie.errors",
    "reverie.events",
    "reverie.mcp",
    "reverie.model",
    "reverie.observe",
    "reverie.otel",
    "reverie.output",
    "reverie.providers",
    "reverie.retry",
    "reverie.run_state",
    "reverie.runlog",
    "reverie.sessions",
    "reverie.testing",
    "reverie.testing.pytest_plugin",
    "reverie.timeouts",
    "reverie.tokens",
    "reverie.tool",
    "reverie.toolset",
)

DELIBERATE = {
    # Steps, results and hooks are the agent's vocabulary; their module sits below events.
    ("reverie.agent", "reverie._steps"),
    # Strict-mode helpers for users' own native structured-output hooks.
    ("reverie.output", "reverie._jsonschema"),
    # The JSON building blocks (tagged values, checked documents) of the public codec.
    ("reverie.codec", "reverie._codec_json"),
    # Cost sits below the steps that report one (Step.cost); users meet it in reverie.cost.
    ("reverie.cost", "reverie._pricing"),
    # Where the run log's database is (shared with sessions) and the variable that moves it.
    ("reverie.runlog", "reverie._store"),
    # Embedding settings and results sit below the providers that fill them.
    ("reverie.embeddings", "reverie._embedding_model"),
    # The estimate and the input-limit check sit below the effects that check it.
    ("reverie.tokens", "reverie._tokens"),
}
"""(public module, private module) pairs where the first re-exports from the second."""


def _module_names() -> set[str]:
    names: set[str] = set()
    for path in (SRC / "reverie").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.add(".".join(parts))
    return names


def _is_private(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


def _public_owner(module: str) -> str:
    parts = module.split(".")
    while _is_private(".".join(parts)):
        parts.pop()
    return ".".join(parts)


def _ruff_order(name: str) -> tuple[int, str]:
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name


def _source(module: ModuleType) -> ast.Module:
    assert module.__file__
    return ast.parse(Path(module.__file__).read_text(encoding="utf-8"))


def _defined(tree: ast.Module) -> set[str]:
    """Public names a module binds by a definition or an assignment of its own."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)  # `X: TypeAlias = ...` too (Python 3.11 has no `type X`)
    return {n for n in names if not n.startswith("_")}


def _reexported(tree: ast.Module) -> set[str]:
    """Public names a package imports from reverie (under ``TYPE_CHECKING`` too)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reverie"):
            names.update(a.asname or a.name for a in node.names)
    return {n for n in names if not n.startswith("_")}


def test_the_public_modules_are_exactly_the_listed_ones() -> None:
    found = {m for m in _module_names() if not _is_private(m)}
    assert found == set(PUBLIC), "a public module needs a deliberate place in PUBLIC"


@pytest.mark.parametrize("name", PUBLIC)
def test_all_is_sorted_complete_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(getattr(module, "__all__", None) or ())
    assert exported, f"{name} declares no __all__"
    assert exported == sorted(exported, key=_ruff_order), f"{name}.__all__ is not sorted"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not have: {missing}"

    tree = _source(module)
    expected = _defined(tree)
    if name == "reverie.testing.pytest_plugin":
        expected = {n for n in expected if not n.startswith("pytest_")}  # pytest's hooks
    if module.__file__ and module.__file__.endswith("__init__.py"):
        expected |= _reexported(tree)
    unlisted = sorted(expected - set(exported))
    assert not unlisted, f"{name} has public names outside __all__: {unlisted}"


@pytest.mark.parametrize("name", PUBLIC)
def test_each_exported_name_lives_in_public_view(name: str) -> None:
    module = importlib.import_module(name)
    for export in module.__all__:
        value = getattr(module, export)
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        home = value.__module__
        if _is_private(home):
            owners = {_public_owner(home)} | {pub for pub, priv in DELIBERATE if priv == home}
            assert name in owners or any(
                export in importlib.import_module(owner).__all__ for owner in owners
            ), f"{name}.{export} comes from private {home}, which no public owner exports"
        elif home != name:
            assert export in importlib.import_module(home).__all__, (
                f"{name}.{export} is re-exported from {home}, which does not export it"
            )


def test_users_reach_errors_and_events_where_they_expect_them() -> None:
    from reverie.errors import RateLimitError, ReverieError
    from reverie.events import RunFinish, TextDelta, ToolCall, ToolResult
    from reverie.model import TextDelta as ModelTextDelta

    assert issubclass(RateLimitError, ReverieError)
    assert TextDelta is ModelTextDelta  # one class, reachable from both
    assert {ToolCall.__name__, ToolResult.__name__, RunFinish.__name__} <= set(
        importlib.import_module("reverie.events").__all__
    )


def test_docs_and_examples_name_no_private_module() -> None:
    private = re.compile(r"\breverie(?:\.[A-Za-z_]\w*)*\._\w+")
    pages = [REPO / "README.md", *(REPO / "docs").glob("*.md"), *(REPO / "examples").rglob("*.py")]
    hits = [
        f"{page.relative_to(REPO)}: {m.group(0)}"
        for page in pages
        for m in private.finditer(page.read_text(encoding="utf-8"))
        if not m.group(0).endswith("__")
    ]
    assert hits == []


def test_the_wheel_ships_py_typed_and_the_entry_points(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    assert uv, "uv is needed to build the wheel (the project is managed with uv)"
    build = subprocess.run(
        [uv, "build", "--wheel", "--offline", "-o", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        declared = archive.read(entry_points).decode()
    assert "reverie/py.typed" in names
    assert "reverie = reverie.cli:main" in declared
    assert "reverie = reverie.testing.pytest_plugin" in declared
