"""JSON for conversations: messages, parts, steps, responses and usage, exactly round-tripped.

::

    text = dumps_messages(result.messages)          # a versioned JSON document
    messages = loads_messages(text)                 # == result.messages, part for part

    value = encode_message(message)                 # plain JSON values, to embed elsewhere
    message = decode_message(value)

Everything a provider needs back on the next turn survives: reasoning signatures, encrypted
reasoning, thought signatures, gateway reasoning details, tool-call ids and raw argument
text, ``provider_options`` and ``provider_metadata`` at every level, and binary data (file
parts, media tool outputs), which is written as base64. Decoding the encoding of a value gives
a value equal to it, so a request built from decoded messages is the request the originals
would have built. Run states (:mod:`reverie.run_state`) are written with this codec, and so
should be anything else that stores a conversation.

The format:

- A part is an object with its ``type`` tag and its fields by name; fields at their default
  are left out. ``bytes`` fields are base64 text.
- Provider data (and JSON tool outputs, tool arguments) are JSON as is; the few non-JSON
  values Python code may put there are tagged: ``{"$bytes": "<base64>"}`` for bytes,
  ``{"$tuple": [...]}`` for a tuple, and a dict that happens to have one such key is escaped
  as ``{"$dict": {...}}``.
- The documents of :func:`dumps_messages` carry ``format`` and ``version``
  (:data:`FORMAT_VERSION`). A document from a newer version, or any object with a field this
  version does not know, is refused with :class:`~reverie.errors.DataFormatError` naming it,
  never silently dropped. Older versions are read as they were written (version 1 is the
  first).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, fields, replace
from datetime import datetime
from typing import Any, cast

import orjson

from reverie._codec_json import (
    FORMAT_VERSION,
    JsonValue,
    b64,
    check_document,
    decode_json,
    decode_origin,
    decode_provider_data,
    encode_json,
    encode_origin,
    encode_provider_data,
    kind,
    list_,
    object_,
    refuse_unknown,
)
from reverie._steps import Step, make_step
from reverie.content import (
    ErrorOutput,
    FilePart,
    JsonOutput,
    MediaOutput,
    Message,
    Part,
    ReasoningPart,
    SourcePart,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolOutput,
    ToolResultPart,
)
from reverie.errors import DataFormatError
from reverie.model import CallWarning, FinishReason, Response, Usage

__all__ = [
    "FORMAT_VERSION",
    "decode_json",
    "decode_message",
    "decode_messages",
    "decode_part",
    "decode_provider_data",
    "decode_response",
    "decode_step",
    "decode_usage",
    "dumps_messages",
    "encode_json",
    "encode_message",
    "encode_messages",
    "encode_part",
    "encode_provider_data",
    "encode_response",
    "encode_step",
    "encode_usage",
    "loads_messages",
]


# ---------------------------------------------------------------------------------------
# Parts

_PART_TYPES: dict[str, type[Any]] = {
    "text": TextPart,
    "reasoning": ReasoningPart,
    "file": FilePart,
    "tool-call": ToolCallPart,
    "tool-result": ToolResultPart,
    "source": SourcePart,
}

_OUTPUT_TYPES: dict[str, type[Any]] = {
    "text": TextOutput,
    "error": ErrorOutput,
    "media": MediaOutput,
    "json": JsonOutput,
}


def encode_part(part: Part) -> dict[str, Any]:
    """One part as a JSON object (see the module docstring)."""
    return _encode_dataclass(part)


def decode_part(value: JsonValue) -> Part:
    """The part :func:`encode_part` wrote."""
    return cast(Part, _decode_dataclass(value, _PART_TYPES, "part"))


def _encode_output(output: ToolOutput) -> dict[str, Any]:
    return _encode_dataclass(output)


def _decode_output(value: JsonValue) -> ToolOutput:
    return cast(ToolOutput, _decode_dataclass(value, _OUTPUT_TYPES, "tool output"))


def _encode_dataclass(obj: Any) -> dict[str, Any]:
    """``type`` first, then every field not at its default, through its field codec."""
    where = f"{obj.type} {'output' if type(obj) in _OUTPUT_TYPES.values() else 'part'}"
    out: dict[str, Any] = {"type": obj.type}
    for f in fields(obj):
        if f.name == "type":
            continue
        value = getattr(obj, f.name)
        if _is_default(f, value):
            continue
        out[f.name] = _FIELD_CODECS.get(f.name, _TEXT)[0](value, f"{where}.{f.name}")
    return out


def _decode_dataclass(value: JsonValue, types: Mapping[str, type[Any]], kind: str) -> Any:
    obj = object_(value, kind)
    tag = obj.get("type")
    cls = types.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise DataFormatError(
            f"unknown {kind} type {tag!r}; known: {', '.join(types)} (a newer reverie may "
            "have written it)"
        )
    where = f"{tag} {kind}"
    known = {f.name: f for f in fields(cls)}
    refuse_unknown(obj, known, where)
    kwargs: dict[str, Any] = {}
    for name, item in obj.items():
        if name == "type":
            continue
        kwargs[name] = _FIELD_CODECS.get(name, _TEXT)[1](item, f"{where}.{name}")
    missing = [
        n for n, f in known.items() if n not in kwargs and f.default is MISSING and n != "type"
    ]
    if missing:
        raise DataFormatError(f"{where}: missing field(s) {', '.join(missing)}")
    try:
        return cls(**kwargs)
    except TypeError as exc:  # pragma: no cover - the checks above make this unreachable
        raise DataFormatError(f"{where}: {exc}") from exc


def _is_default(f: Any, value: Any) -> bool:
    if f.default is MISSING:
        return False
    if isinstance(f.default, Mapping):
        return isinstance(value, Mapping) and not value
    return type(value) is type(f.default) and value == f.default


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise DataFormatError(f"{where}: expected a string, got {kind(value)}")
    return value


def _optional_text(value: Any, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise DataFormatError(f"{where}: expected true or false, got {kind(value)}")
    return value


def _source_type(value: Any, where: str) -> str:
    if value not in ("url", "document"):
        raise DataFormatError(f"{where}: expected 'url' or 'document', got {value!r:.80}")
    return cast(str, value)


_Codec = tuple[Callable[[Any, str], Any], Callable[[Any, str], Any]]

_TEXT: _Codec = (_text, _text)

_FIELD_CODECS: dict[str, _Codec] = {
    "data": (lambda v, w: base64.b64encode(v).decode("ascii"), lambda v, w: b64(v, w)),
    "provider_options": (encode_provider_data, decode_provider_data),
    "provider_metadata": (encode_provider_data, decode_provider_data),
    "output": (lambda v, w: _encode_output(v), lambda v, w: _decode_output(v)),
    "value": (encode_json, decode_json),
    "filename": (_optional_text, _optional_text),
    "provider_executed": (_flag, _flag),
    "stop_turn": (_flag, _flag),
    "source_type": (_source_type, _source_type),
}
"""Each field's (encode, decode); a field not named here is a string."""


