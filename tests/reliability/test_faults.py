"""Fault injection through the real agent, over every wire in ``wires.WIRES``: rate limits,
overloads, refusals, stalls, truncated and reset streams, in-band errors, junk bodies,
cancellation. After each test the harness checks for open connections, pending tasks and
the planted key (see conftest)."""

from __future__ import annotations

import asyncio
import email.utils
import time

import orjson
import pytest

from reverie.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    ContextTooLargeError,
    IncompleteStreamError,
    InvalidRequestError,
    ProtocolError,
    RateLimitError,
    RetryError,
    ServerError,
)
from reverie.events import Retry, TextDelta
from reverie.timeouts import Timeouts

from .conftest import Harness
from .server import Reply, free_port
from .wires import FAKE_KEY, WIRES, Wire

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.timeout(30, method="thread"),
    pytest.mark.parametrize("wire", WIRES, ids=str),
]


def json_reply(status: int, body: bytes, **headers: str) -> Reply:
    return Reply(status, dict(headers), [body], chunked=False, content_type="application/json")


def error_body(message: str, kind: str = "invalid_request_error") -> bytes:
    return b'{"error": {"message": "%s", "type": "%s"}}' % (message.encode(), kind.encode())


def texts(events: list[object]) -> list[str]:
    return [e.delta for e in events if isinstance(e, TextDelta)]


# -- statuses and Retry-After ------------------------------------------------------------


async def test_429_with_retry_after_ms_waits_that_long_then_succeeds(fault: Harness, wire: Wire):
    fault.server.add(
        json_reply(429, error_body("slow down", "rate_limit_error"), **{"Retry-After-Ms": "1500"}),
        Reply(frames=wire.stream("Hel", "lo")),
    )
    events = await fault.events(fault.agent(wire))
    retries = [e for e in events if isinstance(e, Retry)]
    assert len(retries) == 1
    assert isinstance(retries[0].error, RateLimitError)
    assert retries[0].delay == 1.5
    assert fault.sleeps == [1.5]
    assert texts(events) == ["Hel", "lo"]
    assert len(fault.server.requests) == 2


async def test_retry_after_in_seconds_and_as_http_date_are_honoured(fault: Harness, wire: Wire):
    date = email.utils.formatdate(time.time() + 20, usegmt=True)
    fault.server.add(
        json_reply(503, error_body("busy", "server_error"), **{"retry-after": "7"}),
        json_reply(503, error_body("busy", "server_error"), **{"RETRY-AFTER": date}),
        json_reply(200, wire.json_answer("ok")),
    )
    result = await fault.agent(wire).generate("hi")
    assert result.text == "ok"
    assert fault.sleeps[0] == 7.0
    assert 15.0 < fault.sleeps[1] <= 20.0


async def test_retry_after_of_an_hour_raises_at_once(fault: Harness, wire: Wire):
    fault.server.add(
        json_reply(429, error_body("quota", "rate_limit_error"), **{"retry-after": "3600"})
    )
    exc = await fault.expect(fault.agent(wire).generate("hi"), RateLimitError)
    assert exc.retry_after == 3600.0
    assert exc.status == 429
    assert fault.sleeps == []
    assert len(fault.server.requests) == 1


async def test_a_long_retry_after_on_a_later_attempt_is_raised_as_itself(
    fault: Harness, wire: Wire
):
    fault.server.add(
        json_reply(503, error_body("down", "server_error")),
        json_reply(429, error_body("quota", "rate_limit_error"), **{"retry-after": "600"}),
    )
    exc = await fault.expect(fault.agent(wire).generate("hi"), RateLimitError)
    assert exc.retry_after == 600.0
    assert len(fault.server.requests) == 2


async def test_503_past_the_attempt_limit_raises_retry_error_with_every_attempt(
    fault: Harness, wire: Wire
):
    fault.server.add(*[json_reply(503, error_body("down", "server_error")) for _ in range(3)])
    exc = await fault.expect(fault.agent(wire).generate("hi"), RetryError)
    assert len(exc.attempts) == 3
    assert all(isinstance(a, ServerError) and a.status == 503 for a in exc.attempts)
    assert exc.__cause__ is exc.last
    assert fault.sleeps == [1.0, 2.0]  # exponential, jitter drawn at its maximum
    assert len(fault.server.requests) == 3


async def test_backoff_grows_then_is_capped(fault: Harness, wire: Wire):
    fault.server.add(*[json_reply(500, b"oops") for _ in range(5)])
    policy = fault.policy(attempts=5, initial_delay=1.0, multiplier=2.0, max_delay=3.0)
    await fault.expect(fault.agent(wire, retry=policy).generate("hi"), RetryError)
    assert fault.sleeps == [1.0, 2.0, 3.0, 3.0]


