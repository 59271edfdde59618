"""A recorded conversation as readable turns: pure functions over request and response bodies.

Requests of every wire in the corpus are read (OpenAI Chat Completions, OpenAI Responses,
Anthropic Messages, Gemini); each yields ``(role, text)`` turns. Chat Completions responses
go through reverie's own decoders (the same code a live call uses); the other wires are
read loosely for display only: text, reasoning and tool calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import orjson

Turn = tuple[str, str]  # (role or kind, text)


def _obj(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return cast(Mapping[str, Any], value) if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return cast(list[Any], value) if isinstance(value, list) else []


def _json(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def _args(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _content_text(content: Any) -> str:
    """Text of a message's content in any of the wires' shapes (string or list of blocks)."""
    if isinstance(content, str):
        return content
    pieces: list[str] = []
    for item in _list(content):
        if isinstance(item, str):
            pieces.append(item)
            continue
        block = _obj(item)
        kind = str(block.get("type", ""))
        text = block.get("text")
        if isinstance(text, str):
            pieces.append(text)
        elif kind in ("image_url", "image", "input_image", "file", "input_file"):
            pieces.append(f"[{kind}]")
    return "\n".join(pieces)


def request_turns(body: Any) -> list[Turn]:
    """The conversation a request carries, oldest first."""
    b = _obj(body)
    turns: list[Turn] = []
    system = b.get("system") or b.get("instructions")
    if system:
        turns.append(("system", _content_text(system)))
    instruction = _obj(b.get("systemInstruction") or b.get("system_instruction"))
    if instruction:
        turns.append(("system", _parts_text(instruction.get("parts"))))
    for msg in _list(b.get("messages")):
        turns.extend(_message_turns(msg))
    items: Any = b.get("input")
    if isinstance(items, str):
        turns.append(("user", items))
    for item in _list(items):
        turns.extend(_responses_item(item))
    for item in _list(b.get("contents")):
        content = _obj(item)
        role = "assistant" if content.get("role") == "model" else "user"
        turns.extend(_gemini_parts(role, content.get("parts")))
    return [t for t in turns if t[1]]


def _message_turns(msg: Any) -> list[Turn]:
    """An OpenAI chat or Anthropic message."""
    m = _obj(msg)
    if not m:
        return []
    role = str(m.get("role", "?"))
    turns: list[Turn] = []
    if role == "tool":
        return [("tool result", _content_text(m.get("content")))]
    content = m.get("content")
    if isinstance(content, list):
        for item in _list(content):
            block = _obj(item)
            kind = block.get("type")
            if kind in ("tool_use", "server_tool_use"):
                turns.append(("call", f"{block.get('name')}({_args(block.get('input'))})"))
            elif kind == "tool_result":
                turns.append(("tool result", _content_text(block.get("content"))))
            elif kind in ("thinking", "redacted_thinking"):
                turns.append(("reasoning", str(block.get("thinking", ""))))
            elif block:
                turns.append((role, _content_text([block])))
    else:
        if m.get("reasoning_content"):
            turns.append(("reasoning", str(m["reasoning_content"])))
        turns.append((role, _content_text(content)))
    for call in _list(m.get("tool_calls")):
        fn = _obj(_obj(call).get("function"))
        turns.append(("call", f"{fn.get('name')}({fn.get('arguments', '')})"))
    return turns


def _responses_item(item: Any) -> list[Turn]:
    i = _obj(item)
    kind = i.get("type")
    if kind == "function_call":
        return [("call", f"{i.get('name')}({i.get('arguments', '')})")]
    if kind == "function_call_output":
        return [("tool result", _content_text(i.get("output")))]
    if kind == "reasoning":
        return [("reasoning", _content_text(i.get("summary")))]
    if "role" in i:
        return [(str(i["role"]), _content_text(i.get("content")))]
    return []


def _parts_text(parts: Any) -> str:
    return "\n".join(t for _, t in _gemini_parts("text", parts))


def _gemini_parts(role: str, parts: Any) -> list[Turn]:
    turns: list[Turn] = []
    for part in _list(parts):
        p = _obj(part)
        if "functionCall" in p:
            fc = _obj(p["functionCall"])
            turns.append(("call", f"{fc.get('name')}({_args(fc.get('args', {}))})"))
        elif "functionResponse" in p:
            fr = _obj(p["functionResponse"])
            turns.append(("tool result", _args(fr.get("response", {}))))
        elif isinstance(p.get("text"), str):
            turns.append(("reasoning" if p.get("thought") else role, p["text"]))
        elif "inlineData" in p:
            turns.append((role, "[inline data]"))
    return turns


def sse_payloads(body: str) -> list[Any]:
    """The JSON payloads of an SSE body's ``data:`` lines (``[DONE]`` and junk skipped)."""
    out: list[Any] = []
    for line in body.replace("\r\n", "\n").split("\n"):
        if line.startswith("data:"):
            value = _json(line[5:].strip())
            if value is not None:
                out.append(value)
    return out


