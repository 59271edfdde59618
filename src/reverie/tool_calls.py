"""Client tool calls in an agent step: validate, repair, and run them concurrently.

Validation checks that the tool exists, that the arguments are a JSON object with every
required key, and that they fit the signature. A failing call is repaired by the user's
hook, else by JSON repair; a call that stays invalid becomes an error result and is never
run. Valid calls run concurrently under a bound, results in call order.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson

from reverie.content import ErrorOutput, Message, ToolCallPart, ToolResultPart
from reverie.observe import NO_WATCH, Watch
from reverie.steps import RepairContext, RepairToolCall
from reverie.tool import FunctionTool, ToolArgumentsError, ToolResponse


@dataclass(frozen=True, slots=True)
class Checked:
    """A client tool call after validation: ``arguments`` when valid, else ``error``."""

    call: ToolCallPart
    arguments: dict[str, Any] | None
    error: str | None
    repaired: bool = False


async def maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def check_call(
    call: ToolCallPart,
    tools: Mapping[str, FunctionTool],
    repair_hook: RepairToolCall | None,
    messages: tuple[Message, ...],
    system: str | None,
) -> Checked:
    """Validate one call; repair it (the user's hook, else JSON repair) when invalid."""
    result = validate_call(call, tools)
    if result.error is None:
        return result
    if repair_hook is not None:
        repaired: ToolCallPart | None = await maybe_await(
            repair_hook(RepairContext(call, result.error, tools, messages, system))
        )
        if repaired is not None:
            second = validate_call(repaired, tools)
            if second.error is None:
                return replace(second, repaired=True)
    else:
        fixed = repair_json_object(call.input)
        if fixed is not None and fixed != call.input:
            second = validate_call(replace(call, input=fixed), tools)
            if second.error is None:
                return replace(second, repaired=True)
    return result


async def execute_calls(
    calls: Sequence[Checked],
    tools: Mapping[str, FunctionTool],
    max_concurrency: int,
    watch: Watch = NO_WATCH,
) -> AsyncGenerator[ToolResultPart, None]:
    """Run valid calls concurrently; yield results in call order as they become ready.
    ``watch`` hears of each execution from inside the task that runs it."""
    if not calls:
        return
    limit = asyncio.Semaphore(max_concurrency)

    async def run_one(item: Checked) -> ToolResultPart:
        call = item.call
        if item.arguments is None:
            return ToolResultPart(call.tool_call_id, call.tool_name, ErrorOutput(item.error or ""))
        async with limit:
            result: ToolResultPart | None = None
            watch.tool_start(call)
            try:
                result = await _run_tool(tools[call.tool_name], call, item.arguments)
                return result
            finally:
                watch.tool_end(call, result)

    tasks = [asyncio.ensure_future(run_one(c)) for c in calls]
    try:
        for task in tasks:
            yield await task
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _run_tool(
    tool: FunctionTool, call: ToolCallPart, arguments: dict[str, Any]
) -> ToolResultPart:
    try:
        response = await tool.run(arguments)
    except ToolArgumentsError as exc:
        response = ToolResponse(ErrorOutput(str(exc)))
    output = response.output
    assert not isinstance(output, str)
    return ToolResultPart(call.tool_call_id, call.tool_name, output, stop_turn=response.stop_turn)


def unique_id(call: ToolCallPart, earlier: Sequence[Checked]) -> ToolCallPart:
    """``call`` with an id no earlier call of the step has: some hosts repeat one id for
    several calls, and providers reject two results for one id."""
    taken = {c.call.tool_call_id for c in earlier}
    if call.tool_call_id not in taken:
        return call
    n = 1
    while f"{call.tool_call_id}-{n}" in taken:
        n += 1
    return replace(call, tool_call_id=f"{call.tool_call_id}-{n}")


def cut_off(item: Checked) -> Checked:
    """In a step that hit the output limit, a call whose arguments needed repair (or could
    not be repaired) was cut off mid-arguments: never run it on a guess."""
    if item.arguments is not None and not item.repaired:
        return item
    return Checked(
        item.call,
        None,
        "the tool call was cut off by the output token limit (finish reason 'length') and "
        "was not run; raise max_output_tokens",
    )


def validate_call(call: ToolCallPart, tools: Mapping[str, FunctionTool]) -> Checked:
    tool = tools.get(call.tool_name)
    if tool is None:
        names = ", ".join(tools) or "none"
        return Checked(call, None, f"tool not found: {call.tool_name}. Available tools: {names}")
    try:
        args = orjson.loads(call.input or "{}")
    except orjson.JSONDecodeError as exc:
        return Checked(call, None, f"invalid JSON input: {exc}")
    if not isinstance(args, dict):
        return Checked(call, None, "invalid JSON input: the arguments must be a JSON object")
    for name in tool.required:
        if name not in args:
            return Checked(call, None, f"missing required parameter: {name}")
    try:
        tool.validate(args)  # pyright: ignore[reportUnknownArgumentType]
    except ToolArgumentsError as exc:
        return Checked(call, None, str(exc))
    return Checked(call, args, None)  # pyright: ignore[reportUnknownArgumentType]


def repair_json_object(text: str) -> str | None:
    """A repaired JSON object text, or None when nothing object-like can be recovered."""
    from reverie._json import repair_json

    value: Any = repair_json(text)
    if not isinstance(value, dict):
        return None
    return orjson.dumps(value).decode()
