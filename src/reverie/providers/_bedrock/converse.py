"""The Bedrock Converse wire, encoding: :class:`Call` → request body. Pure, no I/O.

The body of ``POST /model/{modelId}/converse`` (and ``/converse-stream``, the same body), as
the Bedrock Runtime API reference defines it; the model id is in the URL, never the body.

- system messages → ``system`` text blocks (wherever they are in the conversation);
- user text → ``text``; images (png, jpeg, gif, webp) → ``image`` with base64 ``bytes``;
  documents (pdf, csv, doc, docx, xls, xlsx, html, txt, md) → ``document`` with a ``name``
  made from the filename (Bedrock allows letters, digits, spaces, hyphens, parentheses and
  square brackets); other media are dropped with a warning;
- assistant text → ``text`` (blank text is left out: Bedrock rejects it); a refusal → text;
  reasoning → ``reasoningContent``: ``reasoningText`` with its ``signature``, or
  ``redactedContent``, when this provider gave it (reasoning without either is dropped, as
  a model would reject it); tool calls → ``toolUse`` with ``input`` as a JSON object;
- tool results → ``toolResult`` blocks in a user turn: text as ``text``, a JSON result as
  ``json`` (objects) or text, media as ``image``/``document``, an error as text with
  ``status: "error"``;
- consecutive turns of one role are merged (Converse wants user and assistant to alternate);
- tools → ``toolConfig.tools[].toolSpec`` (``name``, ``description``, ``inputSchema.json``);
  tool choice auto → ``auto``, required → ``any``, a named tool → ``tool``. ``none`` has no
  Converse form: the tools are left out, and when the conversation already holds tool
  blocks (which Bedrock only accepts with a ``toolConfig``) those are sent as text instead;
- ``inferenceConfig``: ``maxTokens``, ``temperature``, ``topP``, ``stopSequences``; top-k is
  a model field (``additionalModelRequestFields.top_k``) for Claude, unsupported elsewhere;
  penalties are unsupported (warnings).

Options (``provider_options["bedrock"]``, overridden key by key by the provider's own name,
e.g. ``["bedrock-converse"]``): ``stop_sequences``; ``additional_model_request_fields``
(merged into ``additionalModelRequestFields``); ``thinking={"budget_tokens": n}`` (Claude's
extended thinking, as a model field); ``guardrail_config`` (``guardrailIdentifier``,
``guardrailVersion``, ``trace``; ``streamProcessingMode`` is kept only when streaming);
``performance_config``, ``request_metadata``, ``service_tier``, ``output_config`` (e.g. a
``textFormat`` JSON schema, on the models that take one),
``additional_model_response_field_paths`` (copied to their camel-case fields);
``extra_body`` (merged into the body last). Prompt caching: ``{"bedrock": {"cache_point":
True}}`` in the ``provider_options`` of a message, a part, a tool or the system message
puts a ``cachePoint`` block after it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

import orjson

from reverie.content import (
    ErrorOutput,
    FilePart,
    JsonOutput,
    MediaOutput,
    Message,
    Part,
    ProviderData,
    ReasoningPart,
    RefusalPart,
    SourcePart,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from reverie.model import Call, CallWarning, ProviderTool, SpecificTool, ToolSpec

OPTIONS_KEY = "bedrock"
CACHE_POINT: dict[str, Any] = {"cachePoint": {"type": "default"}}

IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp"}
DOCUMENT_FORMATS = {
    "application/pdf": "pdf",
    "text/csv": "csv",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/html": "html",
    "text/plain": "txt",
    "text/markdown": "md",
}

# Options copied to the body under Converse's own (camel-case) names.
_PASSTHROUGH = {
    "performance_config": "performanceConfig",
    "request_metadata": "requestMetadata",
    "service_tier": "serviceTier",
    "additional_model_response_field_paths": "additionalModelResponseFieldPaths",
    "output_config": "outputConfig",
}


def call_options(call: Call, provider: str) -> dict[str, Any]:
    """The caller's options for this wire: ``bedrock`` ones, then the provider's own name."""
    return merged_options(call.provider_options, provider)


def merged_options(options: ProviderData, provider: str) -> dict[str, Any]:
    merged: dict[str, Any] = dict(options.get(OPTIONS_KEY, {}))
    if provider != OPTIONS_KEY:
        merged.update(options.get(provider, {}))
    return merged


def is_claude(model_id: str) -> bool:
    """Whether a Bedrock model id (or inference profile / ARN) names an Anthropic model."""
    lowered = model_id.lower()
    return "anthropic." in lowered or "claude" in lowered


def encode_request(
    call: Call, model_id: str, provider: str, *, stream: bool
) -> tuple[dict[str, Any], list[CallWarning]]:
    """The request body for ``call``, and what had to be left out of it."""
    options = call_options(call, provider)
    warnings: list[CallWarning] = []
    tools, tool_choice = _tools(call, provider, warnings)
    has_tools = tools is not None
    system, messages = encode_messages(call.messages, provider, warnings, tools_declared=has_tools)
    body: dict[str, Any] = {"messages": messages}
    if system:
        body["system"] = system
    inference: dict[str, Any] = {}
    if call.max_output_tokens is not None:
        inference["maxTokens"] = call.max_output_tokens
    if call.temperature is not None:
        inference["temperature"] = call.temperature
    if call.top_p is not None:
        inference["topP"] = call.top_p
    if options.get("stop_sequences"):
        inference["stopSequences"] = list(options["stop_sequences"])
    if inference:
        body["inferenceConfig"] = inference
    fields: dict[str, Any] = {}
    if call.top_k is not None:
        if is_claude(model_id):
            fields["top_k"] = call.top_k
        else:
            warnings.append(_unsupported("top_k", "top_k is not a Converse setting for this model"))
    for penalty in ("presence_penalty", "frequency_penalty"):
        if getattr(call, penalty) is not None:
            warnings.append(_unsupported(penalty, f"{penalty} is not supported by Converse"))
    thinking = options.get("thinking")
    if isinstance(thinking, Mapping):
        budget = thinking.get("budget_tokens")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        fields["thinking"] = {"type": "enabled", "budget_tokens": budget or 1024}
    extra_fields = options.get("additional_model_request_fields")
    if isinstance(extra_fields, Mapping):
        fields.update(extra_fields)  # pyright: ignore[reportUnknownArgumentType]
    if fields:
        body["additionalModelRequestFields"] = fields
    if has_tools:
        config: dict[str, Any] = {"tools": tools}
        if tool_choice is not None:
            config["toolChoice"] = tool_choice
        body["toolConfig"] = config
    guardrail: Any = options.get("guardrail_config")
    if isinstance(guardrail, Mapping):
        config = dict(cast(Mapping[str, Any], guardrail))
        if not stream:
            config.pop("streamProcessingMode", None)
        body["guardrailConfig"] = config
    for option, field in _PASSTHROUGH.items():
        if options.get(option) is not None:
            body[field] = options[option]
    extra = options.get("extra_body")
    if isinstance(extra, Mapping):
        body.update(extra)  # pyright: ignore[reportUnknownArgumentType]
    return body, warnings


def _unsupported(setting: str, message: str) -> CallWarning:
    return CallWarning("unsupported-setting", message, setting)


def _tools(
    call: Call, provider: str, warnings: list[CallWarning]
) -> tuple[list[dict[str, Any]] | None, dict[str, Any] | None]:
    """``toolConfig``'s tools and tool choice; (None, None) when no tools go out."""
    specs: list[ToolSpec] = []
    for tool in call.tools:
        if isinstance(tool, ProviderTool):
            warnings.append(
                CallWarning("unsupported-tool", f"provider tool {tool.id} is not supported")
            )
        else:
            specs.append(tool)
    choice = call.tool_choice or "auto"
    if not specs or choice == "none":
        return None, None
    tools: list[dict[str, Any]] = []
    for spec in specs:
        tool_spec: dict[str, Any] = {
            "name": spec.name,
            "inputSchema": {"json": dict(spec.input_schema)},
        }
        if spec.description:
            tool_spec["description"] = spec.description
        tools.append({"toolSpec": tool_spec})
        if _cache_point(spec.provider_options, provider):
            tools.append(dict(CACHE_POINT))
    if isinstance(choice, SpecificTool):
        return tools, {"tool": {"name": choice.name}}
    return tools, {"any": {}} if choice == "required" else {"auto": {}}


