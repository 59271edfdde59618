"""Server-initiated sampling (``sampling/createMessage``) answered by a reverie model.

A server may ask its client to run a model for it. With ``sampling_model=`` set on a
server, reverie sends the request to that model (any :class:`LanguageModel` or model name)
and returns its answer; without it, reverie does not offer sampling and servers see the
capability missing.

The request maps onto a :class:`Call`: the system prompt, the messages (text, images,
audio; tool uses and tool results when the server offers tools), ``maxTokens``,
``temperature``, tools with their schemas shaped for the model's provider, and the tool
choice. ``stopSequences``, ``modelPreferences`` and ``includeContext`` are advisory in MCP
and not used. A model failure is returned to the server as an error, not raised.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Sequence
from typing import Any, cast

import mcp.types as types
import orjson
from mcp.client import ClientRequestContext
from mcp.client.session import SamplingFnT

from reverie.content import (
    ErrorOutput,
    FilePart,
    Message,
    Part,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from reverie.errors import ReverieError
from reverie.mcp._schema import SchemaError, normalize_schema, target_for
from reverie.model import Call, FinishReason, LanguageModel, Response, ToolChoice, ToolSpec

logger = logging.getLogger(__name__.rpartition(".")[0])  # "reverie.mcp"

SamplingResult = types.CreateMessageResult | types.CreateMessageResultWithTools | types.ErrorData

_STOP_REASONS = {
    FinishReason.STOP: "endTurn",
    FinishReason.LENGTH: "maxTokens",
    FinishReason.TOOL_CALLS: "toolUse",
}


def sampling_callback(model: Callable[[], LanguageModel], label: str) -> SamplingFnT:
    """The SDK callback that answers ``label``'s sampling requests with ``model()``."""

    async def sample(
        context: ClientRequestContext, params: types.CreateMessageRequestParams
    ) -> SamplingResult:
        try:
            llm = model()
            response = await llm.generate(to_call(params, llm.provider))
        except (ReverieError, SchemaError) as exc:
            logger.warning("%s: sampling failed: %s", label, exc)
            return types.ErrorData(code=types.INTERNAL_ERROR, message=f"sampling failed: {exc}")
        return to_result(response, llm.model_id, with_tools=bool(params.tools))

    return sample


def to_call(params: types.CreateMessageRequestParams, provider: str | None = None) -> Call:
    """A sampling request as one model call (see the module docstring)."""
    messages: list[Message] = []
    if params.system_prompt:
        messages.append(Message("system", (TextPart(params.system_prompt),)))
    names: dict[str, str] = {}  # tool use id -> tool name, which results must repeat
    for message in params.messages:
        messages.extend(_messages(message, names))
    tools: list[ToolSpec] = []
    target = target_for(provider)
    for tool in params.tools or ():
        schema = normalize_schema(tool.input_schema, target, tool=tool.name)
        tools.append(ToolSpec(tool.name, tool.description or tool.title or "", schema))
    choice: ToolChoice | None = None
    if tools:
        mode = params.tool_choice.mode if params.tool_choice is not None else None
        choice = mode or "auto"
    return Call(
        messages=messages,
        max_output_tokens=params.max_tokens,
        temperature=params.temperature,
        tools=tools,
        tool_choice=choice,
    )


def _messages(message: types.SamplingMessage, names: dict[str, str]) -> list[Message]:
    """One sampling message as reverie messages: tool results go in a ``tool`` message."""
    parts: list[Part] = []
    results: list[ToolResultPart] = []
    for block in message.content_as_list:
        if isinstance(block, types.TextContent):
            parts.append(TextPart(block.text))
        elif isinstance(block, types.ImageContent | types.AudioContent):
            parts.append(FilePart(base64.b64decode(block.data), block.mime_type))
        elif isinstance(block, types.ToolUseContent):
            names[block.id] = block.name
            parts.append(ToolCallPart(block.id, block.name, orjson.dumps(block.input).decode()))
        else:
            text = "\n".join(c.text for c in block.content if isinstance(c, types.TextContent))
            output = ErrorOutput(text) if block.is_error else TextOutput(text)
            name = names.get(block.tool_use_id, "")
            results.append(ToolResultPart(block.tool_use_id, name, output))
    out: list[Message] = []
    if results:
        out.append(Message("tool", tuple(results)))
    if parts:
        out.append(Message(message.role, tuple(parts)))
    return out


def to_result(response: Response, model_id: str, *, with_tools: bool) -> SamplingResult:
    """The model's answer in the shape the request asked for."""
    stop = _STOP_REASONS.get(response.finish_reason)
    if not with_tools:
        content = types.TextContent(text=response.text)
        return types.CreateMessageResult(
            role="assistant", content=content, model=model_id, stop_reason=stop
        )
    blocks: list[types.SamplingMessageContentBlock] = []
    if response.text:
        blocks.append(types.TextContent(text=response.text))
    blocks.extend(_tool_uses(response.content))
    return types.CreateMessageResultWithTools(
        role="assistant", content=blocks, model=model_id, stop_reason=stop
    )


def _tool_uses(parts: Sequence[Part]) -> list[types.SamplingMessageContentBlock]:
    out: list[types.SamplingMessageContentBlock] = []
    for part in parts:
        if isinstance(part, ToolCallPart) and not part.provider_executed:
            try:
                arguments = orjson.loads(part.input or "{}")
            except orjson.JSONDecodeError:
                arguments = {}
            args: dict[str, Any] = (
                cast("dict[str, Any]", arguments) if isinstance(arguments, dict) else {}
            )
            out.append(types.ToolUseContent(id=part.tool_call_id, name=part.tool_name, input=args))
    return out
