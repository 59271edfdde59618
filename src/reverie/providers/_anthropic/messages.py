"""The Anthropic Messages wire, encoding the conversation: messages → ``system`` blocks and
turns. Pure, no I/O.

- system messages become ``system`` text blocks (only the first run of system messages:
  a system message after the conversation started is dropped, with a warning);
- consecutive messages of one role are merged into one turn, and tool results go back as
  ``tool_result`` blocks inside the next *user* turn (a tool message opens or joins one);
- thinking blocks go back with their ``signature``, redacted thinking with its ``data``,
  provider-executed tool calls as ``server_tool_use`` and their results as
  ``<tool>_tool_result`` blocks, all unchanged;
- cache control (``provider_options["anthropic"]["cache_control"]``) on a part renders on
  that part's block; on a message, on the block of its last part.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

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
from reverie.errors import ConfigurationError
from reverie.model import CallWarning

WIRE = "anthropic"
"""The key of this wire's provider options and metadata, whichever host serves it."""


def cache_control(options: ProviderData) -> dict[str, Any] | None:
    """The cache-control block asked for in ``options`` (``{"type": "ephemeral"}``...)."""
    value = options.get(WIRE, {}).get("cache_control")
    if value is None:
        return None
    if isinstance(value, Mapping):
        return dict(value)  # pyright: ignore[reportUnknownArgumentType]
    if isinstance(value, str):
        return {"type": value}
    raise ConfigurationError(
        f'anthropic cache_control must be a mapping like {{"type": "ephemeral"}}, got {value!r}'
    )


def encode_messages(
    messages: Sequence[Message], warnings: list[CallWarning], *, send_reasoning: bool = True
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, messages): turns merged by role, tool results in user turns."""
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    system_done = False
    for msg in messages:
        if msg.role == "system":
            if system_done:
                warnings.append(
                    CallWarning("other", "a system message after the conversation began: dropped")
                )
                continue
            for part, cache in _parts_with_cache(msg):
                if isinstance(part, TextPart):
                    system.append(_with_cache({"type": "text", "text": part.text}, cache))
            continue
        system_done = True
        role = "assistant" if msg.role == "assistant" else "user"
        if msg.role == "assistant":
            blocks = _assistant_blocks(msg, warnings, send_reasoning)
        else:
            blocks = _user_blocks(msg, warnings)
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    kept: list[dict[str, Any]] = []
    for turn in turns:
        if turn["content"]:
            kept.append(turn)
        else:
            warnings.append(CallWarning("other", f"empty {turn['role']} message dropped"))
    return system, kept


def _parts_with_cache(msg: Message) -> list[tuple[Part, dict[str, Any] | None]]:
    """Each part with its cache control: its own, else the message's on the last part."""
    out: list[tuple[Part, dict[str, Any] | None]] = []
    last = len(msg.content) - 1
    for i, part in enumerate(msg.content):
        cache = None if isinstance(part, SourcePart) else cache_control(part.provider_options)
        if cache is None and i == last:
            cache = cache_control(msg.provider_options)
        out.append((part, cache))
    return out


def _with_cache(block: dict[str, Any], cache: dict[str, Any] | None) -> dict[str, Any]:
    if cache is not None:
        block["cache_control"] = cache
    return block