# ---------------------------------------------------------------------------------------
# Messages

_ROLES = ("system", "user", "assistant", "tool")


def encode_message(message: Message) -> dict[str, Any]:
    """``{"role": ..., "content": [parts], "provider_options"?: {...}}``."""
    out: dict[str, Any] = {
        "role": message.role,
        "content": [encode_part(p) for p in message.content],
    }
    if message.provider_options:
        out["provider_options"] = encode_provider_data(message.provider_options)
    return out


def decode_message(value: JsonValue) -> Message:
    """The message :func:`encode_message` wrote."""
    obj = object_(value, "message")
    refuse_unknown(obj, {"role", "content", "provider_options"}, "message")
    role = obj.get("role")
    if role not in _ROLES:
        raise DataFormatError(f"message: role {role!r} is not one of {', '.join(_ROLES)}")
    content = tuple(decode_part(p) for p in list_(obj.get("content"), "message.content"))
    options = decode_provider_data(obj["provider_options"]) if "provider_options" in obj else {}
    return Message(role, content, options)


def encode_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    return [encode_message(m) for m in messages]


def decode_messages(value: JsonValue) -> tuple[Message, ...]:
    return tuple(decode_message(m) for m in list_(value, "messages"))


def dumps_messages(messages: Sequence[Message]) -> str:
    """A conversation as a versioned JSON document (``format: reverie.messages``)."""
    doc = {
        "format": "reverie.messages",
        "version": FORMAT_VERSION,
        "messages": encode_messages(messages),
    }
    return orjson.dumps(doc).decode()


def loads_messages(text: str | bytes) -> tuple[Message, ...]:
    """The conversation :func:`dumps_messages` wrote; DataFormatError if it cannot be read."""
    doc = check_document(text, "reverie.messages", {"messages"})
    return decode_messages(doc["messages"])


# ---------------------------------------------------------------------------------------
# Usage, responses, steps


def encode_usage(usage: Usage) -> dict[str, int]:
    return {f.name: getattr(usage, f.name) for f in fields(usage) if getattr(usage, f.name)}


def decode_usage(value: JsonValue) -> Usage:
    obj = object_(value, "usage")
    names = {f.name for f in fields(Usage)}
    refuse_unknown(obj, names, "usage")
    for name, count in obj.items():
        if not isinstance(count, int) or isinstance(count, bool):
            raise DataFormatError(f"usage.{name}: expected an integer, got {count!r}")
    return Usage(**obj)


