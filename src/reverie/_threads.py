"""Run a blocking function off the event loop without ever waiting for it on the way out.

``asyncio.to_thread`` uses the loop's default executor, which ``asyncio.run`` joins when it
returns (for up to five minutes): a cancelled or timed-out run would still wait for a sync
tool blocked in ``time.sleep`` or on a socket. :func:`run_in_thread` starts a daemon thread
per call instead. Awaiting it can be cancelled at once; the thread cannot be stopped (no
Python thread can), so it keeps running until the function returns, and its result is
dropped. Daemon threads do not keep the interpreter alive at exit either.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def run_in_thread(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a new daemon thread, with the caller's context variables;
    its result or exception once it returns. Cancelling the await does not wait for it."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def work() -> None:
        try:
            result = context.run(fn, *args, **kwargs)
        except BaseException as exc:  # handed to the awaiting task, whatever it is
            _deliver(loop, future, None, exc)
        else:
            _deliver(loop, future, result, None)

    name = getattr(fn, "__name__", "function")
    threading.Thread(target=work, name=f"reverie-thread-{name}", daemon=True).start()
    return await future


def _deliver(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    result: Any,
    error: BaseException | None,
) -> None:
    """Settle ``future`` on its loop, unless it was cancelled or the loop is gone."""

    def settle() -> None:
        if future.done():  # the awaiting task was cancelled or timed out
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    with contextlib.suppress(RuntimeError):  # the loop closed while the thread ran
        loop.call_soon_threadsafe(settle)
