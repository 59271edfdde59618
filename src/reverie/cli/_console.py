"""Terminal output: rich styling in a terminal, plain text when piped.

``rich`` is optional and imported only when output goes to a terminal (and ``NO_COLOR`` is
not set). Everything else in the CLI writes through :class:`Console` and never checks.
"""

from __future__ import annotations

import os
from typing import Any, TextIO


def wants_rich(stream: TextIO) -> bool:
    """A terminal, colour not turned off, and ``rich`` installed."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        if not stream.isatty():
            return False
    except (AttributeError, ValueError):
        return False
    import importlib.util

    return importlib.util.find_spec("rich") is not None


class Console:
    """Writes text with an optional style name (a rich style; ignored in plain mode)."""

    def __init__(self, stream: TextIO, *, rich: bool | None = None) -> None:
        self.stream = stream
        self.rich = wants_rich(stream) if rich is None else rich
        self._rich: Any = None
        if self.rich:
            from rich.console import Console as RichConsole

            self._rich = RichConsole(file=stream, highlight=False, soft_wrap=True)

    def write(self, text: str, style: str | None = None) -> None:
        if self._rich is not None:
            self._rich.print(text, style=style, end="", markup=False, emoji=False)
        else:
            self.stream.write(text)
        self.stream.flush()

    def line(self, text: str = "", style: str | None = None) -> None:
        self.write(text + "\n", style)