def _cache_point(options: ProviderData, provider: str) -> bool:
    return bool(merged_options(options, provider).get("cache_point"))


def encode_messages(
    messages: Sequence[Message],
    provider: str,
    warnings: list[CallWarning],
    *,
    tools_declared: bool = True,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(system, messages)``: our conversation as Converse blocks and turns.

    ``tools_declared`` False means the request has no ``toolConfig``: tool calls and
    results are then sent as text (Bedrock rejects tool blocks without one).
    """
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    as_text = not tools_declared
    for msg in messages:
        if msg.role == "system":
            for part in msg.content:
                if isinstance(part, TextPart) and part.text.strip():
                    system.append({"text": part.text})
                    if _cache_point(part.provider_options, provider):
                        system.append(dict(CACHE_POINT))
            if system and _cache_point(msg.provider_options, provider):
                system.append(dict(CACHE_POINT))
            continue
        role = "assistant" if msg.role == "assistant" else "user"
        blocks: list[dict[str, Any]] = []
        for index, part in enumerate(msg.content):
            encoded = _block(part, index, role, provider, warnings, as_text)
            blocks.extend(encoded)
            if (
                encoded
                and not isinstance(part, SourcePart)
                and _cache_point(part.provider_options, provider)
            ):
                blocks.append(dict(CACHE_POINT))
        if blocks and _cache_point(msg.provider_options, provider):
            blocks.append(dict(CACHE_POINT))
        if not blocks:
            warnings.append(CallWarning("other", f"empty {msg.role} message dropped"))
        elif turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    if as_text and any(
        isinstance(p, ToolCallPart | ToolResultPart) and not p.provider_executed
        for m in messages
        for p in m.content
    ):
        warnings.append(
            CallWarning(
                "other",
                "this request declares no tools, so the conversation's tool calls and results "
                "were sent as text (Bedrock accepts tool blocks only with a toolConfig)",
            )
        )
    return system, turns


def _block(
    part: Part,
    index: int,
    role: str,
    provider: str,
    warnings: list[CallWarning],
    as_text: bool,
) -> list[dict[str, Any]]:
    """The Converse blocks one part becomes (none when it cannot be sent)."""
    if isinstance(part, TextPart | RefusalPart):
        return [{"text": part.text}] if part.text.strip() else []
    if isinstance(part, FilePart):
        block = file_block(part.data, part.media_type, part.filename, index)
        if block is None:
            warnings.append(CallWarning("other", f"file type {part.media_type} not supported"))
            return []
        return [block]
    if isinstance(part, ReasoningPart):
        return _reasoning(part, provider, warnings) if role == "assistant" else []
    if isinstance(part, ToolCallPart):
        if part.provider_executed:
            return []
        if as_text:
            return [{"text": f"[called tool {part.tool_name} with {part.input or '{}'}]"}]
        return [
            {
                "toolUse": {
                    "toolUseId": part.tool_call_id,
                    "name": part.tool_name,
                    "input": _tool_input(part, warnings),
                }
            }
        ]
    if isinstance(part, ToolResultPart):
        if part.provider_executed:
            return []
        content = _result_content(part, warnings)
        if as_text:
            texts = [c["text"] for c in content if "text" in c]
            return [{"text": f"[tool {part.tool_name} returned: {' '.join(texts)}]"}]
        result: dict[str, Any] = {"toolUseId": part.tool_call_id, "content": content}
        if isinstance(part.output, ErrorOutput):
            result["status"] = "error"
        return [{"toolResult": result}]
    return []  # sources are not sent back


def file_block(
    data: bytes, media_type: str, filename: str | None, index: int
) -> dict[str, Any] | None:
    """An image or document block, or None for media Converse cannot carry."""
    b64 = base64.b64encode(data).decode()
    image = IMAGE_FORMATS.get(media_type)
    if image is not None:
        return {"image": {"format": image, "source": {"bytes": b64}}}
    document = DOCUMENT_FORMATS.get(media_type)
    if document is not None:
        return {
            "document": {
                "format": document,
                "name": document_name(filename, index),
                "source": {"bytes": b64},
            }
        }
    return None


def document_name(filename: str | None, index: int) -> str:
    """A document name Bedrock accepts: the filename's stem with disallowed characters as
    spaces, single-spaced; ``document-<n>`` when nothing is left."""
    stem = (filename or "").rsplit(".", 1)[0]
    cleaned = re.sub(r"\s+", " ", re.sub(r"[^A-Za-z0-9\s\-()\[\]]", " ", stem)).strip()
    return cleaned or f"document-{index + 1}"


def _reasoning(
    part: ReasoningPart, provider: str, warnings: list[CallWarning]
) -> list[dict[str, Any]]:
    meta = merged_options(part.provider_metadata, provider)
    if meta.get("signature"):
        text = {"text": part.text, "signature": meta["signature"]}
        return [{"reasoningContent": {"reasoningText": text}}]
    if meta.get("redacted_content"):
        return [{"reasoningContent": {"redactedContent": meta["redacted_content"]}}]
    warnings.append(CallWarning("other", "reasoning without a Bedrock signature: dropped"))
    return []


def _tool_input(part: ToolCallPart, warnings: list[CallWarning]) -> dict[str, Any]:
    """The call's arguments as the JSON object Converse wants; malformed ones become ``{}``
    with a warning (the tool result that follows needs its toolUse block)."""
    if not part.input.strip():
        return {}
    try:
        value = orjson.loads(part.input)
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        warnings.append(
            CallWarning(
                "other", f"tool call {part.tool_call_id} has malformed arguments: sent as {{}}"
            )
        )
        return {}
    return value  # pyright: ignore[reportUnknownVariableType]


def _result_content(part: ToolResultPart, warnings: list[CallWarning]) -> list[dict[str, Any]]:
    output = part.output
    if isinstance(output, TextOutput):
        return [{"text": output.text or " "}]
    if isinstance(output, ErrorOutput):
        return [{"text": output.message or "error"}]
    if isinstance(output, JsonOutput):
        value: Any = output.value
        if isinstance(value, dict):
            return [{"json": cast(dict[str, Any], value)}]
        return [{"text": orjson.dumps(value).decode()}]
    if isinstance(output, MediaOutput):  # pyright: ignore[reportUnnecessaryIsInstance]
        content: list[dict[str, Any]] = [{"text": output.text}] if output.text else []
        block = file_block(output.data, output.media_type, None, 0)
        if block is None:
            warnings.append(CallWarning("other", f"tool result media {output.media_type} dropped"))
        else:
            content.append(block)
        return content or [{"text": f"[{output.media_type} result]"}]
    return [{"text": str(output)}]
