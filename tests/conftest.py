"""Shared fixtures: the corpus location, and anyio on asyncio for async tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("REVERIE_CASSETTES", REPO.parent / "shared" / "cassettes"))


def pytest_configure(config: pytest.Config) -> None:
    # The runs the tests make (in this process, and in the `reverie` processes they start,
    # which inherit the environment) are logged to a throwaway file, never to the
    # developer's own run log. Tests of where the log goes set or remove the variable.
    folder = tempfile.mkdtemp(prefix="reverie-test-log-")
    os.environ["REVERIE_LOG_DB"] = str(Path(folder) / "logs.db")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def on_ci() -> bool:
    """Whether a CI service runs the tests (they all set ``CI``)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require_corpus() -> Path:
    """The shared cassette corpus. Without it a test skips, except on CI, where it fails:
    there a missing corpus is a broken checkout, not a reason to pass."""
    if not CORPUS.is_dir():
        message = (
            f"cassette corpus not found at {CORPUS}: check out shared/cassettes next to the "
            "repository or set REVERIE_CASSETTES to its path"
        )
        if on_ci():
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    return CORPUS


@pytest.fixture
def corpus() -> Path:
    """The shared cassette corpus (see :func:`require_corpus`)."""
    return require_corpus()


# A throwaway PostgreSQL server for the tests that ask for it (``postgres_url``).
pytest_plugins = ("tests._postgres",)