async def test_400_is_not_retried(fault: Harness, wire: Wire):
    fault.server.add(json_reply(400, error_body("bad field 'x'")))
    exc = await fault.expect(fault.agent(wire).generate("hi"), InvalidRequestError)
    assert "bad field 'x'" in str(exc)
    assert exc.error_type == "invalid_request_error"
    assert len(fault.server.requests) == 1


async def test_401_is_not_retried_and_an_echoed_key_is_redacted(fault: Harness, wire: Wire):
    body = b'{"error": {"message": "Incorrect API key provided: {AUTH}", "type": "auth"}}'
    fault.server.add(json_reply(401, body, **{"x-request-id": "req_123"}))
    exc = await fault.expect(fault.agent(wire).generate("hi"), AuthenticationError)
    assert "[REDACTED]" in exc.body
    assert "[REDACTED]" in str(exc)
    assert exc.request_id == "req_123"
    assert len(fault.server.requests) == 1
    assert any(FAKE_KEY in v for v in fault.server.requests[0].headers.values())  # it was sent


async def test_x_should_retry_true_retries_a_400(fault: Harness, wire: Wire):
    fault.server.add(
        json_reply(400, error_body("try again"), **{"X-Should-Retry": "true"}),
        Reply(frames=wire.stream("ok")),
    )
    events = await fault.events(fault.agent(wire))
    assert sum(isinstance(e, Retry) for e in events) == 1
    assert texts(events) == ["ok"]


async def test_x_should_retry_false_stops_a_429(fault: Harness, wire: Wire):
    fault.server.add(
        json_reply(429, error_body("no", "rate_limit_error"), **{"x-should-retry": "false"})
    )
    exc = await fault.expect(fault.agent(wire).generate("hi"), RateLimitError)
    assert not exc.retryable
    assert len(fault.server.requests) == 1


async def test_html_502_is_a_readable_retryable_server_error(fault: Harness, wire: Wire):
    page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
    fault.server.add(
        Reply(502, frames=[page], chunked=False, content_type="text/html"),
        json_reply(200, wire.json_answer("fine")),
    )
    agent = fault.agent(wire)
    result = await agent.generate("hi")
    assert result.text == "fine"
    assert len(fault.sleeps) == 1


async def test_html_502_message_names_the_page_title(fault: Harness, wire: Wire):
    page = b"<html><head><title>502 Bad Gateway</title></head><body>x</body></html>"
    fault.server.add(Reply(502, frames=[page], chunked=False, content_type="text/html"))
    policy = fault.policy(attempts=1)
    exc = await fault.expect(fault.agent(wire, retry=policy).generate("hi"), ServerError)
    assert "502 Bad Gateway" in str(exc)
    assert "<html>" not in str(exc)


async def test_context_too_large_carries_the_token_counts(fault: Harness, wire: Wire):
    message = (
        "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 130012 tokens. Please reduce the length of the messages."
    )
    body = orjson.dumps(
        {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "code": "context_length_exceeded",
            }
        }
    )
    fault.server.add(json_reply(400, body))
    exc = await fault.expect(fault.agent(wire).generate("hi"), ContextTooLargeError)
    assert (exc.used_tokens, exc.max_tokens) == (130012, 128000)


# -- connections and timeouts ------------------------------------------------------------


async def test_connection_refused_is_retried_then_raised(fault: Harness, wire: Wire):
    url = f"http://127.0.0.1:{free_port()}/v1"
    exc = await fault.expect(fault.agent(wire, url=url).generate("hi"), RetryError)
    assert all(isinstance(a, APIConnectionError) for a in exc.attempts)
    assert "check the base URL" in str(exc.last)


async def test_headers_then_silence_is_a_first_byte_timeout(fault: Harness, wire: Wire):
    fault.server.add(Reply(frames=[], end="hang"), Reply(frames=wire.stream("late")))
    started = time.monotonic()
    events = await fault.events(fault.agent(wire))
    retry = next(e for e in events if isinstance(e, Retry))
    assert isinstance(retry.error, APITimeoutError)
    assert "first_byte" in str(retry.error)
    assert texts(events) == ["late"]
    assert time.monotonic() - started < 3


async def test_three_deltas_then_silence_is_an_idle_timeout_and_the_retry_starts_clean(
    fault: Harness, wire: Wire
):
    fault.server.add(
        Reply(frames=wire.text(["a", "b", "c"]), end="hang"),
        Reply(frames=wire.stream("abc")),
    )
    stream = fault.agent(wire).stream("hi")
    events = [e async for e in stream]
    retry_at = next(i for i, e in enumerate(events) if isinstance(e, Retry))
    assert texts(events[:retry_at]) == ["a", "b", "c"]
    assert isinstance(events[retry_at].error, APITimeoutError)
    assert "idle" in str(events[retry_at].error)
    assert stream.result is not None
    assert stream.result.text == "abc"  # nothing of the failed attempt survives


