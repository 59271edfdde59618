"""Sessions: conversations that go on across runs and processes.

::

    store = SessionStore()                      # the run log's database (or a path, a URL)
    session = store.session("support-42")
    await agent.generate("My order hasn't arrived", session=session)
    ...                                         # later, in another process:
    await agent.generate("Any news?", session=store.session("support-42"))

A run given ``session=`` starts from the session's conversation (:meth:`Session.load`),
then the prompt; when it finishes, its turn (the prompt and all the run added) is appended
(:meth:`Session.append`). A run that pauses adds its turn when resumed with the same
``session=`` and finished. ``reverie chat --session NAME`` does the same on the command
line. :class:`Session` is a protocol: :class:`StoredSession` (SQLite or PostgreSQL, in
the run log's database by default) and :class:`MemorySession` implement it, and so can
any class of yours.

Long conversations are kept within a budget by compaction strategies given to the
session, applied when it is loaded (the stored turns are never changed):
:class:`KeepLastTurns`, :class:`DropToolResults`, :class:`Summarize` (a model writes a
summary of older turns, kept and reused). None of them ever separates a tool result from
its call or drops provider data that must go back to the provider (reasoning signatures,
encrypted reasoning, provider-executed tool results).

Turns are stored with :mod:`reverie.codec`, secrets scrubbed as in the run log; the run
log's thread id of a run is its session's id.
"""

from __future__ import annotations

from reverie.sessions._base import Memo, Session, Turn
from reverie.sessions._compact import (
    DROPPED,
    SUMMARY_HEADING,
    Compaction,
    DropToolResults,
    KeepLastTurns,
    Summarize,
)
from reverie.sessions._memory import MemorySession
from reverie.sessions._runs import SESSION_KEY
from reverie.sessions._stored import SessionStore, StoredSession

__all__ = [
    "DROPPED",
    "SESSION_KEY",
    "SUMMARY_HEADING",
    "Compaction",
    "DropToolResults",
    "KeepLastTurns",
    "Memo",
    "MemorySession",
    "Session",
    "SessionStore",
    "StoredSession",
    "Summarize",
    "Turn",
]
