"""Span attributes built from reverie's values: token usage, and a chat span's request
parameters (with its input content when the application opted in)."""

from __future__ import annotations

from typing import Any

from reverie.model import Usage
from reverie.observe import ModelAttempt
from reverie.otel import _content as content
from reverie.otel import _names as n


def usage(usage: Usage) -> dict[str, Any]:
    """A span's token counts: input is the whole prompt, cache reads and writes included."""
    attributes: dict[str, Any] = {
        n.GEN_AI_USAGE_INPUT_TOKENS: usage.prompt_tokens,
        n.GEN_AI_USAGE_OUTPUT_TOKENS: usage.output_tokens,
        n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: usage.cache_read_tokens,
        n.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: usage.cache_write_tokens,
    }
    if usage.reasoning_tokens:
        attributes[n.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoning_tokens
    return attributes


def request(request: ModelAttempt, capture_content: bool) -> dict[str, Any]:
    """A chat span's request parameters, and its input content when captured."""
    call = request.call
    attributes: dict[str, Any] = {n.GEN_AI_REQUEST_STREAM: request.streaming}
    for key, value in (
        (n.GEN_AI_REQUEST_MAX_TOKENS, call.max_output_tokens),
        (n.GEN_AI_REQUEST_TEMPERATURE, call.temperature),
        (n.GEN_AI_REQUEST_TOP_P, call.top_p),
        (n.GEN_AI_REQUEST_TOP_K, call.top_k),
        (n.GEN_AI_REQUEST_PRESENCE_PENALTY, call.presence_penalty),
        (n.GEN_AI_REQUEST_FREQUENCY_PENALTY, call.frequency_penalty),
    ):
        if value is not None:
            attributes[key] = value
    if capture_content:
        attributes[n.GEN_AI_INPUT_MESSAGES] = content.input_messages(call.messages)
        for key, value in (
            (n.GEN_AI_SYSTEM_INSTRUCTIONS, content.system_instructions(call.messages)),
            (n.GEN_AI_TOOL_DEFINITIONS, content.tool_definitions(call.tools)),
        ):
            if value is not None:
                attributes[key] = value
    return attributes
