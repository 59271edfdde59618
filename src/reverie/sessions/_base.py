"""The session contract: a conversation's turns, loaded before a run and added to after it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from reverie.content import Message
from reverie.model import Usage

__all__ = ["Memo", "Session", "Turn", "flatten"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of a conversation: the prompt, then everything the run added (the model's
    messages with their reasoning and provider data, and tool results), as the run left
    them. Never the system prompt: the agent adds its own.

    ``run_id`` is the run that made it; ``usage`` what that run used; ``context_tokens``
    the size of the conversation after it as the provider counted it (the last step's
    prompt, cache included, plus its output), when known: compaction budgets read it.
    """

    messages: tuple[Message, ...]
    run_id: str | None = None
    usage: Usage = field(default_factory=Usage)
    context_tokens: int | None = None


def flatten(turns: Sequence[Turn]) -> list[Message]:
    """The turns' messages, in order."""
    return [m for t in turns for m in t.messages]


@runtime_checkable
class Session(Protocol):
    """A conversation kept across runs (and processes): pass it as ``session=`` to
    :meth:`Agent.generate <reverie.agent.Agent.generate>` or ``stream``.

    ``load`` gives the messages a new run continues from (after any compaction);
    ``append`` adds the turn a finished run made. ``id`` names the conversation (the run
    log's thread id).
    """

    @property
    def id(self) -> str: ...

    async def load(self) -> Sequence[Message]: ...

    async def append(self, turn: Turn) -> None: ...


class Memo(Protocol):
    """Where a compaction strategy keeps, per session, what it computed (a summary), so
    that the next load need not compute it again."""

    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, value: str) -> None: ...
