"""The conformance suite: every cassette of the corpus, replayed through its scenario.

A cassette whose provider or scenario is not supported yet is skipped with that reason;
every other one must pass. Runs the same code as ``reverie check``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reverie.testing._conformance import find_cassettes, run_cassette
from tests.conftest import CORPUS

CASSETTES = find_cassettes([CORPUS]) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CASSETTES, reason=f"cassette corpus not found at {CORPUS}")
@pytest.mark.parametrize("path", CASSETTES, ids=[str(p.relative_to(CORPUS)) for p in CASSETTES])
def test_cassette_replays_through_its_scenario(path: Path) -> None:
    result = asyncio.run(run_cassette(path, "strict"))
    if result.status == "skipped":
        pytest.skip(result.reason)
    assert result.status == "passed", result.reason
