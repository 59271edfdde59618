"""Shared fixtures: the corpus location, and anyio on asyncio for async tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("REVERIE_CASSETTES", REPO.parent / "shared" / "cassettes"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def corpus() -> Path:
    """The shared cassette corpus; tests that need it skip cleanly when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"cassette corpus not found at {CORPUS} (set REVERIE_CASSETTES)")
    return CORPUS
