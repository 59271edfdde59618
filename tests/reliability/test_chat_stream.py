"""Chat Completions streams as hosts really send them, through the real agent over the
loopback server: odd SSE framing, tool calls in every shape, Azure's filter chunks, missing
usage. (The generic failures are in ``test_faults.py``.)"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from reverie import FunctionTool, tool
from reverie.content import ErrorOutput
from reverie.errors import ProtocolError
from reverie.events import Retry, TextDelta
from reverie.model import FinishReason

from .conftest import Harness
from .server import Reply
from .wires import OPENAI_CHAT, sse

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30, method="thread")]
wire = OPENAI_CHAT


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> bytes:
    choice = {"index": 0, "delta": delta or {}, "finish_reason": finish}
    return sse({"id": "c1", "model": "m", "choices": [choice], **extra})


def call_delta(index: int | None, call_id: str | None, name: str | None, args: str) -> dict:
    d: dict[str, Any] = {"type": "function", "function": {"arguments": args}}
    if index is not None:
        d["index"] = index
    if call_id is not None:
        d["id"] = call_id
    if name is not None:
        d["function"]["name"] = name
    return {"tool_calls": [d]}


DONE = sse("[DONE]")
TOOLS_END = [chunk(finish="tool_calls"), DONE]


def weather_tool(seen: list[dict[str, Any]]) -> FunctionTool:
    @tool
    def weather(city: str) -> str:
        """The weather in a city."""
        seen.append({"city": city})
        return f"sunny in {city}"

    return weather


def tool_messages(request_body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in request_body["messages"] if m["role"] == "tool"]


# -- SSE framing --------------------------------------------------------------------------


async def text_of(fault: Harness, frames: list[bytes | float]) -> str:
    fault.server.add(Reply(frames=frames))
    result = await fault.agent(wire).stream("hi").collect()
    return result.text


async def test_sse_split_at_every_byte(fault: Harness):
    whole = b"".join(wire.stream("héllo ", "wörld ✓"))
    frames: list[bytes | float] = []
    for i in range(len(whole)):
        frames += [whole[i : i + 1], 0.0005] if i % 40 == 0 else [whole[i : i + 1]]
    assert await text_of(fault, frames) == "héllo wörld ✓"


async def test_multibyte_utf8_split_across_chunks(fault: Harness):
    whole = b"".join(wire.stream("日本語"))
    cut = whole.index("本".encode()) + 1  # inside the three bytes of 本
    assert await text_of(fault, [whole[:cut], 0.01, whole[cut:]]) == "日本語"


async def test_crlf_line_endings(fault: Harness):
    frames = [f.replace(b"\n", b"\r\n") for f in wire.stream("a", "b")]
    assert await text_of(fault, list(frames)) == "ab"


async def test_comments_and_events_without_data_are_skipped(fault: Harness):
    frames: list[bytes | float] = [b": keep-alive\n\n", b"event: ping\n\n"]
    for frame in wire.stream("x", "y"):
        frames += [frame, b": ping\n\n", b"event: noop\n\n"]
    assert await text_of(fault, frames) == "xy"


async def test_json_spread_over_several_data_lines(fault: Harness):
    body = orjson.dumps({"id": "c1", "choices": [{"index": 0, "delta": {"content": "multi"}}]})
    split = body.index(b'"choices"')
    frames = [b"data: " + body[:split] + b"\ndata: " + body[split:] + b"\n\n", *wire.end()]
    assert await text_of(fault, frames) == "multi"


async def test_a_non_json_data_line_is_a_protocol_error_naming_it(fault: Harness):
    fault.server.add(Reply(frames=[*wire.text(["a"]), b"data: {not json at all\n\n"]))
    exc = await fault.expect(fault.agent(wire).stream("hi").collect(), ProtocolError)
    assert exc.line == "{not json at all"
    assert "{not json at all" in str(exc)
    assert len(fault.server.requests) == 1  # malformed data is not retried


async def test_azure_empty_choices_and_filter_chunks(fault: Harness):
    filters = {"hate": {"filtered": False, "severity": "safe"}}
    frames = [
        sse({"id": "", "choices": [], "prompt_filter_results": [{"prompt_index": 0}]}),
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "safe"}, content_filter_results=filters),
        sse(
            {
                "id": "c1",
                "choices": [
                    {
                        "index": 0,
                        "delta": {},
                        "finish_reason": None,
                        "content_filter_results": filters,
                    }
                ],
            }
        ),
        chunk(finish="stop"),
        DONE,
    ]
    assert await text_of(fault, frames) == "safe"


async def test_usage_absent_is_zero_not_an_error(fault: Harness):
    fault.server.add(Reply(frames=[*wire.text(["u"]), chunk(finish="stop"), DONE]))
    result = await fault.agent(wire).stream("hi").collect()
    assert result.text == "u"
    assert result.usage.total_tokens == 0


# -- tool calls ---------------------------------------------------------------------------


async def run_tool_turn(fault: Harness, first: list[bytes]) -> tuple[Any, list[dict[str, Any]]]:
    """A tool-call step scripted by ``first``, then a text answer; the run's result and the
    arguments the tool ran with."""
    seen: list[dict[str, Any]] = []
    fault.server.add(Reply(frames=first), Reply(frames=wire.stream("done")))
    agent = fault.agent(wire, tools=[weather_tool(seen)])
    result = await agent.stream("weather?").collect()
    return result, seen


async def test_tool_arguments_in_fragments(fault: Harness):
    pieces = ['{"ci', 'ty": ', '"Par', 'is"}']
    first = [
        chunk(call_delta(0, "call_1", "weather", "")),
        *[chunk(call_delta(0, None, None, p)) for p in pieces],
        *TOOLS_END,
    ]
    result, seen = await run_tool_turn(fault, first)
    assert seen == [{"city": "Paris"}]
    assert result.text == "done"
    sent = tool_messages(fault.server.requests[1].json())
    assert sent[0]["tool_call_id"] == "call_1"


async def test_tool_arguments_whole_and_two_calls_in_one_delta(fault: Harness):
    both = {
        "tool_calls": [
            {
                "index": 0,
                "id": "a",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
            },
            {
                "index": 1,
                "id": "b",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Rome"}'},
            },
        ]
    }
    _, seen = await run_tool_turn(fault, [chunk(both), *TOOLS_END])
    assert seen == [{"city": "Oslo"}, {"city": "Rome"}]
    assert [m["tool_call_id"] for m in tool_messages(fault.server.requests[1].json())] == ["a", "b"]


async def test_tool_deltas_without_index(fault: Harness):
    first = [
        chunk(call_delta(None, "call_x", "weather", '{"city":')),
        chunk(call_delta(None, None, None, ' "Lima"}')),
        *TOOLS_END,
    ]
    _, seen = await run_tool_turn(fault, first)
    assert seen == [{"city": "Lima"}]


async def test_missing_tool_call_ids_are_made_up_and_distinct(fault: Harness):
    first = [
        chunk(call_delta(0, None, "weather", '{"city": "Kyiv"}')),
        chunk(call_delta(1, None, "weather", '{"city": "Riga"}')),
        *TOOLS_END,
    ]
    _, seen = await run_tool_turn(fault, first)
    assert seen == [{"city": "Kyiv"}, {"city": "Riga"}]
    ids = [m["tool_call_id"] for m in tool_messages(fault.server.requests[1].json())]
    assert len(set(ids)) == 2
    assert all(ids)


async def test_duplicate_tool_call_ids_are_told_apart(fault: Harness):
    first = [
        chunk(call_delta(0, "dup", "weather", '{"city": "Bern"}')),
        chunk(call_delta(1, "dup", "weather", '{"city": "Graz"}')),
        *TOOLS_END,
    ]
    _, seen = await run_tool_turn(fault, first)
    assert seen == [{"city": "Bern"}, {"city": "Graz"}]
    body = fault.server.requests[1].json()
    ids = [m["tool_call_id"] for m in tool_messages(body)]
    assert len(set(ids)) == 2  # a provider rejects two results for one id
    assistant = next(m for m in body["messages"] if m["role"] == "assistant")
    assert [c["id"] for c in assistant["tool_calls"]] == ids


async def test_an_id_repeated_on_every_delta_is_one_call(fault: Harness):
    first = [
        chunk(call_delta(0, "same", "weather", '{"city"')),
        chunk(call_delta(0, "same", None, ': "Nice"}')),
        *TOOLS_END,
    ]
    _, seen = await run_tool_turn(fault, first)
    assert seen == [{"city": "Nice"}]


async def test_non_object_tool_arguments_are_answered_with_an_error(fault: Harness):
    first = [chunk(call_delta(0, "c", "weather", "[1, 2]")), *TOOLS_END]
    result, seen = await run_tool_turn(fault, first)
    assert seen == []
    error = result.steps[0].tool_results[0].output
    assert isinstance(error, ErrorOutput)
    assert result.text == "done"  # the model saw the error and answered


async def test_truncated_tool_arguments_do_not_break_the_run(fault: Harness):
    first = [chunk(call_delta(0, "c", "weather", '{"city": "Ber')), *TOOLS_END]
    result, _ = await run_tool_turn(fault, first)
    assert result.text == "done"
    assert len(result.steps[0].tool_results) == 1


async def test_finish_reason_length_inside_a_tool_call_runs_nothing(fault: Harness):
    seen: list[dict[str, Any]] = []
    fault.server.add(
        Reply(
            frames=[
                chunk(call_delta(0, "c", "weather", '{"city": "Ams')),
                chunk(finish="length"),
                DONE,
            ]
        )
    )
    agent = fault.agent(wire, tools=[weather_tool(seen)])
    result = await agent.stream("weather?").collect()
    assert result.finish_reason == FinishReason.LENGTH
    assert seen == []  # a call cut off mid-arguments is never executed
    output = result.steps[0].tool_results[0].output
    assert isinstance(output, ErrorOutput)
    assert "max_output_tokens" in output.message
    assert len(fault.server.requests) == 1


async def test_complete_tool_calls_with_finish_reason_stop_run_and_the_run_goes_on(
    fault: Harness,
):
    # Some OpenAI-compatible servers end a step that carries whole tool calls with "stop"
    # (the Chat wire reports such a step as tool-calls; the agent would run them either way:
    # tests/runstate/test_approvals.py has the agent-level case).
    first = [chunk(call_delta(0, "call_9", "weather", '{"city": "Lima"}')), chunk(finish="stop")]
    result, seen = await run_tool_turn(fault, [*first, DONE])
    assert seen == [{"city": "Lima"}]
    assert result.text == "done" and len(fault.server.requests) == 2
    sent = tool_messages(fault.server.requests[1].json())
    assert [m["tool_call_id"] for m in sent] == ["call_9"]


async def test_text_then_tool_call_then_retry_keeps_only_the_second_attempt(fault: Harness):
    seen: list[dict[str, Any]] = []
    fault.server.add(
        Reply(
            frames=[*wire.text(["thinking"]), chunk(call_delta(0, "c", "weather", '{"ci'))],
            end="reset",
        ),
        Reply(frames=[chunk(call_delta(0, "c2", "weather", '{"city": "Oslo"}')), *TOOLS_END]),
        Reply(frames=wire.stream("done")),
    )
    agent = fault.agent(wire, tools=[weather_tool(seen)])
    events = [e async for e in agent.stream("weather?")]
    assert sum(isinstance(e, Retry) for e in events) == 1
    assert seen == [{"city": "Oslo"}]
    step0 = next(e for e in events if getattr(e, "type", "") == "step-finish").step
    assert [c.tool_call_id for c in step0.tool_calls] == ["c2"]
    assert step0.text == ""
    assert [e.delta for e in events if isinstance(e, TextDelta)][-1] == "done"


async def test_cancelling_while_tools_run_cancels_them(fault: Harness):
    started, cancelled = asyncio.Event(), asyncio.Event()

    @tool
    async def slow(n: int) -> str:
        """Never finishes on its own."""
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "unreachable"

    calls = {
        "tool_calls": [
            {
                "index": i,
                "id": f"s{i}",
                "type": "function",
                "function": {"name": "slow", "arguments": f'{{"n": {i}}}'},
            }
            for i in range(3)
        ]
    }
    fault.server.add(Reply(frames=[chunk(calls), *TOOLS_END]))
    task = asyncio.create_task(fault.agent(wire, tools=[slow]).stream("go").collect())
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled.is_set()
    assert fault.client_tasks() == []  # every tool task is finished, none left running


async def test_a_finish_reason_without_done_is_complete(fault: Harness):
    # Some compatible hosts never send [DONE]; the finish reason is the real end.
    frames = [*wire.text(["fin"]), chunk(finish="stop")]
    assert await text_of(fault, frames) == "fin"
    assert len(fault.server.requests) == 1
