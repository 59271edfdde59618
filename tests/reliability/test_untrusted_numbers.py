"""Numbers from the network are untrusted: usage counts of every wire (chat and embeddings),
token counts and the retry headers, over arbitrary values (hypothesis), never crash a
decoder, never come out non-finite, negative or absurd, and never make the retry policy wait
forever or past its bounds."""

from __future__ import annotations

import asyncio
import email.utils
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reverie.errors import ProtocolError, ProviderError, RateLimitError
from reverie.events import Finish
from reverie.model import Usage
from reverie.providers import _untrusted as untrusted
from reverie.providers._anthropic.decode import decode_response as anthropic_response
from reverie.providers._anthropic.stream import MessagesStreamDecoder
from reverie.providers._bedrock.converse_decode import decode_response as converse_response
from reverie.providers._bedrock.converse_stream import ConverseStreamDecoder
from reverie.providers._bedrock.embeddings import CohereEmbeddingWire, TitanEmbeddingWire
from reverie.providers._counting import read_count
from reverie.providers._errors import retry_after_seconds
from reverie.providers._gateways.openrouter import OpenRouterExtension
from reverie.providers._gateways.vercel import VercelExtension
from reverie.providers._google.decode import decode_response as gemini_response
from reverie.providers._google.embeddings import GeminiEmbeddingWire, VertexEmbeddingWire
from reverie.providers._google.encode import GoogleDialect
from reverie.providers._google.stream import GeminiStreamDecoder
from reverie.providers._openai.chat_decode import decode_response as chat_response
from reverie.providers._openai.chat_stream import ChatStreamDecoder
from reverie.providers._openai.dialect import ChatDialect
from reverie.providers._openai.embeddings import OpenAIEmbeddingWire
from reverie.providers._openai.responses import ResponsesDialect
from reverie.providers._openai.responses_decode import decode_response as responses_response
from reverie.providers._openai.responses_stream import ResponsesStreamDecoder
from reverie.retry import RetryPolicy

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NASTY = ["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1", "-0", "1_000", "0x10", " 5 "]
NASTY += ["9" * 40, "12", "1.5", "", "  ", "Sun, 06 Nov 1994 08:49:37 GMT", "Fri, 31 Dec 9999"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**11, max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(NASTY)
)
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


