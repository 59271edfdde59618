"""The token-counting requests, pure: each endpoint's body made from the body the model
would send, and the count read back. Each host with a counting endpoint builds its body
here (:meth:`~reverie.providers._host.Host.count_body`) and gives its URL for
:data:`~reverie.providers._host.COUNT_TOKENS`;
:meth:`~reverie.providers._model.WireModel.count_tokens` sends it.

- Anthropic ``POST /v1/messages/count_tokens``: the Messages body with only the fields the
  endpoint takes (model, messages, system, tools, tool choice, thinking, output config,
  cache control); answer ``{"input_tokens"}``. Vertex AI serves it as
  ``.../publishers/anthropic/models/count-tokens:rawPredict`` with the model in the body.
- Bedrock ``POST /model/{id}/count-tokens``: ``{"input": {"invokeModel": {"body": <base64
  of the invoke body>}}}`` for Claude's invoke body, ``{"input": {"converse": {messages,
  system, toolConfig, additionalModelRequestFields}}}`` for Converse; answer
  ``{"inputTokens"}``.
- Gemini ``POST .../models/{id}:countTokens``: ``{"generateContentRequest": {"model":
  "models/<id>", ...the generateContent body}}`` on the Gemini API; on Vertex AI the body's
  ``contents``, ``systemInstruction``, ``tools`` and ``generationConfig``; answer
  ``{"totalTokens"}``.
- OpenAI Responses ``POST /responses/input_tokens``: the Responses body with only the
  fields the endpoint takes; answer ``{"object": "response.input_tokens", "input_tokens"}``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import orjson

from reverie._redact import excerpt
from reverie.errors import ProtocolError
from reverie.providers import _untrusted as untrusted

ANTHROPIC_FIELDS = frozenset(
    {
        "model",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "thinking",
        "output_config",
        "cache_control",
        "mcp_servers",
    }
)
RESPONSES_FIELDS = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "previous_response_id",
        "conversation",
        "reasoning",
        "text",
        "truncation",
    }
)
CONVERSE_FIELDS = ("messages", "system", "toolConfig", "additionalModelRequestFields")
VERTEX_GEMINI_FIELDS = ("contents", "systemInstruction", "tools", "generationConfig")


def anthropic_body(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k in ANTHROPIC_FIELDS}


def bedrock_invoke_body(body: Mapping[str, Any]) -> dict[str, Any]:
    encoded = base64.b64encode(orjson.dumps(body)).decode()
    return {"input": {"invokeModel": {"body": encoded}}}


def converse_body(body: Mapping[str, Any]) -> dict[str, Any]:
    return {"input": {"converse": {k: body[k] for k in CONVERSE_FIELDS if k in body}}}


def gemini_body(body: Mapping[str, Any], model_id: str, *, vertex: bool) -> dict[str, Any]:
    if vertex:
        return {k: body[k] for k in VERTEX_GEMINI_FIELDS if k in body}
    return {"generateContentRequest": {"model": f"models/{model_id}", **body}}


def responses_body(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k in RESPONSES_FIELDS}


def read_count(data: Mapping[str, Any], provider: str) -> int:
    """The count in any of the answers above (``input_tokens``, ``inputTokens``,
    ``totalTokens``), read as a token count from the network
    (:func:`reverie.providers._untrusted.count`: clamped, never negative). An answer without
    one, or whose count is not a number, is a ProtocolError: a count decides whether a
    request is sent, so a bad one is not taken as 0."""
    for key in ("input_tokens", "inputTokens", "totalTokens"):
        value = data.get(key)
        if value is None:
            continue
        count = untrusted.count(value)
        if count or (not isinstance(value, bool) and value in (0, "0")):
            return count
        break
    shown = excerpt(str(dict(data)), 300)
    raise ProtocolError(f"{provider}: the token count answer has no count: {shown}", line=shown)
