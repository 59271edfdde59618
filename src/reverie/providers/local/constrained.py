"""Tool calling for models without native tool calls, via schema-constrained JSON.

:class:`ConstrainedToolModel` wraps a :class:`~reverie.model.LanguageModel` that speaks the
Chat Completions wire to a server able to constrain output to a JSON schema (llama.cpp,
vLLM, ...). A call without tools passes through untouched. A call with tools goes out
without them: the conversation is rewritten as plain text with the tools described in the
system prompt, and ``response_format`` (a ``json_schema``, sent through the inner
provider's ``extra_body`` option) makes the model reply with exactly one JSON object, which
comes back as a :class:`~reverie.content.ToolCallPart` or as answer text. The protocol is
in :mod:`reverie.providers.local.tooljson`.

This is a weaker tool mode than a model's own: one call per step, and after a tool result
the model must answer. It is what lets a 135M model drive the agent loop at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

from reverie.events import Finish, StreamEvent, TextDelta, ToolCall, Warnings
from reverie.model import Call, FinishReason, LanguageModel, Response, ToolSpec
from reverie.providers.local import tooljson


class ConstrainedToolModel:
    """``inner`` with tool calls carried as constrained JSON (see the module docstring)."""

    label = "small local model: tools via constrained JSON, one call per step"

    def __init__(self, inner: LanguageModel) -> None:
        self.inner = inner

    @property
    def provider(self) -> str:
        return self.inner.provider

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def __repr__(self) -> str:
        return f"ConstrainedToolModel({self.inner!r})"

    def prepare(self, call: Call) -> Call | None:
        """The call to send instead of ``call``, or None when it has no function tools."""
        tools = [t for t in call.tools if isinstance(t, ToolSpec)]
        if not tools:
            return None
        after_result = bool(call.messages) and call.messages[-1].role == "tool"
        offered, allow_answer = tooljson.offered_tools(tools, call.tool_choice, after_result)
        schema = tooljson.answer_schema(offered, allow_answer)
        messages = tooljson.rewrite_messages(call.messages, offered, after_result)
        options: dict[str, Mapping[str, Any]] = dict(call.provider_options)
        mine = dict(options.get(self.provider, {}))
        extra = dict(mine.get("extra_body") or {})
        extra["response_format"] = tooljson.response_format(schema)
        mine["extra_body"] = extra
        options[self.provider] = mine
        return replace(
            call, messages=messages, tools=(), tool_choice=None, provider_options=options
        )

    async def generate(self, call: Call) -> Response:
        sent = self.prepare(call)
        if sent is None:
            return await self.inner.generate(call)
        response = await self.inner.generate(sent)
        parts = tooljson.decode_answer(response.text)
        reason = response.finish_reason
        if any(p.type == "tool-call" for p in parts):
            reason = FinishReason.TOOL_CALLS
        return replace(response, content=parts, finish_reason=reason)

    async def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        sent = self.prepare(call)
        if sent is None:
            async for event in self.inner.stream(call):
                yield event
            return
        streamer = tooljson.AnswerStreamer()
        events = self.inner.stream(sent)
        try:
            async for event in events:
                if isinstance(event, TextDelta):
                    for out in streamer.feed(event.delta):
                        yield out
                elif isinstance(event, Warnings):
                    yield event
                elif isinstance(event, Finish):
                    closing, called = streamer.finish()
                    for out in closing:
                        yield out
                    reason = FinishReason.TOOL_CALLS if called else event.finish_reason
                    yield replace(event, finish_reason=reason)
                elif isinstance(event, ToolCall):
                    yield event  # a server that made a native call after all: keep it
        finally:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()
