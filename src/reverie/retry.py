"""Retry policy for a step's model call: which failures to retry and how long to wait.

Retried: errors whose ``retryable`` is true — 429, 408, 409, 5xx, overloaded, connection
failures, timeouts, streams that ended early, transient in-band error events — where the
provider's ``x-should-retry`` header, when sent, has already decided ``retryable`` either
way. Never retried: other 4xx, malformed streams, configuration errors, errors that are not
reverie's, and cancellation (``CancelledError`` is not an ``Exception``; a cancelled backoff
ends at once).

The wait before retry ``n`` (1-based) is ``initial_delay * multiplier ** (n - 1)``, capped
at ``max_delay``, with full jitter (uniformly drawn from zero to that) so that many clients
rate-limited together do not come back together. When the provider named a wait
(``retry-after-ms``, else ``retry-after`` in seconds or as an HTTP date; any header case),
that wait is used as given, up to ``max_retry_after``; a longer demand raises the error at
once rather than hang a run for an hour. A named wait that is not a number (``NaN``) or
negative is ignored; no wait ever exceeds ``max(max_delay, max_retry_after)``.

Defaults: 3 attempts (two retries), 1 s initial delay, ×2, capped at 30 s, Retry-After
honoured up to 60 s. When every attempt fails, the agent raises
:class:`~reverie.errors.RetryError` (see :mod:`reverie.errors` for why).

Tests turn waiting off with ``RetryPolicy(wait=False)`` or the environment variable
``REVERIE_RETRY_NO_WAIT=1``, or record the waits by passing ``sleeper=`` (an async
function given the seconds) and ``random=`` (given the jitter range, returns a point in it).
"""

from __future__ import annotations

import asyncio
import math
import os
import random as _random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from reverie._redact import seal
from reverie.errors import ProviderError, RetryError, ReverieError

__all__ = [
    "NO_RETRY",
    "RetryPolicy",
]

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` counts the first try: 3 means up to two retries. ``sleeper`` and
    ``random`` replace :func:`asyncio.sleep` and :func:`random.uniform` (for tests)."""

    attempts: int = 3
    initial_delay: float = 1.0
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: bool = True
    max_retry_after: float = 60.0
    wait: bool = True
    sleeper: Callable[[float], Awaitable[None]] | None = None
    random: Callable[[float, float], float] | None = None

    def delay_for(self, error: BaseException, attempt: int) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None to give up on ``error``."""
        if not self.is_retryable(error) or self.demands_too_long(error):
            return None
        if attempt >= self.attempts:
            return None
        named = _named_wait(error)
        if named is not None:
            return named
        delay = min(self.initial_delay * self.multiplier ** (attempt - 1), self.max_delay)
        if not self.jitter:
            return delay
        return self._bounded((self.random or _random.uniform)(0.0, delay))

    def exhausted(self, error: BaseException, attempt: int) -> bool:
        """Whether ``error``, from attempt ``attempt``, would be retried but for the attempt
        limit: then the caller raises :class:`~reverie.errors.RetryError`."""
        return (
            1 < self.attempts <= attempt
            and self.is_retryable(error)
            and not self.demands_too_long(error)
        )

    def gave_up(self, failures: Sequence[BaseException]) -> RetryError | None:
        """The :class:`~reverie.errors.RetryError` to raise (``from`` the last failure) when
        the attempt limit ended the retries, else None: raise the last failure itself."""
        last = failures[-1]
        if not self.exhausted(last, len(failures)):
            return None
        return RetryError(
            f"gave up after {len(failures)} attempts; the last failed with: {last}", failures
        )

    @staticmethod
    def is_retryable(error: BaseException) -> bool:
        """Whether ``error`` is of a kind that sending again may fix."""
        return isinstance(error, ReverieError) and error.retryable

    def demands_too_long(self, error: BaseException) -> bool:
        """Whether the provider asked for a wait beyond ``max_retry_after``."""
        named = _named_wait(error)
        return named is not None and named > self.max_retry_after

    def _bounded(self, delay: object) -> float:
        """``delay`` within ``0 .. max(max_delay, max_retry_after)``; a non-number is 0."""
        if not isinstance(delay, int | float) or math.isnan(delay):
            return 0.0
        return min(max(float(delay), 0.0), max(self.max_delay, self.max_retry_after))

    async def call(self, attempt: Callable[[], Awaitable[_T]]) -> _T:
        """The result of ``attempt()``, called again after each failure this policy retries
        (waiting as :meth:`delay_for` says); the last failure raises, or a
        :class:`~reverie.errors.RetryError` when the attempt limit ended the retries. Every
        failure's cause chain is sealed first (:func:`reverie._redact.seal`): no secret in
        it, whatever raised it. For whole answers; a stream that already yielded cannot be
        taken back and retried this way."""
        failures: list[Exception] = []
        while True:
            try:
                return await attempt()
            except Exception as exc:
                seal(exc)
                failures.append(exc)
                delay = self.delay_for(exc, len(failures))
                if delay is None:
                    gave_up = self.gave_up(failures)
                    if gave_up is not None:
                        raise gave_up from exc
                    raise
                await self.sleep(delay)

    async def sleep(self, delay: float) -> None:
        """Wait ``delay`` seconds (with the injected ``sleeper`` if any), unless waiting is
        turned off for tests. Whatever a caller passes, the wait is finite: bounded as
        :meth:`delay_for` bounds it."""
        delay = self._bounded(delay)
        if self.sleeper is not None:
            await self.sleeper(delay)
        elif self.wait and os.environ.get("REVERIE_RETRY_NO_WAIT") != "1":
            await asyncio.sleep(delay)


def _named_wait(error: BaseException) -> float | None:
    """The wait a provider named on ``error`` (``retry_after``), if it is a usable number:
    ``NaN`` and negatives are ignored (the backoff applies), infinity stays (too long)."""
    if not isinstance(error, ProviderError):
        return None
    wait: object = error.retry_after
    if not isinstance(wait, int | float) or math.isnan(wait) or wait < 0:
        return None
    return float(wait)


NO_RETRY = RetryPolicy(attempts=1)
"""A policy that never retries."""
