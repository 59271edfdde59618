"""The language-model contract: what a provider takes (:class:`Call`) and gives back.

A provider implements :class:`LanguageModel`: ``generate`` returns one :class:`Response`;
``stream`` yields :mod:`reverie.events` and ends with exactly one ``Finish`` event (or raises).
The agent knows nothing else about providers.

This module imports only :mod:`reverie.content` (and :mod:`reverie.events` for typing).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias, runtime_checkable

from reverie.content import Message, Part, ProviderData, TextPart

if TYPE_CHECKING:
    from reverie.events import StreamEvent


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
