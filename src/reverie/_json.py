"""Tolerant JSON shared by tool-call validation and structured output.

Models write almost-JSON: a Markdown fence around it, prose before it, a trailing comma,
single quotes, a missing closing bracket. :func:`repair_json` reads such text with
json-repair (the algorithm the reference library ported), imported on first use.
"""

from __future__ import annotations

from typing import Any, Final

NOTHING: Final = object()
"""What :func:`repair_json` returns when the text holds nothing JSON-like."""


def repair_json(text: str) -> Any:
    """json-repair's reading of ``text``, or :data:`NOTHING` when nothing can be recovered."""
    import json_repair  # pyright: ignore[reportMissingTypeStubs]

    try:
        value: Any = json_repair.loads(text)  # pyright: ignore[reportUnknownMemberType]
    except Exception:
        return NOTHING
    # json-repair answers "" for text with no JSON in it at all.
    if value == "" and text.strip() not in ('""', "''"):
        return NOTHING
    return value
