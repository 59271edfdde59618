"""Run a coroutine from synchronous code, even when an event loop is already running.

Without a running loop, ``asyncio.run``. Inside one (a notebook, an async framework calling
sync code), the coroutine runs to completion on a fresh loop in a worker thread: blocking
the caller's thread is what a sync call means, and nested ``run_until_complete`` would
deadlock or need monkey-patching.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """The coroutine's result; its exception is raised here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="reverie-sync") as pool:
        return pool.submit(asyncio.run, coro).result()
