"""A throwaway Postgres cluster on a free loopback port, for the tests that need Postgres.

Debian's ``postgresql`` package provides the server (``.ci/run`` installs it when absent);
its binaries live in ``/usr/lib/postgresql/<version>/bin``. ``initdb`` refuses to run as
root, so as root the cluster belongs to the package's ``postgres`` user (``runuser``). The
cluster trusts connections from 127.0.0.1 (user ``reverie``), keeps no data safe (``fsync``
off) and is removed at the end of the session. Without the server the tests skip, with the
reason, except on CI, where they fail.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import on_ci


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unavailable(why: str) -> None:
    message = f"Postgres is needed here: {why} (apt-get install postgresql)"
    if on_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """``postgresql://reverie@127.0.0.1:PORT/`` of a new cluster; add a database name."""
    bin_dir = _binaries()
    if bin_dir is None:
        _unavailable("no initdb found on PATH or under /usr/lib/postgresql")
        raise AssertionError  # unreachable: skip or fail raised
    prefix: list[str] = []
    root = tempfile.mkdtemp(prefix="reverie-pg-")
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            _unavailable("running as root and there is no postgres user to own the cluster")
            raise AssertionError from None
        os.chown(root, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log = f"{root}/data", f"{root}/log"
    port = _free_port()

    def run(*args: str) -> None:
        done = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr or done.stdout}")

    try:
        run(str(bin_dir / "initdb"), "-D", data, "-A", "trust", "-U", "reverie", "--no-sync")
        options = f"-h 127.0.0.1 -p {port} -k {root} -F -c max_connections=200"
        run(str(bin_dir / "pg_ctl"), "-D", data, "-l", log, "-o", options, "-w", "start")
        try:
            yield f"postgresql://reverie@127.0.0.1:{port}/"
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
