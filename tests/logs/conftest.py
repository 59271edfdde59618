"""Each storage test runs on both databases: a SQLite file and a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reverie.sessions import SessionStore


@pytest.fixture(params=["sqlite", "postgres"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database for one test: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "logs.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def stores(db_target: str) -> Iterator[Callable[[], SessionStore]]:
    """Makes stores on the test's database (each a connection of its own, as another
    process would have); all are closed after the test."""
    made: list[SessionStore] = []

    def make() -> SessionStore:
        made.append(SessionStore(db_target))
        return made[-1]

    yield make
    for store in made:
        store.close()
