"""Nothing from the network can hang a run, through the real agent on a loopback server:
waits named by garbage headers, redirects, bodies that announce or send too much, and a
provider that keeps answering 429 forever against the run's own deadline."""

from __future__ import annotations

import asyncio

import pytest

from reverie import Agent, RetryPolicy, tool
from reverie.errors import (
    InvalidRequestError,
    ProtocolError,
    RateLimitError,
    RunTimeoutError,
    ServerError,
)
from reverie.events import Retry
from reverie.providers import _http

from .conftest import TEST_TIMEOUTS, Harness
from .server import Reply
from .wires import EVERY_WIRE, OPENAI_CHAT, WIRES, Wire

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30, method="thread")]


def json_reply(status: int, body: bytes, **headers: str) -> Reply:
    return Reply(status, dict(headers), [body], chunked=False, content_type="application/json")


RATE_LIMITED = b'{"error": {"message": "slow down", "type": "rate_limit_error"}}'


# -- waits named by the server ----------------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES, ids=str)
@pytest.mark.parametrize("header", ["retry-after", "retry-after-ms"])
async def test_a_nan_retry_after_waits_the_backoff_not_forever(
    fault: Harness, wire: Wire, header: str
):
    """Real waiting (no injected clock): ``asyncio.sleep(nan)`` never returns."""
    fault.server.add(
        json_reply(429, RATE_LIMITED, **{header: "NaN"}),
        json_reply(200, wire.json_answer("ok")),
    )
    policy = RetryPolicy(initial_delay=0.01, jitter=False)
    result = await Agent(fault.model(wire), retry=policy).generate("hi")
    assert result.text == "ok"


@pytest.mark.parametrize(
    "value", ["nan", "inf", "-inf", "1e999", "-5", "0x10", "soon", "1_0", "", "Sat, 99 Foo"]
)
async def test_garbage_retry_after_is_ignored_for_the_backoff(fault: Harness, value: str):
    fault.server.add(
        json_reply(429, RATE_LIMITED, **{"retry-after": value, "retry-after-ms": value}),
        json_reply(200, OPENAI_CHAT.json_answer("ok")),
    )
    result = await fault.agent(OPENAI_CHAT).generate("hi")
    assert result.text == "ok"
    assert fault.sleeps == [1.0]  # the policy's own backoff (jitter drawn at its maximum)


async def test_an_absurd_retry_after_is_clamped_and_raised_at_once(fault: Harness):
    fault.server.add(json_reply(429, RATE_LIMITED, **{"retry-after": "9" * 12}))
    exc = await fault.expect(fault.agent(OPENAI_CHAT).generate("hi"), RateLimitError)
    assert exc.retry_after == 86_400.0
    assert fault.sleeps == []


# -- redirects ---------------------------------------------------------------------------------


@pytest.mark.parametrize("wire", EVERY_WIRE, ids=str)
@pytest.mark.parametrize("mode", ["generate", "stream"])
@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirect_is_a_clear_error_and_not_retried(
    fault: Harness, wire: Wire, mode: str, status: int
):
    fault.server.add(json_reply(status, b"", location="https://api.example.com/v2"))
    agent = fault.agent(wire)
    run = agent.generate("hi") if mode == "generate" else fault.events(agent)
    exc = await fault.expect(run, InvalidRequestError)
    assert f"HTTP {status}" in str(exc)
    assert "redirected to https://api.example.com/v2" in str(exc)
    assert "base_url" in str(exc)
    assert not exc.retryable
    assert exc.headers["location"] == "https://api.example.com/v2"
    assert len(fault.server.requests) == 1
    assert fault.sleeps == []


async def test_a_redirect_without_location_says_so(fault: Harness):
    fault.server.add(json_reply(302, b"", **{"x-should-retry": "true"}))
    exc = await fault.expect(fault.agent(OPENAI_CHAT).generate("hi"), InvalidRequestError)
    assert "without saying where" in str(exc)
    assert len(fault.server.requests) == 1  # never retried, whatever the server says


# -- bodies ------------------------------------------------------------------------------------


