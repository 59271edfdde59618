"""Messages and their parts: the conversation a model reads and writes.

A conversation is a sequence of :class:`Message`; each message has a role and a tuple of
parts. The same part types describe what a model returns (``Response.content``) and what is
sent back to it on the next turn, so a step's output can be appended to the history as is.

Every part is a small frozen dataclass with a ``type`` tag. Parts carry two free-form maps:

- ``provider_options``: what the caller asks a provider to do with this part (for example
  Anthropic cache control), keyed by provider name.
- ``provider_metadata``: what a provider attached to this part and needs back unchanged on the
  next turn (a thinking signature, an encrypted reasoning item, a Gemini thought signature),
  keyed by provider name. Wire modules write it when decoding and read it when encoding.

This module imports nothing else of reverie's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn, TypeAlias

__all__ = [
    "EMPTY_DATA",
    "ErrorOutput",
    "FilePart",
    "JsonOutput",
    "MediaOutput",
    "Message",
    "Part",
    "ProviderData",
    "ReasoningPart",
    "RefusalPart",
    "Role",
    "SourcePart",
    "TextOutput",
    "TextPart",
    "ToolCallPart",
    "ToolOutput",
    "ToolResultPart",
    "assistant",
    "system",
    "tool_results",
    "user",
]

ProviderData: TypeAlias = Mapping[str, Mapping[str, Any]]
"""Per-provider data: ``{"anthropic": {"cache_control": {"type": "ephemeral"}}}``."""


class _EmptyData(Mapping[str, Mapping[str, Any]]):
    """The shared, immutable, hashable empty default for provider data fields."""

    __slots__ = ()

    def __getitem__(self, key: str) -> NoReturn:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "{}"


EMPTY_DATA: ProviderData = _EmptyData()
_EMPTY = EMPTY_DATA


@dataclass(frozen=True, slots=True)
class TextPart:
    """Plain text."""

    text: str
    provider_options: ProviderData = _EMPTY
    provider_metadata: ProviderData = _EMPTY
    type: Literal["text"] = "text"


@dataclass(frozen=True, slots=True)
class ReasoningPart:
    """A model's visible reasoning (thinking). Sent back as received; see module docstring."""

    text: str
    provider_options: ProviderData = _EMPTY
    provider_metadata: ProviderData = _EMPTY
    type: Literal["reasoning"] = "reasoning"


@dataclass(frozen=True, slots=True)
class RefusalPart:
    """A model's refusal to answer ("I'm sorry, but I can't assist with that."), as the
    provider marked it (OpenAI's ``refusal`` fields). A response that carries one finishes
    with ``content-filter``; it is not part of ``Response.text``. Sent back to OpenAI as a
    refusal, to other providers as the assistant's text."""

    text: str
    provider_options: ProviderData = _EMPTY
    provider_metadata: ProviderData = _EMPTY
    type: Literal["refusal"] = "refusal"


@dataclass(frozen=True, slots=True)
class FilePart:
    """Binary data with a media type: an image, a PDF, audio."""

    data: bytes
    media_type: str
    filename: str | None = None
    provider_options: ProviderData = _EMPTY
    provider_metadata: ProviderData = _EMPTY
    type: Literal["file"] = "file"


@dataclass(frozen=True, slots=True)
class ToolCallPart:
    """A model's request to run a tool.

    ``input`` is the arguments as the model wrote them: a JSON text, kept verbatim so the
    next request repeats it byte for byte. ``provider_executed`` marks tools the provider ran
    itself (hosted web search): the agent never runs those.
    """

    tool_call_id: str
    tool_name: str
    input: str
    provider_executed: bool = False
    provider_options: ProviderData = _EMPTY
    provider_metadata: ProviderData = _EMPTY
    type: Literal["tool-call"] = "tool-call"


@dataclass(frozen=True, slots=True)
class TextOutput:
    """A tool's successful text result. ``str()`` gives the text."""

    text: str
    type: Literal["text"] = "text"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class ErrorOutput:
    """A tool's failure, reported to the model as text (never raised out of a run).

    ``str()`` gives the message, which is what the model reads.
    """

    message: str
    type: Literal["error"] = "error"

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class MediaOutput:
    """A tool's binary result (a screenshot, a chart), with optional accompanying text.

    ``str()`` gives the text, or ``<image/png, 2048 bytes>`` when there is none.
    """

    data: bytes
    media_type: str
    text: str = ""
    type: Literal["media"] = "media"

    def __str__(self) -> str:
        return self.text or f"<{self.media_type}, {len(self.data)} bytes>"


@dataclass(frozen=True, slots=True)
class JsonOutput:
    """A provider-executed tool's structured result (hosted web search results).

    ``str()`` gives the value as compact JSON text.
    """

    value: Any
    type: Literal["json"] = "json"

    def __str__(self) -> str:
        import orjson  # here, so that importing this module stays free of dependencies

        return orjson.dumps(self.value).decode()


ToolOutput: TypeAlias = TextOutput | ErrorOutput | MediaOutput | JsonOutput
"""What a tool returned; ``str(output)`` is the text a model reads of it (but for media)."""


@dataclass(frozen=True, slots=True)
class ToolResultPart:
    """The result of one tool call, matched to it by ``tool_call_id``.

    ``stop_turn`` set by a tool ends the agent's run after this step (the results are still
    recorded, but no further model call is made).
    """

    tool_call_id: str
    tool_name: str
    output: ToolOutput
    provider_executed: bool = False
    stop_turn: bool = False
    provider_options: ProviderData = _EMPTY
    provider_metadata: ProviderData = _EMPTY
    type: Literal["tool-result"] = "tool-result"


@dataclass(frozen=True, slots=True)
class SourcePart:
    """A citation a provider returned (a URL or a document). Not sent back to the model."""

    source_id: str
    url: str = ""
    title: str = ""
    media_type: str = ""
    source_type: Literal["url", "document"] = "url"
    provider_metadata: ProviderData = _EMPTY
    type: Literal["source"] = "source"


Part: TypeAlias = (
    TextPart | ReasoningPart | RefusalPart | FilePart | ToolCallPart | ToolResultPart | SourcePart
)
Role: TypeAlias = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class Message:
    """One turn of a conversation.

    Roles take these parts: system (text), user (text, file), assistant (text, reasoning,
    refusal, file, tool call, provider-executed tool result), tool (tool result).
    """

    role: Role
    content: tuple[Part, ...]
    provider_options: ProviderData = field(default_factory=dict[str, Mapping[str, Any]])

    @property
    def text(self) -> str:
        """The concatenated text parts of this message."""
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


def system(text: str) -> Message:
    """A system message with one text part."""
    return Message("system", (TextPart(text),))


def user(text: str, *files: FilePart) -> Message:
    """A user message: the text first, then any files."""
    return Message("user", (TextPart(text), *files))


def assistant(text: str) -> Message:
    """An assistant message with one text part (for replaying a history)."""
    return Message("assistant", (TextPart(text),))


def tool_results(results: Sequence[ToolResultPart]) -> Message:
    """A tool message holding results, in call order."""
    return Message("tool", tuple(results))
