"""Which reverie processes are alive: so that a run (or a batch row) left by a dead one is
taken over, and one a live process is running is not run twice.

Each process that runs durable runs has an executor id (DBOS writes it on every run it
runs) and, while it lives, holds a lock that the operating system or the database releases
the moment it dies, SIGKILL included:

- SQLite: an exclusive ``flock`` on ``<database>.executors/<executor id>.lock``;
- Postgres: a session advisory lock, keyed by the executor id, on a connection of its own.

Another process asks :meth:`Liveness.alive` with a non-blocking try of the same lock. An
executor id that is not reverie's (a DBOS application of the user's own) counts as alive:
its own application recovers it.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import Any, Protocol

__all__ = ["PREFIX", "Liveness", "liveness_for", "new_executor_id"]

PREFIX = "reverie-"

_NAMESPACE = 0x72657665  # "reve": the advisory lock space of reverie's executors


def new_executor_id() -> str:
    host = socket.gethostname().replace("-", "_")[:40]
    return f"{PREFIX}{host}-{os.getpid()}-{secrets.token_hex(4)}"


class Liveness(Protocol):
    def hold(self, executor_id: str) -> None:
        """Hold this process's lock (until :meth:`release` or death)."""
        ...

    def alive(self, executor_id: str) -> bool:
        """Whether the process with this executor id still holds its lock."""
        ...

    def release(self) -> None: ...


def liveness_for(url: str) -> Liveness:
    """The liveness check that fits the database at ``url``."""
    if url.startswith("sqlite"):
        return FileLiveness(Path(sqlite_path(url) + ".executors"))
    return PostgresLiveness(url)


def sqlite_path(url: str) -> str:
    """The file of a ``sqlite:///PATH`` URL."""
    return url.split(":///", 1)[1].split("?", 1)[0] if ":///" in url else url


class FileLiveness:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._held: int | None = None
        self._path: Path | None = None

    def hold(self, executor_id: str) -> None:
        import fcntl

        self.folder.mkdir(parents=True, exist_ok=True)
        self._path = self.folder / f"{executor_id}.lock"
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._held = fd

    def alive(self, executor_id: str) -> bool:
        import fcntl

        if not executor_id.startswith(PREFIX):
            return True
        path = self.folder / f"{executor_id}.lock"
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return False  # it never held one here, or it was cleaned up: gone
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing drops the lock we may have taken
        path.unlink(missing_ok=True)  # the dead process's file
        return False

    def release(self) -> None:
        if self._held is not None:
            os.close(self._held)
            self._held = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None


class PostgresLiveness:
    def __init__(self, url: str) -> None:
        self.url = _libpq_url(url)
        self._conn: Any = None

    def hold(self, executor_id: str) -> None:
        import psycopg

        self._conn = psycopg.connect(self.url, autocommit=True)
        self._conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (_NAMESPACE, executor_id))

    def alive(self, executor_id: str) -> bool:
        import psycopg

        if not executor_id.startswith(PREFIX):
            return True
        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s))", (_NAMESPACE, executor_id)
            ).fetchone()
            free = bool(row and row[0])
            if free:
                conn.execute(
                    "SELECT pg_advisory_unlock(%s, hashtext(%s))", (_NAMESPACE, executor_id)
                )
        return not free

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _libpq_url(url: str) -> str:
    """A SQLAlchemy-style URL (``postgresql+psycopg://``) as libpq reads it."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"
