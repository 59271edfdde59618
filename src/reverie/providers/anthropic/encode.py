"""The Anthropic Messages wire, encoding: :class:`Call` → request body. Pure, no I/O.

The same body serves three hosts (the Anthropic API, AWS Bedrock, Google Vertex AI); what
differs is a :class:`MessagesDialect`. Facts the encoder follows (all visible in recordings):

- ``max_tokens`` is required: 4096 when the caller gives none;
- system messages become ``system`` text blocks (only the first run of system messages:
  a system message after the conversation started is dropped, with a warning);
- consecutive messages of one role are merged into one turn, and tool results go back as
  ``tool_result`` blocks inside the next *user* turn (a tool message opens or joins one);
- thinking blocks go back with their ``signature``, redacted thinking with its ``data``,
  provider-executed tool calls as ``server_tool_use`` and their results as
  ``<tool>_tool_result`` blocks, all unchanged;
- cache control (``provider_options["anthropic"]["cache_control"]``) on a part renders on
  that part's block; on a message, on the block of its last part; on a tool, on the tool;
- tool choice: auto, none, required → ``any``, a named tool → ``tool``; every choice but
  ``none`` carries ``disable_parallel_tool_use`` (Bedrock rejects the field: left out there).

Options (``call.provider_options["anthropic"]``, overridden key by key by the host's own
name, e.g. ``["bedrock"]``): ``thinking={"budget_tokens": n}``, ``effort`` (low, medium,
high, xhigh, max: adaptive thinking with ``output_config.effort``), ``thinking_display``,
``send_reasoning`` (default true), ``disable_parallel_tool_use``, ``betas`` (extra beta
flags), ``extra_body`` (merged into the body last).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    SourcePart,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from reverie.errors import ConfigurationError
from reverie.model import Call, CallWarning, ProviderTool, SpecificTool, ToolSpec

WIRE = "anthropic"
"""The key of this wire's provider options and metadata, whichever host serves it."""

DEFAULT_MAX_TOKENS = 4096
EFFORTS = frozenset({"low", "medium", "high", "xhigh", "max"})

# Beta flags that provider tools need (sent as the anthropic-beta header, or in the body
# on Bedrock).
_TOOL_BETAS = {
    "computer_20250124": "computer-use-2025-01-24",
    "computer_20251124": "computer-use-2025-11-24",
}


@dataclass(frozen=True, slots=True)
class MessagesDialect:
    """How one host wants the Messages body.

    ``name`` is the host's provider name (its options override the ``anthropic`` ones);
    ``model_in_body`` / ``stream_in_body``: whether ``model`` and ``stream`` are body fields
    (the Anthropic API: both; Vertex: stream only; Bedrock: neither, the URL says them);
    ``anthropic_version`` goes in the body when set; ``parallel_flag``: whether tool choice
    may carry ``disable_parallel_tool_use``; ``betas_in_body``: Bedrock takes beta flags as
    ``anthropic_beta`` in the body instead of a header.
    """

    name: str = WIRE
    model_in_body: bool = True
    stream_in_body: bool = True
    anthropic_version: str | None = None
    parallel_flag: bool = True
    betas_in_body: bool = False


@dataclass(frozen=True, slots=True)
class EncodedRequest:
    """A request body, what was left out of it, and the beta flags it needs."""

    body: dict[str, Any]
    warnings: list[CallWarning]
    betas: list[str]


def call_options(call: Call, dialect: MessagesDialect) -> dict[str, Any]:
    """The caller's options for this wire: ``anthropic`` ones, then the host's own."""
    merged: dict[str, Any] = dict(call.provider_options.get(WIRE, {}))
    if dialect.name != WIRE:
        merged.update(call.provider_options.get(dialect.name, {}))
    return merged


def encode_request(
    call: Call, model_id: str, dialect: MessagesDialect, *, stream: bool
) -> EncodedRequest:
    """The body for ``call``; raises ConfigurationError for an unusable option."""
    options = call_options(call, dialect)
    warnings: list[CallWarning] = []
    send_reasoning = options.get("send_reasoning", True) is not False
    system, messages = encode_messages(call.messages, warnings, send_reasoning=send_reasoning)
    body: dict[str, Any] = {}
    if dialect.model_in_body:
        body["model"] = model_id
    body["max_tokens"] = (
        call.max_output_tokens if call.max_output_tokens is not None else DEFAULT_MAX_TOKENS
    )
    body["messages"] = messages
    if system:
        body["system"] = system
    for unsupported in ("frequency_penalty", "presence_penalty"):
        if getattr(call, unsupported) is not None:
            warnings.append(
                CallWarning("unsupported-setting", f"{unsupported} is not supported", unsupported)
            )
    sampling = {"temperature": call.temperature, "top_p": call.top_p, "top_k": call.top_k}
    thinking = _encode_thinking(options, body, model_id)
    for key, value in sampling.items():
        if value is None:
            continue
        if thinking:
            warnings.append(
                CallWarning(
                    "unsupported-setting", f"{key} is not supported when thinking is enabled", key
                )
            )
        else:
            body[key] = value
    betas: list[str] = [str(b) for b in options.get("betas") or ()]
    if call.tools:
        tools = _encode_tools(call.tools, warnings, betas)
        if tools:
            body["tools"] = tools
        choice = _encode_tool_choice(call.tool_choice, options, dialect)
        if choice is not None:
            body["tool_choice"] = choice
    if stream and dialect.stream_in_body:
        body["stream"] = True
    if dialect.anthropic_version:
        body["anthropic_version"] = dialect.anthropic_version
    if betas and dialect.betas_in_body:
        body["anthropic_beta"] = betas
    extra = options.get("extra_body")
    if isinstance(extra, Mapping):
        body.update(extra)  # pyright: ignore[reportUnknownArgumentType]
    return EncodedRequest(body, warnings, betas)


