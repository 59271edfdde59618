"""Client tool calls in an agent step: validate, repair, and run one.

Validation checks that the tool exists, that the arguments are a JSON object with every
required key, and that they fit the signature. A failing call is repaired by the user's
hook, else by JSON repair; a call that stays invalid becomes an error result and is never
run. :func:`run_call` runs a valid one, within its time limit.

Nothing a model sends can hold the event loop: JSON repair runs in a thread and is not
attempted on arguments over 64 KiB (:mod:`reverie._json`), and arguments over
:data:`ARGUMENTS_LIMIT` are not even parsed; both get an error result the model sees.
"""

from __future__ import annotations

import asyncio
import inspect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import orjson

from reverie._json import REPAIR_LIMIT, TOO_LARGE, repair_json_off_loop
from reverie._steps import RepairContext, RepairToolCall
from reverie.content import ErrorOutput, Message, ToolCallPart, ToolResultPart
from reverie.tool import FunctionTool, ToolArgumentsError, ToolResponse

ARGUMENTS_LIMIT = 16 * 1024 * 1024
"""The longest arguments text (in characters) a call may have; a longer one is answered
with an error result. Parsing 16 MiB of JSON takes orjson about 20 ms on the loop."""

_TOO_LONG_TO_REPAIR = (
    f"(the arguments are too long to be repaired: only up to {REPAIR_LIMIT} characters "
    "are; send valid JSON)"
)


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
        fixed = await repair_json_object(call.input)
        if fixed is TOO_LONG:
            return replace(result, error=f"{result.error} {_TOO_LONG_TO_REPAIR}")
        if isinstance(fixed, str) and fixed != call.input:
            second = validate_call(replace(call, input=fixed), tools)
            if second.error is None:
                return replace(second, repaired=True)
    return result


async def run_call(
    call: ToolCallPart,
    arguments: Mapping[str, Any],
    tool: FunctionTool,
    default_timeout: float | None = None,
) -> ToolResultPart:
    """Run one valid call; its result (an error result for arguments the tool refuses, or
    for a call over its time limit: the tool's ``timeout``, else ``default_timeout``, the
    agent's). :class:`~reverie.tool.CallDeferred` from the tool propagates."""
    seconds = tool.timeout if tool.timeout is not None else default_timeout
    response = await _run_bounded(tool, arguments, seconds)
    output = response.output
    assert not isinstance(output, str)
    return ToolResultPart(call.tool_call_id, call.tool_name, output, stop_turn=response.stop_turn)


async def _run_bounded(
    tool: FunctionTool, arguments: Mapping[str, Any], seconds: float | None
) -> ToolResponse:
    """One call of ``tool``, stopped after ``seconds`` (None: no limit): an async tool is
    cancelled, a sync tool's thread abandoned (see :mod:`reverie.tool`)."""
    limit = asyncio.timeout(None if seconds is None or math.isinf(seconds) else seconds)
    try:
        async with limit:
            return await tool.run(arguments)
    except ToolArgumentsError as exc:
        return ToolResponse(ErrorOutput(str(exc)))
    except TimeoutError:
        if not limit.expired():
            raise
        return ToolResponse(
            ErrorOutput(
                f"the tool {tool.name!r} did not finish within {seconds:g}s and was stopped "
                "(its time limit); try again with a smaller task, or do without it"
            )
        )


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


CUT_OFF = (
    "the tool call was cut off by the output token limit (finish reason 'length') and was not "
    "run; raise max_output_tokens"
)
"""The result of a call that a step ending at the token limit cut off: it is never run on a
guess (in such a step, a call whose arguments needed repair, or could not be repaired)."""


def validate_call(call: ToolCallPart, tools: Mapping[str, FunctionTool]) -> Checked:
    tool = tools.get(call.tool_name)
    if tool is None:
        names = ", ".join(tools) or "none"
        return Checked(call, None, f"tool not found: {call.tool_name}. Available tools: {names}")
    if len(call.input) > ARGUMENTS_LIMIT:
        # Even parsing valid JSON this long would hold the event loop for too long.
        return Checked(
            call,
            None,
            f"the arguments are {len(call.input)} characters long, over the limit of "
            f"{ARGUMENTS_LIMIT}; the call was not run: pass less data per call",
        )
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


TOO_LONG: Final = object()
"""What :func:`repair_json_object` returns for arguments too long to repair."""


async def repair_json_object(text: str) -> str | object | None:
    """A repaired JSON object text; None when nothing object-like can be recovered;
    :data:`TOO_LONG` past the repair limit. The repair runs off the event loop
    (:func:`reverie._json.repair_json_off_loop`)."""
    value: Any = await repair_json_off_loop(text)
    if value is TOO_LARGE:
        return TOO_LONG
    if not isinstance(value, dict):
        return None
    return orjson.dumps(value).decode()
