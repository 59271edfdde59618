"""The ``generateContent`` request, pure: :class:`~reverie.model.Call` → JSON body.

One encoder serves the Gemini API and Vertex AI (:class:`GoogleDialect` says which). Facts
it follows, all visible in the recorded requests:

- the system prompt goes in ``systemInstruction`` (role ``user``), never in ``contents``;
- assistant turns have role ``model``; tool results go back as ``functionResponse`` parts
  of a ``user`` turn, a text result as ``{"result": text}``;
- function calls go back with their ``thoughtSignature`` unchanged, on the part they came
  with (for parallel calls only the first carries one);
- Vertex answers 400 to an ``id`` in ``functionCall`` / ``functionResponse``: left out there;
- tools are one ``functionDeclarations`` list; parameter schemas are converted to Google's
  schema dialect (:mod:`reverie.providers._google.schema`);
- ``toolConfig.functionCallingConfig.mode`` is AUTO, NONE or ANY (ANY with
  ``allowedFunctionNames`` forces one tool);
- a thinking budget from 1 to 127 is raised to the minimum, 128, with a warning.

Reasoning parts are sent back only when they carry a Google thought signature (as a
``thought`` part); plain thought summaries hold nothing Gemini needs and are left out, as the
recorded requests show. A tool error goes back as ``{"error": message}``, the key Google
documents for failures.

Provider options, ``provider_options={"google": {...}}`` (unknown keys are an error):

- ``thinking_config``: ``{"thinking_budget": int, "include_thoughts": bool,
  "thinking_level": "MINIMAL" | "LOW" | "MEDIUM" | "HIGH"}`` (budget for Gemini 2.5,
  level for Gemini 3; not both);
- ``safety_settings``: ``[{"category": "HARM_CATEGORY_...", "threshold": "BLOCK_..."}]``;
- ``cached_content``: ``"cachedContents/..."``;
- ``seed``: an int.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from reverie.content import (
    ErrorOutput,
    FilePart,
    JsonOutput,
    MediaOutput,
    Message,
    Part,
    ReasoningPart,
    RefusalPart,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from reverie.errors import ConfigurationError
from reverie.model import Call, CallWarning, ProviderTool, SpecificTool, ToolSpec
from reverie.providers._google.schema import object_members

SIGNATURE_KEY = "thought_signature"
"""The key of a part's thought signature in ``provider_metadata[dialect.name]``."""

MIN_THINKING_BUDGET = 128
_THINKING_LEVELS = frozenset({"MINIMAL", "LOW", "MEDIUM", "HIGH"})
_OPTION_KEYS = frozenset(
    {"thinking_config", "safety_settings", "cached_content", "seed", "response_json_schema"}
)
_THINKING_KEYS = frozenset({"thinking_budget", "include_thoughts", "thinking_level"})


@dataclass(frozen=True, slots=True)
class GoogleDialect:
    """Which ``generateContent`` host is spoken to.

    ``name`` keys the caller's provider options and the metadata written on parts (the
    thought signatures); ``vertex`` leaves out the ids Vertex rejects.
    """

    name: str = "google"
    vertex: bool = False


def signature_of(part: Part, dialect: GoogleDialect) -> str | None:
    """The thought signature Gemini attached to ``part``, if any."""
    value = part.provider_metadata.get(dialect.name, {}).get(SIGNATURE_KEY)
    return value if isinstance(value, str) and value else None


def encode_request(
    call: Call, model_id: str, dialect: GoogleDialect
) -> tuple[dict[str, Any], list[CallWarning]]:
    """The request body for ``call`` (the same for generate and stream), and what was
    changed or left out. Raises :class:`ConfigurationError` for invalid provider options."""
    warnings: list[CallWarning] = []
    system, contents = encode_messages(call.messages, dialect, warnings)
    gemma = model_id.lower().removeprefix("models/").startswith("gemma-")
    if system is not None and gemma and contents and contents[0]["role"] == "user":
        # Gemma has no system instruction: its text leads the first user turn instead.
        contents[0]["parts"].insert(0, {"text": system + "\n\n"})
        system = None
    body: dict[str, Any] = {"contents": contents}
    if system is not None:
        body["systemInstruction"] = {"parts": [{"text": system}], "role": "user"}

    config: dict[str, Any] = {}
    settings = (
        ("maxOutputTokens", call.max_output_tokens),
        ("temperature", call.temperature),
        ("topP", call.top_p),
        ("topK", call.top_k),
        ("presencePenalty", call.presence_penalty),
        ("frequencyPenalty", call.frequency_penalty),
    )
    for key, value in settings:
        if value is not None:
            config[key] = value
    options = call.provider_options.get(dialect.name, {})
    _apply_options(body, config, options, warnings)
    if config:
        body["generationConfig"] = config

    declarations: list[dict[str, Any]] = []
    for tool in call.tools:
        if isinstance(tool, ProviderTool):
            warnings.append(
                CallWarning("unsupported-tool", f"provider tool {tool.id} is not supported")
            )
            continue
        declarations.append(encode_tool(tool))
    if declarations:
        body["tools"] = [{"functionDeclarations": declarations}]
        if call.tool_choice is not None:
            body["toolConfig"] = encode_tool_choice(call.tool_choice)
    return body, warnings


