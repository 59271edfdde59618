"""The error mapping and the retry policy, pure: statuses, in-band errors, Retry-After,
context-size messages, redaction, backoff arithmetic."""

from __future__ import annotations

import asyncio
import email.utils
import json

import pytest

from reverie import errors
from reverie.providers._errors import (
    context_tokens,
    error_from_event,
    error_from_status,
    redact,
    retry_after_seconds,
    secrets_of,
)
from reverie.retry import NO_RETRY, RetryPolicy

# -- classification -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (400, errors.InvalidRequestError, False),
        (401, errors.AuthenticationError, False),
        (403, errors.AuthenticationError, False),
        (404, errors.InvalidRequestError, False),
        (408, errors.ServerError, True),
        (409, errors.ServerError, True),
        (422, errors.InvalidRequestError, False),
        (429, errors.RateLimitError, True),
        (500, errors.ServerError, True),
        (502, errors.ServerError, True),
        (503, errors.ServerError, True),
        (529, errors.OverloadedError, True),
    ],
)
def test_status_classes(status: int, kind: type[errors.ProviderError], retryable: bool):
    err = error_from_status(status, '{"error": {"message": "m"}}', {}, "p")
    assert type(err) is kind
    assert err.retryable is retryable
    assert err.status == status


def test_overloaded_type_wins_over_the_status():
    body = '{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}'
    err = error_from_status(500, body, {}, "anthropic")
    assert isinstance(err, errors.OverloadedError)
    assert err.error_type == "overloaded_error"
    assert "Overloaded" in str(err)


@pytest.mark.parametrize(("value", "retryable"), [("true", True), ("false", False)])
@pytest.mark.parametrize("status", [400, 429, 503])
def test_x_should_retry_decides_either_way(status: int, value: str, retryable: bool):
    assert error_from_status(status, "", {"X-Should-Retry": value}, "p").retryable is retryable


def test_request_id_and_only_harmless_headers_are_kept():
    headers = {"x-request-id": "req_1", "set-cookie": "session=abc", "retry-after": "2"}
    err = error_from_status(500, "", headers, "p")
    assert err.request_id == "req_1"
    assert "set-cookie" not in err.headers
    assert err.headers["retry-after"] == "2"


@pytest.mark.parametrize(
    ("error", "kind", "retryable"),
    [
        ({"type": "server_error", "message": "x"}, errors.ServerError, True),
        ({"type": "api_error", "message": "x"}, errors.ServerError, True),
        ({"type": "overloaded_error", "message": "x"}, errors.OverloadedError, True),
        ({"type": "rate_limit_error", "message": "x"}, errors.RateLimitError, True),
        (
            {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "x"},
            errors.RateLimitError,
            True,
        ),
        ({"code": 500, "status": "INTERNAL", "message": "x"}, errors.ServerError, True),
        ({"code": 503, "status": "UNAVAILABLE", "message": "x"}, errors.OverloadedError, True),
        ({"type": "invalid_request_error", "message": "x"}, errors.InvalidRequestError, False),
        ({"type": "something_new", "message": "x"}, errors.ProviderError, False),
    ],
)
def test_in_band_error_classes(error: dict, kind: type[errors.ProviderError], retryable: bool):
    err = error_from_event(error, "p")
    assert type(err) is kind
    assert err.retryable is retryable
    assert err.status == 200


def test_html_error_page_becomes_its_title():
    page = "<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title>"
    err = error_from_status(503, page + "<body><center>nginx</center></body></html>", {}, "p")
    assert "503 Service Temporarily Unavailable" in str(err)
    assert "<" not in str(err)


# -- context too large ----------------------------------------------------------------------

OPENAI = (
    "This model's maximum context length is 128000 tokens. However, your messages resulted "
    "in 130012 tokens. Please reduce the length of the messages."
)
ANTHROPIC = "prompt is too long: 208310 tokens > 200000 maximum"
GEMINI = "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."


