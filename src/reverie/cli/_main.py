"""The ``reverie`` command (also ``python -m reverie``).

Each subcommand is a parser built here and a handler, ``"module:function"``, imported only
when that subcommand runs, so ``reverie --help`` stays quick. A handler takes the parsed
``argparse.Namespace`` and returns the exit code; to add an option, add it to the parser
here and read it from ``args`` in the handler. Exit codes: 0 success, 1 a run or check
failed, 2 bad usage or configuration (one line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from reverie import __version__


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reverie", description="Build and test AI agents on any LLM provider."
    )
    parser.add_argument("--version", action="version", version=f"reverie {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = _command(sub, "run", "reverie.cli._run:main", "run an agent on one prompt, streaming")
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
    from reverie.cli import _durable

    _durable.add_run_options(run)
    _durable.add_approve_command(
        _command(sub, "approve", "reverie.cli._durable:approve_main", "answer a durable run's call")
    )
    from reverie.cli import _batch

    _batch.add_batch_command(
        _command(sub, "batch", "reverie.cli._batch:batch_main", "run an agent over a JSONL file")
    )
    _batch.add_worker_command(
        _command(sub, "worker", "reverie.cli._batch:worker_main", "work on queued batch rows")
    )

    resume = _command(
        sub, "resume", "reverie.cli._approve:resume_main", "answer a saved run's calls, go on"
    )
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
    _log_options(resume)

    chat = _command(sub, "chat", "reverie.cli._chat:main", "talk with an agent, turn by turn")
    _agent_options(chat)
    chat.add_argument(
        "--session", metavar="NAME", help="continue (and keep) the conversation named NAME"
    )

    logs = _command(sub, "logs", "reverie.cli._logs:main", "list, show and search logged runs")
    from reverie.cli._logs import add_arguments

    add_arguments(logs)

    demo = _command(
        sub,
        "demo",
        "reverie.cli._demo:main",
        "replay the seed conversation (add and multiply) through the agent",
    )
    demo.add_argument("--json", action="store_true", help="print events as JSON lines")

    check = _command(
        sub,
        "check",
        "reverie.cli._check:main",
        "replay cassettes through their conformance scenarios, or run them live (--live)",
    )
    check.add_argument("paths", nargs="*", help="cassette files or folders")
    check.add_argument(
        "--live", action="store_true", help="run the scenarios against a real model (-m)"
    )
    check.add_argument("-m", "--model", help="with --live: the model, as provider:model-id")
    check.add_argument(
        "--scenario", action="append", default=[], help="with --live: only this scenario"
    )
    check.add_argument(
        "--timeout",
        type=float,
        help="with --live: seconds each scenario may take (default: 120 on a local model, "
        "300 otherwise)",
    )
    check.add_argument(
        "--max-tokens",
        type=int,
        help="with --live: cap each call's output tokens (default: 256 on a local model, "
        "else the scenario's own)",
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

    replay = _command(
        sub, "replay", "reverie.cli._replay:main", "print a cassette as a readable transcript"
    )
    replay.add_argument("cassette", help="a go-vcr cassette file (.yaml)")

    _command(sub, "models", "reverie.cli._models:main", "list providers and how to configure them")

    from reverie.cli import _mcp

    _mcp.add_parser(sub)

    local = _command(
        sub, "local", "reverie.cli._local:main", "the built-in local model: status or install"
    )
    local.add_argument("action", choices=("status", "install"))
    local.add_argument("--model", default="smollm2", help="which known model (default smollm2)")
    return parser


def _command(sub: Any, name: str, handler: str, help_text: str) -> argparse.ArgumentParser:
    """A subcommand whose handler (``module:function``) is imported only when it runs."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    parser.set_defaults(handler=handler)
    return parser


def _agent_options(parser: argparse.ArgumentParser) -> None:
    """The options of the commands that run an agent (``run``, ``chat``)."""
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
    parser.add_argument(
        "--base-url", help="the provider's endpoint (else its <PROVIDER>_BASE_URL variable)"
    )
    parser.add_argument(
        "--api-key", help="the provider's key (better: its environment variable, see models)"
    )
    from reverie.cli._mcp_client import add_agent_options

    add_agent_options(parser)
    _log_options(parser)


def _log_options(parser: argparse.ArgumentParser) -> None:
    """Where the commands that run an agent log it (:mod:`reverie.cli._logs`)."""
    parser.add_argument(
        "--db", help="the run log: a SQLite file or postgresql:// URL (default: see logs path)"
    )
    parser.add_argument("--no-log", action="store_true", help="do not log this run")


_LIBRARY_HINT = re.compile(r"\b(api_key|base_url)=")


def cli_hint(message: str) -> str:
    """A library message with its Python hints (``pass api_key=...``) as the options that
    do the same here (``--api-key``)."""
    return _LIBRARY_HINT.sub(lambda m: "--" + m.group(1).replace("_", "-") + " ", message)


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    from reverie.errors import ConfigurationError

    module, _, function = str(args.handler).partition(":")
    try:
        handler = getattr(importlib.import_module(module), function)
        code: int = handler(args)
        return code
    except ConfigurationError as exc:
        print(f"reverie {args.command}: {cli_hint(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nreverie {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``reverie models | head``): stop quietly, as Unix tools do;
        # and keep Python from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        from reverie.cli._logs import close_logs

        close_logs()  # the command's runs are in the log before it returns


if __name__ == "__main__":
    sys.exit(main())
