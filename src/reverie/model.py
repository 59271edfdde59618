"""The language-model contract: what a provider takes (:class:`Call`) and gives back.

A provider implements :class:`LanguageModel`: ``generate`` returns one :class:`Response`;
``stream`` yields the stream events defined here and ends with exactly one :class:`Finish`
(or raises). The agent knows nothing else about providers.

A model's stream yields, per content block, ``*Start`` → ``*Delta``… → ``*End`` (blocks are
told apart by ``id``), complete :class:`ToolCall` events once a call's arguments are whole,
and ends with one :class:`Finish`. Users usually import these events from
:mod:`reverie.events`, which re-exports them beside the agent's own events.

This module imports only :mod:`reverie.content`: it is the floor that providers, the agent
and the events all stand on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol, TypeAlias, runtime_checkable

from reverie.content import (
    EMPTY_DATA,
    Message,
    Part,
    ProviderData,
    RefusalPart,
    SourcePart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

__all__ = [
    "Call",
    "CallWarning",
    "Finish",
    "FinishReason",
    "LanguageModel",
    "ProviderTool",
    "ReasoningDelta",
    "ReasoningEnd",
    "ReasoningStart",
    "Refusal",
    "Response",
    "Source",
    "SpecificTool",
    "StreamEvent",
    "TextDelta",
    "TextEnd",
    "TextStart",
    "TokenCount",
    "TokenCounter",
    "Tool",
    "ToolCall",
    "ToolChoice",
    "ToolInputDelta",
    "ToolInputEnd",
    "ToolInputStart",
    "ToolResult",
    "ToolSpec",
    "Usage",
    "Warnings",
]


class FinishReason(StrEnum):
    """Why a model stopped producing output."""

    STOP = "stop"
    LENGTH = "length"
    CONTENT_FILTER = "content-filter"
    TOOL_CALLS = "tool-calls"
    ERROR = "error"
    OTHER = "other"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts for one call, or summed over a run.

    ``input_tokens`` excludes the prompt tokens read from or written to the provider's prompt
    cache, which are counted in ``cache_read_tokens`` and ``cache_write_tokens``: the whole
    prompt is the sum of the three (:attr:`prompt_tokens`), whatever each provider reports.
    ``reasoning_tokens`` is the part of ``output_tokens`` spent on reasoning, where reported.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def prompt_tokens(self) -> int:
        """Every input token of the call: uncached, read from the cache, written to it."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.total_tokens + other.total_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A client-side function tool as a provider sees it: name, description, JSON schema."""

    name: str
    description: str
    input_schema: Mapping[str, Any]
    provider_options: ProviderData = field(default_factory=dict[str, Mapping[str, Any]])


@dataclass(frozen=True, slots=True)
class ProviderTool:
    """A tool defined by a provider (hosted web search, computer use).

    ``id`` is ``"<provider>.<tool type>"``, e.g. ``"anthropic.web_search_20250305"``;
    ``args`` are the provider's settings for it. Providers that do not know the id warn
    and leave it out.
    """

    id: str
    name: str
    args: Mapping[str, Any] = field(default_factory=dict[str, Any])


Tool: TypeAlias = ToolSpec | ProviderTool


@dataclass(frozen=True, slots=True)
class SpecificTool:
    """Tool choice that forces one named tool."""

    name: str


ToolChoice: TypeAlias = Literal["auto", "none", "required"] | SpecificTool


@dataclass(frozen=True, slots=True)
class CallWarning:
    """Something a provider ignored or changed from a call (an unsupported setting)."""

    kind: Literal["unsupported-setting", "unsupported-tool", "other"]
    message: str
    setting: str = ""


@dataclass(frozen=True, slots=True)
class Call:
    """One request to a language model. ``None`` means "not set": the wire leaves it out."""

    messages: Sequence[Message]
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    tools: Sequence[Tool] = ()
    tool_choice: ToolChoice | None = None
    headers: Mapping[str, str] = field(default_factory=dict[str, str])
    provider_options: ProviderData = field(default_factory=dict[str, Mapping[str, Any]])


@dataclass(frozen=True, slots=True)
class Response:
    """A model's complete answer to one call.

    ``response_id`` is the provider's id for this response and ``response_model`` the model
    that answered as the provider names it (often a dated snapshot of the requested id);
    both are None when the provider sent none.
    """

    content: tuple[Part, ...]
    finish_reason: FinishReason
    usage: Usage = Usage()
    warnings: tuple[CallWarning, ...] = ()
    provider_metadata: ProviderData = field(default_factory=dict[str, Mapping[str, Any]])
    response_id: str | None = None
    response_model: str | None = None

    @property
    def text(self) -> str:
        """All text parts, concatenated."""
        return "".join(p.text for p in self.content if isinstance(p, TextPart))

    @property
    def refusal(self) -> str:
        """The model's refusal (its :class:`~reverie.content.RefusalPart` texts), or ``""``."""
        return "".join(p.text for p in self.content if isinstance(p, RefusalPart))


