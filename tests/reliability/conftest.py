"""The fault-injection harness: a scripted loopback server, an injected backoff clock, and
checks after every test — no connection left open, no task left pending, the planted
fake key nowhere in an error (text, causes, attempts) or a log line."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from reverie import Agent, RetryPolicy
from reverie.errors import RetryError
from reverie.providers import _client, configure_default_client
from reverie.providers._aiohttp import AiohttpTransport
from reverie.timeouts import Timeouts

from .server import ScriptedServer
from .wires import FAKE_KEY, Wire

E = TypeVar("E", bound=BaseException)

# A test body that runs longer than this is cancelled in its own event loop (so the leak
# checks still run and report); pytest-timeout, per module, is the last resort.
TEST_LIMIT = 10.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        fn = getattr(item, "obj", None)
        if here in Path(str(item.fspath)).parents and inspect.iscoroutinefunction(fn):
            item.obj = _bounded(fn)  # type: ignore[attr-defined]


def _bounded(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(fn)
    async def run(*args: Any, **kwargs: Any) -> Any:
        try:
            async with asyncio.timeout(TEST_LIMIT):
                return await fn(*args, **kwargs)
        except TimeoutError as exc:
            raise AssertionError(f"the test ran over {TEST_LIMIT}s: something hangs") from exc

    return run


# Tight limits so stalls are found in a fraction of a second.
TEST_TIMEOUTS = Timeouts(connect=1.0, first_byte=0.5, idle=0.3, total=5.0)


class Harness:
    """What a test uses: the server, agents wired to it, the recorded backoff sleeps."""

    def __init__(self, server: ScriptedServer) -> None:
        self.server = server
        self.sleeps: list[float] = []
        self.errors_seen: list[BaseException] = []

    async def fake_sleep(self, delay: float) -> None:
        """The injected backoff clock: records the wait, yields once, takes no time."""
        self.sleeps.append(delay)
        await asyncio.sleep(0)

    def policy(self, **kwargs: Any) -> RetryPolicy:
        """Deterministic backoff (jitter draws the maximum) on the injected clock."""
        kwargs.setdefault("sleeper", self.fake_sleep)
        kwargs.setdefault("random", lambda low, high: high)
        return RetryPolicy(**kwargs)

    def model(self, wire: Wire, timeouts: Timeouts | None = TEST_TIMEOUTS, url: str = "") -> Any:
        return wire.make_model(url or self.server.url, timeouts)

    def agent(
        self,
        wire: Wire,
        *,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = TEST_TIMEOUTS,
        url: str = "",
        tools: Sequence[Any] = (),
    ) -> Agent:
        return Agent(
            self.model(wire, timeouts, url),
            retry=retry or self.policy(),
            tools=tools,
        )

    def client_tasks(self) -> list[asyncio.Task[Any]]:
        """Unfinished tasks that are not the server's."""
        return [t for t in _pending() if not _qualname(t).startswith("ScriptedServer.")]

    def busy_connections(self) -> int:
        """Connections the shared client has handed to a response not yet closed (idle
        kept-alive ones do not count). Checked right after a run is closed or cancelled:
        zero means the response was closed then, not left to a finalizer."""
        entry = _client._clients.get(asyncio.get_running_loop())  # pyright: ignore[reportPrivateUsage]
        if entry is None:
            return 0
        transport: Any = entry.client._transport  # pyright: ignore[reportPrivateUsage]
        session = getattr(transport, "_session", None)
        if isinstance(transport, AiohttpTransport):
            return 0 if session is None else len(session.connector._acquired)
        return sum(1 for c in transport._pool.connections if not (c.is_idle() or c.is_closed()))

    async def expect(self, aw: Awaitable[Any], kind: type[E]) -> E:
        """Await ``aw``, which must raise ``kind``; the error is checked for the key."""
        try:
            await aw
        except kind as exc:
            self.errors_seen.append(exc)
            assert_no_key(exc)
            return exc
        raise AssertionError(f"expected {kind.__name__}")

    async def events(self, agent: Agent, prompt: str = "hi") -> list[Any]:
        """Every event of a streamed run (errors propagate)."""
        out: list[Any] = []
        async for event in agent.stream(prompt):
            if getattr(event, "type", "") == "retry":
                assert_no_key(event.error)
            out.append(event)
        return out


def error_text(exc: BaseException) -> str:
    """Everything an error shows: its traceback chain, repr, and every kept attempt."""
    parts = ["".join(traceback.format_exception(exc)), repr(exc)]
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        parts += [str(e), repr(e), repr(getattr(e, "body", "")), repr(getattr(e, "headers", ""))]
        todo += [c for c in (e.__cause__, e.__context__) if c is not None]
        if isinstance(e, RetryError):
            todo += list(e.attempts)
    return "\n".join(parts)


def assert_no_key(exc: BaseException) -> None:
    assert FAKE_KEY not in error_text(exc), "the API key leaked into an error"


def _pending() -> list[asyncio.Task[Any]]:
    """Unfinished tasks, except this one and the test runner's own (anyio's)."""
    current = asyncio.current_task()
    return [
        t
        for t in asyncio.all_tasks()
        if t is not current and not t.done() and not _qualname(t).startswith("TestRunner.")
    ]


def _qualname(task: asyncio.Task[Any]) -> str:
    return getattr(task.get_coro(), "__qualname__", "")


async def _settle(check: Callable[[], bool], within: float = 2.0) -> bool:
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not check() and loop.time() < end:  # noqa: ASYNC110  (polling state we do not own)
        await asyncio.sleep(0.01)
    return check()


@pytest.fixture(params=["aiohttp", "httpx2"])
async def fault(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Harness]:
    """A started server and harness, with reverie's default client over the transport of the
    parameter (the aiohttp adapter, or httpx2's own); after the test, the leak checks."""
    caplog.set_level(logging.DEBUG)
    configure_default_client(transport=request.param)
    before = set(asyncio.all_tasks())
    server = ScriptedServer()
    await server.start()
    harness = Harness(server)
    try:
        yield harness
        idle = await server.wait_idle()
        quiet = await _settle(lambda: not [t for t in harness.client_tasks() if t not in before])
        leftover = [t for t in harness.client_tasks() if t not in before]
        busy = harness.busy_connections()
        entry = _client._clients.get(asyncio.get_running_loop())  # pyright: ignore[reportPrivateUsage]
        if entry is not None:
            await entry.client.aclose()
        closed = await server.wait_closed()
        await _settle(lambda: not [t for t in _pending() if t not in before])
        await server.stop()
        assert idle, f"{server.busy} repl(ies) still in progress: a response left open"
        assert busy == 0, f"{busy} connection(s) still held by a response left open"
        assert closed, f"{server.open} connection(s) still open after the client closed"
        assert quiet, f"tasks left pending: {leftover}"
        assert FAKE_KEY not in caplog.text, "the API key leaked into a log line"
        assert not server.errors, server.errors
    finally:
        configure_default_client()
