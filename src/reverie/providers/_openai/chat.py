"""The OpenAI Chat Completions wire, encoding, pure: :class:`Call` → request dict.

Decoding lives in :mod:`.chat_decode` (a whole completion) and :mod:`.chat_stream`.

Used by OpenAI itself and by every OpenAI-compatible host (Cerebras, Groq, xAI, z.ai, Hugging
Face, llama.cpp, vLLM, Ollama, ...): hosts differ in configuration (:class:`ChatDialect`),
not in code. Gateways that add to the wire (OpenRouter, Vercel) plug in a
:class:`ChatExtension`. No I/O here: :class:`~reverie.providers._model.WireModel` sends.

Facts the encoder follows (all visible in the recorded requests):

- tools go out as ``{"type":"function","function":{name, strict: false, description,
  parameters}}`` and ``tool_choice`` is sent whenever tools are;
- reasoning models (o1/o3/o4, gpt-5, gpt-oss) take ``max_completion_tokens``, and reject
  temperature, top-p and penalties (dropped with a warning);
- reasoning a compatible host returned (``reasoning_content`` / ``reasoning``) goes back as
  ``reasoning_content`` on the assistant message, even when empty;
- tool results are one ``tool`` message each, in call order.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

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
    ToolOutput,
    ToolResultPart,
)
from reverie.errors import ConfigurationError
from reverie.model import (
    Call,
    CallWarning,
    ProviderTool,
    SpecificTool,
    ToolSpec,
)
from reverie.providers._openai.dialect import ChatDialect

_REASONING_EFFORTS = frozenset({"none", "minimal", "low", "medium", "high", "xhigh", "max"})

# Provider options copied into the body as they are (validated only by the provider).
_PASSTHROUGH_OPTIONS = (
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "user",
    "parallel_tool_calls",
    "max_completion_tokens",
    "verbosity",
    "prediction",
    "store",
    "metadata",
    "prompt_cache_key",
    "safety_identifier",
    "service_tier",
    "seed",
    "stop",
    "response_format",
)


def is_reasoning_model(model_id: str) -> bool:
    """OpenAI's reasoning families, which take ``max_completion_tokens`` and no sampling knobs."""
    lowered = model_id.lower()
    return (
        any(model_id.startswith(p) or f"-{p}" in model_id for p in ("o1", "o3", "o4", "oss"))
        or "gpt-5" in lowered
    )


def encode_request(
    call: Call, model_id: str, dialect: ChatDialect, *, stream: bool
) -> tuple[dict[str, Any], list[CallWarning]]:
    """The request body for ``call``, and what had to be left out of it."""
    warnings: list[CallWarning] = []
    ext = dialect.extension
    messages = (
        ext.encode_messages(call.messages, model_id, warnings)
        if ext is not None
        else encode_messages(call.messages, dialect, warnings)
    )
    body: dict[str, Any] = {"messages": messages, "model": model_id}
    reasoning = is_reasoning_model(model_id)
    if call.top_k is not None:
        warnings.append(CallWarning("unsupported-setting", "top_k is not supported", "top_k"))
    sampling = {
        "temperature": call.temperature,
        "top_p": call.top_p,
        "frequency_penalty": call.frequency_penalty,
        "presence_penalty": call.presence_penalty,
    }
    for key, value in sampling.items():
        if value is None:
            continue
        if reasoning:
            warnings.append(
                CallWarning(
                    "unsupported-setting", f"{key} is not supported for reasoning models", key
                )
            )
        else:
            body[key] = value
    if call.max_output_tokens is not None:
        body["max_completion_tokens" if reasoning else "max_tokens"] = call.max_output_tokens

    options = call.provider_options.get(dialect.name, {})
    if ext is not None:
        ext.apply_options(body, options, model_id, warnings)
    else:
        _apply_options(body, options, reasoning, warnings)

    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    if call.tools:
        tools: list[dict[str, Any]] = []
        for tool in call.tools:
            if isinstance(tool, ProviderTool):
                warnings.append(
                    CallWarning("unsupported-tool", f"provider tool {tool.id} is not supported")
                )
                continue
            tools.append(encode_tool(tool))
        if tools:
            body["tools"] = tools
            body["tool_choice"] = encode_tool_choice(call.tool_choice or "auto")
    return body, warnings


def _apply_options(
    body: dict[str, Any], options: Mapping[str, Any], reasoning: bool, warnings: list[CallWarning]
) -> None:
    for key in _PASSTHROUGH_OPTIONS:
        if key in options and options[key] is not None:
            body[key] = options[key]
    if "max_completion_tokens" in body:
        body.pop("max_tokens", None)
    effort = options.get("reasoning_effort")
    if effort is not None:
        if effort not in _REASONING_EFFORTS:
            raise ConfigurationError(
                f"reasoning_effort {effort!r} is not one of {sorted(_REASONING_EFFORTS)}"
            )
        body["reasoning_effort"] = effort
    if reasoning:
        for key in ("logit_bias", "logprobs", "top_logprobs"):
            if body.pop(key, None) is not None:
                warnings.append(
                    CallWarning(
                        "unsupported-setting", f"{key} is not supported for reasoning models", key
                    )
                )
    extra = options.get("extra_body")
    if isinstance(extra, Mapping):
        body.update(extra)  # pyright: ignore[reportUnknownArgumentType]


def encode_tool(tool: ToolSpec) -> dict[str, Any]:
    """One function tool, as OpenAI's own SDK sends it."""
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "strict": False,
            "description": tool.description,
            "parameters": dict(tool.input_schema),
        },
    }


