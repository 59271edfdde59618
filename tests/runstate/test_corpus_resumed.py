"""The exactness bar of the run state, over the whole corpus.

Every conversation runs in pieces: the state is saved at every step boundary (and, in the
approvals mode, at an approval pause before every tool call), read back from JSON text by a
fresh agent on a fresh model, and resumed. Each request must still equal the recorded one
strictly, every recorded interaction must be used, and the scenario's checks must pass, as
for an uninterrupted run (``tests/conformance/test_corpus.py``).
"""

from __future__ import annotations

import asyncio

import pytest

from reverie.run_state import RunState
from reverie.testing._conformance import find_cassettes, run_all
from reverie.testing._conformance.resumed import RESUME_MODES, ResumeMode
from tests.conftest import CORPUS

CASSETTES = find_cassettes([CORPUS]) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CASSETTES, reason=f"cassette corpus not found at {CORPUS}")
@pytest.mark.parametrize("mode", RESUME_MODES)
def test_every_conversation_resumed_through_json_sends_the_recorded_requests(
    mode: ResumeMode, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = 0
    original = RunState.from_json

    def counted(text: str | bytes) -> RunState:
        nonlocal loads
        loads += 1
        return original(text)

    monkeypatch.setattr(RunState, "from_json", staticmethod(counted))
    results = asyncio.run(run_all(CASSETTES, "strict", resume=mode))
    failed = [f"{r.cassette}: {r.reason}" for r in results if r.status != "passed"]
    assert not failed, "\n".join(failed)
    # Every agent conversation went through JSON at least once; the ones with tools more
    # often (a boundary after each tool step; in approvals mode, each approval too).
    assert loads > len(CASSETTES)
