"""How one call asks a model for a structured output: the four modes, provider-independent.

- ``native``: the model's own JSON-schema output, through its ``object_request`` hook
  (:class:`SupportsNativeObject`); the object is the response text.
- ``tool``: one function tool whose parameters are the schema, forced with
  ``tool_choice``; the object is that tool call's arguments. Works on any model with tools.
- ``text``: the schema and an instruction in the system prompt; the object is the response
  text. Works on any model at all.
- ``auto``: ``native`` when the model's hook accepts the call, else ``tool``.

Built only on :class:`~reverie.model.LanguageModel` and :class:`~reverie.model.Call`, so the
forced-tool and text modes work for every provider, including ones written elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol, TypeAlias, runtime_checkable

import orjson

from reverie.content import Message, TextPart, ToolCallPart
from reverie.content import system as system_message
from reverie.errors import ConfigurationError
from reverie.model import Call, LanguageModel, Response, SpecificTool, ToolSpec
from reverie.output._schema import ObjectSchema

ObjectMode: TypeAlias = Literal["auto", "native", "tool", "text"]

DEFAULT_NATIVE_NAME = "response"
DEFAULT_TOOL_NAME = "generate_object"
DEFAULT_TOOL_DESCRIPTION = "Generate a structured object matching the schema"


@runtime_checkable
class SupportsNativeObject(Protocol):
    """The hook a model implements to offer its native JSON-schema output.

    ``object_request(call, schema, name, description)`` returns a copy of ``call`` that this
    same model's ``generate``/``stream`` will send as a native structured-output request
    (OpenAI chat: ``response_format`` json_schema; Gemini: ``responseJsonSchema``; Responses:
    ``text.format``), whose answer *text* is the JSON. It returns ``None`` when this model
    has no native mode, or cannot combine it with what ``call`` already holds (tools, for
    some providers): ``auto`` then uses the forced tool. It must be pure (no I/O).

    ``name`` is never empty (``"response"`` when the caller gave none); ``description`` may
    be. ``schema`` is the caller's JSON schema; apply what the provider's strict mode needs
    (:func:`reverie.output.close_objects`) inside the hook.
    """

    def object_request(
        self, call: Call, schema: Mapping[str, Any], name: str, description: str
    ) -> Call | None: ...


@dataclass(frozen=True, slots=True)
class ObjectPlan:
    """One call prepared for a mode; ``tool_name`` is the forced tool's (tool mode)."""

    call: Call
    mode: Literal["native", "tool", "text"]
    tool_name: str = ""


def native_call(model: LanguageModel, call: Call, schema: ObjectSchema[Any]) -> Call | None:
    """``call`` as the model's native structured request, or None when it has none."""
    hook = getattr(model, "object_request", None)
    if hook is None:
        return None
    name = schema.name or DEFAULT_NATIVE_NAME
    result: Call | None = hook(call, schema.json_schema, name, schema.description)
    return result


def tool_name_for(schema: ObjectSchema[Any], default: str = DEFAULT_TOOL_NAME) -> str:
    """A valid tool name from the schema's name (providers accept ``[A-Za-z0-9_-]{1,64}``)."""
    name = re.sub(r"[^A-Za-z0-9_-]", "_", schema.name)[:64]
    return name or default


def output_tool(schema: ObjectSchema[Any], name: str, description: str) -> ToolSpec:
    return ToolSpec(name, description, schema.json_schema)


def tool_call(call: Call, schema: ObjectSchema[Any]) -> ObjectPlan:
    """``call`` offering only the schema as a tool, forced."""
    name = tool_name_for(schema)
    spec = output_tool(schema, name, schema.description or DEFAULT_TOOL_DESCRIPTION)
    return ObjectPlan(replace(call, tools=(spec,), tool_choice=SpecificTool(name)), "tool", name)


def text_instruction(schema: ObjectSchema[Any]) -> str:
    return (
        "Respond with JSON that matches this JSON schema: "
        f"{orjson.dumps(dict(schema.json_schema)).decode()}\n"
        "Respond only with the JSON value: no Markdown fences, no text before or after it."
    )


def with_instruction(messages: tuple[Message, ...], instruction: str) -> tuple[Message, ...]:
    """The messages with ``instruction`` appended to the system prompt (or as a new one)."""
    if messages and messages[0].role == "system":
        first = messages[0]
        text = first.text
        merged = f"{text}\n\n{instruction}" if text else instruction
        return (replace(first, content=(TextPart(merged),)), *messages[1:])
    return (system_message(instruction), *messages)


def text_call(call: Call, schema: ObjectSchema[Any]) -> ObjectPlan:
    """``call`` with the schema instruction in the system prompt and no tools."""
    messages = with_instruction(tuple(call.messages), text_instruction(schema))
    return ObjectPlan(replace(call, messages=messages, tools=(), tool_choice=None), "text")


def plan_object_call(
    model: LanguageModel, call: Call, schema: ObjectSchema[Any], mode: ObjectMode
) -> ObjectPlan:
    """``call`` prepared for ``mode`` on ``model``; ``native`` on a model without it raises
    :class:`~reverie.errors.ConfigurationError`."""
    if mode in ("auto", "native"):
        native = native_call(model, call, schema)
        if native is not None:
            return ObjectPlan(native, "native")
        if mode == "native":
            raise ConfigurationError(
                f"{model.provider}:{model.model_id} offers no native JSON-schema output; "
                "use mode='tool' or mode='text'"
            )
    if mode in ("auto", "tool"):
        return tool_call(call, schema)
    if mode == "text":
        return text_call(call, schema)
    raise ConfigurationError(f"unknown object mode {mode!r}: use auto, native, tool or text")


def raw_output(response: Response, plan: ObjectPlan) -> str | None:
    """The JSON text the plan's answer carries: the text, or the forced tool's arguments
    (the first call of that tool, else the first call at all); None when absent."""
    if plan.mode != "tool":
        return response.text if response.text.strip() else None
    calls = [p for p in response.content if isinstance(p, ToolCallPart)]
    for part in calls:
        if part.tool_name == plan.tool_name:
            return part.input
    return calls[0].input if calls else None
