"""What the OpenTelemetry observer records in the cases the corpus has none of: retries,
failures, tool errors, invalid calls, content opt-in, span context inside tools,
cancellation, budgets, and no configured provider at all."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from reverie import Agent, RetryPolicy
from reverie.cost import Budget
from reverie.errors import AuthenticationError, RateLimitError
from reverie.events import TextDelta
from reverie.model import Usage
from reverie.observe import RunInfo
from reverie.otel import CAPTURE_CONTENT_ENV, OpenTelemetry
from reverie.otel import names as n
from reverie.testing._fake import FakeModel

from .telemetry import Telemetry, attrs, children

pytestmark = pytest.mark.anyio


async def no_wait(_delay: float) -> None:
    await asyncio.sleep(0)


def weather(location: str) -> str:
    """Get weather information for a location."""
    return "40 C"


def broken(location: str) -> str:
    """Always fails."""
    raise RuntimeError("the weather service is down")


@pytest.fixture
def otel() -> Iterator[Telemetry]:
    telemetry = Telemetry()
    yield telemetry
    telemetry.shutdown()


def one(spans: list[Any], prefix: str) -> Any:
    found = [s for s in spans if s.name.startswith(prefix)]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


@pytest.mark.parametrize("streaming", [False, True])
async def test_a_retried_call_is_a_failed_chat_span_with_a_retry_event_then_a_second_attempt(
    otel: Telemetry, streaming: bool
) -> None:
    model = FakeModel([RateLimitError("slow down", status=429), FakeModel.text("hi")])
    agent = Agent(
        model, retry=RetryPolicy(sleeper=no_wait, jitter=False), observers=[otel.observer]
    )
    if streaming:
        await agent.stream("hello").collect()
    else:
        await agent.generate("hello")
    spans = list(otel.spans())
    chats = sorted(otel.named("chat "), key=lambda s: attrs(s)[n.REVERIE_ATTEMPT])
    assert [attrs(s)[n.REVERIE_ATTEMPT] for s in chats] == [1, 2]
    failed, ok = chats
    assert failed.status.status_code == StatusCode.ERROR
    assert attrs(failed)[n.ERROR_TYPE] == "RateLimitError"
    retry = [e for e in failed.events if e.name == n.REVERIE_RETRY]
    assert len(retry) == 1 and dict(retry[0].attributes or {})[n.REVERIE_RETRY_DELAY] == 1.0
    assert any(e.name == "exception" for e in failed.events)
    assert ok.status.status_code == StatusCode.UNSET and n.ERROR_TYPE not in attrs(ok)
    run = one(spans, "invoke_agent")
    assert run.status.status_code == StatusCode.UNSET
    assert {c.context.span_id for c in children(spans, run)} == {c.context.span_id for c in chats}
    errors = [
        labels.get(n.ERROR_TYPE) for labels, _ in otel.points(n.GEN_AI_CLIENT_OPERATION_DURATION)
    ]
    assert sorted(map(str, errors)) == ["None", "RateLimitError"]


async def test_a_failed_run_marks_the_chat_and_run_spans_with_the_error_type(
    otel: Telemetry,
) -> None:
    agent = Agent(
        FakeModel([AuthenticationError("bad key", status=401)]), observers=[otel.observer]
    )
    with pytest.raises(AuthenticationError):
        await agent.generate("hello")
    spans = list(otel.spans())
    for span in (one(spans, "chat "), one(spans, "invoke_agent")):
        assert span.status.status_code == StatusCode.ERROR
        assert attrs(span)[n.ERROR_TYPE] == "AuthenticationError"
    ((labels, point),) = otel.points(n.GEN_AI_CLIENT_OPERATION_DURATION)
    assert labels[n.ERROR_TYPE] == "AuthenticationError" and point.count == 1


async def test_tool_spans_record_failures_and_calls_that_were_never_run(otel: Telemetry) -> None:
    model = FakeModel(
        [
            FakeModel.tool_calls(
                ("broken", {"location": "Rome"}),
                ("weather", {"location": "Paris"}),
                ("missing_tool", {}),
                ("weather", "{not json"),
            ),
            FakeModel.text("done"),
        ]
    )
    agent = Agent(model, tools=[weather, broken], observers=[otel.observer])
    await agent.generate("go")
    tools = {attrs(s)[n.GEN_AI_TOOL_CALL_ID]: s for s in otel.named("execute_tool ")}
    assert set(tools) == {"call_0", "call_1", "call_2", "call_3"}
    assert attrs(tools["call_0"])[n.ERROR_TYPE] == "tool_error"
    assert "weather service is down" in (tools["call_0"].status.description or "")
    assert tools["call_1"].status.status_code == StatusCode.UNSET
    assert (
        attrs(tools["call_1"])[n.GEN_AI_TOOL_DESCRIPTION]
        == "Get weather information for a location."
    )
    for never_run in ("call_2", "call_3"):
        assert attrs(tools[never_run])[n.ERROR_TYPE] == "invalid_tool_call"
        assert tools[never_run].status.status_code == StatusCode.ERROR
    assert tools["call_2"].name == "execute_tool missing_tool"


async def test_content_is_recorded_only_when_the_application_opts_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(CAPTURE_CONTENT_ENV, raising=False)
    script = [FakeModel.tool_calls(("weather", {"location": "Florence"})), FakeModel.text("Hot.")]
    off = Telemetry()
    await Agent(FakeModel(list(script)), tools=[weather], observers=[off.observer]).generate("hi")
    content = {
        n.GEN_AI_INPUT_MESSAGES,
        n.GEN_AI_OUTPUT_MESSAGES,
        n.GEN_AI_SYSTEM_INSTRUCTIONS,
        n.GEN_AI_TOOL_DEFINITIONS,
        n.GEN_AI_TOOL_CALL_ARGUMENTS,
        n.GEN_AI_TOOL_CALL_RESULT,
    }
    assert all(not set(attrs(s)) & content for s in off.spans())

    monkeypatch.setenv(CAPTURE_CONTENT_ENV, "true")
    on = Telemetry()
    agent = Agent(
        FakeModel(list(script)), system="Be brief.", tools=[weather], observers=[on.observer]
    )
    await agent.stream("What's the weather in Florence?").collect()
    first, second = sorted(on.named("chat "), key=lambda s: attrs(s)[n.REVERIE_STEP])
    a = attrs(first)
    assert json.loads(a[n.GEN_AI_SYSTEM_INSTRUCTIONS]) == [{"type": "text", "content": "Be brief."}]
    assert json.loads(a[n.GEN_AI_INPUT_MESSAGES]) == [
        {"role": "user", "parts": [{"type": "text", "content": "What's the weather in Florence?"}]}
    ]
    assert json.loads(a[n.GEN_AI_OUTPUT_MESSAGES]) == [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": "call_0",
                    "name": "weather",
                    "arguments": {"location": "Florence"},
                }
            ],
            "finish_reason": "tool_call",
        }
    ]
    (definition,) = json.loads(a[n.GEN_AI_TOOL_DEFINITIONS])
    assert definition["name"] == "weather" and definition["type"] == "function"
    history = json.loads(attrs(second)[n.GEN_AI_INPUT_MESSAGES])
    assert history[-1] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "call_0", "response": "40 C"}],
    }
    tool = attrs(one(list(on.spans()), "execute_tool"))
    assert json.loads(tool[n.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"location": "Florence"}
    assert json.loads(tool[n.GEN_AI_TOOL_CALL_RESULT]) == "40 C"
    off.shutdown()
    on.shutdown()


async def test_the_tool_span_is_current_inside_the_tool_and_nothing_leaks_outside(
    otel: Telemetry,
) -> None:
    seen: list[int] = []

    async def lookup(city: str) -> str:
        """Look a city up."""
        seen.append(trace.get_current_span().get_span_context().span_id)
        return city

    def sync_lookup(city: str) -> str:
        """Look a city up, in a worker thread."""
        seen.append(trace.get_current_span().get_span_context().span_id)
        return city

    model = FakeModel(
        [
            FakeModel.tool_calls(("lookup", {"city": "a"}), ("sync_lookup", {"city": "b"})),
            FakeModel.text("ok"),
        ]
    )
    tracer = otel.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("app request") as app:
        agent = Agent(model, tools=[lookup, sync_lookup], observers=[otel.observer])
        async for _ in agent.stream("go"):
            assert trace.get_current_span() is app  # the run never changes the caller's
    spans = list(otel.spans())
    run = one(spans, "invoke_agent")
    assert run.parent is not None and run.parent.span_id == app.get_span_context().span_id
    tool_ids = {s.context.span_id for s in otel.named("execute_tool ")}
    assert len(tool_ids) == 2 and set(seen) == tool_ids
    assert trace.get_current_span() is trace.INVALID_SPAN


async def test_an_abandoned_stream_ends_its_spans_as_cancelled(otel: Telemetry) -> None:
    model = FakeModel([FakeModel.text("a long answer " * 20)], chunk_size=2)
    agent = Agent(model, observers=[otel.observer])
    async with agent.stream("go") as stream:
        async for event in stream:
            if isinstance(event, TextDelta):
                break  # mid-answer: the model call is open
    spans = list(otel.spans())
    for span in (one(spans, "chat "), one(spans, "invoke_agent")):
        assert attrs(span)[n.ERROR_TYPE] == "cancelled"


async def test_a_budget_stop_and_the_run_cost_are_on_the_run_span(otel: Telemetry) -> None:
    usage = Usage(input_tokens=1000, output_tokens=100, total_tokens=1100)
    model = FakeModel(
        [FakeModel.tool_calls(("weather", {"location": "x"}), usage=usage)] * 3,
        provider="openai",
        model_id="gpt-4o-mini",
    )
    agent = Agent(model, tools=[weather], budget=Budget(max_tokens=2000), observers=[otel.observer])
    result = await agent.generate("go")
    assert result.stopped_by is not None and len(result.steps) == 2
    run = attrs(one(list(otel.spans()), "invoke_agent"))
    assert run[n.REVERIE_STOPPED_BY] == "budget"
    assert result.cost is not None
    assert run[n.REVERIE_COST_USD] == pytest.approx(float(result.cost.total))
    assert run[n.GEN_AI_USAGE_INPUT_TOKENS] == 2000


async def test_the_agent_name_names_the_run_span() -> None:
    telemetry = Telemetry(agent_name="weather-bot")
    await Agent(FakeModel([FakeModel.text("hi")]), observers=[telemetry.observer]).generate("x")
    (run,) = telemetry.named("invoke_agent")
    assert run.name == "invoke_agent weather-bot"
    assert attrs(run)[n.GEN_AI_AGENT_NAME] == "weather-bot"
    telemetry.shutdown()


async def test_with_no_provider_configured_runs_work_and_nothing_is_recorded() -> None:
    # The global providers are the API's defaults here (tests never set them).
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    model = FakeModel([FakeModel.tool_calls(("weather", {"location": "x"})), FakeModel.text("hi")])
    observer = OpenTelemetry(capture_content=True)
    agent = Agent(model, tools=[weather], observers=[observer])
    result = await agent.stream("go").collect()
    # Nothing configured anywhere: runs are not even watched.
    assert observer.start_run(RunInfo(agent, model, True, agent.start("hi"))) is None
    assert result.text == "hi"
    assert not trace.get_current_span().is_recording()