def _encode_warning(warning: CallWarning) -> dict[str, str]:
    out = {"kind": warning.kind, "message": warning.message}
    if warning.setting:
        out["setting"] = warning.setting
    return out


def _decode_warning(value: JsonValue) -> CallWarning:
    obj = object_(value, "warning")
    refuse_unknown(obj, {"kind", "message", "setting"}, "warning")
    kind = obj.get("kind")
    if kind not in ("unsupported-setting", "unsupported-tool", "other"):
        raise DataFormatError(f"warning: unknown kind {kind!r}")
    return CallWarning(kind, str(obj.get("message", "")), str(obj.get("setting", "")))


def _finish(value: JsonValue) -> FinishReason:
    try:
        return FinishReason(value)
    except ValueError:
        known = ", ".join(r.value for r in FinishReason)
        raise DataFormatError(f"unknown finish reason {value!r}; known: {known}") from None


_RESPONSE = {"content", "finish_reason", "usage", "warnings", "provider_metadata"}
_RESPONSE_FIELDS = {*_RESPONSE, "response_id", "response_model"}


def encode_response(response: Response) -> dict[str, Any]:
    """A model's response: content, finish reason, usage, warnings, provider metadata, and
    the provider's id and model name for it when it sent them."""
    out: dict[str, Any] = {
        "content": [encode_part(p) for p in response.content],
        "finish_reason": response.finish_reason.value,
        "usage": encode_usage(response.usage),
    }
    if response.warnings:
        out["warnings"] = [_encode_warning(w) for w in response.warnings]
    if response.provider_metadata:
        out["provider_metadata"] = encode_provider_data(response.provider_metadata)
    if response.response_id is not None:
        out["response_id"] = response.response_id
    if response.response_model is not None:
        out["response_model"] = response.response_model
    return out


def decode_response(value: JsonValue) -> Response:
    obj = object_(value, "response")
    refuse_unknown(obj, _RESPONSE_FIELDS, "response")
    return Response(
        content=tuple(decode_part(p) for p in list_(obj.get("content"), "response.content")),
        finish_reason=_finish(obj.get("finish_reason")),
        usage=decode_usage(obj.get("usage", {})),
        warnings=tuple(_decode_warning(w) for w in list_(obj.get("warnings", []), "warnings")),
        provider_metadata=decode_provider_data(obj.get("provider_metadata", {})),
        response_id=_optional_text(obj.get("response_id"), "response.response_id"),
        response_model=_optional_text(obj.get("response_model"), "response.response_model"),
    )


def encode_step(step: Step) -> dict[str, Any]:
    """A step: its number, its response's fields, the model called (``provider``,
    ``model_id``) and when it answered (``finished_at``) when known. Its messages are left
    out when they follow from its content, as they do for every step the agent makes
    (:func:`reverie._steps.make_step`); otherwise they are kept."""
    out: dict[str, Any] = {"number": step.number}
    out.update(encode_response(_as_response(step)))
    out.update(encode_origin(step.provider, step.model_id, step.finished_at))
    if _derive_messages(step) != step.messages:
        out["messages"] = encode_messages(step.messages)
    return out


def decode_step(value: JsonValue) -> Step:
    obj = dict(object_(value, "step"))
    number = obj.pop("number", None)
    if not isinstance(number, int) or isinstance(number, bool):
        raise DataFormatError(f"step.number: expected an integer, got {number!r}")
    messages = decode_messages(obj.pop("messages")) if "messages" in obj else None
    origin = decode_origin(obj, "step")
    for name in ("provider", "model_id", "finished_at"):
        obj.pop(name, None)
    step = _step_from(number, decode_response(obj), *origin)
    return step if messages is None else replace(step, messages=messages)


def _as_response(step: Step) -> Response:
    return Response(
        step.content, step.finish_reason, step.usage, step.warnings, step.provider_metadata,
        step.response_id, step.response_model,
    )  # fmt: skip


def _step_from(
    number: int, saved: Response, provider: str = "", model_id: str = "", at: datetime | None = None
) -> Step:
    """The step whose content is ``saved.content``: the model's parts, then the client tool
    results (as :func:`~reverie._steps.make_step` puts them)."""
    model = tuple(p for p in saved.content if not _client_result(p))
    results = [p for p in saved.content if isinstance(p, ToolResultPart) and _client_result(p)]
    saved = replace(saved, content=model)
    return make_step(number, saved, results, provider=provider, model_id=model_id, finished_at=at)


def _client_result(part: Part) -> bool:
    return isinstance(part, ToolResultPart) and not part.provider_executed


def _derive_messages(step: Step) -> tuple[Message, ...]:
    return _step_from(step.number, _as_response(step)).messages
