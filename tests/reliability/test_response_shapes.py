"""Issue 17 §1 end to end: the real agent and structured output over the loopback server,
answered in the shapes real hosts send (refusals, Mistral content chunks, a ``[DONE]``
without a finish reason, Groq's ``x_groq.usage``, a Responses answer cut off mid-call).
The decoders' own cases are in ``tests/providers/test_response_shapes.py``."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pydantic import BaseModel

from reverie import Agent, FunctionTool, generate_object, tool
from reverie.errors import NoObjectGeneratedError, RefusalError
from reverie.events import Refusal, Retry, TextDelta
from reverie.model import FinishReason

from .conftest import Harness
from .server import Reply
from .wires import OPENAI_CHAT, RESPONSES, sse

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30, method="thread")]

REFUSAL = "I'm sorry, but I can't assist with that."
USAGE = {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> bytes:
    choice = {"index": 0, "delta": delta or {}, "finish_reason": finish}
    return sse(
        {"id": "c1", "object": "chat.completion.chunk", "model": "m", "choices": [choice], **extra}
    )


DONE = sse("[DONE]")


def json_reply(body: dict[str, Any]) -> Reply:
    return Reply(200, {}, [orjson.dumps(body)], chunked=False, content_type="application/json")


class Person(BaseModel):
    name: str


def counting_tool(seen: list[str]) -> FunctionTool:
    @tool
    def weather(location: str) -> str:
        """The weather somewhere."""
        seen.append(location)
        return "sunny"

    return weather


# -- refusals -----------------------------------------------------------------------------

REFUSAL_STREAM = [
    chunk({"role": "assistant", "content": None, "refusal": ""}),
    chunk({"refusal": "I'm sorry, but "}),
    chunk({"refusal": "I can't assist with that."}),
    chunk(finish="stop"),
    sse({"id": "c1", "choices": [], "usage": USAGE}),
    DONE,
]
REFUSAL_JSON = {
    "id": "c1",
    "object": "chat.completion",
    "model": "m",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": None, "refusal": REFUSAL},
            "finish_reason": "stop",
        }
    ],
    "usage": USAGE,
}


async def test_a_streamed_refusal_is_the_agents_final_answer(fault: Harness):
    seen: list[str] = []
    fault.server.add(Reply(frames=REFUSAL_STREAM))
    agent = fault.agent(OPENAI_CHAT, tools=[counting_tool(seen)])
    events = await fault.events(agent)
    assert [e.refusal.text for e in events if isinstance(e, Refusal)] == [REFUSAL]
    result = events[-1].result
    assert result.refusal == REFUSAL
    assert result.finish_reason == FinishReason.CONTENT_FILTER
    assert result.usage.total_tokens == 21
    assert len(fault.server.requests) == 1 and seen == []


async def test_a_generated_refusal_is_the_agents_final_answer(fault: Harness):
    fault.server.add(json_reply(REFUSAL_JSON))
    result = await fault.agent(OPENAI_CHAT).generate("hi")
    assert result.refusal == REFUSAL
    assert result.finish_reason == FinishReason.CONTENT_FILTER
    assert len(fault.server.requests) == 1


async def test_generate_object_raises_the_refusal(fault: Harness):
    fault.server.add(json_reply(REFUSAL_JSON))
    model = fault.model(OPENAI_CHAT)
    exc = await fault.expect(generate_object(model, "Make a person", schema=Person), RefusalError)
    assert exc.refusal == REFUSAL
    assert REFUSAL in str(exc)
    assert isinstance(exc, NoObjectGeneratedError)


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "generate"])
async def test_an_agent_with_an_output_type_raises_the_refusal_at_once(
    fault: Harness, streaming: bool
):
    fault.server.add(Reply(frames=REFUSAL_STREAM) if streaming else json_reply(REFUSAL_JSON))
    agent = Agent(fault.model(OPENAI_CHAT), output_type=Person, retry=fault.policy())
    run = agent.stream("Make a person").collect() if streaming else agent.generate("Make a person")
    exc = await fault.expect(run, RefusalError)
    assert exc.refusal == REFUSAL
    assert len(fault.server.requests) == 1  # no forced extra step after a refusal


# -- Mistral content chunks ----------------------------------------------------------------


async def test_mistral_thinking_chunks_stream_through_the_agent(fault: Harness):
    def think(text: str) -> dict[str, Any]:
        return {"content": [{"type": "thinking", "thinking": [{"type": "text", "text": text}]}]}

    frames = [
        chunk({"role": "assistant", "content": ""}),
        chunk(think("2 and 3 ")),
        chunk(think("make 5.")),
        chunk({"content": [{"type": "text", "text": "It is 5."}]}),
        chunk(finish="stop", usage=USAGE),
        DONE,
    ]
    fault.server.add(Reply(frames=frames))
    events = await fault.events(fault.agent(OPENAI_CHAT))
    assert all(isinstance(e.delta, str) for e in events if isinstance(e, TextDelta))
    result = events[-1].result
    assert result.text == "It is 5."
    assert result.steps[0].reasoning[0].text == "2 and 3 make 5."


# -- [DONE] without a finish reason -----------------------------------------------------------


async def test_done_after_usage_without_finish_reason_is_not_retried(fault: Harness):
    frames = [
        chunk({"role": "assistant", "content": "Hello"}),
        chunk({"content": " there"}),
        sse({"id": "c1", "choices": [], "usage": USAGE}),
        DONE,
    ]
    fault.server.add(Reply(frames=frames))
    events = await fault.events(fault.agent(OPENAI_CHAT))
    assert not any(isinstance(e, Retry) for e in events)
    result = events[-1].result
    assert result.text == "Hello there"
    assert result.finish_reason == FinishReason.STOP
    assert any("[DONE]" in w.message for w in result.steps[0].warnings)
    assert len(fault.server.requests) == 1


async def test_done_without_finish_reason_runs_whole_tool_calls(fault: Harness):
    seen: list[str] = []
    call = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "weather", "arguments": '{"location": "Rome"}'},
    }
    fault.server.add(
        Reply(frames=[chunk({"tool_calls": [call]}), DONE]),
        Reply(frames=[chunk({"content": "Sunny in Rome."}), chunk(finish="stop"), DONE]),
    )
    result = await fault.agent(OPENAI_CHAT, tools=[counting_tool(seen)]).stream("go").collect()
    assert seen == ["Rome"]
    assert result.text == "Sunny in Rome."


# -- Groq's x_groq.usage ------------------------------------------------------------------------


async def test_groq_usage_in_x_groq_is_counted(fault: Harness):
    groq_usage = {
        "prompt_tokens": 40,
        "completion_tokens": 25,
        "total_tokens": 65,
        "queue_time": 0.1,
    }
    frames = [
        chunk({"role": "assistant", "content": "Hi"}, x_groq={"id": "req_1"}),
        chunk(finish="stop", x_groq={"id": "req_1", "usage": groq_usage}),
        DONE,
    ]
    fault.server.add(Reply(frames=frames))
    result = await fault.agent(OPENAI_CHAT).stream("hi").collect()
    assert (result.usage.input_tokens, result.usage.output_tokens) == (40, 25)


# -- Responses: cut off by max_output_tokens in the middle of a call ----------------------------


def _responses_cut_off() -> list[bytes]:
    item = {
        "id": "fc_1",
        "type": "function_call",
        "status": "in_progress",
        "call_id": "call_1",
        "name": "weather",
        "arguments": "",
    }
    delta = {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 0}
    incomplete = {
        "id": "resp_1",
        "object": "response",
        "status": "incomplete",
        "incomplete_details": {"reason": "max_output_tokens"},
        "model": "m",
        "output": [{**item, "status": "incomplete", "arguments": "{"}],
        "usage": {"input_tokens": 5, "output_tokens": 16, "total_tokens": 21},
    }
    return [
        sse(
            {"type": "response.created", "response": {"id": "resp_1", "model": "m"}},
            "response.created",
        ),
        sse(
            {"type": "response.output_item.added", "output_index": 0, "item": item},
            "response.output_item.added",
        ),
        sse({**delta, "delta": "{"}, "response.function_call_arguments.delta"),
        sse({"type": "response.incomplete", "response": incomplete}, "response.incomplete"),
    ]


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "generate"])
async def test_a_responses_call_cut_off_is_never_run(fault: Harness, streaming: bool):
    seen: list[str] = []
    if streaming:
        fault.server.add(Reply(frames=_responses_cut_off()))
    else:
        incomplete = orjson.loads(_responses_cut_off()[-1].split(b"data: ", 1)[1])["response"]
        fault.server.add(json_reply(incomplete))
    agent = fault.agent(RESPONSES, tools=[counting_tool(seen)])
    result = await (agent.stream("go").collect() if streaming else agent.generate("go"))
    assert seen == []
    assert result.finish_reason == FinishReason.LENGTH
    assert result.steps[0].tool_calls == ()
    assert len(fault.server.requests) == 1