async def test_a_trickling_stream_hits_the_total_timeout(fault: Harness, wire: Wire):
    frames: list[bytes | float] = []
    for frame in wire.text(["x"] * 8):
        frames += [frame, 0.1]
    fault.server.add(Reply(frames=frames, end="hang"))
    agent = fault.agent(
        wire, timeouts=Timeouts(first_byte=1, idle=1, total=0.45), retry=fault.policy(attempts=1)
    )
    exc = await fault.expect(fault.events(agent), APITimeoutError)
    assert "total timeout" in str(exc)


async def test_clean_eof_without_the_terminal_event_is_incomplete_and_retried(
    fault: Harness, wire: Wire
):
    fault.server.add(
        Reply(frames=wire.text(["par", "tial"]), end="close"), Reply(frames=wire.stream("whole"))
    )
    events = await fault.events(fault.agent(wire))
    retry = next(e for e in events if isinstance(e, Retry))
    assert isinstance(retry.error, IncompleteStreamError)
    assert texts(events)[-1] == "whole"


async def test_chunked_body_cut_short_is_incomplete(fault: Harness, wire: Wire):
    fault.server.add(Reply(frames=wire.text(["a"]), end="truncate"))
    agent = fault.agent(wire, retry=fault.policy(attempts=1))
    await fault.expect(fault.events(agent), IncompleteStreamError)


async def test_reset_mid_body_is_a_connection_error_and_retried(fault: Harness, wire: Wire):
    fault.server.add(
        Reply(frames=[*wire.text(["a"]), 0.05], end="reset"), Reply(frames=wire.stream("b"))
    )
    events = await fault.events(fault.agent(wire))
    retry = next(e for e in events if isinstance(e, Retry))
    assert isinstance(retry.error, APIConnectionError)
    assert texts(events)[-1] == "b"


async def test_transient_in_band_error_after_a_200_is_retried(fault: Harness, wire: Wire):
    fault.server.add(
        Reply(
            frames=[*wire.text(["a"]), wire.error_event("server_error", "The server had an error")]
        ),
        Reply(frames=wire.stream("b")),
    )
    events = await fault.events(fault.agent(wire))
    retry = next(e for e in events if isinstance(e, Retry))
    assert isinstance(retry.error, ServerError)
    assert retry.error.status == 200
    assert "The server had an error" in str(retry.error)


async def test_overloaded_in_band_error_is_retried(fault: Harness, wire: Wire):
    fault.server.add(
        Reply(frames=[wire.error_event("overloaded_error", "Overloaded")]),
        Reply(frames=wire.stream("b")),
    )
    events = await fault.events(fault.agent(wire))
    assert sum(isinstance(e, Retry) for e in events) == 1


async def test_invalid_in_band_error_is_not_retried(fault: Harness, wire: Wire):
    fault.server.add(Reply(frames=[wire.error_event("invalid_request_error", "bad schema")]))
    await fault.expect(fault.events(fault.agent(wire)), InvalidRequestError)
    assert len(fault.server.requests) == 1


async def test_empty_200_body_is_incomplete_in_both_modes(fault: Harness, wire: Wire):
    fault.server.add(
        Reply(frames=[]),
        Reply(frames=wire.stream("s")),
        json_reply(200, b""),
        json_reply(200, wire.json_answer("g")),
    )
    events = await fault.events(fault.agent(wire))
    assert isinstance(next(e for e in events if isinstance(e, Retry)).error, IncompleteStreamError)
    result = await fault.agent(wire).generate("hi")
    assert result.text == "g"
    assert len(fault.sleeps) == 2


async def test_non_json_200_body_is_a_protocol_error(fault: Harness, wire: Wire):
    fault.server.add(json_reply(200, b"this is not json"))
    exc = await fault.expect(fault.agent(wire).generate("hi"), ProtocolError)
    assert "this is not json" in exc.line
    assert len(fault.server.requests) == 1


async def test_bad_utf8_in_the_stream_is_a_protocol_error_naming_the_line(
    fault: Harness, wire: Wire
):
    fault.server.add(Reply(frames=[*wire.text(["a"]), b"data: \xff\xfe{}\n\n"]))
    exc = await fault.expect(fault.events(fault.agent(wire)), ProtocolError)
    assert "\\xff\\xfe" in str(exc)
    assert len(fault.server.requests) == 1


