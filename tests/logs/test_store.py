"""The database under the run log and sessions: where it is, its schema, its failures."""

from __future__ import annotations

import sqlite3
from dataclasses import fields
from pathlib import Path

import pytest

from reverie import _store
from reverie._store._schema import SCHEMA_VERSION, USAGE_COLUMNS
from reverie.errors import ConfigurationError, StorageError
from reverie.model import Usage


def test_the_default_file_is_in_the_xdg_data_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert _store.default_path() == tmp_path / "data" / "reverie" / "logs.db"
    # The spec says a relative XDG_DATA_HOME is to be ignored.
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _store.default_path() == tmp_path / ".local" / "share" / "reverie" / "logs.db"


@pytest.mark.parametrize(
    ("platform", "expected"),
    [("darwin", "Library/Application Support/reverie/logs.db"), ("win32", "LAD/reverie/logs.db")],
)
def test_the_default_file_on_other_platforms(
    platform: str, expected: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("sys.platform", platform)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "LAD"))
    assert _store.default_path() == tmp_path / expected


def test_an_argument_beats_the_variable_which_beats_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(_store.ENV, raising=False)
    assert _store.resolve(None) == str(_store.default_path())
    monkeypatch.setenv(_store.ENV, str(tmp_path / "env.db"))
    assert _store.resolve(None) == str(tmp_path / "env.db")
    assert _store.resolve(tmp_path / "arg.db") == str(tmp_path / "arg.db")


def test_the_token_columns_are_the_fields_of_usage() -> None:
    assert tuple(f.name for f in fields(Usage)) == USAGE_COLUMNS


def test_opening_makes_the_folder_and_the_schema_once(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "logs.db"
    db = _store.open_database(path)
    assert db.dialect == "sqlite" and path.is_file()
    tables = {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"reverie_runs", "reverie_steps", "reverie_tool_calls", "reverie_search"} <= tables
    assert {"reverie_sessions", "reverie_turns", "reverie_memos"} <= tables
    db.close()
    again = _store.open_database(path)  # an existing schema is only checked
    assert again.query("SELECT value FROM reverie_meta") == [(str(SCHEMA_VERSION),)]
    again.close()


def test_a_schema_from_a_newer_reverie_is_refused(db_target: str) -> None:
    db = _store.open_database(db_target)
    with db.transaction() as tx:
        tx.execute("UPDATE reverie_meta SET value = '99' WHERE key = 'schema_version'")
    db.close()
    with pytest.raises(StorageError, match=r"schema version 99.*upgrade reverie"):
        _store.open_database(db_target)


def test_a_corrupt_file_is_a_storage_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    path.write_bytes(b"this is not a database, just forty-odd bytes of text" * 100)
    with pytest.raises(StorageError, match=str(path)):
        _store.open_database(path)


def test_a_path_that_cannot_be_made_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StorageError, match="cannot be opened"):
        _store.open_database(tmp_path / "file" / "logs.db")


def test_a_failed_statement_rolls_the_transaction_back(db_target: str) -> None:
    db = _store.open_database(db_target)

    def half_done() -> None:
        with db.transaction() as tx:
            tx.execute("INSERT INTO reverie_meta (key, value) VALUES ('a', '1')")
            tx.execute("INSERT INTO no_such_table VALUES (1)")

    with pytest.raises(StorageError, match="failed"):
        half_done()
    assert db.query("SELECT key FROM reverie_meta WHERE key = 'a'") == []
    db.close()


def test_a_server_that_is_not_there_is_a_storage_error_without_the_password() -> None:
    with socket_port() as port:
        url = f"postgresql://me:hunter2-secret-pw@127.0.0.1:{port}/nowhere"
        with pytest.raises(StorageError) as caught:
            _store.open_database(url)
    text = str(caught.value)
    assert "127.0.0.1" in text and "hunter2-secret-pw" not in text


def test_postgres_without_psycopg_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "psycopg", None)
    with pytest.raises(ConfigurationError, match=r"reverie\[postgres\]"):
        _store.open_database("postgresql://127.0.0.1/x")


def test_sqlite_files_are_in_wal_mode(tmp_path: Path) -> None:
    db = _store.open_database(tmp_path / "logs.db")
    db.close()
    with sqlite3.connect(tmp_path / "logs.db") as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)


class socket_port:
    """A loopback port nobody listens on, while the block runs."""

    def __enter__(self) -> int:
        import socket

        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        return int(self._socket.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self._socket.close()


def test_processes_opening_a_new_log_at_once_all_get_it(tmp_path: Path) -> None:
    # Each new file is opened by four connections at once, as by `reverie run` processes
    # started together: all must get it (the switch to WAL waits as a write would; before,
    # one in ~75 files answered "database is locked" and that run was not logged).
    import threading

    failures: list[str] = []

    def open_and_write(path: Path, number: int) -> None:
        try:
            db = _store.open_database(str(path))
            with db.transaction() as tx:
                tx.execute("INSERT INTO reverie_meta (key, value) VALUES (?, 'x')", (f"k{number}",))
            db.close()
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")

    for n in range(150):
        path = tmp_path / f"new-{n}.db"
        openers = [threading.Thread(target=open_and_write, args=(path, i)) for i in range(4)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join()
    assert failures == []
