"""The ``reverie`` command.

Subcommands live in their own modules and are imported only when chosen, so ``reverie
--help`` is quick. Exit codes: 0 success, 1 a check failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reverie", description="Build and test AI agents on any LLM provider."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo", help="replay the seed conversation (add and multiply) through the agent"
    )
    demo.add_argument("--json", action="store_true", help="print events as JSON lines")

    check = sub.add_parser("check", help="replay cassettes through their scenarios")
    check.add_argument("paths", nargs="+", help="cassette files or folders")
    check.add_argument("--match", choices=("strict", "lenient"), default="strict")
    check.add_argument("--json", action="store_true", help="print one JSON summary object")
    check.add_argument("-v", "--verbose", action="store_true", help="list every cassette")

    sub.add_parser("models", help="list providers and how to configure them")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from reverie.errors import ConfigurationError

    try:
        if args.command == "demo":
            from reverie.cli.demo import run_demo

            return run_demo(json_lines=args.json)
        if args.command == "check":
            from reverie.cli.check import run_check

            return run_check(args.paths, match=args.match, as_json=args.json, verbose=args.verbose)
        if args.command == "models":
            from reverie.cli.models import list_models

            return list_models()
    except ConfigurationError as exc:
        print(f"reverie: {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
