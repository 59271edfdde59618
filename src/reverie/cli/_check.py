"""``reverie check``: the conformance scenarios, replayed from cassettes or run live."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Literal

from reverie.testing._conformance import CheckResult, find_cassettes, run_all, summarize


def run_check(
    paths: Sequence[str],
    *,
    match: Literal["strict", "lenient"],
    as_json: bool,
    verbose: bool,
    resume: Literal["steps", "approvals"] | None = None,
) -> int:
    """Replay cassettes. Exit 0 only when every cassette that ran passed (skips do not fail).
    ``resume`` runs each agent scenario in pieces through saved run states."""
    try:
        cassettes = find_cassettes(paths)
    except FileNotFoundError as exc:
        print(f"reverie check: {exc}", file=sys.stderr)
        return 2
    results = asyncio.run(run_all(cassettes, match, resume=resume))
    return report(results, as_json=as_json, verbose=verbose)


def run_live_check(model: str, scenarios: Sequence[str], *, as_json: bool, verbose: bool) -> int:
    """Run the scenarios against a live model; exit 0 only when all passed."""
    from reverie.testing._conformance.live import LIVE_SCENARIOS, run_live

    if not as_json:
        print(
            f"running {len(scenarios or LIVE_SCENARIOS)} scenarios on {model} ...", file=sys.stderr
        )
    try:
        results = asyncio.run(run_live(model, scenarios or LIVE_SCENARIOS))
    except ValueError as exc:
        print(f"reverie check: {exc}", file=sys.stderr)
        return 2
    return report(results, as_json=as_json, verbose=True if not as_json else verbose)


def report(results: Sequence[CheckResult], *, as_json: bool, verbose: bool) -> int:
    """Print results (one JSON object, or lines and a summary); the exit code."""
    counts = summarize(results)
    if as_json:
        entries = [
            {"cassette": r.cassette, "status": r.status, "reason": r.reason} for r in results
        ]
        print(json.dumps({**counts, "results": entries}))
    else:
        for r in results:
            if r.status == "failed" or verbose:
                line = f"{r.status.upper():7} {r.cassette}"
                print(line + (f"\n        {r.reason}" if r.reason else ""))
        print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    return 1 if counts["failed"] else 0
