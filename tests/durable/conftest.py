"""Fixtures of the durable and batch tests: one Postgres cluster per session, a database
per test, and the loopback model server."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.durable.loopback import Loopback
from tests.durable.postgres import postgres_cluster

_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    with postgres_cluster() as base:
        yield base


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A database of its own for this test (DBOS creates it on first use)."""
    return f"{postgres_server}reverie_test_{next(_numbers)}"


@pytest.fixture
def server() -> Iterator[Loopback]:
    with Loopback() as running:
        yield running
