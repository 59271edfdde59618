"""Sessions in the run log's database: SQLite or PostgreSQL, shared by processes."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from reverie._store import (
    Database,
    Transaction,
    clean,
    learn_env_secrets,
    open_database,
    resolve,
)
from reverie._store._schema import USAGE_COLUMNS
from reverie.codec import decode_messages, encode_messages
from reverie.content import Message
from reverie.errors import ConfigurationError
from reverie.model import Usage
from reverie.sessions._base import Turn, flatten
from reverie.sessions._compact import apply, strategies

if TYPE_CHECKING:
    from reverie.sessions._compact import Compaction

__all__ = ["SessionStore", "StoredSession"]

T = TypeVar("T")


class SessionStore:
    """Sessions kept in one database: the run log's (``$REVERIE_LOG_DB``, else the default
    file) unless ``db`` names another (a SQLite path or a ``postgresql://`` URL).

    ::

        store = SessionStore()
        session = store.session("support-42", compaction=[Summarize(model), KeepLastTurns(40)])
        result = await agent.generate("Where is my order?", session=session)

    Any number of processes may use the same sessions at once: each turn is appended in a
    transaction of its own, numbered after the last.
    """

    def __init__(self, db: str | os.PathLike[str] | None = None) -> None:
        self.target = resolve(db)
        self._db: Database | None = None
        self._lock = threading.Lock()

    def database(self) -> Database:
        """The open database (opened on first use, in whichever thread asks first)."""
        with self._lock:
            if self._db is None:
                self._db = open_database(self.target)
            return self._db

    async def run(self, work: Callable[[Database], T]) -> T:
        """``work(database)`` on a worker thread, so the event loop never waits on I/O."""
        return await asyncio.to_thread(lambda: work(self.database()))

    def session(
        self, id: str, *, compaction: Compaction | Sequence[Compaction] = ()
    ) -> StoredSession:
        """The session named ``id`` (made by its first turn); ``compaction`` shapes what
        :meth:`StoredSession.load` returns (:mod:`reverie.sessions`)."""
        return StoredSession(self, id, compaction)

    async def ids(self) -> list[str]:
        """Every session's id, the most recently continued first."""
        rows = await self.run(
            lambda db: db.query("SELECT session FROM reverie_sessions ORDER BY updated_at DESC")
        )
        return [str(r[0]) for r in rows]

    def close(self) -> None:
        """Close the connection (the next use opens it again)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class StoredSession:
    """A session in a :class:`SessionStore` (see :class:`~reverie.sessions.Session`)."""

    def __init__(
        self,
        store: SessionStore,
        id: str,
        compaction: Compaction | Sequence[Compaction] = (),
    ) -> None:
        if not isinstance(id, str) or not id.strip():  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigurationError("a session needs a non-empty id (its name)")
        self._id = id
        self.store = store
        self.compaction = strategies(compaction)
        self._memos: dict[str, str] | None = None

    @property
    def id(self) -> str:
        return self._id

    async def turns(self) -> list[Turn]:
        """Every turn, oldest first, as stored (no compaction)."""
        rows = await self.store.run(
            lambda db: db.query(
                f"SELECT messages, run_id, {', '.join(USAGE_COLUMNS)}, context_tokens "
                "FROM reverie_turns WHERE session = ? ORDER BY number",
                (self._id,),
            )
        )
        return [_turn(row) for row in rows]

    async def compacted(self) -> list[Turn]:
        """The turns after compaction: what :meth:`load` gives the messages of."""
        turns = await self.turns()
        self._memos = None  # read afresh: another process may have summarised since
        return list(await apply(self.compaction, turns, self))

    async def load(self) -> list[Message]:
        """The messages a new run continues from: the turns after compaction."""
        return flatten(await self.compacted())

    async def append(self, turn: Turn) -> None:
        """Add ``turn`` after the last one (secrets scrubbed, as in the run log)."""
        learn_env_secrets()
        messages = orjson.dumps(clean(encode_messages(turn.messages))).decode()
        usage = tuple(getattr(turn.usage, c) for c in USAGE_COLUMNS)
        now = time.time()

        def write(tx: Transaction) -> None:
            self._touch(tx, now)
            tx.execute(
                f"""INSERT INTO reverie_turns
                    (session, number, run_id, created_at, messages,
                     {", ".join(USAGE_COLUMNS)}, context_tokens)
                SELECT ?, COALESCE(MAX(number) + 1, 0), ?, ?, ?,
                    {", ".join("?" * len(USAGE_COLUMNS))}, ?
                FROM reverie_turns WHERE session = ?""",
                (self._id, turn.run_id, now, messages, *usage, turn.context_tokens, self._id),
            )

        await self._write(write)

    async def clear(self) -> None:
        """Forget every turn and summary (the run log keeps the runs)."""

        def write(tx: Transaction) -> None:
            tx.execute("DELETE FROM reverie_memos WHERE session = ?", (self._id,))
            tx.execute("DELETE FROM reverie_turns WHERE session = ?", (self._id,))
            tx.execute("DELETE FROM reverie_sessions WHERE session = ?", (self._id,))

        self._memos = None
        await self._write(write)

    # -- the memo of compaction strategies ----------------------------------------------

    async def get(self, key: str) -> str | None:
        if self._memos is None:
            rows = await self.store.run(
                lambda db: db.query(
                    "SELECT key, value FROM reverie_memos WHERE session = ?", (self._id,)
                )
            )
            self._memos = {str(k): str(v) for k, v in rows}
        return self._memos.get(key)

    async def put(self, key: str, value: str) -> None:
        now = time.time()
        learn_env_secrets()
        stored = clean(value)

        def write(tx: Transaction) -> None:
            self._touch(tx, now)
            tx.execute(
                """INSERT INTO reverie_memos (session, key, value, created_at)
                VALUES (?, ?, ?, ?)
                ON CONFLICT (session, key) DO UPDATE SET value = excluded.value""",
                (self._id, key, stored, now),
            )

        await self._write(write)
        if self._memos is not None:
            self._memos[key] = stored

    # -- helpers --------------------------------------------------------------------------

    def _touch(self, tx: Transaction, now: float) -> None:
        # Also takes the session's row lock on PostgreSQL: appends to one session queue up
        # here, so each numbers its turn after the one before (SQLite locks the database).
        tx.execute(
            """INSERT INTO reverie_sessions (session, created_at, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (session) DO UPDATE SET updated_at = excluded.updated_at""",
            (self._id, now, now),
        )

    async def _write(self, work: Callable[[Transaction], None]) -> None:
        def run(db: Database) -> None:
            with db.transaction() as tx:
                work(tx)

        await self.store.run(run)


def _turn(row: Sequence[Any]) -> Turn:
    messages, run_id = row[0], row[1]
    counts = row[2 : 2 + len(USAGE_COLUMNS)]
    usage = Usage(**{c: int(v) for c, v in zip(USAGE_COLUMNS, counts, strict=True)})
    context = row[2 + len(USAGE_COLUMNS)]
    return Turn(
        messages=decode_messages(orjson.loads(messages)),
        run_id=run_id,
        usage=usage,
        context_tokens=None if context is None else int(context),
    )