# Stream events: what ``LanguageModel.stream`` yields (re-exported by reverie.events).


@dataclass(frozen=True, slots=True)
class TextStart:
    id: str
    type: Literal["text-start"] = "text-start"


@dataclass(frozen=True, slots=True)
class TextDelta:
    id: str
    delta: str
    type: Literal["text-delta"] = "text-delta"


@dataclass(frozen=True, slots=True)
class TextEnd:
    id: str
    provider_metadata: ProviderData = EMPTY_DATA
    type: Literal["text-end"] = "text-end"


@dataclass(frozen=True, slots=True)
class ReasoningStart:
    id: str
    provider_metadata: ProviderData = EMPTY_DATA
    type: Literal["reasoning-start"] = "reasoning-start"


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    id: str
    delta: str
    type: Literal["reasoning-delta"] = "reasoning-delta"


@dataclass(frozen=True, slots=True)
class ReasoningEnd:
    """Closes a reasoning block; ``provider_metadata`` holds what must go back (signatures)."""

    id: str
    provider_metadata: ProviderData = EMPTY_DATA
    type: Literal["reasoning-end"] = "reasoning-end"


@dataclass(frozen=True, slots=True)
class ToolInputStart:
    id: str
    tool_name: str
    provider_executed: bool = False
    type: Literal["tool-input-start"] = "tool-input-start"


@dataclass(frozen=True, slots=True)
class ToolInputDelta:
    id: str
    delta: str
    type: Literal["tool-input-delta"] = "tool-input-delta"


@dataclass(frozen=True, slots=True)
class ToolInputEnd:
    id: str
    type: Literal["tool-input-end"] = "tool-input-end"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A complete tool call (arguments whole). In an agent stream: after validation."""

    call: ToolCallPart
    type: Literal["tool-call"] = "tool-call"


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool's result: run by the agent, or by the provider (``provider_executed``)."""

    result: ToolResultPart
    type: Literal["tool-result"] = "tool-result"


@dataclass(frozen=True, slots=True)
class Source:
    source: SourcePart
    type: Literal["source"] = "source"


@dataclass(frozen=True, slots=True)
class Refusal:
    """The model refused to answer; ``refusal.text`` says so in its words. Sent whole, once
    the refusal is complete; the stream then finishes with ``content-filter``."""

    refusal: RefusalPart
    type: Literal["refusal"] = "refusal"


@dataclass(frozen=True, slots=True)
class Warnings:
    """Settings the provider could not honour for this call (sent before any content), or
    something odd about the response the decoder worked around (sent when it happens)."""

    warnings: tuple[CallWarning, ...]
    type: Literal["warnings"] = "warnings"


@dataclass(frozen=True, slots=True)
class Finish:
    """The end of one model call: why it stopped, what it used, and the provider's id and
    model name for the response (as in :class:`Response`)."""

    finish_reason: FinishReason
    usage: Usage
    provider_metadata: ProviderData = field(default_factory=dict[str, Any])
    response_id: str | None = None
    response_model: str | None = None
    type: Literal["finish"] = "finish"


StreamEvent: TypeAlias = (
    TextStart
    | TextDelta
    | TextEnd
    | ReasoningStart
    | ReasoningDelta
    | ReasoningEnd
    | ToolInputStart
    | ToolInputDelta
    | ToolInputEnd
    | ToolCall
    | ToolResult
    | Source
    | Refusal
    | Warnings
    | Finish
)
"""What a model's stream yields."""


@runtime_checkable
class LanguageModel(Protocol):
    """What the agent needs from a model: a name and two ways to call it."""

    @property
    def provider(self) -> str:
        """The provider's name, which keys ``provider_options`` and ``provider_metadata``."""
        ...

    @property
    def model_id(self) -> str:
        """The model id sent to the provider."""
        ...

    async def generate(self, call: Call) -> Response:
        """Send ``call`` and return the whole response; failures raise ``ReverieError``."""
        ...

    def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        """Send ``call`` and yield events as they arrive; the last one is a ``Finish``."""
        ...


@dataclass(frozen=True, slots=True)
class TokenCount:
    """A request's input tokens; ``estimate`` is True when counted locally, not by the
    provider (``provider_metadata`` then says why, under ``"estimate"``)."""

    input_tokens: int
    estimate: bool = False
    provider_metadata: ProviderData = field(default_factory=dict[str, Mapping[str, Any]])


@runtime_checkable
class TokenCounter(Protocol):
    """A model whose provider may count a request's tokens."""

    async def count_tokens(self, call: Call) -> TokenCount | None:
        """The input tokens ``call`` would use, or None when the provider has no way to
        count this request (:func:`reverie.tokens.count_tokens` then estimates); failures
        raise ``ReverieError``."""
        ...
