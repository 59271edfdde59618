"""Objects the user names as ``module:name`` or ``path/to/file.py:name``: tools, output
types, served agents. The command line (``--tool``, ``--agent``), batches and durable runs
all load through here, so a spec means the same thing everywhere.

A file is executed once per process, whatever number of specs name it (``--tool
tools.py:add --tool tools.py:multiply`` runs ``tools.py`` once), and kept in
``sys.modules`` under a name made from its absolute path. A module name is imported with the
current directory on ``sys.path``, as ``python -m`` would. Every problem is a
:class:`~reverie.errors.ConfigurationError` in one line that names the flag, and for a module
that fails to import, the file, line and error: the user fixes their file; no traceback into
this loader helps them.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from reverie.errors import ConfigurationError
from reverie.tool import FunctionTool

__all__ = ["absolute_spec", "load_attribute", "load_tool"]


def load_tool(spec: str, flag: str = "--tool") -> FunctionTool:
    """``module:function`` or ``file.py:function`` as a tool (a plain function becomes one
    from its type hints and docstring)."""
    fn, _ = load_attribute(spec, flag)
    return fn if isinstance(fn, FunctionTool) else FunctionTool(fn)


def load_attribute(spec: str, flag: str) -> tuple[Any, str]:
    """The object ``module:name`` or ``file.py:name`` names, and the name."""
    target, sep, attr = spec.rpartition(":")
    if not sep or not target or not attr:
        raise ConfigurationError(
            f"{flag} {spec!r} must look like 'module:name' or 'path/to/file.py:name'"
        )
    if target.endswith(".py"):
        module = _load_file(Path(target), spec, flag)
    else:
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())  # as `python -m` does: the user's modules beside them
        try:
            module = importlib.import_module(target)
        except Exception as exc:
            raise ConfigurationError(f"{flag} {spec!r}: cannot import {target}: "
                                     f"{_failure(exc)}") from exc  # fmt: skip
    value: Any = getattr(module, attr, None)
    if value is None:
        raise ConfigurationError(f"{flag} {spec!r}: {target} has no {attr!r}")
    return value, attr


def absolute_spec(spec: str) -> str:
    """``spec`` with its file's absolute path (``file.py:name``, or a ``.json`` file), so
    that a process started elsewhere (a resume, a worker) finds the same file."""
    if spec.endswith(".json"):
        return str(Path(spec).resolve())
    target, sep, attr = spec.rpartition(":")
    if sep and target.endswith(".py"):
        return f"{Path(target).resolve()}:{attr}"
    return spec


def _load_file(path: Path, spec: str, flag: str) -> Any:
    if not path.is_file():
        raise ConfigurationError(f"{flag} {spec!r}: no file {path}")
    resolved = path.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    name = f"_reverie_user_{resolved.stem}_{digest}"
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    module_spec = importlib.util.spec_from_file_location(name, resolved)
    if module_spec is None or module_spec.loader is None:
        raise ConfigurationError(f"{flag} {spec!r}: cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    # Registered before it runs, as an import is: dataclasses and pickling look it up there.
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ConfigurationError(f"{flag} {spec!r}: {path} {_failure(exc)}") from exc
    return module


def _failure(exc: BaseException) -> str:
    """``failed at line 3: SyntaxError: invalid syntax``, from an import's exception."""
    if isinstance(exc, SyntaxError):
        return f"failed at line {exc.lineno}: SyntaxError: {exc.msg}"
    here = str(Path(__file__).parent)
    frames = [f for f in _traceback(exc) if not f.startswith(here)]
    where = f" ({frames[-1]})" if frames else ""
    return f"failed to import{where}: {type(exc).__name__}: {exc}"


def _traceback(exc: BaseException) -> list[str]:
    """``file:line`` of each frame of ``exc``'s traceback, outermost first."""
    out: list[str] = []
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if not code.co_filename.startswith("<frozen"):
            out.append(f"{code.co_filename}:{tb.tb_lineno}")
        tb = tb.tb_next
    return out
