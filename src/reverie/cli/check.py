"""``reverie check``: replay cassettes through the conformance scenarios."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Literal

from reverie.testing.conformance import find_cassettes, run_all, summarize


def run_check(
    paths: Sequence[str], *, match: Literal["strict", "lenient"], as_json: bool, verbose: bool
) -> int:
    """Exit 0 only when every cassette that ran passed (skips do not fail the check)."""
    try:
        cassettes = find_cassettes(paths)
    except FileNotFoundError as exc:
        print(f"reverie check: {exc}", file=sys.stderr)
        return 2
    results = asyncio.run(run_all(cassettes, match))
    counts = summarize(results)
    if as_json:
        print(
            json.dumps(
                {
                    **counts,
                    "results": [
                        {"cassette": r.cassette, "status": r.status, "reason": r.reason}
                        for r in results
                    ],
                }
            )
        )
    else:
        for r in results:
            if r.status == "failed" or verbose:
                line = f"{r.status.upper():7} {r.cassette}"
                print(line + (f"\n        {r.reason}" if r.reason else ""))
        print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    return 1 if counts["failed"] else 0