@pytest.mark.parametrize(
    ("message", "used", "maximum"),
    [(OPENAI, 130012, 128000), (ANTHROPIC, 208310, 200000), (GEMINI, 1200000, 1048576)],
)
def test_context_token_counts_from_each_provider_message(message: str, used: int, maximum: int):
    assert context_tokens(message) == (used, maximum)
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error"}})
    err = error_from_status(400, body, {}, "p")
    assert isinstance(err, errors.ContextTooLargeError)
    assert (err.used_tokens, err.max_tokens) == (used, maximum)
    assert "shorten the conversation" in str(err)


def test_context_length_code_without_numbers_is_still_context_too_large():
    body = '{"error": {"message": "too long", "code": "context_length_exceeded"}}'
    err = error_from_status(400, body, {}, "p")
    assert isinstance(err, errors.ContextTooLargeError)
    assert err.used_tokens is None


def test_an_ordinary_400_is_not_context_too_large():
    err = error_from_status(400, '{"error": {"message": "unknown field"}}', {}, "p")
    assert not isinstance(err, errors.ContextTooLargeError)


def test_context_too_large_in_a_stream():
    err = error_from_event({"type": "invalid_request_error", "message": ANTHROPIC}, "p")
    assert isinstance(err, errors.ContextTooLargeError)
    assert err.used_tokens == 208310


# -- Retry-After ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After-Ms": "250", "Retry-After": "9"}, 0.25),  # ms is more precise: it wins
        ({"RETRY-AFTER": "7"}, 7.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "-3"}, None),  # not a delay: ignored, the backoff applies
        ({"retry-after": "soon"}, None),
        ({"retry-after-ms": "x", "retry-after": "2"}, 2.0),
        ({}, None),
    ],
)
def test_retry_after_forms(headers: dict[str, str], seconds: float | None):
    assert retry_after_seconds(headers) == seconds


def test_retry_after_as_an_http_date():
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after_seconds({"Retry-After": date}, now=now) == 30.0
    assert retry_after_seconds({"Retry-After": date}, now=now + 60) == 0.0


# -- redaction --------------------------------------------------------------------------------


def test_secrets_of_finds_every_credential_a_request_carries():
    headers = {
        "Authorization": "Bearer sk-abcdef123456",
        "x-api-key": "ant-key-987654",
        "x-goog-api-key": "AIzaSyExample",
        "Content-Type": "application/json",
        "X-Custom-Token": "tok-555555",
    }
    found = secrets_of(headers, "https://h/v1/x?key=AIzaQueryKey&alt=sse")
    for secret in (
        "sk-abcdef123456",
        "ant-key-987654",
        "AIzaSyExample",
        "tok-555555",
        "AIzaQueryKey",
    ):
        assert secret in found
    assert "application/json" not in found


def test_redact_replaces_every_occurrence():
    text = "key sk-abcdef123456 and again sk-abcdef123456"
    assert redact(text, ["sk-abcdef123456"]) == "key [REDACTED] and again [REDACTED]"


def test_error_from_status_redacts_body_and_message():
    body = '{"error": {"message": "bad key Bearer sk-abcdef123456"}}'
    err = error_from_status(
        401, body, {}, "p", secrets_of({"authorization": "Bearer sk-abcdef123456"})
    )
    assert "sk-abcdef123456" not in str(err)
    assert "sk-abcdef123456" not in err.body


# -- the policy -------------------------------------------------------------------------------


def server_error(retry_after: float | None = None) -> errors.ServerError:
    return errors.ServerError("x", status=503, retry_after=retry_after)


def test_backoff_is_exponential_and_capped_without_jitter():
    policy = RetryPolicy(attempts=6, initial_delay=0.5, multiplier=3, max_delay=5, jitter=False)
    assert [policy.delay_for(server_error(), n) for n in range(1, 6)] == [0.5, 1.5, 4.5, 5, 5]
    assert policy.delay_for(server_error(), 6) is None  # the last attempt failed: give up


def test_jitter_stays_within_zero_and_the_backoff():
    policy = RetryPolicy(attempts=10, initial_delay=1.0, max_delay=8.0)
    for attempt in range(1, 9):
        for _ in range(20):
            delay = policy.delay_for(server_error(), attempt)
            assert delay is not None
            assert 0.0 <= delay <= min(2 ** (attempt - 1), 8.0)


