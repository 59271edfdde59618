"""Tool calling for models without native tool calls, via schema-constrained JSON.

:class:`ConstrainedToolModel` wraps a :class:`~reverie.model.LanguageModel` that speaks the
Chat Completions wire to a server able to constrain output to a JSON schema (llama.cpp,
vLLM, ...). A call without tools passes through untouched. A call with tools goes out
without them: the conversation is rewritten as plain text with the tools described in the
system prompt, and ``response_format`` (a ``json_schema``, sent through the inner
provider's ``extra_body`` option) makes the model reply with exactly one JSON object, which
comes back as a :class:`~reverie.content.ToolCallPart` or as answer text. The protocol is
in :mod:`reverie.providers._local.tooljson`.

A reply may hold several calls (the agent runs them in parallel, as it does a hosted
model's parallel calls); after a result, the tools not yet used in this turn stay offered.
Tool steps sample greedily (temperature 0) unless the call sets a temperature: which tool
and which arguments is a decision a small model makes best, and reproducibly, that way.
It is what lets a 135M model drive the agent loop at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

from reverie.events import Finish, StreamEvent, TextDelta, ToolCall, Warnings
from reverie.model import (
    Call,
    CallWarning,
    FinishReason,
    LanguageModel,
    Response,
    SpecificTool,
    ToolSpec,
)
from reverie.providers._local import tooljson
from reverie.providers._local.answerstream import AnswerStreamer


class ConstrainedToolModel:
    """``inner`` with tool calls carried as constrained JSON (see the module docstring)."""

    tool_temperature = 0.0
    """The temperature of tool steps whose call sets none (see the module docstring)."""

    def __init__(self, inner: LanguageModel) -> None:
        self.inner = inner

    @property
    def label(self) -> str:
        """What this model is (shown by ``reverie run``): the inner model's own words, if
        it has any."""
        inner: object = getattr(self.inner, "label", "")
        return str(inner) or "small local model: tools via constrained JSON"

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
        offered, allow_answer = tooljson.offered_tools(tools, call.tool_choice, call.messages)
        forced = isinstance(call.tool_choice, SpecificTool)
        schema = tooljson.answer_schema(
            offered, allow_answer, 1 if forced else tooljson.MAX_CALLS_PER_STEP
        )
        messages = tooljson.rewrite_messages(call.messages, offered, allow_answer)
        options: dict[str, Mapping[str, Any]] = dict(call.provider_options)
        mine = dict(options.get(self.provider, {}))
        extra = dict(mine.get("extra_body") or {})
        extra["response_format"] = tooljson.response_format(schema)
        mine["extra_body"] = extra
        options[self.provider] = mine
        temperature = self.tool_temperature if call.temperature is None else call.temperature
        return replace(
            call,
            messages=messages,
            tools=(),
            tool_choice=None,
            provider_options=options,
            temperature=temperature,
        )

    async def generate(self, call: Call) -> Response:
        sent = self.prepare(call)
        if sent is None:
            return await self.inner.generate(call)
        response = await self.inner.generate(sent)
        parts = tooljson.decode_answer(response.text)
        reason = _finish_reason(response.finish_reason, any(p.type == "tool-call" for p in parts))
        warnings = response.warnings + _reply_warnings(response.text, reason)
        return replace(response, content=parts, finish_reason=reason, warnings=warnings)

    async def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        sent = self.prepare(call)
        if sent is None:
            async for event in self.inner.stream(call):
                yield event
            return
        streamer = AnswerStreamer()
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
                    reason = _finish_reason(event.finish_reason, called)
                    warnings = _reply_warnings(streamer.text, reason)
                    if warnings:
                        yield Warnings(warnings)
                    yield replace(event, finish_reason=reason)
                elif isinstance(event, ToolCall):
                    yield event  # a server that made a native call after all: keep it
        finally:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()


def _finish_reason(inner: FinishReason, called: bool) -> FinishReason:
    """``tool-calls`` for a reply with calls, unless the token limit cut it off: calls
    repaired out of a cut-off reply must not run (the agent answers them with an error)."""
    return FinishReason.TOOL_CALLS if called and inner != FinishReason.LENGTH else inner


def _reply_warnings(text: str, reason: FinishReason) -> tuple[CallWarning, ...]:
    """A warning when the reply is not the protocol's JSON (it is then shown as text)."""
    if not text.strip() or tooljson.is_protocol_reply(text):
        return ()
    why = " (cut off by the output token limit)" if reason == FinishReason.LENGTH else ""
    return (
        CallWarning(
            "other", f"the model's reply is not the JSON it was asked for{why}: shown as text"
        ),
    )
