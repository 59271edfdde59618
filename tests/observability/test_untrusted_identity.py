"""What the network says about a response, typed onto it (its id, the model that answered)
and a gateway's stated charge, is untrusted like any number: every wire reads it through a
bounded reader, over arbitrary values (hypothesis), whole answers and streams alike."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reverie._pricing import MAX_REPORTED_COST, price
from reverie.events import Finish
from reverie.model import Usage
from reverie.providers import _untrusted as untrusted
from reverie.providers._anthropic.decode import decode_response as anthropic_response
from reverie.providers._anthropic.stream import MessagesStreamDecoder
from reverie.providers._google.decode import decode_response as gemini_response
from reverie.providers._google.encode import GoogleDialect
from reverie.providers._google.stream import GeminiStreamDecoder
from reverie.providers._openai.chat_decode import decode_response as chat_response
from reverie.providers._openai.chat_stream import ChatStreamDecoder
from reverie.providers._openai.dialect import ChatDialect
from reverie.providers._openai.responses import ResponsesDialect
from reverie.providers._openai.responses_decode import decode_response as responses_response
from reverie.providers._openai.responses_stream import ResponsesStreamDecoder

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.just("x" * (untrusted.MAX_IDENTIFIER + 1))
    | st.just("y" * untrusted.MAX_IDENTIFIER)
    | st.lists(st.text(max_size=3), max_size=2)
    | st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2)
)


def assert_name(value: str | None, sent: Any) -> None:
    if isinstance(sent, str) and 0 < len(sent) <= untrusted.MAX_IDENTIFIER:
        assert value == sent
    else:
        assert value is None, (value, sent)


def finish(events: list[Any]) -> Finish:
    (found,) = [e for e in events if isinstance(e, Finish)]
    return found


@FAST
@given(names, names)
def test_chat_completions(response_id: Any, model: Any) -> None:
    dialect = ChatDialect("openai")
    message = {"role": "assistant", "content": "hi"}
    data = {
        "id": response_id,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }
    answer = chat_response(data, dialect, [])
    assert_name(answer.response_id, response_id)
    assert_name(answer.response_model, model)
    decoder = ChatStreamDecoder(dialect)
    chunk = {"id": response_id, "model": model}
    events = decoder.feed({**chunk, "choices": [{"index": 0, "delta": {"content": "hi"}}]})
    events += decoder.feed(
        {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    )
    end = finish(events + decoder.finish())
    if response_id:  # the stream keeps the first chunk's identity when it has an id
        assert_name(end.response_id, response_id)
        assert_name(end.response_model, model)
    else:
        assert end.response_id is None


@FAST
@given(names, names)
def test_responses(response_id: Any, model: Any) -> None:
    dialect = ResponsesDialect("openai")
    response = {"id": response_id, "model": model, "status": "completed", "output": []}
    answer = responses_response(response, dialect, [])
    assert_name(answer.response_id, response_id)
    assert_name(answer.response_model, model)
    decoder = ResponsesStreamDecoder(dialect)
    events = decoder.feed({"type": "response.created", "response": response})
    events += decoder.feed({"type": "response.completed", "response": response})
    end = finish(events + decoder.finish())
    assert_name(end.response_id, response_id if response_id else None)
    assert_name(end.response_model, model if model else None)


@FAST
@given(names, names)
def test_anthropic_messages(message_id: Any, model: Any) -> None:
    answer = {
        "id": message_id,
        "model": model,
        "content": [{"type": "text", "text": "hi"}],
        "stop_reason": "end_turn",
    }
    decoded = anthropic_response(answer, "anthropic", [])
    assert_name(decoded.response_id, message_id)
    assert_name(decoded.response_model, model)
    decoder = MessagesStreamDecoder("anthropic")
    start = {"type": "message_start", "message": {"id": message_id, "model": model}}
    events = decoder.feed(start)
    events += decoder.feed({"type": "message_delta", "delta": {"stop_reason": "end_turn"}})
    events += decoder.feed({"type": "message_stop"})
    end = finish(events + decoder.finish())
    assert_name(end.response_id, message_id)
    assert_name(end.response_model, model)


@FAST
@given(names, names)
def test_gemini(response_id: Any, version: Any) -> None:
    candidate = {"content": {"role": "model", "parts": [{"text": "hi"}]}, "finishReason": "STOP"}
    data = {"candidates": [candidate], "responseId": response_id, "modelVersion": version}
    answer = gemini_response(data, GoogleDialect(), lambda: "id", ())
    assert_name(answer.response_id, response_id if response_id else None)
    assert_name(answer.response_model, version if version else None)
    decoder = GeminiStreamDecoder(GoogleDialect(), lambda: "id")
    end = finish(decoder.feed(data) + decoder.finish())
    assert (end.response_id, end.response_model) == (answer.response_id, answer.response_model)


costs = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**6, max_value=10**4000)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(["0.0011", "1e999", "-1", "NaN", "9" * 40, " 1 "])
)


@FAST
@given(costs)
def test_a_gateways_stated_charge_is_believed_only_as_a_sane_amount(value: Any) -> None:
    cost = price("vercel", ("no-such-model",), Usage(10, 5, 15), None, {"vercel": {"cost": value}})
    if cost is not None:  # else no statement, and the list has no such model
        assert cost.total.is_finite() and Decimal(0) <= cost.total <= MAX_REPORTED_COST
        assert cost.total == Decimal(str(value))
