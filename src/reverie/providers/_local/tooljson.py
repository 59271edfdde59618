"""Tool calls as constrained JSON, for models that cannot call tools natively. Pure: no I/O.

A small model (SmolLM2-135M) has no tool-calling format of its own, but llama.cpp can
constrain its output to a JSON schema. So each step asks for exactly one JSON object::

    {"tool_calls": [{"tool": "<name>", "arguments": {...}}, ...]}   call one or more tools
    {"final_answer": "<text>"}                                      answer the user

:func:`answer_schema` builds that schema: an array of calls (one ``anyOf`` branch per
offered tool, each tool's arguments constrained by its own schema, its ``$defs`` hoisted to
the root by :mod:`~reverie.providers._local.toolschema`), and the answer. Several calls in
one step are what hosted models call parallel tool calls; a small model plans "add and
multiply" as two calls at once far more reliably than as two steps.

:func:`offered_tools` decides what a step may do. After a tool result the tools that have
not yet answered in this turn stay offered, next to the answer, so a task can go on in
further steps; a tool that already returned a result in this turn is not offered again
(small models repeat their last reply: offered again, it would be called until the step
limit). ``tool_choice="required"`` withholds the answer only while some tool has not
answered yet, for the same reason; ``"none"`` offers only the answer; a specific tool,
only that tool, called once.

:func:`rewrite_messages` turns the conversation into turns the model's chat template knows:
earlier calls as the JSON the model wrote, and each step's results as one ``tool`` turn
holding a JSON object from ``name(arguments)`` to result, a form a small model copies into
its answer faithfully (measured against plain "Result of tool x: ..." lines, which it
mostly did not). :func:`decode_answer` turns the JSON back into our parts
(:mod:`~reverie.providers._local.answerstream` does it as the reply streams).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

import orjson

from reverie.content import (
    ErrorOutput,
    JsonOutput,
    MediaOutput,
    Message,
    Part,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolOutput,
    ToolResultPart,
)
from reverie.model import SpecificTool, ToolChoice, ToolSpec
from reverie.providers._local.toolschema import hoist_definitions, type_name

TEXT_ID = "answer"
MAX_CALLS_PER_STEP = 4
"""At most this many calls in one reply: a small model otherwise repeats calls until its
token limit cuts the JSON off (measured: eight ``utc_now`` calls for "What time is it?")."""

# No placeholders such as "<your answer>": a 135M model copies them literally.
_TOOLS = "You can use these tools:\n{tools}\n"
_CALLS = (
    'the key "tool_calls" holding a list of the tool calls to make (each with the keys '
    '"tool" and "arguments")'
)
_ANSWER = 'the key "final_answer" holding your answer to the user'
_CONTINUE = "Reply now, with the JSON object."


def answered_tools(messages: Sequence[Message]) -> set[str]:
    """The tools that returned a result (not an error) since the last user message."""
    done: set[str] = set()
    for msg in reversed(messages):
        if msg.role == "user":
            break
        if msg.role == "tool":
            for part in msg.content:
                if isinstance(part, ToolResultPart) and not isinstance(part.output, ErrorOutput):
                    done.add(part.tool_name)
    return done


def offered_tools(
    tools: Sequence[ToolSpec], choice: ToolChoice | None, messages: Sequence[Message] = ()
) -> tuple[list[ToolSpec], bool]:
    """The tools the model may call this step, and whether it may answer instead (see the
    module docstring)."""
    if choice == "none":
        return [], True
    if isinstance(choice, SpecificTool):
        return [t for t in tools if t.name == choice.name], False
    done = answered_tools(messages)
    remaining = [t for t in tools if t.name not in done]
    return remaining, choice != "required" or not remaining


def answer_schema(
    tools: Sequence[ToolSpec], allow_answer: bool, max_calls: int = MAX_CALLS_PER_STEP
) -> dict[str, Any]:
    """The JSON schema of one step's reply (see the module docstring)."""
    definitions: dict[str, Any] = {}
    items: list[dict[str, Any]] = []
    for tool in tools:
        arguments, hoisted = hoist_definitions(tool.input_schema, tool.name)
        definitions.update(hoisted)
        items.append(
            {
                "type": "object",
                "properties": {
                    "tool": {"type": "string", "const": tool.name},
                    "arguments": arguments or {"type": "object"},
                },
                "required": ["tool", "arguments"],
                "additionalProperties": False,
            }
        )
    branches: list[dict[str, Any]] = []
    if items:
        calls = {
            "type": "array",
            "items": items[0] if len(items) == 1 else {"anyOf": items},
            "minItems": 1,
            "maxItems": max_calls,
        }
        branches.append(_one_key("tool_calls", calls))
    if allow_answer or not items:
        branches.append(_one_key("final_answer", {"type": "string"}))
    schema = branches[0] if len(branches) == 1 else {"anyOf": branches}
    return {**schema, "$defs": definitions} if definitions else schema


def _one_key(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {key: value},
        "required": [key],
        "additionalProperties": False,
    }