async def test_an_announced_body_over_the_limit_is_refused_unread(fault: Harness):
    huge = str(_http.MAX_BODY * 1000)
    fault.server.add(
        Reply(
            200,
            {"Content-Length": huge},
            [b"{"],
            chunked=False,
            end="hang",
            content_type="application/json",
        )
    )
    agent = fault.agent(OPENAI_CHAT, retry=fault.policy(attempts=1))
    exc = await fault.expect(agent.generate("hi"), ProtocolError)
    assert huge in str(exc)


async def test_an_endless_error_body_is_cut_not_awaited(fault: Harness):
    """Only the first 64 KiB of an error body is read: a server that never ends it gives a
    ServerError at once, not a timeout waiting for the rest."""
    fault.server.add(Reply(500, {}, [b"x" * 200_000], end="hang", content_type="text/plain"))
    agent = fault.agent(OPENAI_CHAT, retry=fault.policy(attempts=1), timeouts=None)
    exc = await fault.expect(agent.generate("hi"), ServerError)
    assert len(exc.body) == _http.MAX_ERROR_BODY


# -- the run's deadline ------------------------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES, ids=str)
async def test_a_server_answering_429_forever_is_stopped_by_the_run_deadline(
    fault: Harness, wire: Wire
):
    """Real waits: each 429 asks for 50 ms, the policy would retry a thousand times; the
    run's deadline ends it."""
    fault.server.add(
        *[json_reply(429, RATE_LIMITED, **{"retry-after": "0.05"}) for _ in range(200)]
    )
    agent = Agent(
        fault.model(wire), retry=RetryPolicy(attempts=1000, jitter=False), run_timeout=0.5
    )
    exc = await fault.expect(agent.generate("hi"), RunTimeoutError)
    assert exc.timeout == 0.5
    assert "run_timeout" in str(exc)
    assert len(fault.server.requests) > 1  # it did retry, until the deadline


async def test_a_wait_longer_than_the_time_left_fails_at_once(fault: Harness):
    fault.server.add(json_reply(429, RATE_LIMITED, **{"retry-after": "30"}))
    agent = Agent(fault.model(OPENAI_CHAT), retry=fault.policy(), run_timeout=5)
    events: list[object] = []

    async def run() -> None:
        async for event in agent.stream("hi"):
            events.append(event)

    exc = await fault.expect(run(), RunTimeoutError)
    assert isinstance(exc.__cause__, RateLimitError)
    assert "waiting 30s to retry" in str(exc)
    assert fault.sleeps == []  # not started
    assert not [e for e in events if isinstance(e, Retry)]  # no retry announced


@pytest.mark.parametrize("mode", ["generate", "stream"])
async def test_the_deadline_cuts_a_silent_server_with_no_request_limits(fault: Harness, mode: str):
    fault.server.add(Reply(frames=OPENAI_CHAT.text(["a"]), end="hang"))
    agent = Agent(fault.model(OPENAI_CHAT, timeouts=None), run_timeout=0.3)
    run = agent.generate("hi") if mode == "generate" else fault.events(agent)
    await fault.expect(run, RunTimeoutError)
    assert fault.busy_connections() == 0  # the response was closed, not left to the GC


async def test_the_deadline_cancels_tools_still_running(fault: Harness):
    started = asyncio.Event()
    cancelled = asyncio.Event()

    @tool
    async def wait_forever() -> str:
        """Never finishes."""
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        return "never"

    call = OPENAI_CHAT.json_answer("")
    call = call.replace(
        b'"content":""',
        b'"content":null,"tool_calls":[{"id":"c1","type":"function",'
        b'"function":{"name":"wait_forever","arguments":"{}"}}]',
    ).replace(b'"finish_reason":"stop"', b'"finish_reason":"tool_calls"')
    fault.server.add(json_reply(200, call))
    assert wait_forever.spec  # build the schema now: a cold pydantic import is not the run's
    agent = Agent(
        fault.model(OPENAI_CHAT, timeouts=TEST_TIMEOUTS), tools=[wait_forever], run_timeout=0.5
    )
    exc = await fault.expect(agent.generate("hi"), RunTimeoutError)
    assert "running tools" in str(exc)
    assert started.is_set() and cancelled.is_set()