def _apply_options(
    body: dict[str, Any],
    config: dict[str, Any],
    options: Mapping[str, Any],
    warnings: list[CallWarning],
) -> None:
    unknown = set(options) - _OPTION_KEYS
    if unknown:
        raise ConfigurationError(
            f"unknown Google provider option(s) {sorted(unknown)}; known: {sorted(_OPTION_KEYS)}"
        )
    thinking = options.get("thinking_config")
    if thinking is not None:
        config["thinkingConfig"] = encode_thinking(thinking, warnings)
    safety = options.get("safety_settings")
    if safety:
        body["safetySettings"] = [
            {"category": s["category"], "threshold": s["threshold"]} for s in safety
        ]
    cached = options.get("cached_content")
    if cached:
        body["cachedContent"] = cached
    seed = options.get("seed")
    if seed is not None:
        config["seed"] = seed
    json_schema = options.get("response_json_schema")
    if json_schema is not None:
        # Native structured output (reverie.output): the answer text is the JSON.
        config["responseMimeType"] = "application/json"
        config["responseJsonSchema"] = dict(json_schema)


def encode_thinking(thinking: Mapping[str, Any], warnings: list[CallWarning]) -> dict[str, Any]:
    """``thinking_config`` ({thinking_budget, include_thoughts, thinking_level}) → wire form.

    A budget of 0 (off) or -1 (dynamic) is sent as given; 1 to 127 is raised to 128, the
    smallest budget Gemini accepts. Budget and level together are an error.
    """
    unknown = set(thinking) - _THINKING_KEYS
    if unknown:
        raise ConfigurationError(
            f"unknown thinking_config key(s) {sorted(unknown)}; known: {sorted(_THINKING_KEYS)}"
        )
    budget = thinking.get("thinking_budget")
    level = thinking.get("thinking_level")
    if budget is not None and level is not None:
        raise ConfigurationError(
            "thinking_budget and thinking_level are mutually exclusive: set one "
            "(thinking_level for Gemini 3, thinking_budget for Gemini 2.5)"
        )
    out: dict[str, Any] = {}
    include = thinking.get("include_thoughts")
    if include is not None:
        out["includeThoughts"] = bool(include)
    if budget is not None:
        budget = int(budget)
        if 0 < budget < MIN_THINKING_BUDGET:
            warnings.append(
                CallWarning(
                    "unsupported-setting",
                    f"thinking_budget {budget} is below the minimum; "
                    f"{MIN_THINKING_BUDGET} is sent instead",
                    "thinking_budget",
                )
            )
            budget = MIN_THINKING_BUDGET
        out["thinkingBudget"] = budget
    if level is not None:
        upper = str(level).upper()
        if upper not in _THINKING_LEVELS:
            raise ConfigurationError(
                f"thinking_level {level!r} is not one of {sorted(_THINKING_LEVELS)}"
            )
        out["thinkingLevel"] = upper
    return out


# ---------------------------------------------------------------------------------------
# Tools


def encode_tool(tool: ToolSpec) -> dict[str, Any]:
    """A function declaration; the parameters are always an OBJECT schema."""
    schema = tool.input_schema
    params: dict[str, Any] = {"type": "OBJECT"}
    params.update(object_members(schema))
    return {"name": tool.name, "description": tool.description, "parameters": params}


