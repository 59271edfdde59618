"""Retry policy for a step's model call: which failures to retry and how long to wait.

Retried: errors whose ``retryable`` is true (429, 408/409, 5xx, overloaded, connection
failures, timeouts, streams that ended early, transient in-band error events), unless the
provider's ``x-should-retry`` header said otherwise (already folded into ``retryable``).
Never retried: other 4xx, configuration errors, cancellation.

The wait is exponential backoff with full jitter, capped, unless the provider asked for a
specific wait (``retry-after-ms`` / ``retry-after``): that is honoured up to
``max_retry_after``; a longer demand raises at once rather than hang a run for an hour.

Tests turn waiting off with ``RetryPolicy(wait=False)`` or the environment variable
``REVERIE_RETRY_NO_WAIT=1``.
"""

from __future__ import annotations

import asyncio
import os
import random
from dataclasses import dataclass

from reverie.errors import ProviderError, ReverieError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` counts the first try: 3 means up to two retries."""

    attempts: int = 3
    initial_delay: float = 1.0
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: bool = True
    max_retry_after: float = 60.0
    wait: bool = True

    def delay_for(self, error: BaseException, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None to give up and raise ``error``."""
        if attempt >= self.attempts or not isinstance(error, ReverieError) or not error.retryable:
            return None
        if isinstance(error, ProviderError) and error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            return error.retry_after
        delay = min(self.initial_delay * self.multiplier ** (attempt - 1), self.max_delay)
        return random.uniform(0, delay) if self.jitter else delay

    async def sleep(self, delay: float) -> None:
        """Wait ``delay`` seconds, unless waiting is turned off for tests."""
        if self.wait and os.environ.get("REVERIE_RETRY_NO_WAIT") != "1":
            await asyncio.sleep(delay)


NO_RETRY = RetryPolicy(attempts=1)
"""A policy that never retries."""
