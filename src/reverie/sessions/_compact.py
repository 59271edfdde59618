"""Compaction: keeping a long conversation within a budget, without breaking it.

A strategy turns a session's turns into the turns a new run is sent. Every strategy here
keeps these rules, which a test checks over every conversation of the corpus:

- a turn is kept whole or dropped whole, so a tool call and its result are never parted,
  and nothing a provider needs back (reasoning signatures, encrypted reasoning, thought
  signatures, provider-executed tool results) is dropped from a turn that stays;
- within a kept turn, only the *output* of a client tool result may change (to a short
  note): its call id, tool name and provider data stay, so the call still has its answer;
- a summary is added as text at the start of the first kept turn's first user message
  (or as a user message of its own when that turn does not start with one).

Strategies are applied in the order given: ``[DropToolResults(keep_last=2),
KeepLastTurns(40)]``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import orjson

from reverie.codec import encode_messages
from reverie.content import (
    ErrorOutput,
    Message,
    TextOutput,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    system,
    user,
)
from reverie.errors import ConfigurationError
from reverie.model import Call
from reverie.sessions._base import Memo, Turn

if TYPE_CHECKING:
    from reverie.model import LanguageModel

__all__ = [
    "DROPPED",
    "Compaction",
    "DropToolResults",
    "KeepLastTurns",
    "Summarize",
    "apply",
    "strategies",
]

DROPPED = "[this tool result was dropped to keep the conversation short]"
"""What a dropped tool result says instead."""


class Compaction(Protocol):
    """A strategy: the turns to send, from the session's turns (see the module docstring).
    ``memo`` keeps what the strategy computed, per session."""

    async def compact(self, turns: Sequence[Turn], memo: Memo) -> Sequence[Turn]: ...


def strategies(compaction: Compaction | Sequence[Compaction]) -> tuple[Compaction, ...]:
    """One strategy or several, as a tuple."""
    if isinstance(compaction, Sequence):
        return tuple(compaction)
    return (compaction,)


async def apply(
    compaction: Sequence[Compaction], turns: Sequence[Turn], memo: Memo
) -> Sequence[Turn]:
    """``turns`` through each strategy in order."""
    for strategy in compaction:
        turns = await strategy.compact(turns, memo)
    return turns


def _whole_number(value: int, name: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigurationError(f"{name} must be a whole number of at least {least}")
    return value


@dataclass(frozen=True, slots=True)
class KeepLastTurns:
    """Send only the last ``turns`` turns (at least 1)."""

    turns: int

    def __post_init__(self) -> None:
        _whole_number(self.turns, "KeepLastTurns(turns)", 1)

    async def compact(self, turns: Sequence[Turn], memo: Memo) -> Sequence[Turn]:
        return turns[-self.turns :]


@dataclass(frozen=True, slots=True)
class DropToolResults:
    """In all but the last ``keep_last`` turns, replace what client tools returned (often
    the bulk of a conversation: files, pages, screenshots) with a short note. The calls
    stay, and each keeps a result; a failed call's result stays an error."""

    keep_last: int = 2

    def __post_init__(self) -> None:
        _whole_number(self.keep_last, "DropToolResults(keep_last)", 0)

    async def compact(self, turns: Sequence[Turn], memo: Memo) -> Sequence[Turn]:
        cut = max(0, len(turns) - self.keep_last)
        return [*(_drop_results(t) for t in turns[:cut]), *turns[cut:]]


def _drop_results(turn: Turn) -> Turn:
    messages = tuple(
        replace(m, content=tuple(_dropped(p) for p in m.content)) if m.role == "tool" else m
        for m in turn.messages
    )
    return replace(turn, messages=messages)


def _dropped(part: object) -> object:
    if not isinstance(part, ToolResultPart) or part.provider_executed:
        return part
    output = ErrorOutput(DROPPED) if isinstance(part.output, ErrorOutput) else TextOutput(DROPPED)
    return replace(part, output=output)


SUMMARY_INSTRUCTIONS = (
    "You summarise conversations between a user and an AI assistant so the assistant can "
    "go on without the full transcript. Keep every fact, decision, name, number, open "
    "question and promise the assistant will need; drop small talk. Write plain prose, "
    "under 300 words, in the conversation's language."
)


