"""Imports point one way: no module imports its way back to itself, and no layer looks up.

The import graph is read from the source (every ``import``, including those under
``TYPE_CHECKING`` and inside functions, and the module names that lazy loaders pass as
strings), so a circle hidden behind a deferred import is still a circle here.

A *room* is an entry directly under ``src/reverie`` (a module or a sub-package). Each room
has a layer; a room may import itself and rooms of lower layers only. Rooms that share a
layer are independent of one another. A new room fails :func:`test_every_room_has_a_layer`
until it is given its place in :data:`LAYERS`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "reverie"

LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer.split())
    for layer in (
        # top: what users run (`python -m reverie` runs the command)
        "__main__",
        "cli",
        "testing",
        "mcp",  # MCP client and server (the `mcp` extra): toolsets and serving over the agent
        "otel",  # OpenTelemetry for runs: an observer, the optional `otel` extra
        "batch",  # many runs: in process, or on a durable queue
        "durable",  # runs recorded by an engine (DBOS, Temporal): above the agent
        "__init__",  # the package itself: `import reverie` re-exports the layers below
        "agent",
        "runlog sessions",  # the run log and sessions, in one database (_store)
        "_driver",  # the run's loop
        "_start",  # how a run starts, and the tools a resumed state needs
        "_watch",  # the loop's side of observing: one run's observers behind one object
        "observe",  # the observer contract: what watchers of a run are told
        "output embeddings tokens _loading",  # tokens: input tokens (names a model via providers);
        # _loading: what `module:name` and `file.py:name` specs name (tools, output types)
        # providers and their wires, hosts and HTTP
        "providers",
        "_machine",  # the run as a state machine: decides, folds outcomes in
        "effects",  # the seam durable engines wrap: one model call, one tool call
        "_accumulate _tool_calls",
        "events",
        "run_state",
        "_stop_json",  # why a run stopped, as JSON (a saved state's stopped_by)
        "codec cost",  # the public JSON codec; what runs cost, and budgets
        "_steps toolset",  # toolset: tools listed per step (MCP servers), in the core
        "tool _pricing _embedding_model",  # _pricing: prices (genai-prices, lazily), Cost
        "_deadline _tokens _store",  # _tokens: counting input tokens; _store: the log's database
        "model retry _codec_json",
        # bottom: imports nothing of reverie's but other bottom rooms
        "content errors timeouts _json _jsonschema _sync _data _threads approval",
        "_redact",
    )
)
"""Rooms from the top layer down."""


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _target(name: str) -> str | None:
    """The module ``name`` denotes, or the nearest package holding it."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "reverie" and (t := _target(alias.name)):
                    yield t
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            if origin.split(".")[0] != "reverie":
                continue
            for alias in node.names:
                full = f"{origin}.{alias.name}"
                t = full if full in MODULES else _target(origin)
                if t:
                    yield t
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in MODULES
            and node.value != "reverie"
        ):
            yield node.value  # a module loaded lazily by name (importlib)


GRAPH: dict[str, set[str]] = {
    module: {t for t in _imports(module, path) if t != module} for module, path in MODULES.items()
}


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _layer(room: str) -> int:
    for index, rooms in enumerate(LAYERS):
        if room in rooms:
            return index
    raise LookupError(room)


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read() -> None:
    # Guards the reader itself: a few arrows that certainly exist must be seen.
    assert "reverie.model" in GRAPH["reverie.events"]
    assert "reverie.content" in GRAPH["reverie.model"]
    assert "reverie.providers._builtins" in GRAPH["reverie.providers"]
    assert "reverie.testing._cassette" in GRAPH["reverie.testing"]  # a lazy, by-name import


def test_no_module_imports_its_way_back_to_itself() -> None:
    assert _cycles() == []


def test_every_room_has_a_layer() -> None:
    rooms = {_room(m) for m in MODULES}
    missing = sorted(r for r in rooms if not any(r in layer for layer in LAYERS))
    assert not missing, f"give these rooms a place in LAYERS ({__file__}): {missing}"


def test_no_room_imports_a_room_above_it_or_beside_it() -> None:
    bad = [
        f"{source} -> {target}"
        for source, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if _room(source) != _room(target) and _layer(_room(target)) <= _layer(_room(source))
    ]
    assert bad == []


def test_only_the_generic_model_does_provider_io() -> None:
    # Wires and hosts stay pure of the HTTP layer: the one model class does the sending.
    importers = sorted(m for m, targets in GRAPH.items() if "reverie.providers._http" in targets)
    assert importers == ["reverie.providers._model"]