def usage_of(*keys: str, **nested: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """A usage object with these fields (and nested detail objects) holding anything, or
    anything at all in its place."""
    fields: dict[str, st.SearchStrategy[Any]] = dict.fromkeys(keys, junk)
    for name, inner in nested.items():
        fields[name] = st.fixed_dictionaries({}, optional=dict.fromkeys(inner, junk)) | junk
    return st.fixed_dictionaries({}, optional=fields) | junk


CHAT_USAGE = usage_of(
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cost",
    "cache_creation_input_tokens",
    "prompt_cache_hit_tokens",
    prompt_tokens_details=("cached_tokens", "cache_write_tokens"),
    completion_tokens_details=("reasoning_tokens",),
)
RESPONSES_USAGE = usage_of(
    "input_tokens",
    "output_tokens",
    "total_tokens",
    input_tokens_details=("cached_tokens",),
    output_tokens_details=("reasoning_tokens",),
)
ANTHROPIC_USAGE = usage_of(
    "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"
)
GEMINI_USAGE = usage_of(
    "promptTokenCount",
    "candidatesTokenCount",
    "totalTokenCount",
    "thoughtsTokenCount",
    "cachedContentTokenCount",
    "toolUsePromptTokenCount",
)


def assert_sane(usage: Usage) -> None:
    for name in Usage.__slots__:
        value = getattr(usage, name)
        assert type(value) is int, (name, value)
        assert 0 <= value <= 4 * untrusted.MAX_COUNT, (name, value)


def finish_usage(events: list[Any]) -> Usage:
    finishes = [e for e in events if isinstance(e, Finish)]
    assert len(finishes) == 1
    return finishes[0].usage


# -- usage, whole answers and streams, every wire --------------------------------------------


@FAST
@given(CHAT_USAGE, st.sampled_from([None, OpenRouterExtension(), VercelExtension()]))
def test_chat_and_gateway_usage(usage: Any, extension: Any) -> None:
    dialect = ChatDialect("openai", extension=extension)
    message = {"role": "assistant", "content": "hi"}
    data = {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    assert_sane(chat_response({**data, "usage": usage}, dialect, []).usage)
    decoder = ChatStreamDecoder(dialect)
    events = decoder.feed({"choices": [{"index": 0, "delta": {"content": "hi"}}]})
    events += decoder.feed({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    events += decoder.feed({"choices": [], "usage": usage})
    assert_sane(finish_usage(events + decoder.finish()))


@FAST
@given(CHAT_USAGE, st.sampled_from(["x_groq", "choice"]))
def test_chat_usage_where_vendors_put_it(usage: Any, where: str) -> None:
    """Groq's ``x_groq.usage`` and Moonshot's usage in the final choice, holding anything."""
    dialect = ChatDialect("groq")
    choice: dict[str, Any] = {"index": 0, "message": {"content": "hi"}, "finish_reason": "stop"}
    data: dict[str, Any] = {"choices": [choice]}
    if where == "x_groq":
        data["x_groq"] = {"usage": usage}
    else:
        choice["usage"] = usage
    assert_sane(chat_response(data, dialect, []).usage)
    decoder = ChatStreamDecoder(dialect)
    final: dict[str, Any] = {"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}
    if where == "choice":
        final["usage"] = usage
    events = decoder.feed(
        {"choices": [final], **({"x_groq": {"usage": usage}} if where == "x_groq" else {})}
    )
    assert_sane(finish_usage(events + decoder.finish()))


@FAST
@given(RESPONSES_USAGE)
def test_responses_usage(usage: Any) -> None:
    dialect = ResponsesDialect("openai")
    response = {"id": "r", "status": "completed", "output": [], "usage": usage}
    assert_sane(responses_response(response, dialect, []).usage)
    decoder = ResponsesStreamDecoder(dialect)
    events = decoder.feed({"type": "response.created", "response": {"id": "r"}})
    events += decoder.feed({"type": "response.completed", "response": response})
    assert_sane(finish_usage(events + decoder.finish()))


@FAST
@given(ANTHROPIC_USAGE, ANTHROPIC_USAGE, junk)
def test_anthropic_usage_and_block_indexes(start: Any, delta: Any, index: Any) -> None:
    """Also Bedrock's: the same events, re-framed. A block event with an unusable index is
    dropped, never a crash."""
    answer = {"content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn"}
    assert_sane(anthropic_response({**answer, "usage": start}, "anthropic", []).usage)
    decoder = MessagesStreamDecoder("anthropic")
    events = decoder.feed({"type": "message_start", "message": {"id": "m", "usage": start}})
    block = {"type": "text", "text": ""}
    events += decoder.feed({"type": "content_block_start", "index": index, "content_block": block})
    text = {"type": "text_delta", "text": "hi"}
    events += decoder.feed({"type": "content_block_delta", "index": index, "delta": text})
    events += decoder.feed({"type": "content_block_stop", "index": index})
    stop = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": delta}
    events += decoder.feed(stop)
    events += decoder.feed({"type": "message_stop"})
    assert_sane(finish_usage(events + decoder.finish()))


@FAST
@given(GEMINI_USAGE)
def test_gemini_usage(usage: Any) -> None:
    candidate = {"content": {"role": "model", "parts": [{"text": "hi"}]}, "finishReason": "STOP"}
    data = {"candidates": [candidate], "usageMetadata": usage}
    assert_sane(gemini_response(data, GoogleDialect(), lambda: "id", ()).usage)
    decoder = GeminiStreamDecoder(GoogleDialect(), lambda: "id")
    events = decoder.feed(data)
    assert_sane(finish_usage(events + decoder.finish()))


CONVERSE_USAGE = usage_of(
    "inputTokens", "outputTokens", "totalTokens", "cacheReadInputTokens", "cacheWriteInputTokens"
)


@FAST
@given(CONVERSE_USAGE, junk)
def test_converse_usage_and_block_indexes(usage: Any, index: Any) -> None:
    """Bedrock Converse, whole and streamed: a block event with an unusable index is
    dropped, never a crash."""
    message = {"role": "assistant", "content": [{"text": "hi"}]}
    data = {"output": {"message": message}, "stopReason": "end_turn", "usage": usage}
    assert_sane(converse_response(data, "bedrock", []).usage)
    decoder = ConverseStreamDecoder("bedrock")
    events = decoder.feed({"messageStart": {"role": "assistant"}})
    delta = {"contentBlockIndex": index, "delta": {"text": "hi"}}
    events += decoder.feed({"contentBlockDelta": delta})
    events += decoder.feed({"contentBlockStop": {"contentBlockIndex": index}})
    events += decoder.feed({"messageStop": {"stopReason": "end_turn"}})
    events += decoder.feed({"metadata": {"usage": usage}})
    assert_sane(finish_usage(events + decoder.finish()))


EMBEDDING_ANSWERS: list[tuple[Callable[[], Any], Callable[[Any], dict[str, Any]]]] = [
    (
        lambda: OpenAIEmbeddingWire("m"),
        lambda u: {"data": [{"index": 0, "embedding": [0.5]}], "usage": u},
    ),
    (lambda: GeminiEmbeddingWire("m"), lambda u: {"embedding": {"values": [0.5]}, **u}),
    (
        lambda: VertexEmbeddingWire("m"),
        lambda u: {"predictions": [{"embeddings": {"values": [0.5], "statistics": u}}]},
    ),
    (
        lambda: TitanEmbeddingWire("amazon.titan-embed-text-v2:0"),
        lambda u: {"embedding": [0.5], **u},
    ),
    (
        lambda: CohereEmbeddingWire("cohere.embed-english-v3"),
        lambda u: {"embeddings": [[0.5]], "meta": {"billed_units": u}},
    ),
]
EMBEDDING_USAGE = usage_of(
    "prompt_tokens",
    "total_tokens",
    "usageMetadata",
    "promptTokenCount",
    "token_count",
    "truncated",
    "inputTextTokenCount",
    "input_tokens",
)


@FAST
@given(st.sampled_from(EMBEDDING_ANSWERS), EMBEDDING_USAGE)
def test_embedding_usage(answer: Any, usage: Any) -> None:
    """Every embedding wire's token counts, holding anything, wherever each reads them."""
    make_wire, make_answer = answer
    fields = usage if isinstance(usage, dict) else {"usageMetadata": usage}
    batch = make_wire().decode(make_answer(fields), 1)
    assert batch.vectors == [[0.5]]
    assert_sane(batch.usage)


@FAST
@given(st.dictionaries(st.sampled_from(["input_tokens", "inputTokens", "totalTokens"]), junk))
def test_a_token_count_is_bounded_or_refused(answer: dict[str, Any]) -> None:
    """A count decides whether a request is sent: it is a bounded int, or a ProtocolError
    when the answer has none that is a number; never a crash, never a made-up 0."""
    try:
        count = read_count(answer, "p")
    except ProtocolError:
        return
    assert type(count) is int and 0 <= count <= untrusted.MAX_COUNT
    assert count or any(v in (0, "0") for v in answer.values())


@FAST
@given(junk)
def test_count_is_a_bounded_non_negative_int(value: Any) -> None:
    count = untrusted.count(value)
    assert type(count) is int
    assert 0 <= count <= untrusted.MAX_COUNT


def test_counts_clamp_or_ignore_what_no_provider_means() -> None:
    assert untrusted.count(12) == 12
    assert untrusted.count(12.0) == 12
    assert untrusted.count("12") == 12
    assert untrusted.count(10**40) == untrusted.MAX_COUNT
    for value in (True, -5, math.nan, math.inf, "1e3", "twelve", [3], {"n": 3}, None):
        assert untrusted.count(value) == 0, value


# -- retry headers ----------------------------------------------------------------------------

http_dates = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
).map(lambda d: email.utils.format_datetime(d, usegmt=True))
header_values = st.text(max_size=40) | st.sampled_from(NASTY) | http_dates
header_names = st.sampled_from(["retry-after", "Retry-After", "retry-after-ms", "RETRY-AFTER-MS"])


@FAST
@given(st.dictionaries(header_names, header_values, max_size=3))
def test_retry_after_is_finite_bounded_or_absent(headers: dict[str, str]) -> None:
    seconds = retry_after_seconds(headers)
    assert seconds is None or (math.isfinite(seconds) and 0 <= seconds <= untrusted.MAX_WAIT)


@FAST
@given(
    st.none() | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**6), 10**9),
    st.integers(1, 5),
)
def test_the_policy_never_waits_for_a_non_finite_or_unbounded_time(
    retry_after: float | None, attempt: int
) -> None:
    policy = RetryPolicy(attempts=10)
    error = RateLimitError("slow down", status=429, retry_after=retry_after)
    delay = policy.delay_for(error, attempt)
    bound = max(policy.max_delay, policy.max_retry_after)
    assert delay is None or (math.isfinite(delay) and 0 <= delay <= bound)


@FAST
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_sleep_itself_is_bounded_whatever_it_is_given(delay: float) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    policy = RetryPolicy(sleeper=record)
    asyncio.run(policy.sleep(delay))
    assert math.isfinite(waits[0])
    assert 0 <= waits[0] <= max(policy.max_delay, policy.max_retry_after)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("nan", None),
        ("inf", None),
        ("1e999", None),
        ("-3", None),
        ("soon", None),
        ("99999999999", untrusted.MAX_WAIT),  # clamped: no policy waits that long
        ("2.5", 2.5),
        ("Fri, 31 Dec 9999 23:59:59 GMT", untrusted.MAX_WAIT),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0),  # in the past
    ],
)
def test_retry_after_values(value: str, expected: float | None) -> None:
    assert retry_after_seconds({"retry-after": value}) == expected
    if expected is not None and "," not in value:
        assert retry_after_seconds({"retry-after-ms": value}) == min(
            float(value) / 1000, untrusted.MAX_WAIT
        )
    elif "," not in value:
        assert retry_after_seconds({"retry-after-ms": value}) is None


def test_a_provider_error_with_a_nan_wait_is_retried_on_the_backoff() -> None:
    policy = RetryPolicy(jitter=False)
    error: Callable[[float], ProviderError] = lambda wait: RateLimitError("x", retry_after=wait)  # noqa: E731
    assert policy.delay_for(error(math.nan), 1) == policy.initial_delay
    assert policy.delay_for(error(-1.0), 1) == policy.initial_delay
    assert policy.delay_for(error(math.inf), 1) is None  # too long: raised at once
