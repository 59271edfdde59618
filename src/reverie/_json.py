"""Tolerant JSON shared by tool-call validation and structured output.

Models write almost-JSON: a Markdown fence around it, prose before it, a trailing comma,
single quotes, a missing closing bracket. :func:`repair_json` reads such text with
json-repair (the algorithm the reference library ported), imported on first use.

json-repair is pure Python and slow on text far from JSON (about 5 µs a character, more on
some shapes: 64 KB of non-JSON took 0.3–1 s, 512 KB 11 s). Model output must never stall
the event loop, so callers on the loop use :func:`repair_json_off_loop`: it refuses text
longer than :data:`REPAIR_LIMIT` (returns :data:`TOO_LARGE`; the caller says so to the
model), and runs the rest in reverie's one repair thread, one repair at a time
process-wide. The loop keeps running meanwhile (the thread yields the GIL every few
milliseconds); a cancelled caller does not wait for the repair to finish.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

NOTHING: Final = object()
"""What :func:`repair_json` returns when the text holds nothing JSON-like."""

TOO_LARGE: Final = object()
"""What :func:`repair_json_off_loop` returns for text over :data:`REPAIR_LIMIT`."""

REPAIR_LIMIT = 64 * 1024
"""The longest text (in characters) JSON repair is attempted on: at most about a second of
the repair thread's time, whatever the text."""

_worker: ThreadPoolExecutor | None = None


def repair_json(text: str) -> Any:
    """json-repair's reading of ``text``, or :data:`NOTHING` when nothing can be recovered.
    Blocking and unbounded: on the event loop, use :func:`repair_json_off_loop`."""
    import json_repair  # pyright: ignore[reportMissingTypeStubs]

    try:
        value: Any = json_repair.loads(text)  # pyright: ignore[reportUnknownMemberType]
    except Exception:  # RecursionError on deep nesting included
        return NOTHING
    # json-repair answers "" for text with no JSON in it at all.
    if value == "" and text.strip() not in ('""', "''"):
        return NOTHING
    return value


async def repair_json_off_loop(text: str) -> Any:
    """:func:`repair_json` in the repair thread; :data:`TOO_LARGE` past the limit."""
    global _worker
    if len(text) > REPAIR_LIMIT:
        return TOO_LARGE
    if _worker is None:
        _worker = ThreadPoolExecutor(1, thread_name_prefix="reverie-json-repair")
    return await asyncio.get_running_loop().run_in_executor(_worker, repair_json, text)
