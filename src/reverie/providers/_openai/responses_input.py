"""The OpenAI Responses wire: our messages as input items, pure (see :mod:`.responses`).

- system text → one ``system`` or ``developer`` message (or none, for o1-mini / o1-preview);
- user text and files → ``input_text`` / ``input_image`` / ``input_file`` parts;
- assistant text (and a refusal, as what the assistant said) → ``{"role": "assistant",
  "content": text}``; client tool calls →
  ``function_call`` items; provider-executed calls → ``item_reference`` when stored, else
  nothing; reasoning → a ``reasoning`` item only when asked (``send_reasoning``) and only
  when it carries encrypted content;
- tool results → ``function_call_output`` items (media: a text placeholder, then the media
  in a user message, since the output is a string).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, Literal

from reverie.content import (
    FilePart,
    MediaOutput,
    Message,
    Part,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from reverie.model import CallWarning
from reverie.providers._openai.chat import output_text

SystemMode = Literal["system", "developer", "remove"]


def encode_input(
    messages: Sequence[Message],
    mode: SystemMode,
    warnings: list[CallWarning],
    *,
    store: bool = False,
    send_reasoning: bool = False,
) -> list[dict[str, Any]]:
    """Our messages as Responses input items."""
    items: list[dict[str, Any]] = []
    for msg in messages:
        if msg.role == "system":
            text = "\n".join(
                p.text for p in msg.content if isinstance(p, TextPart) and p.text.strip()
            )
            if not text:
                warnings.append(CallWarning("other", "system message has no text; dropped"))
            elif mode == "remove":
                warnings.append(CallWarning("other", "system messages are removed for this model"))
            else:
                items.append({"role": mode, "content": text})
        elif msg.role == "user":
            content = _user_content(msg.content, warnings)
            if content:
                items.append({"role": "user", "content": content})
            else:
                warnings.append(CallWarning("other", "empty user message dropped"))
        elif msg.role == "assistant":
            assistant = _assistant_items(msg.content, store, send_reasoning)
            if any(item.get("type") != "reasoning" for item in assistant):
                items.extend(assistant)
            else:
                warnings.append(CallWarning("other", "empty assistant message dropped"))
        else:
            for part in msg.content:
                if isinstance(part, ToolResultPart) and not part.provider_executed:
                    items.extend(_tool_result_items(part, warnings))
    return items


def _user_content(parts: Sequence[Part], warnings: list[CallWarning]) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for index, part in enumerate(parts):
        if isinstance(part, TextPart):
            content.append({"type": "input_text", "text": part.text})
        elif isinstance(part, FilePart):
            encoded = encode_file(part, index)
            if encoded is None:
                warnings.append(CallWarning("other", f"file type {part.media_type} not supported"))
            else:
                content.append(encoded)
    return content


def encode_file(part: FilePart, index: int) -> dict[str, Any] | None:
    """An image or PDF as an input content part; None for other media types."""
    media = part.media_type
    if media.startswith("image/"):
        if part.data.startswith(b"file-"):
            return {"type": "input_image", "file_id": part.data.decode()}
        b64 = base64.b64encode(part.data).decode()
        image: dict[str, Any] = {"type": "input_image", "image_url": f"data:{media};base64,{b64}"}
        detail = part.provider_options.get("openai", {}).get("image_detail")
        if detail:
            image["detail"] = detail
        return image
    if media == "application/pdf":
        if part.data.startswith(b"file-"):
            return {"type": "input_file", "file_id": part.data.decode()}
        b64 = base64.b64encode(part.data).decode()
        return {
            "type": "input_file",
            "filename": part.filename or f"part-{index}.pdf",
            "file_data": f"data:application/pdf;base64,{b64}",
        }
    return None


def _assistant_items(
    parts: Sequence[Part], store: bool, send_reasoning: bool
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, TextPart | RefusalPart):
            items.append({"role": "assistant", "content": part.text})
        elif isinstance(part, ToolCallPart):
            if not part.provider_executed:
                items.append(
                    {
                        "type": "function_call",
                        "call_id": part.tool_call_id,
                        "name": part.tool_name,
                        "arguments": part.input,
                    }
                )
            elif store:
                items.append({"type": "item_reference", "id": part.tool_call_id})
        elif isinstance(part, ReasoningPart) and send_reasoning:
            item = reasoning_item(part)
            if item is not None:
                items.append(item)
    return items


def reasoning_item(part: ReasoningPart) -> dict[str, Any] | None:
    """A reasoning part as the item it came from, when it carries encrypted content."""
    for metadata in part.provider_metadata.values():
        encrypted = metadata.get("encrypted_content")
        item_id = metadata.get("item_id")
        if encrypted and item_id:
            summary: Sequence[str] = metadata.get("summary") or ()
            return {
                "type": "reasoning",
                "id": item_id,
                "encrypted_content": encrypted,
                "summary": [{"type": "summary_text", "text": s} for s in summary],
            }
    return None


def _tool_result_items(part: ToolResultPart, warnings: list[CallWarning]) -> list[dict[str, Any]]:
    output = part.output
    if not isinstance(output, MediaOutput):
        return [
            {
                "type": "function_call_output",
                "call_id": part.tool_call_id,
                "output": output_text(output),
            }
        ]
    # function_call_output carries only a string: keep the call/result pairing with text,
    # then attach the media as a user message so a vision model still sees it.
    text = output.text or (
        f"The tool returned {output.media_type} content; see the following user message."
    )
    items: list[dict[str, Any]] = [
        {"type": "function_call_output", "call_id": part.tool_call_id, "output": text}
    ]
    encoded = encode_file(FilePart(output.data, output.media_type), 0)
    if encoded is None:
        warnings.append(CallWarning("other", f"tool result media {output.media_type} dropped"))
    else:
        items.append({"role": "user", "content": [encoded]})
    return items
