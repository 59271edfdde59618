"""Counting input tokens below the providers: what the agent's input limit checks.

The rules are documented in :mod:`reverie.tokens`, which adds counting a model by name.
"""

from __future__ import annotations

import math

from reverie._redact import excerpt
from reverie.content import (
    ErrorOutput,
    FilePart,
    JsonOutput,
    MediaOutput,
    ReasoningPart,
    RefusalPart,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from reverie.errors import ContextTooLargeError, InvalidRequestError
from reverie.model import Call, LanguageModel, ProviderTool, TokenCount, TokenCounter

__all__ = ["check_input_limit", "count_model_tokens", "estimate_tokens"]

_MESSAGE_OVERHEAD = 4
_TOOL_OVERHEAD = 8
_FILE_TOKENS = 1000


async def count_model_tokens(model: LanguageModel, call: Call) -> TokenCount:
    """The input tokens ``call`` would use on ``model`` (see :mod:`reverie.tokens`).

    The provider's count where it has an endpoint; otherwise, or when the endpoint rejects
    the request as invalid, :func:`estimate_tokens`. Other failures (auth, rate limits,
    the network) raise as a model call would.
    """
    if isinstance(model, TokenCounter):
        try:
            count = await model.count_tokens(call)
        except InvalidRequestError as exc:
            reason = f"{model.provider} could not count this request: {excerpt(exc.message, 200)}"
            return _estimated(call, reason)
        if count is not None:
            return count
    return _estimated(call, f"{model.provider} has no token counting endpoint for this model")


def _estimated(call: Call, reason: str) -> TokenCount:
    return TokenCount(estimate_tokens(call), True, {"estimate": {"reason": reason}})


async def check_input_limit(model: LanguageModel, call: Call, limit: int) -> TokenCount:
    """``call``'s count, or :class:`ContextTooLargeError` when it exceeds ``limit``."""
    count = await count_model_tokens(model, call)
    if count.input_tokens > limit:
        how = "estimated at" if count.estimate else "counted by the provider as"
        raise ContextTooLargeError(
            f"the request to {model.provider}:{model.model_id} was not sent: its input is "
            f"{how} {count.input_tokens} tokens, over the agent's max_input_tokens={limit}. "
            "Shorten the conversation (a prepare_step hook can drop old messages) or raise "
            "the limit",
            used_tokens=count.input_tokens,
            max_tokens=limit,
            provider=model.provider,
        )
    return count


def estimate_tokens(call: Call) -> int:
    """A local estimate of ``call``'s input tokens (the rule is in the module docstring)."""
    total = 0
    for message in call.messages:
        total += _MESSAGE_OVERHEAD
        for part in message.content:
            if isinstance(part, TextPart | ReasoningPart | RefusalPart):
                total += _text_tokens(part.text)
            elif isinstance(part, ToolCallPart):
                total += _text_tokens(part.tool_name) + _text_tokens(part.input)
            elif isinstance(part, ToolResultPart):
                total += _output_tokens(part)
            elif isinstance(part, FilePart):
                total += _FILE_TOKENS
    for tool in call.tools:
        if isinstance(tool, ProviderTool):
            total += _TOOL_OVERHEAD + _text_tokens(tool.name)
            continue
        import orjson

        schema = orjson.dumps(dict(tool.input_schema)).decode()
        total += _TOOL_OVERHEAD + _text_tokens(tool.name + tool.description + schema)
    return total


def _output_tokens(part: ToolResultPart) -> int:
    output = part.output
    if isinstance(output, TextOutput):
        return _text_tokens(output.text)
    if isinstance(output, ErrorOutput):
        return _text_tokens(output.message)
    if isinstance(output, JsonOutput):
        import orjson

        return _text_tokens(orjson.dumps(output.value, default=str).decode())
    if isinstance(output, MediaOutput):  # pyright: ignore[reportUnnecessaryIsInstance]
        return _FILE_TOKENS + _text_tokens(output.text)
    return 0


def _text_tokens(text: str) -> int:
    ascii_chars = len(text.encode("ascii", "ignore"))
    return math.ceil(ascii_chars / 4) + (len(text) - ascii_chars)
