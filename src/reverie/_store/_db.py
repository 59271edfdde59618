"""The connection: SQLite through the standard library, PostgreSQL through psycopg."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Literal, Protocol

from reverie._redact import display_url, remember, url_secrets
from reverie.errors import ConfigurationError, StorageError

__all__ = ["Database", "Dialect", "Transaction", "open_postgres", "open_sqlite"]

Dialect = Literal["sqlite", "postgres"]
Params = Sequence[Any]


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
    def transaction(self, *, write: bool = True) -> Generator[Transaction]:
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
        with self._lock, suppress(Exception):  # a broken connection: nothing left to save
            self._connection.close()


def open_sqlite(name: str) -> Database:
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
        _wal(connection)
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        db.close()
        raise db.error("cannot be used", exc) from exc
    return db


def _wal(connection: Any, patience: float = 10.0) -> None:
    """Switch to WAL, waiting for other connections as a write would. Two processes opening
    a new file at once both try to switch it, and SQLite answers the loser "database is
    locked" at once, without its busy timeout: that lost the first run of one of them."""
    import sqlite3

    deadline = time.monotonic() + patience
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def open_postgres(url: str) -> Database:
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
def _sqlite_transaction(connection: Any, write: bool) -> Generator[Transaction]:
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