def response_turns(body: str | bytes) -> list[Turn]:
    """What a non-Chat-Completions response says, loosely (text, reasoning, calls)."""
    if isinstance(body, bytes):
        return [("note", f"(binary event stream, {len(body)} bytes: not shown)")]
    whole = _json(body)
    payloads = [whole] if whole is not None else sse_payloads(body)
    turns: list[Turn] = []
    for p in payloads:
        turns.extend(_payload_turns(_obj(p)))
    return _merge(turns)


def _payload_turns(p: Mapping[str, Any]) -> list[Turn]:
    kind = p.get("type")
    if kind == "content_block_delta":  # Anthropic stream
        delta = _obj(p.get("delta"))
        if "text" in delta:
            return [("assistant", delta["text"])]
        if "thinking" in delta:
            return [("reasoning", delta["thinking"])]
        if "partial_json" in delta:
            return [("call+", delta["partial_json"])]
        return []
    if kind == "content_block_start":
        block = _obj(p.get("content_block"))
        if block.get("type") in ("tool_use", "server_tool_use"):
            return [("call", f"{block.get('name')}()")]
        return []
    if kind == "response.output_text.delta":  # OpenAI Responses stream
        return [("assistant", str(p.get("delta", "")))]
    if kind == "response.reasoning_summary_text.delta":
        return [("reasoning", str(p.get("delta", "")))]
    if kind == "response.output_item.done":
        item = _obj(p.get("item"))
        if item.get("type") in ("function_call", "web_search_call"):
            return [("call", f"{item.get('name', item.get('type'))}({item.get('arguments', '')})")]
        return []
    if isinstance(p.get("candidates"), list):  # Gemini, whole or streamed
        turns: list[Turn] = []
        for cand in _list(p["candidates"])[:1]:
            turns.extend(_gemini_parts("assistant", _obj(_obj(cand).get("content")).get("parts")))
        return turns
    if isinstance(p.get("content"), list):  # Anthropic, whole
        return _message_turns({"role": "assistant", "content": p["content"]})
    if isinstance(p.get("output"), list):  # Responses, whole
        turns = []
        for output in _list(p["output"]):
            entry = _obj(output)
            if entry.get("type") == "message":
                turns.append(("assistant", _content_text(entry.get("content"))))
            else:
                turns.extend(_responses_item(entry))
        return turns
    return []


def _merge(turns: list[Turn]) -> list[Turn]:
    """Join consecutive streamed pieces of the same kind (not calls)."""
    out: list[Turn] = []
    for role, text in turns:
        if role == "call+":  # streamed arguments of the call just started
            if out and out[-1][0] == "call":
                out[-1] = ("call", out[-1][1][:-1] + text + ")")
            continue
        if out and out[-1][0] == role and role in ("assistant", "reasoning"):
            out[-1] = (role, out[-1][1] + text)
        else:
            out.append((role, text))
    return [t for t in out if t[1]]
