"""The conformance suite: every cassette of the corpus, replayed through its scenario.

Every cassette must pass. A cassette the runner skips (a provider or scenario reverie does
not support yet) fails here, with the runner's reason, so an unsupported scenario can never
pass as green. Without the corpus the suite skips, except on CI (``CI=true``), where it
fails. Runs the same code as ``reverie check``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reverie.testing._conformance import find_cassettes, run_cassette
from tests.conftest import CORPUS, require_corpus

CASSETTES = find_cassettes([CORPUS]) if CORPUS.is_dir() else []


def test_the_corpus_is_there() -> None:
    require_corpus()
    assert CASSETTES, f"no cassettes found under {CORPUS}"


@pytest.mark.parametrize("path", CASSETTES, ids=[str(p.relative_to(CORPUS)) for p in CASSETTES])
def test_cassette_replays_through_its_scenario(path: Path) -> None:
    result = asyncio.run(run_cassette(path, "strict"))
    assert result.status != "skipped", f"the runner skipped this cassette: {result.reason}"
    assert result.status == "passed", result.reason