def test_retry_after_is_used_as_given_up_to_the_limit():
    policy = RetryPolicy(max_retry_after=60)
    assert policy.delay_for(server_error(retry_after=42), 1) == 42
    assert policy.delay_for(server_error(retry_after=61), 1) is None


@pytest.mark.parametrize(
    "error",
    [
        errors.InvalidRequestError("x", status=400),
        errors.AuthenticationError("x", status=401),
        errors.ProtocolError("x"),
        errors.ConfigurationError("x"),
        ValueError("not ours"),
    ],
)
def test_not_retried(error: BaseException):
    assert RetryPolicy().delay_for(error, 1) is None


@pytest.mark.parametrize(
    "error",
    [
        errors.APIConnectionError("x"),
        errors.APITimeoutError("x"),
        errors.IncompleteStreamError("x"),
        errors.RateLimitError("x", status=429),
        errors.OverloadedError("x", status=529),
    ],
)
def test_retried(error: BaseException):
    assert RetryPolicy().delay_for(error, 1) is not None


def test_cancellation_is_never_retried():
    assert RetryPolicy().delay_for(asyncio.CancelledError(), 1) is None


def test_no_retry_policy_gives_up_at_once():
    assert NO_RETRY.delay_for(server_error(), 1) is None


def test_the_no_wait_switch_turns_sleeping_off(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REVERIE_RETRY_NO_WAIT", "1")
    asyncio.run(asyncio.wait_for(RetryPolicy().sleep(3600), 1))
    asyncio.run(asyncio.wait_for(RetryPolicy(wait=False).sleep(3600), 1))


# -- configuration ----------------------------------------------------------------------------


def test_every_registered_provider_takes_timeouts():
    from reverie import Timeouts
    from reverie.errors import ConfigurationError
    from reverie.providers import get_model, providers

    limits = Timeouts(idle=1.5)
    for info in providers():
        if info.name == "local":  # starts its own server: no key, no URL, maybe no engine
            try:
                model = get_model("local:smollm2", timeouts=limits)
            except ConfigurationError:
                continue
        else:
            options = {"api_key": "k-123456", "base_url": "http://127.0.0.1:9/v1"}
            try:
                model = get_model(f"{info.name}:m", timeouts=limits, **options)
            except ConfigurationError:  # Vertex AI also needs a project
                model = get_model(f"{info.name}:m", timeouts=limits, project="p", **options)
        inner = getattr(model, "inner", model)  # Azure wraps its model
        assert getattr(inner, "_timeouts", None) == limits, info.name


def test_exhausted_only_when_the_attempt_limit_stopped_a_retry():
    policy = RetryPolicy(attempts=3)
    assert not policy.exhausted(server_error(), 2)
    assert policy.exhausted(server_error(), 3)
    assert not policy.exhausted(server_error(retry_after=3600), 3)  # refused, not exhausted
    assert not policy.exhausted(errors.InvalidRequestError("x", status=400), 3)
    assert not NO_RETRY.exhausted(server_error(), 1)  # nothing was retried


@pytest.mark.parametrize(
    "error",
    [errors.CassetteMissError("no match"), errors.ConfigurationError("bad option")],
)
def test_reverie_errors_from_a_transport_pass_through_unchanged(error: errors.ReverieError):
    import httpx2

    from reverie.content import user
    from reverie.model import Call
    from reverie.providers import get_model

    def handler(request: httpx2.Request) -> httpx2.Response:
        raise error

    async def run(stream: bool) -> None:
        async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as client:
            model = get_model("openai-compatible:m", base_url="http://h/v1", http_client=client)
            call = Call(messages=(user("hi"),))
            if stream:
                async for _ in model.stream(call):
                    pass
            else:
                await model.generate(call)

    for stream in (False, True):
        with pytest.raises(type(error)) as caught:
            asyncio.run(run(stream))
        assert caught.value is error