def encode_tool_choice(choice: str | SpecificTool) -> Any:
    if isinstance(choice, SpecificTool):
        return {"type": "function", "function": {"name": choice.name}}
    return choice


def encode_messages(
    messages: Sequence[Message], dialect: ChatDialect, warnings: list[CallWarning]
) -> list[dict[str, Any]]:
    """Our messages as Chat Completions messages."""
    out: list[dict[str, Any]] = []
    for msg in messages:
        if msg.role == "system":
            texts = [p.text for p in msg.content if isinstance(p, TextPart) and p.text.strip()]
            if texts:
                out.append({"role": "system", "content": "\n".join(texts)})
            else:
                warnings.append(CallWarning("other", "system message has no text; dropped"))
        elif msg.role == "user":
            user = _encode_user(msg.content, warnings)
            if user is not None:
                out.append(user)
        elif msg.role == "assistant":
            assistant = _encode_assistant(msg.content, dialect)
            if assistant is not None:
                out.append(assistant)
            else:
                warnings.append(CallWarning("other", "empty assistant message dropped"))
        else:
            for part in msg.content:
                if isinstance(part, ToolResultPart):
                    out.extend(_encode_tool_result(part, warnings))
    return out


def _encode_user(parts: Sequence[Part], warnings: list[CallWarning]) -> dict[str, Any] | None:
    if len(parts) == 1 and isinstance(parts[0], TextPart):
        return {"role": "user", "content": parts[0].text}
    content: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, TextPart):
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, FilePart):
            encoded = encode_file(part, len(content))
            if encoded is None:
                warnings.append(CallWarning("other", f"file type {part.media_type} not supported"))
            else:
                content.append(encoded)
    if not content:
        warnings.append(CallWarning("other", "empty user message dropped"))
        return None
    return {"role": "user", "content": content}


def encode_file(part: FilePart, index: int) -> dict[str, Any] | None:
    """A file as a user content part, or None when Chat Completions cannot carry it."""
    b64 = base64.b64encode(part.data).decode()
    media = part.media_type
    if media.startswith("image/"):
        image: dict[str, Any] = {"url": f"data:{media};base64,{b64}"}
        detail = part.provider_options.get("openai", {}).get("image_detail")
        if detail:
            image["detail"] = detail
        return {"type": "image_url", "image_url": image}
    if media in ("audio/wav", "audio/x-wav"):
        return {"type": "input_audio", "input_audio": {"data": b64, "format": "wav"}}
    if media in ("audio/mpeg", "audio/mp3"):
        return {"type": "input_audio", "input_audio": {"data": b64, "format": "mp3"}}
    if media == "application/pdf":
        if part.data.startswith(b"file-"):
            return {"type": "file", "file": {"file_id": part.data.decode()}}
        filename = part.filename or f"part-{index}.pdf"
        return {
            "type": "file",
            "file": {"filename": filename, "file_data": f"data:application/pdf;base64,{b64}"},
        }
    if media.startswith("text/"):
        return {"type": "file", "file": {"file_data": b64}}
    return None


def _encode_assistant(parts: Sequence[Part], dialect: ChatDialect) -> dict[str, Any] | None:
    msg: dict[str, Any] = {"role": "assistant"}
    text = ""
    refusal = ""
    reasoning: list[str] | None = None
    tool_calls: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, RefusalPart):
            refusal += part.text  # Chat Completions takes it back as the message's refusal
        elif isinstance(part, TextPart):
            # One content string per message: when a streamed turn had several text blocks
            # (text, a tool call, more text), the last block is sent, as the reference
            # library does and as every recorded request shows.
            text = part.text
        elif isinstance(part, ReasoningPart):
            reasoning = [*(reasoning or []), part.text]
        elif isinstance(part, ToolCallPart) and not part.provider_executed:
            tool_calls.append(
                {
                    "id": part.tool_call_id,
                    "type": "function",
                    "function": {"name": part.tool_name, "arguments": part.input},
                }
            )
    if text:
        msg["content"] = text
    if refusal:
        msg["refusal"] = refusal
    if tool_calls:
        msg["tool_calls"] = tool_calls
    if reasoning is not None and dialect.send_reasoning:
        msg["reasoning_content"] = "".join(reasoning)
    if "content" not in msg and "refusal" not in msg and not tool_calls:
        return None
    return msg


def _encode_tool_result(part: ToolResultPart, warnings: list[CallWarning]) -> list[dict[str, Any]]:
    output = part.output
    if isinstance(output, MediaOutput):
        # A tool message carries only text: send the text, then the media as a user message.
        encoded = encode_file(FilePart(output.data, output.media_type), 0)
        messages: list[dict[str, Any]] = [
            {
                "role": "tool",
                "tool_call_id": part.tool_call_id,
                "content": output.text or f"[{output.media_type} result attached below]",
            }
        ]
        if encoded is None:
            warnings.append(CallWarning("other", f"tool result media {output.media_type} dropped"))
        else:
            messages.append({"role": "user", "content": [encoded]})
        return messages
    return [{"role": "tool", "tool_call_id": part.tool_call_id, "content": output_text(output)}]


def output_text(output: ToolOutput) -> str:
    """A tool output as the text a model reads."""
    if isinstance(output, TextOutput):
        return output.text
    if isinstance(output, ErrorOutput):
        return output.message
    if isinstance(output, JsonOutput):
        import orjson

        return orjson.dumps(output.value).decode()
    return output.text
