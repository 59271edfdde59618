"""The run's time budget: ``Agent(run_timeout=...)`` as a deadline every wait honours.

The per-request limits (:mod:`reverie.timeouts`) bound one HTTP request; a run is many:
steps, retried attempts, the backoff and ``Retry-After`` waits between them, tool calls. A
:class:`RunDeadline` is fixed when the run starts (wall-clock time, so the time a consumer
spends between events counts too) and bounds each of those awaits with what is left:

- each read of the model's answer, and a whole non-streamed call (:meth:`run`,
  :meth:`iterate`);
- each retry wait (:meth:`sleep`): a wait that would end past the deadline is not started,
  the run fails at once;
- the step's tool calls (:meth:`iterate` over their results): running tools are cancelled.

Like the per-request limits, a bound wraps a single await, never a ``yield``: the run's
generator is only ever interrupted inside its own awaits. When the time is up the run
raises :class:`~reverie.errors.RunTimeoutError`. Hooks (``prepare_step``, repair and output
hooks) run unbounded: they are the caller's own code.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from typing import TypeVar, cast

from reverie.errors import ConfigurationError, RunTimeoutError
from reverie.retry import RetryPolicy

T = TypeVar("T")


class RunDeadline:
    """``seconds`` from now (None: no deadline; every method then just awaits)."""

    __slots__ = ("_end", "_loop", "seconds")

    def __init__(self, seconds: float | None, left: float | None = None) -> None:
        """``left``: what remains of a limit of ``seconds`` that began earlier (an effect
        that continues a run's deadline); ``seconds`` itself when not given."""
        self.seconds = seconds
        self._loop = asyncio.get_running_loop()
        remaining = seconds if left is None else left
        self._end = None if remaining is None else self._loop.time() + remaining

    def left(self) -> float | None:
        """Seconds until the deadline (at least 0), or None without one."""
        return None if self._end is None else max(self._end - self._loop.time(), 0.0)

    def error(self, doing: str) -> RunTimeoutError:
        assert self.seconds is not None
        return RunTimeoutError(
            f"the run took longer than its {self.seconds:g}s limit (stopped while {doing}); "
            "to allow longer, raise Agent(run_timeout=...)",
            timeout=self.seconds,
        )

    async def run(self, aw: Awaitable[T], doing: str) -> T:
        """Await ``aw`` within the time left; past it, RunTimeoutError."""
        if self._end is None:
            return await aw
        bound = asyncio.timeout_at(self._end)
        try:
            async with bound:
                return await aw
        except TimeoutError:
            if not bound.expired():
                raise  # the awaited code's own TimeoutError
        raise self.error(doing)  # outside the except: the cancellation is no cause

    def iterate(self, items: AsyncIterator[T], doing: str) -> AsyncGenerator[T, None]:
        """``items`` with each step bounded by the time left (``items`` itself when it is a
        generator and there is no deadline). Closing the result closes ``items``."""
        if self._end is None and isinstance(items, AsyncGenerator):
            return cast(AsyncGenerator[T, None], items)
        return self._bounded(items, doing)

    async def _bounded(self, items: AsyncIterator[T], doing: str) -> AsyncGenerator[T, None]:
        try:
            while True:
                try:
                    item = await self.run(anext(items), doing)
                except StopAsyncIteration:
                    return
                yield item
        finally:
            aclose = getattr(items, "aclose", None)
            if aclose is not None:
                await aclose()

    async def sleep(self, policy: RetryPolicy, delay: float, failure: BaseException) -> None:
        """The policy's retry wait, unless it would end past the deadline: then the run
        fails now, ``from`` the failure that was to be retried."""
        left = self.left()
        if left is not None and delay >= left:
            raise self.error(
                f"waiting {delay:g}s to retry, with {left:.3g}s left; the failure was: {failure}"
            ) from failure
        await self.run(policy.sleep(delay), f"waiting {delay:g}s to retry")


def check_timeout(seconds: object, what: str) -> float | None:
    """``seconds`` if it is a usable limit (positive, or None for none), else
    :class:`~reverie.errors.ConfigurationError` naming ``what``."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise ConfigurationError(
            f"{what} must be a positive number of seconds (or None for no limit), got {seconds!r}"
        )
    return float(seconds)
