"""Continuing a conversation from a finished run, and pausing at step boundaries."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from reverie import Agent, tool
from reverie.content import ReasoningPart, TextPart, user
from reverie.errors import ConfigurationError
from reverie.model import FinishReason, Response, Usage
from reverie.run_state import RunState
from reverie.testing._fake import FakeModel

pytestmark = pytest.mark.anyio


def signed_answer(text: str) -> Response:
    """An answer whose reasoning carries a signature that must go back verbatim."""
    return Response(
        (
            ReasoningPart("hmm", provider_metadata={"fake": {"signature": "sig-1=="}}),
            TextPart(text, provider_metadata={"fake": {"id": "msg_9"}}),
        ),
        FinishReason.STOP,
        Usage(3, 4, 7),
    )


async def test_a_finished_state_read_from_json_continues_the_conversation_exactly() -> None:
    model = FakeModel([signed_answer("Olá!"), FakeModel.text("Adeus!")])
    agent = Agent(model, system="Be brief.")
    first = await agent.generate("Say hi in Portuguese")
    assert first.state is not None and first.state.finished
    saved = first.state.to_json()

    second = await Agent(model, system="Be brief.").generate(
        "Now goodbye", history=RunState.from_json(saved)
    )
    sent = model.calls[1].messages
    assert sent == (*first.messages, user("Now goodbye"))
    assert sent[0].role == "system" and sum(m.role == "system" for m in sent) == 1
    reasoning = sent[2].content[0]
    assert isinstance(reasoning, ReasoningPart)
    assert reasoning.provider_metadata == {"fake": {"signature": "sig-1=="}}
    assert second.text == "Adeus!" and second.state is not None
    assert second.state.run_id != first.state.run_id


async def test_history_may_be_a_result_or_messages_and_the_system_prompt_comes_first() -> None:
    model = FakeModel([FakeModel.text("one"), FakeModel.text("two"), FakeModel.text("three")])
    agent = Agent(model, system="S")
    first = await agent.generate("a")
    await agent.generate("b", history=first)
    assert model.calls[1].messages == (*first.messages, user("b"))
    without_system = [m for m in first.messages if m.role != "system"]
    await agent.generate("c", history=without_system)
    assert model.calls[2].messages == (*first.messages, user("c"))


async def test_pause_after_steps_stops_at_a_boundary_and_zero_sends_nothing() -> None:
    @tool
    def add(a: int, b: int) -> int:
        "Add"
        return a + b

    model = FakeModel([FakeModel.tool_calls(("add", {"a": 1, "b": 2})), FakeModel.text("3")])
    agent = Agent(model, tools=[add])
    nothing = await agent.generate("add", pause_after_steps=0)
    assert nothing.status == "paused" and model.calls == [] and nothing.pending == ()
    assert nothing.state is not None
    one = await agent.resume(nothing.state, pause_after_steps=1)
    assert one.status == "paused" and len(one.steps) == 1 and len(model.calls) == 1
    assert one.state is not None and one.state.open_step is None
    done = await agent.resume(one.state)
    assert done.status == "finished" and done.text == "3"
    with pytest.raises(ConfigurationError, match="pause_after_steps"):
        await agent.resume(one.state, pause_after_steps=-1)


async def test_a_run_id_is_kept_across_pauses() -> None:
    model = FakeModel([FakeModel.text("x")])
    agent = Agent(model)
    paused = await agent.generate("hi", run_id="run-42", pause_after_steps=0)
    assert paused.state is not None and paused.state.run_id == "run-42"
    done = await agent.resume(paused.state)
    assert done.state is not None and done.state.run_id == "run-42"


class Invoice(BaseModel):
    number: int
    paid: bool


async def test_structured_output_survives_a_pause_before_the_output() -> None:
    @tool(requires_approval=True)
    def pay(invoice: int) -> str:
        "Pay an invoice"
        return "paid"

    model = FakeModel(
        [
            FakeModel.tool_calls(("pay", {"invoice": 5})),
            FakeModel.tool_calls(("Invoice", {"number": 5, "paid": True})),
        ]
    )
    agent = Agent(model, tools=[pay], output_type=Invoice, output_mode="tool")
    paused = await agent.generate("pay invoice 5 and report")
    assert paused.state is not None
    state = RunState.from_json(paused.state.to_json())
    result = await Agent(model, tools=[pay], output_type=Invoice, output_mode="tool").resume(
        state, approvals=[state.pending[0].approve()]
    )
    assert result.output == Invoice(number=5, paid=True)


async def test_structured_output_accepted_in_the_paused_step_is_read_back() -> None:
    @tool(requires_approval=True)
    def pay(invoice: int) -> str:
        "Pay an invoice"
        return "paid"

    both = FakeModel.tool_calls(("pay", {"invoice": 5}), ("Invoice", {"number": 5, "paid": False}))
    model = FakeModel([both])
    make = lambda: Agent(model, tools=[pay], output_type=Invoice, output_mode="tool")  # noqa: E731
    paused = await make().generate("pay and report")
    assert paused.state is not None
    state = RunState.from_json(paused.state.to_json())
    result = await make().resume(state, approvals=[state.pending[0].approve()])
    assert result.status == "finished" and len(model.calls) == 1
    assert result.output == Invoice(number=5, paid=False)


async def test_a_forced_output_step_is_remembered_across_a_boundary() -> None:
    model = FakeModel(
        [
            FakeModel.text("I think it is paid."),
            FakeModel.tool_calls(("Invoice", {"number": 1, "paid": True})),
        ]
    )
    make = lambda: Agent(model, output_type=Invoice, output_mode="tool")  # noqa: E731
    paused = await make().generate("report", pause_after_steps=1)
    assert paused.state is not None and paused.state.output_forced
    state = RunState.from_json(paused.state.to_json())
    result = await make().resume(state)
    assert result.output == Invoice(number=1, paid=True)
    assert model.calls[1].tools and model.calls[1].tools[0].name == "Invoice"


async def test_resuming_a_finished_run_calls_nothing_and_gives_the_same_output() -> None:
    answer = '{"number": 3, "paid": true}'
    model = FakeModel([FakeModel.text(answer)])
    make = lambda: Agent(model, output_type=Invoice, output_mode="text")  # noqa: E731
    done = await make().generate("report")
    assert done.state is not None and done.output == Invoice(number=3, paid=True)
    again = await make().resume(RunState.from_json(done.state.to_json()))
    assert again.output == done.output and again.messages == done.messages
    assert len(model.calls) == 1