def response_format(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The Chat Completions ``response_format`` that constrains output to ``schema``."""
    return {
        "type": "json_schema",
        "json_schema": {"name": "reply", "strict": True, "schema": dict(schema)},
    }


def describe_tool(tool: ToolSpec) -> str:
    """``- name(a: integer, b: integer): description``, for the system prompt."""
    props: Mapping[str, Any] = _object(tool.input_schema.get("properties"))
    params = ", ".join(
        f"{name}: {type_name(spec, tool.input_schema)}" for name, spec in props.items()
    )
    return f"- {tool.name}({params}): {tool.description}".rstrip(": ")


def instructions(tools: Sequence[ToolSpec], allow_answer: bool) -> str:
    """The system prompt's part that describes the offered tools and the reply's form."""
    if not tools:
        return f"Reply with JSON: {_ANSWER}."
    listed = _TOOLS.format(tools="\n".join(describe_tool(t) for t in tools))
    if allow_answer:
        return f"{listed}Reply with one JSON object: {_CALLS}, or {_ANSWER}."
    return f"{listed}Reply with one JSON object: {_CALLS}."


def _object(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return cast(Mapping[str, Any], value) if isinstance(value, Mapping) else {}


def rewrite_messages(
    messages: Sequence[Message], tools: Sequence[ToolSpec], allow_answer: bool
) -> list[Message]:
    """The conversation in the protocol's turns, with the instructions in the system prompt
    (see the module docstring). A conversation that ends with the assistant gets a user
    turn asking for the reply: constrained output cannot continue an assistant turn."""
    out: list[Message] = []
    calls: dict[str, ToolCallPart] = {}
    for msg in messages:
        if msg.role == "assistant":
            calls.update((p.tool_call_id, p) for p in msg.content if isinstance(p, ToolCallPart))
            text = _assistant_text(msg)
            if text:
                out.append(Message("assistant", (TextPart(text),)))
        elif msg.role == "tool":
            results = [p for p in msg.content if isinstance(p, ToolResultPart)]
            if results:
                number = sum(m.role == "tool" for m in out) + 1
                out.append(Message("tool", (_results_part(results, calls, number),)))
        else:
            out.append(msg)
    if out and out[-1].role == "assistant":
        out.append(Message("user", (TextPart(_CONTINUE),)))
    told = instructions(tools, allow_answer)
    if out and out[0].role == "system":
        out[0] = Message("system", (TextPart(f"{out[0].text}\n\n{told}"),))
    else:
        out.insert(0, Message("system", (TextPart(told),)))
    return out


def _assistant_text(msg: Message) -> str:
    """An assistant turn as the JSON the protocol would have had it write."""
    texts = [p.text for p in msg.content if isinstance(p, TextPart) and p.text]
    calls = [
        {"tool": p.tool_name, "arguments": _arguments(p.input)}
        for p in msg.content
        if isinstance(p, ToolCallPart) and not p.provider_executed
    ]
    if calls:
        return "\n".join([*texts, json.dumps({"tool_calls": calls}, ensure_ascii=False)])
    if texts:
        return json.dumps({"final_answer": "\n".join(texts)}, ensure_ascii=False)
    return ""


def _arguments(text: str) -> Any:
    try:
        return orjson.loads(text or "{}")
    except orjson.JSONDecodeError:
        return text


def _results_part(
    results: Sequence[ToolResultPart], calls: Mapping[str, ToolCallPart], number: int
) -> ToolResultPart:
    """One step's results as one part: ``{"add(a=2, b=3)": "5", ...}``. Its id is the
    step's number, not a call's: call ids are made up per reply, and a request must be
    the same each time the same conversation is sent (cassettes replay it)."""
    shown: dict[str, Any] = {}
    for part in results:
        call = calls.get(part.tool_call_id)
        key = _call_text(part.tool_name, call.input if call else "")
        if key in shown:
            key = f"{key} #{sum(k.startswith(key) for k in shown) + 1}"
        shown[key] = _output_value(part.output)
    text = json.dumps(shown, ensure_ascii=False)
    return ToolResultPart(f"results_{number}", results[0].tool_name, TextOutput(text))


def _call_text(name: str, arguments: str) -> str:
    """``add(a=2, b=3)``: a call as a small model reads it best."""
    value = _arguments(arguments)
    if isinstance(value, Mapping):
        items = cast(Mapping[str, Any], value).items()
        shown = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in items)
    else:
        shown = str(value)
    return f"{name}({shown})"


def _output_value(output: ToolOutput) -> Any:
    if isinstance(output, TextOutput):
        return output.text
    if isinstance(output, ErrorOutput):
        return f"error: {output.message}"
    if isinstance(output, MediaOutput):
        return output.text or f"({output.media_type} data)"
    if isinstance(output, JsonOutput):  # pyright: ignore[reportUnnecessaryIsInstance]
        return output.value
    return str(output)


def new_call_id() -> str:
    return "call_" + uuid.uuid4().hex[:16]


def decode_answer(text: str) -> tuple[Part, ...]:
    """The parts one reply stands for: tool calls, the answer text, or (when the reply is
    not the JSON asked for, e.g. cut off by the token limit) the raw text as it came.

    A call that repeats an earlier one of the same reply exactly (same tool, same
    arguments) is dropped: from a small model that is a stutter, not a plan."""
    reply = _object(_loads(text))
    calls = reply.get("tool_calls")
    items: list[Any] = cast(list[Any], calls) if isinstance(calls, list) else [reply]
    parts: list[Part] = []
    seen: set[tuple[str, str]] = set()
    for item in items:
        name = _object(item).get("tool")
        if isinstance(name, str):
            arguments = orjson.dumps(
                _object(item).get("arguments", {}), option=orjson.OPT_SORT_KEYS
            ).decode()
            if (name, arguments) not in seen:
                seen.add((name, arguments))
                parts.append(ToolCallPart(new_call_id(), name, arguments))
    if parts:
        return tuple(parts)
    if "final_answer" in reply:
        return (TextPart(str(reply["final_answer"])),)
    return (TextPart(text),) if text else ()


def is_protocol_reply(text: str) -> bool:
    """Whether ``text`` is a reply in the protocol's form (else it is shown as raw text)."""
    reply = _object(_loads(text))
    return "final_answer" in reply or "tool_calls" in reply or "tool" in reply


def _loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    import json_repair  # pyright: ignore[reportMissingTypeStubs]

    try:
        return json_repair.loads(text)  # pyright: ignore[reportUnknownMemberType]
    except Exception:
        return None
