"""Approvals, denials, external tools and pauses, with the scripted model (no HTTP)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
import pytest

from reverie import Agent, Step, tool
from reverie.approval import Approval, PendingCall
from reverie.content import ErrorOutput, Message, TextOutput, ToolResultPart
from reverie.errors import ApprovalError, ConfigurationError
from reverie.events import RunFinish, RunPaused, StepFinish, StepStart, ToolResult
from reverie.run_state import RunState
from reverie.testing._fake import FakeModel
from reverie.tool import CallDeferred

pytestmark = pytest.mark.anyio


def tools_and_log() -> tuple[list[Any], list[tuple[str, dict[str, Any]]]]:
    """``add`` (runs freely), ``pay`` (needs approval) and ``refund`` (over 100 only)."""
    ran: list[tuple[str, dict[str, Any]]] = []

    @tool
    def add(a: int, b: int) -> int:
        "Add two numbers"
        ran.append(("add", {"a": a, "b": b}))
        return a + b

    @tool(requires_approval=True)
    def pay(invoice: int) -> str:
        "Pay an invoice"
        ran.append(("pay", {"invoice": invoice}))
        return f"paid {invoice}"

    @tool(requires_approval=lambda args: args["amount"] > 100)
    def refund(amount: int) -> str:
        "Refund an amount"
        ran.append(("refund", {"amount": amount}))
        return f"refunded {amount}"

    return [add, pay, refund], ran


def last_tool_message(model: FakeModel) -> Message:
    message = model.calls[-1].messages[-1]
    assert message.role == "tool"
    return message


async def test_a_call_needing_approval_pauses_after_the_other_calls_ran() -> None:
    tools, ran = tools_and_log()
    model = FakeModel(
        [
            FakeModel.tool_calls(("add", {"a": 2, "b": 3}), ("pay", {"invoice": 7})),
            FakeModel.text("Done: 5, and invoice 7 is paid."),
        ]
    )
    agent = Agent(model, tools=tools)
    result = await agent.generate("Add 2 and 3, then pay invoice 7")

    assert result.status == "paused" and result.paused
    assert ran == [("add", {"a": 2, "b": 3})]
    assert [(p.id, p.tool_name, dict(p.arguments), p.kind) for p in result.pending] == [
        ("call_1", "pay", {"invoice": 7}, "approval")
    ]
    assert result.steps == () and result.text == ""
    assert len(model.calls) == 1
    assert result.state is not None and result.state.pending == result.pending

    resumed = await agent.resume(result.state, approvals=[result.pending[0].approve()])
    assert resumed.status == "finished"
    assert ran == [("add", {"a": 2, "b": 3}), ("pay", {"invoice": 7})]
    results = last_tool_message(model).content
    assert [(r.tool_call_id, r.output) for r in results if isinstance(r, ToolResultPart)] == [
        ("call_0", TextOutput("5")),
        ("call_1", TextOutput("paid 7")),
    ]
    assert len(resumed.steps) == 2 and resumed.text == "Done: 5, and invoice 7 is paid."
    assert resumed.usage.total_tokens == 30  # both steps, counted once each


def untimed(steps: tuple[Step, ...]) -> list[Step]:
    """Steps without their wall-clock ``finished_at`` (two runs never share one)."""
    return [replace(s, finished_at=None) for s in steps]


async def test_the_paused_run_resumes_exactly_as_an_uninterrupted_one() -> None:
    def script() -> FakeModel:
        return FakeModel(
            [
                FakeModel.tool_calls(("add", {"a": 1, "b": 1}), ("pay", {"invoice": 3})),
                FakeModel.tool_calls(("add", {"a": 2, "b": 2})),
                FakeModel.text("ok", reasoning="thought"),
            ]
        )

    straight_model = script()
    tools, _ = tools_and_log()
    straight = await Agent(straight_model, tools=tools, system="sys").generate("go")
    # The uninterrupted run also pauses on pay: approve it in memory.
    assert straight.state is not None
    straight = await Agent(straight_model, tools=tools, system="sys").resume(
        straight.state, approvals=[straight.pending[0].approve()]
    )

    paused_model = script()
    tools2, _ = tools_and_log()
    first = await Agent(paused_model, tools=tools2, system="sys").generate("go")
    assert first.state is not None
    text = first.state.to_json()
    state = RunState.from_json(text)
    second = await Agent(paused_model, tools=tools2, system="sys").resume(
        state, approvals=[state.pending[0].approve()], pause_after_steps=1
    )
    assert second.status == "paused" and second.pending == ()  # at the step boundary
    assert second.state is not None
    third = await Agent(paused_model, tools=tools2, system="sys").resume(
        RunState.from_json(second.state.to_json())
    )
    assert third.status == "finished"
    assert paused_model.calls == straight_model.calls
    assert third.messages == straight.messages
    # The same steps; each keeps when its own model call answered, across the saved states.
    assert untimed(third.steps) == untimed(straight.steps)
    assert first.state.open_step is not None
    assert third.steps[0].finished_at == first.state.open_step.finished_at is not None


async def test_a_predicate_decides_per_call_from_the_arguments() -> None:
    tools, ran = tools_and_log()
    model = FakeModel(
        [
            FakeModel.tool_calls(("refund", {"amount": 50}), ("refund", {"amount": 500})),
            FakeModel.text("refunded"),
        ]
    )
    result = await Agent(model, tools=tools).generate("refund both")
    assert ran == [("refund", {"amount": 50})]
    assert [dict(p.arguments) for p in result.pending] == [{"amount": 500}]


async def test_the_agent_policy_can_require_approval_for_every_call_or_by_predicate() -> None:
    tools, ran = tools_and_log()
    model = FakeModel([FakeModel.tool_calls(("add", {"a": 1, "b": 2})), FakeModel.text("3")])
    result = await Agent(model, tools=tools, requires_approval=True).generate("add")
    assert [p.tool_name for p in result.pending] == ["add"] and ran == []

    model = FakeModel([FakeModel.tool_calls(("add", {"a": 1, "b": 2}), ("add", {"a": 9, "b": 9}))])
    agent = Agent(model, tools=tools, requires_approval=lambda name, args: args["a"] > 5)
    result = await agent.generate("add")
    assert [dict(p.arguments) for p in result.pending] == [{"a": 9, "b": 9}]
    assert ran == [("add", {"a": 1, "b": 2})]


async def test_a_denial_is_an_error_result_with_the_reason_and_the_run_goes_on() -> None:
    tools, ran = tools_and_log()
    model = FakeModel([FakeModel.tool_calls(("pay", {"invoice": 9})), FakeModel.text("Not paid.")])
    agent = Agent(model, tools=tools)
    paused = await agent.generate("pay 9")
    assert paused.state is not None
    result = await agent.resume(paused.state, approvals=[paused.pending[0].deny("over budget")])
    assert ran == []
    (denied,) = last_tool_message(model).content
    assert isinstance(denied, ToolResultPart) and isinstance(denied.output, ErrorOutput)
    assert "denied" in denied.output.message and "over budget" in denied.output.message
    assert result.status == "finished" and result.text == "Not paid."


async def test_an_answer_for_an_edited_state_is_refused_and_nothing_runs() -> None:
    tools, ran = tools_and_log()
    model = FakeModel([FakeModel.tool_calls(("pay", {"invoice": 7})), FakeModel.text("paid")])
    agent = Agent(model, tools=tools)
    paused = await agent.generate("pay 7")
    assert paused.state is not None
    approval = paused.pending[0].approve()  # what the person saw: invoice 7

    # Someone changes the arguments in the saved state (and even its stored fingerprint).
    doc = orjson.loads(paused.state.to_json())
    call = doc["open_step"]["response"]["content"][0]
    call["input"] = '{"invoice": 8}'
    edited = RunState.from_json(orjson.dumps(doc))
    with pytest.raises(ApprovalError, match="fingerprint"):
        await agent.resume(edited, approvals=[approval])
    forged = edited.pending[0].fingerprint
    doc["open_step"]["calls"][0]["fingerprint"] = forged
    with pytest.raises(ApprovalError, match="fingerprint"):
        await agent.resume(RunState.from_json(orjson.dumps(doc)), approvals=[approval])
    assert ran == [] and len(model.calls) == 1

    # The untouched state takes the same approval.
    result = await agent.resume(paused.state, approvals=[approval])
    assert ran == [("pay", {"invoice": 7})] and result.status == "finished"


async def test_answers_must_name_a_waiting_call_of_their_kind_once() -> None:
    tools, _ = tools_and_log()
    model = FakeModel([FakeModel.tool_calls(("pay", {"invoice": 1}))])
    paused = await Agent(model, tools=tools).generate("pay")
    state = paused.state
    assert state is not None
    call = state.pending[0]
    agent = Agent(FakeModel([]), tools=tools)
    with pytest.raises(ApprovalError, match="no call 'nope'"):
        await agent.resume(state, approvals=[Approval("nope", call.fingerprint)])
    with pytest.raises(ApprovalError, match="waits for a result"):
        await agent.resume(state, results=[call.answer("done elsewhere")])
    with pytest.raises(ApprovalError, match="twice"):
        await agent.resume(state, approvals=[call.approve(), call.deny()])
    finished = await Agent(FakeModel([FakeModel.text("hi")])).generate("hi")
    assert finished.state is not None
    with pytest.raises(ApprovalError, match="nothing to approve"):
        await agent.resume(finished.state, approvals=[call.approve()])


async def test_unanswered_calls_keep_the_run_paused_on_them() -> None:
    tools, ran = tools_and_log()
    model = FakeModel(
        [
            FakeModel.tool_calls(("pay", {"invoice": 1}), ("pay", {"invoice": 2})),
            FakeModel.text("both paid"),
        ]
    )
    agent = Agent(model, tools=tools)
    paused = await agent.generate("pay both")
    assert paused.state is not None
    first, second = paused.pending
    still = await agent.resume(paused.state, approvals=[first.approve()])
    assert still.status == "paused" and still.pending == (second,)
    assert ran == [("pay", {"invoice": 1})] and len(model.calls) == 1
    assert still.state is not None
    done = await agent.resume(still.state, approvals=[second.approve()])
    assert done.status == "finished" and len(model.calls) == 2
    assert [r.tool_call_id for r in done.steps[0].tool_results] == ["call_0", "call_1"]


async def test_an_external_tool_pauses_until_its_result_is_given() -> None:
    @tool(external=True)
    def ask_browser(selector: str) -> str:
        "Read an element's text in the user's browser"
        raise AssertionError("an external tool's body never runs")

    model = FakeModel(
        [FakeModel.tool_calls(("ask_browser", {"selector": "#total"})), FakeModel.text("It is 42")]
    )
    agent = Agent(model, tools=[ask_browser])
    paused = await agent.generate("What is the total?")
    assert [(p.tool_name, p.kind) for p in paused.pending] == [("ask_browser", "external")]
    assert paused.state is not None
    state = RunState.from_json(paused.state.to_json())
    result = await Agent(model, tools=[ask_browser]).resume(
        state, results=[state.pending[0].answer({"text": "42"})]
    )
    (given,) = last_tool_message(model).content
    assert isinstance(given, ToolResultPart) and given.output == TextOutput('{"text":"42"}')
    assert result.text == "It is 42"


async def test_a_tool_that_raises_call_deferred_pauses_the_same_way() -> None:
    @tool
    def lookup(key: str) -> str:
        "Look a key up"
        if key == "remote":
            raise CallDeferred("needs the other service")
        return "local value"

    model = FakeModel(
        [
            FakeModel.tool_calls(("lookup", {"key": "here"}), ("lookup", {"key": "remote"})),
            FakeModel.text("both known"),
        ]
    )
    agent = Agent(model, tools=[lookup])
    paused = await agent.generate("look both up")
    assert [(p.id, p.kind) for p in paused.pending] == [("call_1", "external")]
    assert paused.state is not None
    result = await agent.resume(paused.state, results=[paused.pending[0].answer("remote value")])
    outputs = [p.output for p in last_tool_message(model).content if isinstance(p, ToolResultPart)]
    assert outputs == [TextOutput("local value"), TextOutput("remote value")]
    assert result.status == "finished"


async def test_an_external_tool_from_a_schema_has_no_body() -> None:
    from reverie.tool import FunctionTool

    click = FunctionTool.from_schema(
        "click", "Click", {"type": "object", "properties": {"x": {"type": "integer"}}}
    )
    model = FakeModel([FakeModel.tool_calls(("click", {"x": 3}))])
    paused = await Agent(model, tools=[click]).generate("click")
    assert [p.kind for p in paused.pending] == ["external"]


async def test_a_stream_yields_the_pause_then_run_finish_and_ends() -> None:
    tools, _ = tools_and_log()
    model = FakeModel(
        [
            FakeModel.tool_calls(("add", {"a": 1, "b": 1}), ("pay", {"invoice": 4})),
            FakeModel.text("ok"),
        ]
    )
    agent = Agent(model, tools=tools)
    stream = agent.stream("go")
    events = [e async for e in stream]
    kinds = [type(e).__name__ for e in events]
    assert kinds[-2:] == ["RunPaused", "RunFinish"]
    assert "StepFinish" not in kinds  # the step is still open
    paused = events[-2]
    assert isinstance(paused, RunPaused)
    assert [p.tool_name for p in paused.pending] == ["pay"]
    assert [e.result.tool_name for e in events if isinstance(e, ToolResult)] == ["add"]
    assert stream.result is not None and stream.result.status == "paused"
    assert stream.result.state is not None

    resumed = agent.resume_stream(stream.result.state, approvals=[paused.pending[0].approve()])
    more = [e async for e in resumed]
    assert [type(e) for e in more[:3]] == [ToolResult, StepFinish, StepStart]
    assert isinstance(more[-1], RunFinish) and more[-1].result.status == "finished"
    assert resumed.result is not None and len(resumed.result.steps) == 2


async def test_a_resuming_agent_must_have_the_tools_the_run_waits_on() -> None:
    tools, _ = tools_and_log()
    model = FakeModel([FakeModel.tool_calls(("pay", {"invoice": 1}))])
    paused = await Agent(model, tools=tools).generate("pay")
    assert paused.state is not None
    with pytest.raises(ConfigurationError, match="pay"):
        await Agent(FakeModel([])).resume(paused.state, approvals=[paused.pending[0].approve()])


async def test_complete_tool_calls_run_and_the_run_goes_on_whatever_the_finish_reason() -> None:
    from dataclasses import replace

    from reverie.model import FinishReason

    tools, ran = tools_and_log()
    says_stop = replace(
        FakeModel.tool_calls(("add", {"a": 4, "b": 4})), finish_reason=FinishReason.STOP
    )
    model = FakeModel([says_stop, FakeModel.text("8")])
    result = await Agent(model, tools=tools).generate("add")
    assert ran == [("add", {"a": 4, "b": 4})]
    assert len(model.calls) == 2 and result.text == "8"


async def test_a_paused_run_cannot_be_continued_with_a_new_prompt() -> None:
    tools, _ = tools_and_log()
    model = FakeModel([FakeModel.tool_calls(("pay", {"invoice": 1}))])
    agent = Agent(model, tools=tools)
    paused = await agent.generate("pay")
    with pytest.raises(ConfigurationError, match="resume it"):
        agent.start("and now?", history=paused)


async def test_pending_calls_are_plain_data_that_can_be_built_again() -> None:
    call = PendingCall("c", "pay", {"invoice": 1}, "approval", "f" * 64)
    assert call.approve() == Approval("c", "f" * 64)
    assert call.deny("no").reason == "no"
    assert call.answer(3).output == 3


async def test_an_external_tool_that_needs_approval_asks_first_then_waits_for_its_result() -> None:
    @tool(external=True, requires_approval=True)
    def transfer(amount: int) -> str:
        "Move money (done by the bank's own system)"
        raise AssertionError("never runs")

    model = FakeModel([FakeModel.tool_calls(("transfer", {"amount": 5})), FakeModel.text("sent")])
    agent = Agent(model, tools=[transfer])
    paused = await agent.generate("send 5")
    assert [p.kind for p in paused.pending] == ["approval"]
    assert paused.state is not None
    approved = await agent.resume(paused.state, approvals=[paused.pending[0].approve()])
    assert [p.kind for p in approved.pending] == ["external"] and len(model.calls) == 1
    assert approved.state is not None
    done = await agent.resume(approved.state, results=[approved.pending[0].answer("ok")])
    assert done.text == "sent"
