"""Fixtures of the durable and batch tests: the loopback model server. Postgres
(``postgres_url``, a fresh database per test) comes from ``tests/_postgres.py``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.durable.loopback import Loopback


@pytest.fixture
def server() -> Iterator[Loopback]:
    with Loopback() as running:
        yield running
