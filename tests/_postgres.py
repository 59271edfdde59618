"""A throwaway PostgreSQL server for tests: ``initdb`` and ``pg_ctl`` in a temporary folder,
listening on a free port of 127.0.0.1 only, removed when the tests end.

::

    from tests._postgres import postgres_url      # a session-wide fixture (conftest imports it)

    def test_something(postgres_url: str) -> None:
        ...  # a fresh database of its own: postgresql://.../test_<n>

The server binaries come from ``/usr/lib/postgresql/*/bin`` (Debian's ``postgresql``
package; ``.ci/run`` installs it when absent) or ``$PG_BIN``. Without them a test that asks
for the fixture is skipped, except on CI, where it fails: there a missing server is a broken
setup. ``initdb`` refuses to run as root, so as root the cluster belongs to the
``postgres`` user the package creates. One server serves the whole test session; each test
gets its own database, so tests do not see each other's rows.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import on_ci

__all__ = ["PostgresServer", "find_pg_bin", "postgres_server", "postgres_url"]


def find_pg_bin() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    on_path = shutil.which("initdb")
    if on_path and not os.environ.get("PG_BIN"):
        return Path(on_path).resolve().parent
    explicit = os.environ.get("PG_BIN")
    candidates = [explicit] if explicit else sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    for folder in reversed(candidates):  # the newest version first
        if folder and (Path(folder) / "initdb").is_file():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One running cluster; :meth:`new_database` makes an empty database on it."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="reverie-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._names = itertools.count()
        self._as: list[str] = []
        if os.geteuid() == 0:
            # initdb will not run as root; the package's postgres user owns the cluster.
            shutil.chown(self.folder, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*self._as, *args], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "reverie",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """The URL of ``database`` on this server (which need not exist yet: DBOS makes it)."""
        return f"postgresql://reverie@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        import psycopg

        name = f"test_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (see the module docstring)."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        message = "PostgreSQL server binaries not found (apt-get install postgresql)"
        if on_ci():
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    server = PostgresServer(bin_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh database on the session's server, as a ``postgresql://`` URL."""
    return postgres_server.new_database()
