"""Tool calls as constrained JSON, for models that cannot call tools natively. Pure: no I/O.

A small model (SmolLM2-135M) has no tool-calling format of its own, but llama.cpp can
constrain its output to a JSON schema. So each step asks for exactly one JSON object::

    {"tool": "<name>", "arguments": {...}}      call one tool (arguments per its schema)
    {"final_answer": "<text>"}                   answer the user

:func:`answer_schema` builds that schema (one ``anyOf`` branch per offered tool, plus the
answer); after a tool result, or with ``tool_choice="none"``, only the answer is allowed,
which is what keeps a tiny model from calling tools forever. :func:`rewrite_messages`
turns the conversation into plain text turns (earlier calls as the JSON the model wrote,
results as user turns), because such models' chat templates know no tool roles.
:func:`decode_answer` and :class:`AnswerStreamer` turn the JSON back into our parts and
events; the answer's text streams as it is generated.

One call per step: parallel calls are not offered (a 135M model cannot plan them).
"""

from __future__ import annotations

import re
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
from reverie.events import (
    StreamEvent,
    TextDelta,
    TextEnd,
    TextStart,
    ToolCall,
    ToolInputDelta,
    ToolInputEnd,
    ToolInputStart,
)
from reverie.model import SpecificTool, ToolChoice, ToolSpec

TEXT_ID = "answer"

_INSTRUCTIONS = (
    "You can use these tools:\n{tools}\n"
    'Reply with one JSON object: the keys "tool" and "arguments" to use a tool, or the key '
    '"final_answer" holding your answer to the user.'
)
# No placeholders such as "<your answer>": a 135M model copies them literally.
_AFTER_RESULT = (
    "The tool has answered. Now tell the user the answer in a full sentence, as JSON with "
    'the key "final_answer".'
)


def offered_tools(
    tools: Sequence[ToolSpec], choice: ToolChoice | None, after_result: bool
) -> tuple[list[ToolSpec], bool]:
    """The tools the model may call this step, and whether it may answer instead."""
    if after_result or choice == "none":
        return [], True
    if isinstance(choice, SpecificTool):
        return [t for t in tools if t.name == choice.name], False
    return list(tools), choice != "required"


def answer_schema(tools: Sequence[ToolSpec], allow_answer: bool) -> dict[str, Any]:
    """The JSON schema of one step's reply (see the module docstring)."""
    branches: list[dict[str, Any]] = [
        {
            "type": "object",
            "properties": {
                "tool": {"type": "string", "const": tool.name},
                "arguments": dict(tool.input_schema) or {"type": "object"},
            },
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        }
        for tool in tools
    ]
    if allow_answer or not branches:
        branches.append(
            {
                "type": "object",
                "properties": {"final_answer": {"type": "string"}},
                "required": ["final_answer"],
                "additionalProperties": False,
            }
        )
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