# -- cancellation ------------------------------------------------------------------------


async def test_cancelling_mid_stream_closes_the_response_and_does_not_retry(
    fault: Harness, wire: Wire
):
    fault.server.add(Reply(frames=wire.text(["a"]), end="hang"))
    first = asyncio.Event()

    async def consume() -> None:
        async for event in fault.agent(wire, timeouts=Timeouts(idle=30)).stream("hi"):
            if isinstance(event, TextDelta):
                first.set()

    task = asyncio.create_task(consume())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fault.busy_connections() == 0  # closed in the cancelled task, not by a finalizer
    assert await fault.server.wait_idle(1.0)
    assert len(fault.server.requests) == 1
    assert fault.server.closed_by_client == 1


async def test_cancelling_a_generate_waiting_for_its_body_closes_the_connection(
    fault: Harness, wire: Wire
):
    fault.server.add(Reply(frames=[], end="hang", chunked=False, content_type="application/json"))
    agent = fault.agent(wire, timeouts=Timeouts(total=30))
    task = asyncio.create_task(agent.generate("hi"))
    while not fault.server.requests:  # noqa: ASYNC110  (the server records the request)
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fault.busy_connections() == 0
    assert await fault.server.wait_idle(1.0)


async def test_cancelling_during_backoff_ends_at_once(fault: Harness, wire: Wire):
    fault.server.add(json_reply(429, b"{}", **{"retry-after": "30"}))
    retried = asyncio.Event()

    async def consume() -> None:
        agent = fault.agent(wire, retry=fault.policy(sleeper=None))  # the real asyncio.sleep
        async for event in agent.stream("hi"):
            if isinstance(event, Retry):
                retried.set()

    task = asyncio.create_task(consume())
    await retried.wait()
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 0.5
    assert len(fault.server.requests) == 1


async def test_closing_the_stream_closes_the_response_at_once(fault: Harness, wire: Wire):
    fault.server.add(Reply(frames=wire.text(["a", "b"]), end="hang"))
    async with fault.agent(wire, timeouts=Timeouts(idle=30)).stream("hi") as stream:
        async for event in stream:
            if isinstance(event, TextDelta):
                break
    assert fault.busy_connections() == 0
    assert await fault.server.wait_idle(0.2)
    assert fault.server.closed_by_client == 1


async def test_leaving_the_loop_early_closes_the_response(fault: Harness, wire: Wire):
    fault.server.add(Reply(frames=wire.text(["a", "b"]), end="hang"))
    stream = fault.agent(wire, timeouts=Timeouts(idle=30)).stream("hi")
    async for event in stream:
        if isinstance(event, TextDelta):
            break
    assert await fault.server.wait_idle(1.0)
    assert fault.server.closed_by_client == 1


async def test_an_abandoned_model_stream_is_closed_when_collected(fault: Harness, wire: Wire):
    import gc

    from reverie.content import user
    from reverie.model import Call

    fault.server.add(Reply(frames=wire.text(["a", "b"]), end="hang"))
    model = fault.model(wire, Timeouts(idle=30))
    events = model.stream(Call(messages=(user("hi"),)))
    async for event in events:
        if isinstance(event, TextDelta):
            break
    del events
    gc.collect()
    assert await fault.server.wait_idle(1.0)


async def test_structured_output_gives_up_the_same_way(fault: Harness, wire: Wire):
    from reverie.output import generate_object

    fault.server.add(*[json_reply(503, error_body("down", "server_error")) for _ in range(3)])
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    exc = await fault.expect(
        generate_object(fault.model(wire), "hi", schema=schema, retry=fault.policy()), RetryError
    )
    assert len(exc.attempts) == 3
    assert fault.sleeps == [1.0, 2.0]


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/v1", "127.0.0.1/v1", "http://127.0.0.1:99999/v1"])
async def test_an_unusable_base_url_is_a_configuration_error_not_retried(
    fault: Harness, wire: Wire, url: str
):
    exc = await fault.expect(fault.agent(wire, url=url).generate("hi"), ConfigurationError)
    assert "check base_url" in str(exc)
    assert fault.sleeps == []


async def test_a_json_error_with_status_200_on_a_stream_is_typed_and_retried(
    fault: Harness, wire: Wire
):
    body = b'{"error": {"message": "upstream failed, key {AUTH}", "type": "server_error"}}'
    fault.server.add(json_reply(200, body), Reply(frames=wire.stream("ok")))
    events = await fault.events(fault.agent(wire))
    retry = next(e for e in events if isinstance(e, Retry))
    assert isinstance(retry.error, ServerError)
    assert "upstream failed" in str(retry.error)
    assert texts(events) == ["ok"]
