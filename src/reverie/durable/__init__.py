"""Durable runs on existing engines: a run that survives its process (see docs/durable.md).

- :mod:`reverie.durable.temporal`: the agent as a Temporal workflow (``reverie[temporal]``).

Submodules load on first use, so ``import reverie.durable`` needs no engine installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reverie.durable import temporal as temporal

__all__ = ["temporal"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"reverie.durable.{name}")
    raise AttributeError(f"module 'reverie.durable' has no attribute {name!r}")
