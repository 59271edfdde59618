"""The tables of the run log and of sessions, the same on SQLite and PostgreSQL.

Version :data:`SCHEMA_VERSION` is kept in ``reverie_meta``. Opening a database made by a
newer reverie is refused (a StorageError saying to upgrade) rather than written into with
rules it does not know; an older version is migrated here when there is one (version 1 is
the first).

Conversations are stored as :mod:`reverie.codec` JSON text, the codec reverie saves run
states with: ``reverie_runs.input`` (the run's input messages), ``reverie_steps.step`` (one
step: parts, usage, provider data), ``reverie_turns.messages`` (one turn of a session).
Times are seconds since the epoch (UTC); costs are decimal text in US dollars, NULL when
the price is unknown; tokens as :class:`~reverie.model.Usage` counts them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reverie.errors import StorageError

if TYPE_CHECKING:
    from reverie._store._db import Database

SCHEMA_VERSION = 1

_USAGE = """
    input_tokens BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    total_tokens BIGINT NOT NULL DEFAULT 0,
    reasoning_tokens BIGINT NOT NULL DEFAULT 0,
    cache_read_tokens BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT NOT NULL DEFAULT 0"""

USAGE_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "reasoning_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
)
"""The token columns: the fields of :class:`~reverie.model.Usage`, by name."""

TABLES = (
    """CREATE TABLE IF NOT EXISTS reverie_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
)""",
    f"""CREATE TABLE IF NOT EXISTS reverie_runs (
    run_id TEXT PRIMARY KEY,
    thread_id TEXT,
    status TEXT NOT NULL,
    started_at DOUBLE PRECISION NOT NULL,
    finished_at DOUBLE PRECISION,
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,
    input TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    steps INTEGER NOT NULL DEFAULT 0,
    finish_reason TEXT,
    stopped_by TEXT,{_USAGE},
    cost_usd TEXT,
    error_type TEXT,
    error TEXT,
    metadata TEXT NOT NULL DEFAULT '{{}}'
)""",
    "CREATE INDEX IF NOT EXISTS reverie_runs_started ON reverie_runs (started_at)",
    "CREATE INDEX IF NOT EXISTS reverie_runs_thread ON reverie_runs (thread_id, started_at)",
    f"""CREATE TABLE IF NOT EXISTS reverie_steps (
    run_id TEXT NOT NULL REFERENCES reverie_runs (run_id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    model TEXT NOT NULL,
    response_model TEXT,
    response_id TEXT,
    started_at DOUBLE PRECISION,
    finished_at DOUBLE PRECISION,
    attempts INTEGER NOT NULL DEFAULT 1,
    retries TEXT NOT NULL DEFAULT '[]',
    finish_reason TEXT NOT NULL,{_USAGE},
    cost_usd TEXT,
    step TEXT NOT NULL,
    PRIMARY KEY (run_id, number)
)""",
    """CREATE TABLE IF NOT EXISTS reverie_tool_calls (
    run_id TEXT NOT NULL REFERENCES reverie_runs (run_id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    call_id TEXT NOT NULL,
    tool_name TEXT NOT NULL,
    arguments TEXT NOT NULL,
    output TEXT,
    is_error INTEGER NOT NULL DEFAULT 0,
    provider_executed INTEGER NOT NULL DEFAULT 0,
    started_at DOUBLE PRECISION,
    finished_at DOUBLE PRECISION,
    PRIMARY KEY (run_id, step, call_id)
)""",
    """CREATE TABLE IF NOT EXISTS reverie_sessions (
    session TEXT PRIMARY KEY,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
)""",
    f"""CREATE TABLE IF NOT EXISTS reverie_turns (
    session TEXT NOT NULL REFERENCES reverie_sessions (session) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    run_id TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    messages TEXT NOT NULL,{_USAGE},
    context_tokens BIGINT,
    PRIMARY KEY (session, number)
)""",
    # What compaction strategies computed for a session and keep (summaries of turns),
    # under keys of their own making.
    """CREATE TABLE IF NOT EXISTS reverie_memos (
    session TEXT NOT NULL REFERENCES reverie_sessions (session) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (session, key)
)""",
)
"""Every table and index but full-text search, in an order that satisfies references."""

SEARCH = {
    # The runs' words: the prompt, and the rest of the run's text (answer, reasoning, tool
    # calls and results), for ``reverie logs search``.
    "sqlite": (
        "CREATE VIRTUAL TABLE IF NOT EXISTS reverie_search USING fts5(run_id UNINDEXED, "
        "prompt, body)",
    ),
    "postgres": (
        """CREATE TABLE IF NOT EXISTS reverie_search (
    run_id TEXT PRIMARY KEY REFERENCES reverie_runs (run_id) ON DELETE CASCADE,
    prompt TEXT NOT NULL,
    body TEXT NOT NULL
)""",
        "CREATE INDEX IF NOT EXISTS reverie_search_words ON reverie_search "
        "USING GIN (to_tsvector('simple', prompt || ' ' || body))",
    ),
}

# Any constant: it names the lock under which PostgreSQL schemas are made, so two
# processes opening a new database at once do not both create the same table.
_PG_LOCK = 0x72657665


def ensure_schema(db: Database) -> None:
    """Make the tables when missing; refuse a schema newer than this reverie's."""
    version = _version(db)
    if version == SCHEMA_VERSION:
        return
    with db.transaction() as tx:
        if db.dialect == "postgres":
            tx.execute("SELECT pg_advisory_xact_lock(?)", (_PG_LOCK,))
        for statement in (*TABLES, *SEARCH[db.dialect]):
            tx.execute(statement)
        rows = tx.execute("SELECT value FROM reverie_meta WHERE key = 'schema_version'")
        found = int(rows[0][0]) if rows else None
        if found is None:
            tx.execute(
                "INSERT INTO reverie_meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        elif found > SCHEMA_VERSION:
            raise _too_new(db, found)


def _version(db: Database) -> int | None:
    """The schema version, or None when there is no schema yet (or it cannot be read, in
    which case making it says why)."""
    try:
        rows = db.query("SELECT value FROM reverie_meta WHERE key = 'schema_version'")
    except StorageError:
        return None
    version = int(rows[0][0]) if rows else None
    if version is not None and version > SCHEMA_VERSION:
        raise _too_new(db, version)
    return version


def _too_new(db: Database, version: int) -> StorageError:
    return StorageError(
        f"the database {db.where} has schema version {version}, written by a newer reverie "
        f"(this one knows version {SCHEMA_VERSION}): upgrade reverie, or use another database"
    )