def _user_blocks(msg: Message, warnings: list[CallWarning]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for part, cache in _parts_with_cache(msg):
        if isinstance(part, TextPart):
            blocks.append(_with_cache({"type": "text", "text": part.text}, cache))
        elif isinstance(part, FilePart):
            block = encode_file(part)
            if block is None:
                warnings.append(
                    CallWarning("other", f"file media type {part.media_type} is not supported")
                )
            else:
                blocks.append(_with_cache(block, cache))
        elif isinstance(part, ToolResultPart):
            blocks.append(_with_cache(_tool_result(part, warnings), cache))
        # Sources and reasoning have no place in a user turn.
    return blocks


def encode_file(part: FilePart) -> dict[str, Any] | None:
    """An image or document block for a file, or None when Anthropic cannot take it."""
    media = part.media_type
    if media.startswith("image/"):
        return {"type": "image", "source": _base64_source(part.data, media)}
    if media == "application/pdf":
        block: dict[str, Any] = {"type": "document", "source": _base64_source(part.data, media)}
    elif media.startswith("text/"):
        block = {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": part.data.decode()},
        }
    else:
        return None
    if part.filename:
        block["title"] = part.filename
    return block


def _base64_source(data: bytes, media_type: str) -> dict[str, Any]:
    return {"type": "base64", "media_type": media_type, "data": base64.b64encode(data).decode()}


def _tool_result(part: ToolResultPart, warnings: list[CallWarning]) -> dict[str, Any]:
    output = part.output
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": part.tool_call_id}
    if isinstance(output, TextOutput):
        block["content"] = [{"type": "text", "text": output.text}]
    elif isinstance(output, ErrorOutput):
        block["content"] = [{"type": "text", "text": output.message}]
        block["is_error"] = True
    elif isinstance(output, MediaOutput):
        media = encode_file(FilePart(output.data, output.media_type))
        content: list[dict[str, Any]] = []
        if media is None:
            warnings.append(
                CallWarning("other", f"tool result media {output.media_type} is not supported")
            )
        else:
            content.append(media)
        if output.text:
            content.append({"type": "text", "text": output.text})
        block["content"] = content
    else:
        block["content"] = [{"type": "text", "text": orjson.dumps(output.value).decode()}]
    return block


def _assistant_blocks(
    msg: Message, warnings: list[CallWarning], send_reasoning: bool
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for part, cache in _parts_with_cache(msg):
        if isinstance(part, TextPart | RefusalPart):  # a refusal is what the assistant said
            if part.text:
                blocks.append(_with_cache({"type": "text", "text": part.text}, cache))
        elif isinstance(part, ReasoningPart):
            block = _reasoning_block(part, warnings, send_reasoning)
            if block is not None:
                blocks.append(block)
        elif isinstance(part, ToolCallPart):
            name = "server_tool_use" if part.provider_executed else "tool_use"
            block = {
                "type": name,
                "id": part.tool_call_id,
                "name": part.tool_name,
                "input": _tool_input(part, warnings),
            }
            blocks.append(block if part.provider_executed else _with_cache(block, cache))
        elif isinstance(part, ToolResultPart) and part.provider_executed:
            value: Any = part.output.value if isinstance(part.output, JsonOutput) else []
            blocks.append(
                {
                    "type": f"{part.tool_name}_tool_result",
                    "tool_use_id": part.tool_call_id,
                    "content": value,
                }
            )
    return blocks


def _reasoning_block(
    part: ReasoningPart, warnings: list[CallWarning], send_reasoning: bool
) -> dict[str, Any] | None:
    if not send_reasoning:
        warnings.append(CallWarning("other", "sending reasoning is disabled: thinking dropped"))
        return None
    meta = part.provider_metadata.get(WIRE, {})
    if meta.get("signature"):
        return {"type": "thinking", "thinking": part.text, "signature": meta["signature"]}
    if meta.get("redacted_data"):
        return {"type": "redacted_thinking", "data": meta["redacted_data"]}
    # Thinking from another provider, or without its signature, would be rejected.
    warnings.append(CallWarning("other", "reasoning without an Anthropic signature: dropped"))
    return None


def _tool_input(part: ToolCallPart, warnings: list[CallWarning]) -> Any:
    """The call's arguments as JSON. The API rejects a tool_result whose tool_use is
    missing, so malformed arguments become ``{}`` (with a warning) rather than no block."""
    if not part.input.strip():
        return {}
    try:
        value = orjson.loads(part.input)
    except orjson.JSONDecodeError:
        warnings.append(
            CallWarning(
                "other", f"tool call {part.tool_call_id} has malformed arguments: sent as {{}}"
            )
        )
        return {}
    if not part.provider_executed and not isinstance(value, dict):
        return {}
    return value  # pyright: ignore[reportUnknownVariableType]