def response_format(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The Chat Completions ``response_format`` that constrains output to ``schema``."""
    return {
        "type": "json_schema",
        "json_schema": {"name": "reply", "strict": True, "schema": dict(schema)},
    }


def describe_tool(tool: ToolSpec) -> str:
    """``- name(a: integer, b: integer): description``, for the system prompt."""
    props: Mapping[str, Any] = tool.input_schema.get("properties") or {}
    params = ", ".join(f"{name}: {_type_name(spec)}" for name, spec in props.items())
    return f"- {tool.name}({params}): {tool.description}".rstrip(": ")


def _object(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return cast(Mapping[str, Any], value) if isinstance(value, Mapping) else {}


def _type_name(schema: Any) -> str:
    return str(_object(schema).get("type", "any"))


def rewrite_messages(
    messages: Sequence[Message], tools: Sequence[ToolSpec], after_result: bool
) -> list[Message]:
    """The conversation as plain system/user/assistant text, with the tool instructions."""
    instructions = ""
    if tools:
        instructions = _INSTRUCTIONS.format(tools="\n".join(describe_tool(t) for t in tools))
    if after_result:
        instructions = _AFTER_RESULT
    out: list[Message] = []
    for msg in messages:
        if msg.role == "assistant":
            texts: list[str] = []
            for part in msg.content:
                if isinstance(part, TextPart) and part.text:
                    texts.append(part.text)
                elif isinstance(part, ToolCallPart) and not part.provider_executed:
                    texts.append(_call_json(part))
            if texts:
                out.append(Message("assistant", (TextPart("\n".join(texts)),)))
        elif msg.role == "tool":
            lines = [
                f"Result of tool {p.tool_name}: {_output_text(p.output)}"
                for p in msg.content
                if isinstance(p, ToolResultPart)
            ]
            if lines:
                out.append(Message("user", (TextPart("\n".join(lines)),)))
        else:
            out.append(msg)
    if instructions:
        if out and out[0].role == "system":
            first = out[0]
            out[0] = Message("system", (TextPart(f"{first.text}\n\n{instructions}"),))
        else:
            out.insert(0, Message("system", (TextPart(instructions),)))
    return out


def _call_json(part: ToolCallPart) -> str:
    try:
        arguments = orjson.loads(part.input or "{}")
    except orjson.JSONDecodeError:
        arguments = part.input
    return orjson.dumps({"tool": part.tool_name, "arguments": arguments}).decode()


def _output_text(output: ToolOutput) -> str:
    if isinstance(output, TextOutput):
        return output.text
    if isinstance(output, ErrorOutput):
        return f"error: {output.message}"
    if isinstance(output, MediaOutput):
        return output.text or f"({output.media_type} data)"
    if isinstance(output, JsonOutput):  # pyright: ignore[reportUnnecessaryIsInstance]
        return orjson.dumps(output.value, default=str).decode()
    return str(output)


def new_call_id() -> str:
    return "call_" + uuid.uuid4().hex[:16]


def decode_answer(text: str) -> tuple[Part, ...]:
    """The parts one reply stands for: a tool call, the answer text, or (when the reply is
    not the JSON asked for, e.g. cut off by the token limit) the raw text as it came."""
    value: Any = _loads(text)
    reply = _object(value)
    name = reply.get("tool")
    if isinstance(name, str):
        arguments = orjson.dumps(reply.get("arguments", {})).decode()
        return (ToolCallPart(new_call_id(), name, arguments),)
    if "final_answer" in reply:
        return (TextPart(str(reply["final_answer"])),)
    return (TextPart(text),) if text else ()


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


_KEY = re.compile(r'\s*\{\s*"(final_answer|tool)"\s*:\s*')
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class AnswerStreamer:
    """Feed the reply's text as it streams; get back the events it stands for.

    The ``final_answer`` string is decoded and emitted as text deltas while it is being
    generated; a tool call is emitted whole when the reply is complete (:meth:`finish`).
    """

    def __init__(self) -> None:
        self._buffer = ""
        self._kind: str | None = None  # "final_answer", "tool", or "raw" once known
        self._pos = 0  # in final_answer: the next unread character of the string value
        self._string_done = False
        self._text_open = False
        self._started = False  # a TextStart was emitted

    @property
    def text(self) -> str:
        """Everything received so far."""
        return self._buffer

    def feed(self, delta: str) -> list[StreamEvent]:
        self._buffer += delta
        if self._kind is None:
            match = _KEY.match(self._buffer)
            if match is None:
                stripped = self._buffer.lstrip()
                if stripped and not _could_become_key(stripped):
                    self._kind = "raw"
                return []
            self._kind = match.group(1)
            self._pos = match.end()
        if self._kind != "final_answer" or self._string_done:
            return []
        return self._stream_string()

    def _stream_string(self) -> list[StreamEvent]:
        buf = self._buffer
        if self._pos < len(buf) and not self._text_open:
            if buf[self._pos] != '"':
                self._string_done = True  # not a string: decode_answer will sort it out
                return []
            self._pos += 1
            self._text_open = True
        if not self._text_open:
            return []
        out: list[str] = []
        i = self._pos
        while i < len(buf):
            ch = buf[i]
            if ch == '"':
                self._string_done = True
                i += 1
                break
            if ch != "\\":
                out.append(ch)
                i += 1
                continue
            if i + 1 >= len(buf):
                break  # wait for the escaped character
            esc = buf[i + 1]
            if esc == "u":
                decoded, used = _unicode_escape(buf, i)
                if used == 0:
                    break  # wait for the whole escape
                out.append(decoded)
                i += used
            else:
                out.append(_ESCAPES.get(esc, esc))
                i += 2
        self._pos = i
        events: list[StreamEvent] = []
        if out:
            if not self._started:
                self._started = True
                events.append(TextStart(TEXT_ID))
            events.append(TextDelta(TEXT_ID, "".join(out)))
        return events

    def finish(self) -> tuple[list[StreamEvent], bool]:
        """The closing events, and whether the reply was a tool call."""
        events: list[StreamEvent] = []
        if self._started:
            events.append(TextEnd(TEXT_ID))
            return events, False
        parts = decode_answer(self._buffer)
        for part in parts:
            if isinstance(part, ToolCallPart):
                events += [
                    ToolInputStart(part.tool_call_id, part.tool_name),
                    ToolInputDelta(part.tool_call_id, part.input),
                    ToolInputEnd(part.tool_call_id),
                    ToolCall(part),
                ]
                return events, True
            if isinstance(part, TextPart) and part.text:
                events += [TextStart(TEXT_ID), TextDelta(TEXT_ID, part.text), TextEnd(TEXT_ID)]
        return events, False


def _could_become_key(text: str) -> bool:
    """Whether ``text`` may still grow into ``{"final_answer":`` or ``{"tool":``."""
    compact = re.sub(r"\s+", "", text)
    return any(
        target.startswith(compact) or compact.startswith(target)
        for target in ('{"final_answer":', '{"tool":')
    )


def _unicode_escape(buf: str, i: int) -> tuple[str, int]:
    """Decode ``\\uXXXX`` (and a surrogate pair) at ``buf[i]``; ``(text, length)`` or 0."""
    if i + 6 > len(buf):
        return "", 0
    try:
        code = int(buf[i + 2 : i + 6], 16)
    except ValueError:
        return buf[i : i + 6], 6
    if 0xD800 <= code < 0xDC00:
        if i + 12 > len(buf):
            return "", 0
        if buf[i + 6 : i + 8] == "\\u":
            try:
                low = int(buf[i + 8 : i + 12], 16)
            except ValueError:
                low = 0
            if 0xDC00 <= low < 0xE000:
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), 12
    return chr(code), 6
