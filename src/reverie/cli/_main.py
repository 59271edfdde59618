"""The ``reverie`` command.

Subcommands live in their own modules and are imported only when chosen, so ``reverie
--help`` is quick. Exit codes: 0 success, 1 a check failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reverie", description="Build and test AI agents on any LLM provider."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo", help="replay the seed conversation (add and multiply) through the agent"
    )
    demo.add_argument("--json", action="store_true", help="print events as JSON lines")

    check = sub.add_parser(
        "check", help="replay cassettes through their scenarios, or run them live (--live)"
    )
    check.add_argument("paths", nargs="*", help="cassette files or folders")
    check.add_argument(
        "--live", action="store_true", help="run the scenarios against a real endpoint (-m)"
    )
    check.add_argument("-m", "--model", help="with --live: the model, as provider:model-id")
    check.add_argument(
        "--scenario", action="append", default=[], help="with --live: only this scenario"
    )
    check.add_argument("--match", choices=("strict", "lenient"), default="strict")
    check.add_argument(
        "--resume",
        choices=("steps", "approvals"),
        help="run each conversation in pieces through saved run states: a pause at every "
        "step boundary (steps), and before every tool call (approvals)",
    )
    check.add_argument("--json", action="store_true", help="print one JSON summary object")
    check.add_argument("-v", "--verbose", action="store_true", help="list every cassette")

    run = sub.add_parser("run", help="run an agent on one prompt, streaming its answer")
    run.add_argument("prompt", help="what to ask")
    _agent_options(run)
    run.add_argument("--json", action="store_true", help="print events as JSON lines")
    run.add_argument(
        "--approve",
        nargs="?",
        const="marked",
        choices=("marked", "all"),
        help="ask y/n before each call to a tool that needs approval (all: before every tool call)",
    )
    run.add_argument(
        "--save-state",
        metavar="FILE",
        help="when the run pauses for approval, save it to FILE and exit 3 (see resume)",
    )

    resume = sub.add_parser("resume", help="answer the tool calls a saved run waits on, go on")
    resume.add_argument("state", help="a run state saved by reverie run --save-state")
    resume.add_argument("--approve", action="append", default=[], metavar="ID")
    resume.add_argument(
        "--deny", action="append", default=[], metavar="ID[=REASON]", help="refuse a call"
    )
    resume.add_argument(
        "--result", action="append", default=[], metavar="ID=TEXT", help="an external result"
    )
    resume.add_argument("--ask", action="store_true", help="ask y/n for the calls left")
    resume.add_argument("--save-state", metavar="FILE", help="where to save (default: STATE)")
    resume.add_argument("--json", action="store_true", help="print events as JSON lines")

    chat = sub.add_parser("chat", help="talk with an agent, turn by turn")
    _agent_options(chat)

    replay = sub.add_parser("replay", help="print a recorded cassette as a readable transcript")
    replay.add_argument("cassette", help="a go-vcr cassette file (.yaml)")

    sub.add_parser("models", help="list providers and how to configure them")

    from reverie.cli import _mcp

    _mcp.add_parser(sub)

    local = sub.add_parser("local", help="the built-in local model: status or install")
    local.add_argument("action", choices=("status", "install"))
    local.add_argument("--model", default="smollm2", help="which known model (default smollm2)")
    return parser


def _agent_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-m",
        "--model",
        help="provider:model (default: $REVERIE_MODEL, a provider whose key is set, "
        "else the local model)",
    )
    parser.add_argument("-s", "--system", help="system prompt")
    parser.add_argument(
        "-t",
        "--tool",
        action="append",
        default=[],
        metavar="MODULE:FUNCTION",
        help="a Python function to offer as a tool (repeatable); module or file.py",
    )
    parser.add_argument("--max-tokens", type=int, help="maximum output tokens per step")
    parser.add_argument("--temperature", type=float, help="sampling temperature (0 = greedy)")
    from reverie.cli._mcp import add_agent_options

    add_agent_options(parser)


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    from reverie.errors import ConfigurationError

    try:
        if args.command == "demo":
            from reverie.cli._demo import run_demo

            return run_demo(json_lines=args.json)
        if args.command == "check":
            from reverie.cli._check import run_check, run_live_check

            if args.live:
                if not args.model or args.paths:
                    print(
                        "reverie check --live takes -m provider:model and no paths", file=sys.stderr
                    )
                    return 2
                return run_live_check(
                    args.model, args.scenario, as_json=args.json, verbose=args.verbose
                )
            if not args.paths:
                print(
                    "reverie check: name cassette files or folders (or use --live)", file=sys.stderr
                )
                return 2
            return run_check(
                args.paths,
                match=args.match,
                as_json=args.json,
                verbose=args.verbose,
                resume=args.resume,
            )
        if args.command == "run" and (args.approve or args.save_state):
            from reverie.cli._approve import run_approving

            return run_approving(
                args.prompt,
                model=args.model,
                system=args.system,
                tools=args.tool,
                as_json=args.json,
                max_tokens=args.max_tokens,
                temperature=args.temperature,
                approve=args.approve,
                save_state=args.save_state,
                mcp=(tuple(args.mcp), tuple(args.mcp_url)),
            )
        if args.command == "resume":
            from reverie.cli._approve import resume_saved

            return resume_saved(
                args.state,
                approve=args.approve,
                deny=args.deny,
                results=args.result,
                ask=args.ask,
                as_json=args.json,
                save_state=args.save_state,
            )
        if args.command == "run":
            from reverie.cli._run import run_once

            return run_once(
                args.prompt,
                model=args.model,
                system=args.system,
                tools=args.tool,
                as_json=args.json,
                max_tokens=args.max_tokens,
                temperature=args.temperature,
                toolsets=_mcp_toolsets(args),
            )
        if args.command == "chat":
            from reverie.cli._run import run_chat

            return run_chat(
                model=args.model,
                system=args.system,
                tools=args.tool,
                max_tokens=args.max_tokens,
                temperature=args.temperature,
                toolsets=_mcp_toolsets(args),
            )
        if args.command == "mcp":
            from reverie.cli._mcp import run_mcp

            return run_mcp(args)
        if args.command == "replay":
            from reverie.cli._replay import replay

            return replay(args.cassette)
        if args.command == "models":
            from reverie.cli._models import list_models

            return list_models()
        if args.command == "local":
            from reverie.cli import _local

            return _local.status() if args.action == "status" else _local.install(args.model)
    except ConfigurationError as exc:
        print(f"reverie: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (``reverie models | head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return 2


def _mcp_toolsets(args: argparse.Namespace) -> list[object]:
    from reverie.cli._mcp import toolsets
    from reverie.cli._run import choose_model

    return toolsets(args.mcp, args.mcp_url, choose_model(args.model))


if __name__ == "__main__":
    sys.exit(main())