def _adaptive_only(model_id: str) -> bool:
    """Models that take only adaptive thinking (a budget is rejected) and hide thinking
    unless a display is asked for: Claude Opus 4.7 and later, Mythos preview."""
    model = model_id.strip().lower()
    if "claude-mythos-preview" in model:
        return True
    match = re.search(r"claude-opus-4-(\d{1,2})(?!\d)", model)
    return match is not None and int(match.group(1)) >= 7


def _encode_thinking(options: Mapping[str, Any], body: dict[str, Any], model_id: str) -> bool:
    """Set ``thinking`` (and ``output_config``) from the options; True when thinking is on."""
    adaptive_only = _adaptive_only(model_id)
    # Those models would return no visible thinking by default; ask for a summary.
    display = options.get("thinking_display") or ("summarized" if adaptive_only else None)
    shown = {"display": display} if display else {}
    effort = options.get("effort")
    if effort is not None:
        if effort not in EFFORTS:
            raise ConfigurationError(f"anthropic effort {effort!r} is not one of {sorted(EFFORTS)}")
        body["output_config"] = {"effort": effort}
        body["thinking"] = {"type": "adaptive", **shown}
        return True
    thinking: Any = options.get("thinking")
    if thinking is None:
        if "claude-mythos-preview" in model_id.lower():  # thinks adaptively by default
            body["thinking"] = {"type": "adaptive", **shown}
            return True
        return False
    budget: Any = None
    if isinstance(thinking, Mapping):
        budget = cast(Mapping[str, Any], thinking).get("budget_tokens")
    if not isinstance(budget, int) or budget <= 0:
        raise ConfigurationError(
            'anthropic thinking needs a token budget: provider_options={"anthropic": '
            '{"thinking": {"budget_tokens": 4000}}}'
        )
    if adaptive_only:
        body["thinking"] = {"type": "adaptive", **shown}
    else:
        body["thinking"] = {"type": "enabled", "budget_tokens": budget, **shown}
    return True


# ---------------------------------------------------------------------------------------
# Tools


def _encode_tools(
    tools: Sequence[ToolSpec | ProviderTool], warnings: list[CallWarning], betas: list[str]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in tools:
        if isinstance(tool, ToolSpec):
            # The whole schema goes out ($defs and all); Anthropic requires an object.
            encoded: dict[str, Any] = {
                "name": tool.name,
                "description": tool.description,
                "input_schema": {**tool.input_schema, "type": "object"},
            }
            cache = cache_control(tool.provider_options)
            if cache is not None:
                encoded["cache_control"] = cache
            out.append(encoded)
            continue
        prefix, _, tool_type = tool.id.partition(".")
        if prefix != WIRE or not tool_type:
            warnings.append(
                CallWarning("unsupported-tool", f"provider tool {tool.id} is not supported")
            )
            continue
        # A provider tool goes out as its type, its name and its settings, as Anthropic
        # documents each one (web_search_20250305, computer_20250124, ...).
        out.append({"type": tool_type, "name": tool.name, **tool.args})
        beta = _TOOL_BETAS.get(tool_type)
        if beta and beta not in betas:
            betas.append(beta)
    return out


def _encode_tool_choice(
    choice: str | SpecificTool | None, options: Mapping[str, Any], dialect: MessagesDialect
) -> dict[str, Any] | None:
    disable = bool(options.get("disable_parallel_tool_use", False))
    flag = {"disable_parallel_tool_use": disable} if dialect.parallel_flag else {}
    if choice is None:
        # Nothing asked: the API's default (auto, parallel) unless parallel use is disabled.
        return {"type": "auto", **flag} if disable else None
    if choice == "none":
        return {"type": "none"}
    if choice == "auto":
        return {"type": "auto", **flag}
    if choice == "required":
        return {"type": "any", **flag}
    if isinstance(choice, SpecificTool):
        return {"type": "tool", "name": choice.name, **flag}
    raise ConfigurationError(f"unknown tool choice {choice!r}")


# ---------------------------------------------------------------------------------------
# Messages


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
        if isinstance(part, TextPart):
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
