"""Requests-per-second and tokens-per-minute limits per provider, in this process.

A :class:`LimitedModel` wraps a model: each call first waits for its provider's
:class:`ProviderLimiter` (a request slot, and room in the last minute's token budget), then
counts the tokens the response used. All models of one provider in a process share a limiter
(:func:`limiter_for`), so several agents, rows and steps keep one budget. Across processes
(several ``reverie worker``\\ s) each process keeps its own: divide the provider's limits by
the number of workers.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator

from reverie.errors import ConfigurationError
from reverie.model import Call, Finish, LanguageModel, Response, StreamEvent

__all__ = ["LimitedModel", "ProviderLimiter", "limiter_for"]

_WINDOW = 60.0


class ProviderLimiter:
    """At most ``requests_per_second`` calls started per second (evenly spaced) and at most
    ``tokens_per_minute`` tokens used in any 60 seconds (a call waits while the last
    minute's usage is at the limit). None means no limit."""

    def __init__(
        self, requests_per_second: float | None = None, tokens_per_minute: int | None = None
    ) -> None:
        if requests_per_second is not None and requests_per_second <= 0:
            raise ConfigurationError("the requests-per-second limit must be above 0")
        if tokens_per_minute is not None and tokens_per_minute <= 0:
            raise ConfigurationError("the tokens-per-minute limit must be above 0")
        self.requests_per_second = requests_per_second
        self.tokens_per_minute = tokens_per_minute
        self._next_start = 0.0
        self._used: deque[tuple[float, int]] = deque()
        self._lock = asyncio.Lock()

    def _tokens_in_window(self, now: float) -> int:
        while self._used and self._used[0][0] <= now - _WINDOW:
            self._used.popleft()
        return sum(n for _, n in self._used)

    async def acquire(self) -> None:
        """Wait until a call may start."""
        async with self._lock:  # callers start in the order they came
            while True:
                now = time.monotonic()
                wait = 0.0
                if self.requests_per_second is not None:
                    wait = max(wait, self._next_start - now)
                if (
                    self.tokens_per_minute is not None
                    and self._tokens_in_window(now) >= self.tokens_per_minute
                ):
                    wait = max(wait, self._used[0][0] + _WINDOW - now)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            if self.requests_per_second is not None:
                self._next_start = max(self._next_start, now) + 1.0 / self.requests_per_second

    def record(self, tokens: int) -> None:
        """Count the tokens a call used."""
        if self.tokens_per_minute is not None and tokens > 0:
            self._used.append((time.monotonic(), tokens))


_limiters: dict[tuple[int, str], ProviderLimiter] = {}


def limiter_for(
    provider: str, requests_per_second: float | None, tokens_per_minute: int | None
) -> ProviderLimiter | None:
    """The limiter this process (this event loop) shares for ``provider`` under these
    limits; None when there is no limit."""
    if requests_per_second is None and tokens_per_minute is None:
        return None
    try:
        loop = id(asyncio.get_running_loop())  # a limiter's lock belongs to one event loop
    except RuntimeError:
        loop = 0
    key = (loop, f"{provider}|{requests_per_second}|{tokens_per_minute}")
    if key not in _limiters:
        _limiters[key] = ProviderLimiter(requests_per_second, tokens_per_minute)
    return _limiters[key]


class LimitedModel:
    """``model``, each call held to ``limiter`` (see the module docstring)."""

    def __init__(self, model: LanguageModel, limiter: ProviderLimiter) -> None:
        self.inner = model
        self.limiter = limiter

    @property
    def provider(self) -> str:
        return self.inner.provider

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    async def generate(self, call: Call) -> Response:
        await self.limiter.acquire()
        response = await self.inner.generate(call)
        self.limiter.record(response.usage.total_tokens)
        return response

    async def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        await self.limiter.acquire()
        async for event in self.inner.stream(call):
            if isinstance(event, Finish):
                self.limiter.record(event.usage.total_tokens)
            yield event
