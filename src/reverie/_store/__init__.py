"""One database for the run log and sessions: SQLite by default, PostgreSQL when asked.

::

    db = open_database(None)                       # $REVERIE_LOG_DB, else the default file
    db = open_database("runs.db")                  # a SQLite file (made, with its folder)
    db = open_database("postgresql://me@host/db")  # PostgreSQL, through psycopg (an extra)
    rows = db.query("SELECT run_id FROM reverie_runs WHERE status = ?", ("finished",))
    with db.transaction() as tx:
        tx.execute("DELETE FROM reverie_turns WHERE session = ?", ("chat",))

Statements are written once, with ``?`` placeholders and SQL both databases speak (``ON
CONFLICT ... DO UPDATE``, ``COALESCE``); the few that differ (full-text search) ask
:attr:`Database.dialect`. The schema is made (or checked) when a database is opened:
:mod:`reverie._store._schema`.

Where the default file lives (:func:`default_path`): ``$XDG_DATA_HOME/reverie/logs.db``,
else ``~/.local/share/reverie/logs.db``; on macOS ``~/Library/Application
Support/reverie/logs.db``; on Windows ``%LOCALAPPDATA%\\reverie\\logs.db``.

A :class:`Database` is one connection, safe to share between threads (a lock serialises
its use). Every failure is a :class:`~reverie.errors.StorageError` naming the database
(its password, if any, never shown) and the cause.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from reverie._redact import env_secrets, remember, scrub_value
from reverie._store._db import Database, Transaction, open_postgres, open_sqlite
from reverie._store._schema import ensure_schema

__all__ = [
    "ENV",
    "Database",
    "Transaction",
    "clean",
    "default_path",
    "learn_env_secrets",
    "open_database",
    "resolve",
]

ENV = "REVERIE_LOG_DB"
"""The environment variable that names the database: a file path or a PostgreSQL URL."""


def default_path() -> Path:
    """The default database file, in the user's data directory (see the module docstring)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        # The XDG spec: a relative value is invalid and must be ignored.
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "reverie" / "logs.db"


def resolve(target: str | os.PathLike[str] | None) -> str:
    """The database to use: ``target``, else ``$REVERIE_LOG_DB``, else :func:`default_path`."""
    if target is None or str(target) == "":
        target = os.environ.get(ENV) or default_path()
    return os.fspath(target)


def learn_env_secrets() -> None:
    """Add the values of environment variables named like keys to the secrets :func:`clean`
    replaces (cheap once they are known). Call it before a batch of writes: a variable set
    since the last call is then scrubbed too."""
    remember(env_secrets())


def clean(value: Any) -> Any:
    """``value`` (text, or JSON values) with every secret replaced by ``[REDACTED]``: the
    credentials reverie has sent (:mod:`reverie._redact`'s registry) and, once
    :func:`learn_env_secrets` has run, the values of environment variables named like keys,
    as cassettes do. What is stored goes through it first."""
    return scrub_value(value)


def is_postgres(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def open_database(target: str | os.PathLike[str] | None) -> Database:
    """The database ``target`` names (see :func:`resolve`), its schema made or checked.

    Raises :class:`~reverie.errors.StorageError` when it cannot be opened or its schema is
    from a newer reverie, :class:`~reverie.errors.ConfigurationError` for a PostgreSQL URL
    without the ``postgres`` extra installed.
    """
    name = resolve(target)
    db = open_postgres(name) if is_postgres(name) else open_sqlite(name)
    try:
        ensure_schema(db)
    except BaseException:
        db.close()
        raise
    return db
