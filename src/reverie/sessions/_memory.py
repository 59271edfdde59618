"""A session kept in memory: for tests, and for conversations that need not outlive the
process (``reverie chat`` without ``--session``)."""

from __future__ import annotations

from collections.abc import Sequence

from reverie.content import Message
from reverie.sessions._base import Turn, flatten
from reverie.sessions._compact import Compaction, apply, strategies

__all__ = ["MemorySession"]


class MemorySession:
    """A session held in this process only (gone when it exits); stored sessions are
    :class:`~reverie.sessions.StoredSession`. ``compaction`` as there."""

    def __init__(self, id: str, *, compaction: Compaction | Sequence[Compaction] = ()) -> None:
        self._id = id
        self.turns: list[Turn] = []
        self._compaction = strategies(compaction)
        self._memos: dict[str, str] = {}

    @property
    def id(self) -> str:
        return self._id

    async def compacted(self) -> list[Turn]:
        """The turns :meth:`load` gives the messages of: after compaction."""
        return list(await apply(self._compaction, self.turns, self))

    async def load(self) -> list[Message]:
        return flatten(await self.compacted())

    async def append(self, turn: Turn) -> None:
        self.turns.append(turn)

    async def get(self, key: str) -> str | None:
        return self._memos.get(key)

    async def put(self, key: str, value: str) -> None:
        self._memos[key] = value
