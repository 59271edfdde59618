"""``reverie check``: the conformance scenarios, replayed from cassettes or run live.

The exit status is 1 only when a scenario failed. Skipped cassettes (a provider or
scenario not supported yet) and cassettes that are not conformance scenarios at all (a
user's own recordings, outside the corpus layout) are reported, not failures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Literal

from reverie.testing._conformance import CheckResult, find_cassettes, run_all, summarize


def main(args: argparse.Namespace) -> int:
    if args.live:
        if not args.model or args.paths:
            print("reverie check --live takes -m provider:model and no paths", file=sys.stderr)
            return 2
        return run_live_check(
            args.model,
            args.scenario,
            as_json=args.json,
            timeout=args.timeout,
            max_tokens=args.max_tokens,
        )
    if not args.paths:
        print("reverie check: name cassette files or folders (or use --live)", file=sys.stderr)
        return 2
    return run_check(
        args.paths,
        match=args.match,
        as_json=args.json,
        verbose=args.verbose,
        resume=args.resume,
    )


def run_check(
    paths: Sequence[str],
    *,
    match: Literal["strict", "lenient"],
    as_json: bool,
    verbose: bool,
    resume: Literal["steps", "approvals"] | None = None,
) -> int:
    """Replay cassettes. Exit 0 unless a cassette that ran failed. ``resume`` runs each
    agent scenario in pieces through saved run states."""
    try:
        cassettes = find_cassettes(paths)
    except FileNotFoundError as exc:
        print(f"reverie check: {exc}", file=sys.stderr)
        return 2
    results = asyncio.run(run_all(cassettes, match, resume=resume))
    if not as_json:
        for r in results:
            if r.status == "failed" or verbose:
                print(f"{r.status.upper():12} {r.cassette}")
                if r.reason and r.status != "not-scenario":  # the summary says why, once
                    print(f"             {r.reason}")
    return report(results, as_json=as_json)


def run_live_check(
    model: str,
    scenarios: Sequence[str],
    *,
    as_json: bool,
    timeout: float | None = None,
    max_tokens: int | None = None,
) -> int:
    """Run the scenarios on a live model, a line per scenario as each ends; exit 0 only
    when all passed."""
    import dataclasses

    from reverie.testing._conformance.live import LIVE_SCENARIOS, limits_for, run_live

    names = list(scenarios or LIVE_SCENARIOS)
    limits = limits_for(model)
    if timeout is not None:
        limits = dataclasses.replace(limits, timeout=timeout)
    if max_tokens is not None:
        limits = dataclasses.replace(limits, max_output_tokens=max_tokens)
    done: list[CheckResult] = []

    def progress(result: CheckResult, seconds: float) -> None:
        done.append(result)
        name = result.cassette.rsplit("/", 1)[-1]
        line = f"[{len(done)}/{len(names)}] {result.status.upper():6} {name} ({seconds:.1f} s)"
        print(line + (f"\n        {result.reason}" if result.reason else ""), file=sys.stderr)

    if not as_json:
        cap = limits.max_output_tokens
        print(
            f"running {len(names)} scenarios on {model}: at most {limits.timeout:g} s each"
            + (f", {cap} output tokens" if cap else ""),
            file=sys.stderr,
        )
    try:
        results = asyncio.run(
            run_live(model, names, limits=limits, on_result=None if as_json else progress)
        )
    except ValueError as exc:
        print(f"reverie check: {exc}", file=sys.stderr)
        return 2
    return report(results, as_json=as_json)


def report(results: Sequence[CheckResult], *, as_json: bool) -> int:
    """Print the summary (or one JSON object); the exit code."""
    counts = summarize(results)
    if as_json:
        entries = [
            {"cassette": r.cassette, "status": r.status, "reason": r.reason} for r in results
        ]
        print(json.dumps({**counts, "results": entries}))
    else:
        print(summary_line(counts))
    return 1 if counts["failed"] else 0


def summary_line(counts: Mapping[str, int]) -> str:
    line = f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
    others = counts.get("not-scenario", 0)
    if others:
        plural = "s are" if others != 1 else " is"
        line += (
            f"; {others} cassette{plural} not a conformance scenario (outside the corpus "
            "layout <suite>/Test<Name>/<model>/<scenario>.yaml; -v lists them)"
        )
    return line
