"""Messages as OpenRouter and the Vercel AI Gateway take them. Pure.

The shape is Chat Completions, with what the gateways add for the models behind them:

- Anthropic prompt caching: a ``cache_control`` provider option under ``"anthropic"`` (on a
  message, or on one of its parts) is rendered as a ``cache_control`` field on the system
  message, on a one-text user or assistant message, on a content part of a multi-part user
  message, or on an assistant tool call. A message-level option lands on its last part.
  Tool results carry none: the reference library never renders it there, and the recorded
  requests show none.
- Reasoning goes back as ``reasoning_details`` (see :mod:`.reasoning`). An assistant message
  carries the details of its *last* reasoning part that has any (the reference library sets
  them per part, each replacing the previous, and the recorded requests are built that
  way); reasoning the model cannot take back is added to the text as ``<thoughts>``.
- Several text blocks of one assistant turn are joined by newlines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reverie.content import (
    FilePart,
    Message,
    ProviderData,
    ReasoningPart,
    RefusalPart,
    SourcePart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from reverie.model import CallWarning
from reverie.providers._gateways.reasoning import encode_reasoning
from reverie.providers._openai.chat import (
    _encode_tool_result,  # pyright: ignore[reportPrivateUsage]
    encode_file,
)


def cache_control(options: ProviderData) -> dict[str, Any] | None:
    """The Anthropic ``cache_control`` asked for in ``options``, or None."""
    value = options.get("anthropic", {}).get("cache_control")
    return dict(value) if isinstance(value, Mapping) else None  # pyright: ignore[reportUnknownArgumentType]


def _with_cache(item: dict[str, Any], control: dict[str, Any] | None) -> dict[str, Any]:
    if control is not None:
        item["cache_control"] = control
    return item


def _part_cache(msg: Message, index: int) -> dict[str, Any] | None:
    """A part's own cache control, else the message's when the part is the last one."""
    part = msg.content[index]
    own = None if isinstance(part, SourcePart) else cache_control(part.provider_options)
    if own is None and index == len(msg.content) - 1:
        return cache_control(msg.provider_options)
    return own


def encode_messages(
    messages: Sequence[Message], model_id: str, gateway: str, warnings: list[CallWarning]
) -> list[dict[str, Any]]:
    """Our messages as a gateway's Chat Completions messages (see the module docstring)."""
    out: list[dict[str, Any]] = []
    for msg in messages:
        if msg.role == "system":
            texts = [p.text for p in msg.content if isinstance(p, TextPart) and p.text.strip()]
            if not texts:
                warnings.append(CallWarning("other", "system message has no text; dropped"))
                continue
            system = {"role": "system", "content": "\n".join(texts)}
            out.append(_with_cache(system, cache_control(msg.provider_options)))
        elif msg.role == "user":
            user = _encode_user(msg, gateway, warnings)
            if user is not None:
                out.append(user)
        elif msg.role == "assistant":
            assistant = _encode_assistant(msg, model_id, gateway)
            if assistant is None:
                warnings.append(CallWarning("other", "empty assistant message dropped"))
            else:
                out.append(assistant)
        else:
            for part in msg.content:
                if isinstance(part, ToolResultPart):
                    out.extend(_encode_tool_result(part, warnings))
    return out


def _single_text(msg: Message) -> TextPart | None:
    if len(msg.content) == 1 and isinstance(msg.content[0], TextPart):
        return msg.content[0]
    return None


def _encode_user(msg: Message, gateway: str, warnings: list[CallWarning]) -> dict[str, Any] | None:
    single = _single_text(msg)
    if single is not None:
        control = cache_control(msg.provider_options) or cache_control(single.provider_options)
        return _with_cache({"role": "user", "content": single.text}, control)
    content: list[dict[str, Any]] = []
    for i, part in enumerate(msg.content):
        control = _part_cache(msg, i)
        if isinstance(part, TextPart):
            content.append(_with_cache({"type": "text", "text": part.text}, control))
        elif isinstance(part, FilePart):
            encoded = encode_file(part, len(content))
            if encoded is None:
                warnings.append(CallWarning("other", f"file type {part.media_type} not supported"))
                continue
            detail = part.provider_options.get(gateway, {}).get("image_detail")
            if detail and encoded["type"] == "image_url":
                encoded["image_url"]["detail"] = detail
            content.append(_with_cache(encoded, control))
    if not content:
        warnings.append(CallWarning("other", "empty user message dropped"))
        return None
    return {"role": "user", "content": content}


def _encode_assistant(msg: Message, model_id: str, gateway: str) -> dict[str, Any] | None:
    single = _single_text(msg)
    if single is not None:
        control = cache_control(msg.provider_options) or cache_control(single.provider_options)
        return _with_cache({"role": "assistant", "content": single.text}, control)
    texts: list[str] = []
    text_cache: dict[str, Any] | None = None
    tool_calls: list[dict[str, Any]] = []
    fields: dict[str, Any] = {}
    for i, part in enumerate(msg.content):
        control = _part_cache(msg, i)
        if isinstance(part, TextPart):
            texts.append(part.text)
            text_cache = control or text_cache
        elif isinstance(part, RefusalPart):
            fields["refusal"] = part.text
        elif isinstance(part, ReasoningPart):
            encoded = encode_reasoning(part, model_id, gateway)
            if isinstance(encoded, str):
                texts.append(encoded)
            else:
                fields = encoded
        elif isinstance(part, ToolCallPart) and not part.provider_executed:
            call = {
                "id": part.tool_call_id,
                "type": "function",
                "function": {"name": part.tool_name, "arguments": part.input},
            }
            tool_calls.append(_with_cache(call, control))
    out: dict[str, Any] = {"role": "assistant"}
    if texts:
        out["content"] = "\n".join(texts)
    if tool_calls:
        out["tool_calls"] = tool_calls
    out.update(fields)
    if len(out) == 1:
        return None
    # A text's cache control has no field of its own on a string content: it goes on the
    # message, where Anthropic's gateways read it for one-text messages too.
    return _with_cache(out, text_cache)
