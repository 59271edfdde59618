"""JSON for what crosses Temporal: model calls, run events, pending calls and results.

Temporal stores every activity input and output, every signal and every published event in
the workflow's history, as JSON. Everything here is built on :mod:`reverie.codec`, so a
conversation survives the trip part for part (reasoning signatures, tool-call ids, binary
data); a value that is not JSON-able is refused with a
:class:`~reverie.errors.DataFormatError` at the point it is written, not when it is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from reverie.approval import PendingCall
from reverie.codec import (
    decode_json,
    decode_messages,
    decode_part,
    decode_provider_data,
    decode_step,
    decode_usage,
    encode_json,
    encode_messages,
    encode_part,
    encode_provider_data,
    encode_step,
    encode_usage,
)
from reverie.content import SourcePart, ToolCallPart, ToolResultPart
from reverie.errors import DataFormatError, ReverieError
from reverie.events import (
    AgentEvent,
    Finish,
    PartialObject,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningStart,
    Retry,
    RunFinish,
    RunPaused,
    Source,
    StepFinish,
    StepStart,
    TextDelta,
    TextEnd,
    TextStart,
    ToolCall,
    ToolInputDelta,
    ToolInputEnd,
    ToolInputStart,
    ToolResult,
    Warnings,
)
from reverie.model import (
    Call,
    CallWarning,
    FinishReason,
    ProviderTool,
    SpecificTool,
    Tool,
    ToolChoice,
    ToolSpec,
)
from reverie.run_state import RunResult, RunState

_SETTINGS = (
    "max_output_tokens",
    "temperature",
    "top_p",
    "top_k",
    "presence_penalty",
    "frequency_penalty",
)


class RemoteError(ReverieError):
    """A failure reported by the other side of Temporal (the worker, the workflow), carried
    as its message: the original exception object stays where it was raised."""


# -- the model call ---------------------------------------------------------------------------


def encode_call(call: Call) -> dict[str, Any]:
    """A :class:`~reverie.model.Call` as JSON values (settings left out when unset)."""
    value: dict[str, Any] = {"messages": encode_messages(call.messages)}
    for name in _SETTINGS:
        setting = getattr(call, name)
        if setting is not None:
            value[name] = setting
    if call.tools:
        value["tools"] = [_encode_tool(t) for t in call.tools]
    if call.tool_choice is not None:
        choice = call.tool_choice
        value["tool_choice"] = {"tool": choice.name} if isinstance(choice, SpecificTool) else choice
    if call.headers:
        value["headers"] = dict(call.headers)
    if call.provider_options:
        value["provider_options"] = encode_provider_data(call.provider_options)
    return value


def decode_call(value: Any) -> Call:
    """The call :func:`encode_call` wrote."""
    obj = _object(value, "call")
    choice: ToolChoice | None = None
    raw_choice = obj.get("tool_choice")
    if isinstance(raw_choice, dict):
        choice = SpecificTool(str(cast(dict[str, Any], raw_choice)["tool"]))
    elif raw_choice in ("auto", "none", "required"):
        choice = raw_choice
    elif raw_choice is not None:
        raise DataFormatError(f"call: unknown tool_choice {raw_choice!r}")
    settings = {name: obj[name] for name in _SETTINGS if name in obj}
    return Call(
        messages=decode_messages(obj.get("messages")),
        tools=tuple(_decode_tool(t) for t in cast(list[Any], obj.get("tools", []))),
        tool_choice=choice,
        headers={str(k): str(v) for k, v in _object(obj.get("headers", {}), "headers").items()},
        provider_options=decode_provider_data(obj.get("provider_options", {})),
        **settings,
    )


def _encode_tool(tool: Tool) -> dict[str, Any]:
    if isinstance(tool, ProviderTool):
        return {"provider_tool": tool.id, "name": tool.name, "args": encode_json(dict(tool.args))}
    value: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description,
        "input_schema": encode_json(dict(tool.input_schema), f"tool {tool.name} schema"),
    }
    if tool.provider_options:
        value["provider_options"] = encode_provider_data(tool.provider_options)
    return value


def _decode_tool(value: Any) -> Tool:
    obj = _object(value, "call.tools[]")
    if "provider_tool" in obj:
        return ProviderTool(str(obj["provider_tool"]), str(obj["name"]), decode_json(obj["args"]))
    return ToolSpec(
        str(obj["name"]),
        str(obj["description"]),
        decode_json(obj["input_schema"]),
        decode_provider_data(obj.get("provider_options", {})),
    )


# -- pending calls and results ----------------------------------------------------------------


def encode_pending(calls: Sequence[PendingCall]) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "tool_name": c.tool_name,
            "arguments": encode_json(dict(c.arguments)),
            "kind": c.kind,
            "fingerprint": c.fingerprint,
        }
        for c in calls
    ]


def decode_pending(value: Any) -> tuple[PendingCall, ...]:
    out: list[PendingCall] = []
    for item in cast(list[Any], value):
        obj = _object(item, "pending call")
        kind = obj.get("kind")
        if kind not in ("approval", "external"):
            raise DataFormatError(f"pending call: unknown kind {kind!r}")
        out.append(
            PendingCall(
                str(obj["id"]),
                str(obj["tool_name"]),
                decode_json(obj["arguments"]),
                kind,
                str(obj["fingerprint"]),
            )
        )
    return tuple(out)


def encode_result(result: RunResult, output: Any) -> dict[str, Any]:
    """A result as JSON values; ``output`` is its structured output already as JSON."""
    assert result.state is not None  # the driver always sets it
    value: dict[str, Any] = {"status": result.status, "state": result.state.to_value()}
    if output is not None:
        value["output"] = output
    return value


def decode_result(value: Any) -> RunResult:
    """The result :func:`encode_result` wrote (``output`` as JSON values)."""
    obj = _object(value, "run result")
    state = RunState.from_value(_object(obj.get("state"), "run result state"))
    status = obj.get("status")
    if status not in ("finished", "paused"):
        raise DataFormatError(f"run result: unknown status {status!r}")
    return RunResult(
        steps=state.steps,
        usage=state.usage,
        messages=state.messages,
        output=obj.get("output"),
        status=status,
        pending=state.pending,
        state=state,
    )


# -- events -----------------------------------------------------------------------------------

_PLAIN: dict[str, type[Any]] = {
    "text-start": TextStart,
    "text-delta": TextDelta,
    "reasoning-delta": ReasoningDelta,
    "tool-input-start": ToolInputStart,
    "tool-input-delta": ToolInputDelta,
    "tool-input-end": ToolInputEnd,
    "step-start": StepStart,
}
"""Events whose fields are all plain JSON values (strings, numbers, flags)."""

_WITH_METADATA: dict[str, type[Any]] = {
    "text-end": TextEnd,
    "reasoning-start": ReasoningStart,
    "reasoning-end": ReasoningEnd,
}


def encode_event(event: AgentEvent, output: Any = None) -> dict[str, Any]:
    """One event as JSON values. For ``RunFinish``, ``output`` is the structured output
    already as JSON (the result's own may be a Python object)."""
    if isinstance(event, RunFinish):
        return {"type": event.type, "result": encode_result(event.result, output)}
    if type(event) in _PLAIN.values():
        return _fields(event)
    if type(event) in _WITH_METADATA.values():
        meta = cast(Any, event).provider_metadata
        return {"type": event.type, "id": cast(Any, event).id, "meta": encode_provider_data(meta)}
    if isinstance(event, ToolCall):
        return {"type": event.type, "part": encode_part(event.call)}
    if isinstance(event, ToolResult):
        return {"type": event.type, "part": encode_part(event.result)}
    if isinstance(event, Source):
        return {"type": event.type, "part": encode_part(event.source)}
    if isinstance(event, StepFinish):
        return {"type": event.type, "step": encode_step(event.step)}
    if isinstance(event, Finish):
        return {
            "type": event.type,
            "finish_reason": event.finish_reason.value,
            "usage": encode_usage(event.usage),
            "meta": encode_provider_data(event.provider_metadata),
        }
    if isinstance(event, Warnings):
        return {
            "type": event.type,
            "warnings": [[w.kind, w.message, w.setting] for w in event.warnings],
        }
    if isinstance(event, Retry):
        return {
            "type": event.type,
            "attempt": event.attempt,
            "error": str(event.error),
            "delay": event.delay,
        }
    if isinstance(event, PartialObject):
        return {"type": event.type, "value": encode_json(event.value)}
    if isinstance(event, RunPaused):
        return {"type": event.type, "pending": encode_pending(event.pending)}
    raise DataFormatError(f"cannot encode the event {event!r:.100}")  # pragma: no cover


def decode_event(value: Any) -> AgentEvent:
    """The event :func:`encode_event` wrote."""
    obj = _object(value, "event")
    tag = obj.get("type")
    plain = _PLAIN.get(str(tag))
    if plain is not None:
        return plain(**obj)
    with_metadata = _WITH_METADATA.get(str(tag))
    if with_metadata is not None:
        return with_metadata(str(obj["id"]), decode_provider_data(obj["meta"]))
    if tag == "tool-call":
        return ToolCall(_part(obj["part"], ToolCallPart))
    if tag == "tool-result":
        return ToolResult(_part(obj["part"], ToolResultPart))
    if tag == "source":
        return Source(_part(obj["part"], SourcePart))
    if tag == "step-finish":
        return StepFinish(decode_step(obj["step"]))
    if tag == "finish":
        return Finish(
            FinishReason(obj["finish_reason"]),
            decode_usage(obj["usage"]),
            decode_provider_data(obj["meta"]),
        )
    if tag == "warnings":
        return Warnings(tuple(CallWarning(k, m, s) for k, m, s in obj["warnings"]))
    if tag == "retry":
        return Retry(int(obj["attempt"]), RemoteError(str(obj["error"])), float(obj["delay"]))
    if tag == "partial-object":
        return PartialObject(decode_json(obj["value"]))
    if tag == "run-paused":
        return RunPaused(decode_pending(obj["pending"]))
    if tag == "run-finish":
        return RunFinish(decode_result(obj["result"]))
    raise DataFormatError(f"unknown event type {tag!r} (a newer reverie may have written it)")


def _fields(event: Any) -> dict[str, Any]:
    return {name: getattr(event, name) for name in event.__slots__}


def _part(value: Any, kind: type[Any]) -> Any:
    part = decode_part(value)
    if not isinstance(part, kind):
        raise DataFormatError(f"expected a {kind.__name__}, got {type(part).__name__}")
    return part


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise DataFormatError(f"{where}: expected an object, got {type(value).__name__}")
    return cast(dict[str, Any], value)
