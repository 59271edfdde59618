"""What crosses Temporal round-trips exactly: model calls, events, results, pending calls."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from reverie import Agent
from reverie.approval import PendingCall
from reverie.content import ErrorOutput, SourcePart, ToolCallPart, ToolResultPart, user
from reverie.durable.temporal._payloads import (
    RemoteError,
    decode_call,
    decode_event,
    decode_pending,
    decode_result,
    encode_call,
    encode_event,
    encode_pending,
    encode_result,
)
from reverie.errors import DataFormatError
from reverie.events import (
    AgentEvent,
    Finish,
    PartialObject,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningStart,
    Retry,
    RunPaused,
    Source,
    StepStart,
    TextDelta,
    TextEnd,
    TextStart,
    ToolCall,
    ToolInputDelta,
    ToolInputEnd,
    ToolInputStart,
    ToolResult,
    Warnings,
)
from reverie.model import (
    Call,
    CallWarning,
    FinishReason,
    ProviderTool,
    SpecificTool,
    ToolSpec,
    Usage,
)
from reverie.testing._fake import FakeModel


def through_json(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


@pytest.mark.parametrize(
    "choice", [None, "auto", "none", "required", SpecificTool("search")], ids=str
)
def test_a_call_round_trips(choice: Any) -> None:
    call = Call(
        messages=(user("hi"),),
        max_output_tokens=100,
        temperature=0.5,
        top_k=3,
        tools=(
            ToolSpec("search", "Search", {"type": "object"}, {"anthropic": {"cache": True}}),
            ProviderTool("anthropic.web_search_20250305", "web_search", {"max_uses": 2}),
        ),
        tool_choice=choice,
        headers={"x-trace": "1"},
        provider_options={"openai": {"store": False, "blob": b"\x00"}},
    )
    assert decode_call(through_json(encode_call(call))) == call


def test_a_bare_call_stays_bare_and_a_bad_choice_is_refused() -> None:
    call = Call(messages=(user("hi"),))
    assert encode_call(call).keys() == {"messages"}
    with pytest.raises(DataFormatError, match="tool_choice"):
        decode_call({"messages": [], "tool_choice": "sometimes"})


EVENTS: list[AgentEvent] = [
    StepStart(2),
    TextStart("t"),
    TextDelta("t", "hel"),
    TextEnd("t", {"google": {"thought_signature": "sig"}}),
    ReasoningStart("r", {"anthropic": {"redacted": False}}),
    ReasoningDelta("r", "hmm"),
    ReasoningEnd("r", {"anthropic": {"signature": "s"}}),
    ToolInputStart("c", "add", provider_executed=True),
    ToolInputDelta("c", '{"a":'),
    ToolInputEnd("c"),
    ToolCall(ToolCallPart("c", "add", '{"a": 1}')),
    ToolResult(ToolResultPart("c", "add", ErrorOutput("no"))),
    Source(SourcePart("s1", url="https://example.com", title="Example")),
    Warnings((CallWarning("unsupported-setting", "no top_k", "top_k"),)),
    Finish(FinishReason.STOP, Usage(1, 2, 3), {"openai": {"id": "x"}}),
    PartialObject({"value": [1, 2]}),
    RunPaused((PendingCall("c", "pay", {"invoice": 7}, "approval", "f" * 64),)),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_events_round_trip(event: AgentEvent) -> None:
    assert decode_event(through_json(encode_event(event))) == event


def test_a_retry_carries_its_error_as_a_message() -> None:
    decoded = decode_event(through_json(encode_event(Retry(1, ValueError("boom"), 0.5))))
    assert isinstance(decoded, Retry) and (decoded.attempt, decoded.delay) == (1, 0.5)
    assert isinstance(decoded.error, RemoteError) and str(decoded.error) == "boom"


@pytest.mark.anyio
async def test_results_and_step_events_round_trip() -> None:
    agent = Agent(FakeModel([FakeModel.text("done")]))
    events = [e async for e in agent.stream("hi")]
    for event in events:
        assert decode_event(through_json(encode_event(event))) == event
    result = await Agent(FakeModel([FakeModel.text("done")])).generate("hi", run_id="r")
    back = decode_result(through_json(encode_result(result, {"k": 1})))
    assert back.messages == result.messages and back.output == {"k": 1}
    assert back.state == result.state and back.status == "finished"


def test_garbage_is_refused_by_name() -> None:
    with pytest.raises(DataFormatError, match="unknown event type 'nope'"):
        decode_event({"type": "nope"})
    with pytest.raises(DataFormatError, match="kind"):
        decode_pending([{"id": "c", "tool_name": "t", "arguments": {}, "kind": "x"}])
    with pytest.raises(DataFormatError, match="status"):
        decode_result({"status": "lost", "state": Agent(FakeModel([])).start("x").to_value()})
    pending = (PendingCall("c", "t", {"a": (1, 2)}, "external", "f"),)
    assert decode_pending(through_json(encode_pending(pending))) == pending