def encode_tool_choice(choice: str | SpecificTool) -> dict[str, Any]:
    if isinstance(choice, SpecificTool):
        config: dict[str, Any] = {"mode": "ANY", "allowedFunctionNames": [choice.name]}
    else:
        modes = {"auto": "AUTO", "none": "NONE", "required": "ANY"}
        if choice not in modes:
            raise ConfigurationError(f"tool_choice {choice!r} is not one of {sorted(modes)}")
        config = {"mode": modes[choice]}
    return {"functionCallingConfig": config}


# ---------------------------------------------------------------------------------------
# Messages


def encode_messages(
    messages: Sequence[Message], dialect: GoogleDialect, warnings: list[CallWarning]
) -> tuple[str | None, list[dict[str, Any]]]:
    """(system instruction text, contents). System messages before the first other message
    form the instruction (joined by newlines); a later one has no place on this wire and is
    dropped with a warning."""
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    for msg in messages:
        if msg.role == "system":
            if contents:
                warnings.append(
                    CallWarning("other", "a system message after the conversation began: dropped")
                )
                continue
            system.extend(p.text for p in msg.content if isinstance(p, TextPart) and p.text)
            continue
        if msg.role == "user":
            parts = _user_parts(msg.content, warnings)
            role = "user"
        elif msg.role == "assistant":
            parts = _model_parts(msg.content, dialect, warnings)
            role = "model"
        else:
            parts = _tool_parts(msg.content, dialect)
            role = "user"
        if parts:
            contents.append({"parts": parts, "role": role})
    return ("\n".join(system) if system else None), contents


def _inline(part: FilePart) -> dict[str, Any]:
    return {
        "inlineData": {
            "data": base64.b64encode(part.data).decode(),
            "mimeType": part.media_type,
        }
    }


def _user_parts(parts: Sequence[Part], warnings: list[CallWarning]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, TextPart):
            if part.text:
                out.append({"text": part.text})
        elif isinstance(part, FilePart):
            out.append(_inline(part))
        else:
            warnings.append(CallWarning("other", f"a {part.type} part in a user message: dropped"))
    return out


def _with_signature(wire: dict[str, Any], part: Part, dialect: GoogleDialect) -> dict[str, Any]:
    signature = signature_of(part, dialect)
    if signature is not None:
        wire["thoughtSignature"] = signature
    return wire


def _model_parts(
    parts: Sequence[Part], dialect: GoogleDialect, warnings: list[CallWarning]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, RefusalPart):  # what the assistant said
            if part.text:
                out.append({"text": part.text})
        elif isinstance(part, TextPart):
            if part.text:
                out.append(_with_signature({"text": part.text}, part, dialect))
        elif isinstance(part, ReasoningPart):
            if signature_of(part, dialect) is not None:
                out.append(_with_signature({"text": part.text, "thought": True}, part, dialect))
        elif isinstance(part, ToolCallPart):
            if part.provider_executed:
                continue
            call: dict[str, Any] = {"args": _arguments(part, warnings), "name": part.tool_name}
            if not dialect.vertex:
                call["id"] = part.tool_call_id
            out.append(_with_signature({"functionCall": call}, part, dialect))
        elif isinstance(part, FilePart):
            out.append(_inline(part))
    return out


def _arguments(part: ToolCallPart, warnings: list[CallWarning]) -> dict[str, Any]:
    try:
        args = orjson.loads(part.input or "{}")
    except orjson.JSONDecodeError:
        args = None
    if not isinstance(args, dict):
        warnings.append(
            CallWarning("other", f"tool call {part.tool_call_id}: arguments are not a JSON object")
        )
        return {}
    return args  # pyright: ignore[reportUnknownVariableType]


def _tool_parts(parts: Sequence[Part], dialect: GoogleDialect) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in parts:
        if not isinstance(part, ToolResultPart):
            continue
        output = part.output
        media: FilePart | None = None
        if isinstance(output, TextOutput):
            response: dict[str, Any] = {"result": output.text}
        elif isinstance(output, ErrorOutput):
            response = {"error": output.message}
        elif isinstance(output, JsonOutput):
            response = {"result": output.value}
        else:
            assert isinstance(output, MediaOutput)
            response = {"result": output.text or f"[{output.media_type} attached]"}
            media = FilePart(output.data, output.media_type)
        function: dict[str, Any] = {"name": part.tool_name, "response": response}
        if not dialect.vertex:
            function["id"] = part.tool_call_id
        out.append({"functionResponse": function})
        if media is not None:
            # A function response holds JSON only; the media follows it in the same turn.
            out.append(_inline(media))
    return out
