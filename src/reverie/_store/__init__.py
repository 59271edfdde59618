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
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol

from reverie._redact import display_url, remember, url_secrets
from reverie.errors import ConfigurationError, StorageError

__all__ = [
    "ENV",
    "Database",
    "Transaction",
    "default_path",
    "open_database",
    "resolve",
]

ENV = "REVERIE_LOG_DB"
"""The environment variable that names the database: a file path or a PostgreSQL URL."""

Dialect = Literal["sqlite", "postgres"]
Params = Sequence[Any]


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


def is_postgres(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


class Transaction(Protocol):
    """What a transaction offers: run a statement, get its rows (empty for writes)."""

    def execute(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]: ...


class Database:
    """One connection to the run log's database (see the module docstring)."""

    def __init__(self, dialect: Dialect, where: str, connection: Any) -> None:
        self.dialect: Dialect = dialect
        self.where = where
        """The database, as shown to people: a file path, or a URL without its password."""
        self._connection = connection
        self._lock = threading.RLock()

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """The rows of one statement, in a transaction of its own."""
        with self.transaction(write=False) as tx:
            return tx.execute(sql, params)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """Statements that all happen or none do; failures are StorageError. A transaction
        that only reads says ``write=False`` (on SQLite it then waits for no writer)."""
        with self._lock:
            try:
                if self.dialect == "sqlite":
                    with _sqlite_transaction(self._connection, write) as tx:
                        yield tx
                else:
                    with self._connection.transaction():
                        yield _PostgresTransaction(self._connection)
            except StorageError:
                raise
            except Exception as exc:
                raise self.error("failed", exc) from exc

    def error(self, what: str, exc: BaseException) -> StorageError:
        """A StorageError about this database: ``what`` happened, because of ``exc``."""
        return StorageError(f"the database {self.where} {what}: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        with self._lock:
            try:
                self._connection.close()
            except Exception:  # closing a broken connection: nothing left to save
                pass


def open_database(target: str | os.PathLike[str] | None) -> Database:
    """The database ``target`` names (see :func:`resolve`), its schema made or checked.

    Raises :class:`~reverie.errors.StorageError` when it cannot be opened or its schema is
    from a newer reverie, :class:`~reverie.errors.ConfigurationError` for a PostgreSQL URL
    without the ``postgres`` extra installed.
    """
    from reverie._store._schema import ensure_schema

    name = resolve(target)
    db = _open_postgres(name) if is_postgres(name) else _open_sqlite(name)
    try:
        ensure_schema(db)
    except BaseException:
        db.close()
        raise
    return db


def _open_sqlite(name: str) -> Database:
    import sqlite3

    path = Path(name).expanduser()
    where = str(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are begun and ended explicitly (_sqlite_transaction).
        connection = sqlite3.connect(
            path, timeout=10.0, isolation_level=None, check_same_thread=False
        )
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(f"the database {where} cannot be opened: {exc}") from exc
    db = Database("sqlite", where, connection)
    try:
        # WAL: readers (``reverie logs`` in another terminal) never wait for a writer, and
        # a commit need not reach the disk before the run goes on (NORMAL).
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        db.close()
        raise db.error("cannot be used", exc) from exc
    return db


def _open_postgres(url: str) -> Database:
    remember(url_secrets(url))  # a password in the URL never reaches a message
    where = display_url(url)
    try:
        import psycopg
    except ImportError as exc:
        raise ConfigurationError(
            f"{where} is a PostgreSQL database, which needs psycopg: "
            "pip install 'reverie[postgres]'"
        ) from exc
    try:
        connection = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise StorageError(f"the database {where} cannot be opened: {exc}") from exc
    return Database("postgres", where, connection)


@contextmanager
def _sqlite_transaction(connection: Any, write: bool) -> Iterator[Transaction]:
    # IMMEDIATE takes the write lock at once, so two processes never both read, then both
    # try to write and one fails; the busy timeout makes the second wait its turn.
    connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield _SqliteTransaction(connection)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


class _SqliteTransaction:
    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self._connection.execute(sql, tuple(params)).fetchall()
        return rows


class _PostgresTransaction:
    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        with self._connection.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), tuple(params))
            if cursor.description is None:
                return []
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows
