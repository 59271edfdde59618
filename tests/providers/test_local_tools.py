"""The local model with real tools: calls after a result, pydantic arguments, typed output.

(Several calls in one step: the Quickstart's test, tests/cli/test_quickstart.py.)

Live tests on the in-process llama.cpp server (shared with the other local tests). They
check the mechanism: the grammar let the model make the calls, the agent validated and ran
them, the output came back typed. Where a test needs the model to choose well, it says so.
"""

from __future__ import annotations

import asyncio
import enum
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from reverie import Agent, tool
from reverie.agent import RunResult, StepContext, StepOverrides, step_count_is
from reverie.content import ErrorOutput
from reverie.model import SpecificTool
from tests.local_model import local_model_or_skip


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two numbers."""
    return a * b


def _run(agent: Agent, prompt: str, streaming: bool) -> RunResult:
    if streaming:
        return asyncio.run(agent.stream(prompt).collect())
    return asyncio.run(agent.generate(prompt))


def test_a_tool_not_yet_used_is_called_after_a_result() -> None:
    # Step 1 is forced to `add` alone; step 2 is free, and `multiply` is still offered (the
    # model picking it over answering at once is its choice, measured stable when greedy).
    model: Any = local_model_or_skip()

    def first_add(ctx: StepContext) -> StepOverrides | None:
        return StepOverrides(tool_choice=SpecificTool("add")) if ctx.step_number == 0 else None

    agent = Agent(model, tools=[add, multiply], prepare_step=first_add,
                  stop_when=step_count_is(2))  # fmt: skip
    result = _run(agent, "Add and multiply the numbers 2 and 3", streaming=False)
    assert [c.tool_name for c in result.steps[0].tool_calls] == ["add"]
    assert [c.tool_name for c in result.steps[1].tool_calls] == ["multiply"]


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Point(BaseModel):
    x: int
    y: int


class Shape(BaseModel):
    name: str
    corner: Point


received: list[dict[str, Any]] = []


@tool
def draw(
    color: Color,
    shape: Shape,
    points: list[Point],
    kind: Literal["line", "dot"] = "dot",
    note: str | None = None,
) -> str:
    """Draw a shape."""
    received.append({"color": color, "shape": shape, "points": points, "kind": kind, "note": note})
    return "drawn"


def test_a_tool_with_pydantic_enum_literal_and_optional_arguments() -> None:
    # Enum and nested models put $defs in the schema ("cannot resolve $ref" before they were
    # hoisted); the grammar then makes every argument valid, so the tool runs.
    model: Any = local_model_or_skip()
    received.clear()
    agent = Agent(model, tools=[draw], tool_choice=SpecificTool("draw"),
                  stop_when=step_count_is(1), max_output_tokens=160)  # fmt: skip
    result = _run(agent, "Draw a red square at 1,2 through the points 3,4 and 5,6", False)
    (call,) = result.steps[0].tool_calls
    assert call.tool_name == "draw"
    (output,) = [r.output for r in result.steps[0].tool_results]
    assert not isinstance(output, ErrorOutput), output
    (args,) = received
    assert isinstance(args["color"], Color)
    assert isinstance(args["shape"], Shape)
    assert isinstance(args["shape"].corner, Point)
    assert args["points"]
    assert all(isinstance(p, Point) for p in args["points"])
    assert args["kind"] in ("line", "dot")
    assert args["note"] is None or isinstance(args["note"], str)


class Sum(BaseModel):
    total: int


@pytest.mark.parametrize("streaming", [False, True], ids=["generate", "stream"])
@pytest.mark.parametrize("with_tools", [False, True], ids=["no-tools", "tools"])
@pytest.mark.parametrize("with_output", [False, True], ids=["text", "output-type"])
def test_tools_output_type_and_streaming_combine(
    with_output: bool, with_tools: bool, streaming: bool
) -> None:
    model: Any = local_model_or_skip()
    agent = Agent(
        model,
        tools=[add] if with_tools else [],
        output_type=Sum if with_output else None,
        max_output_tokens=120,  # a first reply of calls is pretty-printed: ~40 tokens a call
        stop_when=step_count_is(4),
    )
    result = _run(agent, "What is 2 plus 3?", streaming)
    if with_output:
        assert isinstance(result.output, Sum)
    else:
        assert result.output is None
        assert result.text.strip()
    if with_tools:
        called = {c.tool_name for s in result.steps for c in s.tool_calls}
        assert called <= {"add", "Sum"}


def test_a_prose_answer_then_the_forced_output_step() -> None:
    # tool_choice="none" makes step 1 answer in prose; the output is then forced in a step
    # whose conversation ends with that answer, which llama.cpp refused to constrain
    # ("Failed to initialize samplers") until a user turn was added.
    model: Any = local_model_or_skip()
    agent = Agent(model, tools=[add], output_type=Sum, tool_choice="none",
                  max_output_tokens=60)  # fmt: skip
    result = _run(agent, "What is 2 plus 3?", streaming=True)
    assert result.steps[0].tool_calls == ()
    assert [c.tool_name for c in result.steps[-1].tool_calls] == ["Sum"]
    assert isinstance(result.output, Sum)