@dataclass(frozen=True, slots=True)
class Summarize:
    """Replace older turns with a summary written by ``model``, keeping the last
    ``keep_last`` turns as they are.

    With ``max_tokens``, a summary is made when the conversation's size, as the provider
    counted it for the last turn (:attr:`Turn.context_tokens`; else about four characters
    a token), reaches it. Without, when ``2 * keep_last`` turns have not been summarised,
    so the model is asked once every ``keep_last`` turns. Summaries are kept in the
    session (its memo) and reused while the turns they cover stay the same; a new one
    starts from the last, so older turns are never sent again. Put it first among
    strategies: it recognises turns by their content as stored.
    """

    model: LanguageModel
    keep_last: int = 4
    max_tokens: int | None = None
    instructions: str = SUMMARY_INSTRUCTIONS
    max_output_tokens: int = 1024

    def __post_init__(self) -> None:
        _whole_number(self.keep_last, "Summarize(keep_last)", 1)
        if self.max_tokens is not None:
            _whole_number(self.max_tokens, "Summarize(max_tokens)", 1)

    async def compact(self, turns: Sequence[Turn], memo: Memo) -> Sequence[Turn]:
        digests = _prefix_digests(turns, f"{self.model.provider}:{self.model.model_id}")
        done, summary = 0, ""
        for covered in range(len(turns) - 1, 0, -1):  # the longest summarised prefix
            found = await memo.get(f"summary:{digests[covered]}")
            if found is not None:
                done, summary = covered, found
                break
        cut = len(turns) - self.keep_last
        if cut > done and self._over(turns, done, summary):
            summary = await self._summarize(summary, turns[done:cut])
            await memo.put(f"summary:{digests[cut]}", summary)
            done = cut
        return with_summary(summary, turns[done:]) if done else turns

    def _over(self, turns: Sequence[Turn], done: int, summary: str) -> bool:
        if self.max_tokens is None:
            return len(turns) - done >= 2 * self.keep_last
        measured = turns[-1].context_tokens
        if measured is None:
            text = summary + orjson.dumps(encode_messages(flatten_turns(turns[done:]))).decode()
            measured = len(text) // 4
        return measured >= self.max_tokens

    async def _summarize(self, earlier: str, turns: Sequence[Turn]) -> str:
        transcript = transcript_of(turns)
        if earlier:
            transcript = f"Summary of what came before:\n{earlier}\n\nThen:\n{transcript}"
        call = Call(
            messages=(
                system(self.instructions),
                user(f"Summarise this conversation:\n\n{transcript}"),
            ),
            max_output_tokens=self.max_output_tokens,
        )
        response = await self.model.generate(call)
        text = "".join(p.text for p in response.content if isinstance(p, TextPart)).strip()
        if not text:
            raise ConfigurationError(
                f"{self.model.provider}:{self.model.model_id} wrote an empty summary; "
                "give Summarize another model"
            )
        return text


def flatten_turns(turns: Sequence[Turn]) -> list[Message]:
    return [m for t in turns for m in t.messages]


def _prefix_digests(turns: Sequence[Turn], salt: str) -> list[str]:
    """``digests[k]`` names the first ``k`` turns (and the summarising model): a summary
    is reused only for exactly the turns it covers."""
    digest = hashlib.sha256(salt.encode()).hexdigest()
    out = [digest]
    for turn in turns:
        text = orjson.dumps(encode_messages(turn.messages))
        digest = hashlib.sha256(digest.encode() + text).hexdigest()
        out.append(digest)
    return out


SUMMARY_HEADING = "Summary of the earlier conversation:"


def with_summary(summary: str, turns: Sequence[Turn]) -> list[Turn]:
    """``turns`` with ``summary`` put first (see the module docstring)."""
    note = TextPart(f"{SUMMARY_HEADING}\n{summary}")
    first, rest = turns[0], list(turns[1:])
    messages = list(first.messages)
    if messages and messages[0].role == "user":
        messages[0] = replace(messages[0], content=(note, *messages[0].content))
    else:
        messages.insert(0, Message("user", (note,)))
    return [replace(first, messages=tuple(messages)), *rest]


def transcript_of(turns: Sequence[Turn]) -> str:
    """The turns as plain text for a summarising model: who said what, which tools ran."""
    lines: list[str] = []
    for message in flatten_turns(turns):
        for part in message.content:
            if isinstance(part, TextPart) and part.text.strip():
                lines.append(f"{message.role.capitalize()}: {part.text.strip()}")
            elif isinstance(part, ToolCallPart):
                lines.append(f"Assistant called {part.tool_name}({part.input})")
            elif isinstance(part, ToolResultPart):
                lines.append(f"{part.tool_name} returned: {str(part.output)[:2000]}")
    return "\n".join(lines)
