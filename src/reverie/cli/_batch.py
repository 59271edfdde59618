"""``reverie batch`` and ``reverie worker``: one agent over a JSONL file of prompts.

::

    reverie batch prompts.jsonl -m openai:gpt-4o-mini --out results.jsonl --concurrency 16 \\
        --rps 5 --tpm 200000 [--tool tools.py:fn] [--output-type schema.py:Ticket]

runs the rows in this process and appends one line per row to ``--out`` as it finishes
(:mod:`reverie.batch`); running it again skips the rows done and retries the failed ones.
A progress line on stderr shows rows done, the rate, errors, tokens (and cost when known).

With ``--durable postgresql://...`` the rows go on a DBOS queue in that database; this
process works on them, and so does every ``reverie worker --durable postgresql://...``
started anywhere that reaches the database. Each row runs once; a killed worker's rows are
taken over. ``--no-work`` only enqueues and collects.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from typing import Any

from reverie.errors import ConfigurationError


def add_batch_command(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="INPUT.jsonl", help="one prompt (or object) per line")
    parser.add_argument("--out", required=True, metavar="RESULTS.jsonl", help="where rows go")
    parser.add_argument("-m", "--model", help="provider:model (default as for reverie run)")
    parser.add_argument("-s", "--system", help="system prompt")
    parser.add_argument(
        "-t", "--tool", action="append", default=[], metavar="MODULE:FUNCTION",
        help="a Python function to offer as a tool (repeatable); module or file.py",
    )  # fmt: skip
    parser.add_argument(
        "--output-type",
        metavar="MODULE:CLASS|FILE.json",
        help="a structured output per row: a pydantic model (module:Class, file.py:Class) "
        "or a JSON schema file",
    )
    parser.add_argument("--max-tokens", type=int, help="maximum output tokens per step")
    parser.add_argument("--temperature", type=float, help="sampling temperature")
    parser.add_argument("--base-url", help="the provider's endpoint")
    parser.add_argument("--api-key", help="the provider's key (better: its variable)")
    _work_options(parser)
    parser.add_argument("--rps", type=float, help="requests per second to the provider, at most")
    parser.add_argument("--tpm", type=int, help="tokens per minute from the provider, at most")
    parser.add_argument(
        "--retries", type=int, default=2, help="tries again of a failed model call (default 2)"
    )
    parser.add_argument(
        "--batch-id", help="with --durable: the batch's id (default: from --out and the setup)"
    )
    parser.add_argument(
        "--no-work",
        action="store_true",
        help="with --durable: only enqueue and collect; workers do the rows",
    )


def add_worker_command(parser: argparse.ArgumentParser) -> None:
    _work_options(parser)
    parser.add_argument(
        "--until-idle", action="store_true", help="exit once no row is queued or running"
    )
    parser.add_argument("--api-key", help="the provider's key (better: its variable)")


def _work_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--concurrency", type=int, default=8, help="rows at a time in this process (default 8)"
    )
    parser.add_argument(
        "--durable",
        metavar="URL",
        default=os.environ.get("REVERIE_DURABLE") or None,
        help="a Postgres database (postgresql://...) whose queue holds the rows",
    )


def batch_main(args: argparse.Namespace) -> int:
    from reverie._loading import absolute_spec
    from reverie.batch import BatchSpec
    from reverie.cli._agent import choose_model

    spec = BatchSpec(
        choose_model(args.model),
        system=args.system,
        tools=tuple(absolute_spec(t) for t in args.tool),
        output_type=absolute_spec(args.output_type) if args.output_type else None,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        base_url=args.base_url,
        requests_per_second=args.rps,
        tokens_per_minute=args.tpm,
        retries=args.retries,
    )
    bar = ProgressLine()
    if args.durable:
        from reverie.batch import run_batch_durable

        summary = asyncio.run(
            run_batch_durable(
                spec,
                args.input,
                args.out,
                args.durable,
                concurrency=args.concurrency,
                batch_id=args.batch_id,
                work_here=not args.no_work,
                progress=bar.show,
                api_key=args.api_key,
            )
        )
    else:
        if args.no_work or args.batch_id:
            raise ConfigurationError("--no-work and --batch-id go with --durable")
        from reverie.batch import run_batch

        runner: Any = spec.agent(args.api_key)
        summary = asyncio.run(
            run_batch(runner, args.input, args.out, concurrency=args.concurrency, progress=bar.show)
        )
    bar.end()
    print(
        f"reverie batch: {summary.done} row(s) run, {summary.skipped} skipped (done before), "
        f"{summary.errors} failed; results in {args.out}",
        file=sys.stderr,
    )
    return 1 if summary.errors else 0


def worker_main(args: argparse.Namespace) -> int:
    if not args.durable:
        raise ConfigurationError(
            "reverie worker needs --durable postgresql://... (or REVERIE_DURABLE)"
        )
    from reverie.batch import work
    from reverie.cli._durable import register_cli_agent

    register_cli_agent(args.api_key)  # a worker may also take over a command line's run

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(f"reverie worker: working on {_shown(args.durable)}", file=sys.stderr, flush=True)
        await work(
            args.durable,
            concurrency=args.concurrency,
            until_idle=args.until_idle,
            stop=stop,
            api_key=args.api_key,
        )

    asyncio.run(main())
    return 0


def _shown(url: str) -> str:
    from reverie.durable.dbos import display_database

    return display_database(url)


class ProgressLine:
    """``rows 120/1000 · 14.2/s · 3 errors · 52,310 tokens · $0.0312`` on stderr: redrawn
    in place on a terminal, a line every few seconds (and the last) otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._last = 0.0
        self._text = ""

    def show(self, progress: Any) -> None:
        done = progress.skipped + progress.done
        parts = [f"rows {done}/{progress.total}", f"{progress.rate:.1f}/s"]
        parts.append(f"{progress.errors} error{'s' if progress.errors != 1 else ''}")
        parts.append(f"{progress.tokens:,} tokens")
        if progress.cost is not None:
            parts.append(f"${progress.cost:.4f}")
        self._text = " · ".join(parts)
        now = time.monotonic()
        if self.tty:
            sys.stderr.write("\r\033[2K" + self._text)
            sys.stderr.flush()
        elif now - self._last >= 2.0 or progress.finished:
            print(self._text, file=sys.stderr, flush=True)
            self._last = now

    def end(self) -> None:
        if self.tty and self._text:
            sys.stderr.write("\n")
            sys.stderr.flush()
