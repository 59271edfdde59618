"""Human in the loop on the command line: ``reverie run --approve`` and ``reverie resume``.

``reverie run PROMPT --approve`` asks ``y/n`` on stdin (the tool and its arguments shown on
stderr) before each call to a tool marked as needing approval; ``--approve all`` before every
tool call. An external tool's result is asked for the same way. A "no" is a denial: the model
is told and the run goes on.

``--save-state FILE`` is for non-interactive use: instead of asking, the run stops at the
first pause, writes its state to FILE, lists the calls it waits on, and exits with status 3.
``reverie resume FILE --approve ID --deny ID[=REASON] --result ID=TEXT`` answers them and
goes on (pausing again writes the state back, to FILE or ``--save-state``). The state file
remembers how the agent was set up (model, system prompt, ``--tool`` specs, ``--mcp`` and
``--mcp-url`` servers, settings), so ``resume`` needs nothing else (it starts the MCP servers
again, and a call waiting on one of their tools runs there once approved); API keys come
from the environment, never from the file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from reverie.agent import Agent
from reverie.approval import Approval, Denial, ExternalResult, PendingCall
from reverie.cli._agent import build_agent, choose_model, describe
from reverie.cli._console import Console
from reverie.cli._render import EventPrinter, event_json
from reverie.content import ErrorOutput
from reverie.errors import ConfigurationError, DataFormatError, ReverieError
from reverie.events import RunFinish
from reverie.run_state import RunResult, RunState

EXIT_PAUSED = 3
"""The exit status of a run that stopped to wait (its state saved)."""

ApproveMode = Literal["marked", "all"]


@dataclass(frozen=True, slots=True)
class Setup:
    """How the CLI built the agent; kept in the state's metadata under ``"cli"``."""

    model: str
    system: str | None
    tools: tuple[str, ...]
    max_tokens: int | None
    temperature: float | None
    approve: ApproveMode
    base_url: str | None = None
    mcp: tuple[str, ...] = ()
    mcp_url: tuple[str, ...] = ()

    def agent(
        self, api_key: str | None = None, db: str | None = None, no_log: bool = False
    ) -> Agent:
        """The agent, built as ``reverie run`` builds it, MCP servers included (a key comes
        from the environment, or from ``api_key``: never from the saved state); it logs to
        ``db`` (the run log's default when None) unless ``no_log``."""
        options = argparse.Namespace(
            model=self.model,
            system=self.system,
            tool=list(self.tools),
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            base_url=self.base_url,
            api_key=api_key,
            mcp=list(self.mcp),
            mcp_url=list(self.mcp_url),
            db=db,
            no_log=no_log,
        )
        agent = build_agent(options)
        agent.requires_approval = self.approve == "all"
        return agent

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "system": self.system,
            "tools": list(self.tools),
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "approve": self.approve,
            "base_url": self.base_url,
            **({"mcp": list(self.mcp)} if self.mcp else {}),
            **({"mcp_url": list(self.mcp_url)} if self.mcp_url else {}),
        }

    @classmethod
    def from_state(cls, state: RunState) -> Setup:
        data: Any = state.metadata.get("cli")
        if not isinstance(data, dict):
            raise ConfigurationError(
                "this run state was not saved by `reverie run --save-state`, so the CLI does "
                "not know the agent to resume it with; resume it from Python (agent.resume)"
            )
        info: dict[str, Any] = data  # pyright: ignore[reportUnknownVariableType]
        return cls(
            str(info.get("model") or state.model),
            info.get("system"),
            tuple(str(t) for t in info.get("tools", [])),
            info.get("max_tokens"),
            info.get("temperature"),
            "all" if info.get("approve") == "all" else "marked",
            info.get("base_url"),
            tuple(str(c) for c in info.get("mcp", [])),
            tuple(str(u) for u in info.get("mcp_url", [])),
        )


def run_approving(args: argparse.Namespace) -> int:
    """``reverie run`` with ``--approve`` and/or ``--save-state``."""
    setup = Setup(
        choose_model(args.model),
        args.system,
        tuple(args.tool),
        args.max_tokens,
        args.temperature,
        args.approve or "marked",
        args.base_url,
        tuple(args.mcp),
        tuple(args.mcp_url),
    )
    agent = setup.agent(args.api_key, args.db, args.no_log)
    state = agent.start(args.prompt).with_metadata(cli=setup.to_json())
    ask = args.save_state is None and args.approve is not None
    return _main(agent, state, (), (), as_json=args.json, ask=ask, save_to=args.save_state)


def resume_main(args: argparse.Namespace) -> int:
    """The ``reverie resume`` handler."""
    return resume_saved(
        args.state,
        approve=args.approve,
        deny=args.deny,
        results=args.result,
        ask=args.ask,
        as_json=args.json,
        save_state=args.save_state,
        db=args.db,
        no_log=args.no_log,
    )


def resume_saved(
    path: str,
    *,
    approve: Sequence[str],
    deny: Sequence[str],
    results: Sequence[str],
    ask: bool,
    as_json: bool,
    save_state: str | None,
    db: str | None = None,
    no_log: bool = False,
) -> int:
    """``reverie resume FILE``: answer the calls the saved run waits on, and go on (logged
    to ``db`` as the same run, unless ``no_log``)."""
    try:
        state = RunState.from_json(Path(path).read_bytes())
    except OSError as exc:
        raise ConfigurationError(f"cannot read the run state {path}: {exc.strerror}") from exc
    except DataFormatError as exc:
        raise ConfigurationError(f"{path} is not a run state reverie can read: {exc}") from exc
    if state.finished:
        print(f"reverie: the run in {path} has finished; nothing to resume", file=sys.stderr)
        return 0
    pending = {p.id: p for p in state.pending}

    def find(call_id: str, option: str) -> PendingCall:
        call = pending.get(call_id)
        if call is None:
            waiting = ", ".join(pending) or "none"
            raise ConfigurationError(
                f"{option} {call_id}: no such pending call (waiting: {waiting})"
            )
        return call

    approvals: list[Approval | Denial] = [find(i, "--approve").approve() for i in approve]
    for spec in deny:
        call_id, _, reason = spec.partition("=")
        approvals.append(find(call_id, "--deny").deny(reason))
    given: list[ExternalResult] = []
    for spec in results:
        call_id, sep, text = spec.partition("=")
        if not sep:
            raise ConfigurationError(f"--result {spec!r} must look like ID=TEXT")
        given.append(find(call_id, "--result").answer(text))
    setup = Setup.from_state(state)
    agent = setup.agent(db=db, no_log=no_log)
    return _main(
        agent, state, approvals, given, as_json=as_json, ask=ask, save_to=save_state or path
    )


def _main(
    agent: Agent,
    state: RunState,
    approvals: Sequence[Approval | Denial],
    results: Sequence[ExternalResult],
    *,
    as_json: bool,
    ask: bool,
    save_to: str | None,
) -> int:
    out = Console(sys.stdout)
    info = out if out.rich else Console(sys.stderr, rich=False)
    printer = None if as_json else EventPrinter(out, info)
    if printer is not None:
        info.line(describe(agent.model), "bold")
    try:
        result, seconds = asyncio.run(_drive(agent, state, approvals, results, printer, ask=ask))
    except ReverieError as exc:
        print(f"reverie: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nreverie: interrupted", file=sys.stderr)
        return 130
    assert result.state is not None
    if save_to is not None:
        Path(save_to).write_text(result.state.to_json())
    if printer is not None:
        printer.finish(result, seconds)
    if result.status == "finished":
        return 0
    _explain_pause(result, save_to)
    return EXIT_PAUSED


async def _drive(
    agent: Agent,
    state: RunState,
    approvals: Sequence[Approval | Denial],
    results: Sequence[ExternalResult],
    printer: EventPrinter | None,
    *,
    ask: bool,
) -> tuple[RunResult, float]:
    """Stream the run; when it pauses and ``ask`` is set, ask on stdin and go on."""
    started = time.perf_counter()
    while True:
        stream = agent.resume_stream(state, approvals=approvals, results=results)
        result: RunResult | None = None
        async for event in stream:
            if printer is None:
                data = event_json(event)
                if data is not None:
                    sys.stdout.write(json.dumps(data) + "\n")
                    sys.stdout.flush()
            else:
                printer.event(event)
            if isinstance(event, RunFinish):
                result = event.result
        assert result is not None
        assert result.state is not None
        if result.status == "finished" or not ask or not result.pending:
            return result, time.perf_counter() - started
        state = result.state
        approvals, results = await asyncio.to_thread(_ask, result.pending)


def _ask(pending: Sequence[PendingCall]) -> tuple[list[Approval | Denial], list[ExternalResult]]:
    """One question per pending call on stderr, answered on stdin (piped input works)."""
    approvals: list[Approval | Denial] = []
    results: list[ExternalResult] = []
    for call in pending:
        shown = f"{call.tool_name}({json.dumps(dict(call.arguments), ensure_ascii=False)})"
        if call.kind == "approval":
            sys.stderr.write(f"approve {shown}? [y/N] ")
            sys.stderr.flush()
            line = sys.stdin.readline()
            if line.strip().lower() in ("y", "yes"):
                approvals.append(call.approve())
            else:
                why = "the user said no" if line else "no answer was given"
                approvals.append(call.deny(why))
        else:
            sys.stderr.write(f"result of {shown}: ")
            sys.stderr.flush()
            line = sys.stdin.readline()
            output: Any = line.rstrip("\n") if line else ErrorOutput("no result was given")
            results.append(call.answer(output))
    return approvals, results


def _explain_pause(result: RunResult, saved: str | None) -> None:
    lines = [f"paused: {len(result.pending)} tool call(s) wait"]
    for call in result.pending:
        arguments = json.dumps(dict(call.arguments), ensure_ascii=False)
        lines.append(f"  {call.id}  {call.tool_name}({arguments})  [{call.kind}]")
    if saved is None:
        lines.append("run with --approve to be asked, or --save-state FILE to answer later")
    else:
        first = result.pending[0].id if result.pending else "ID"
        lines.append(f"state saved to {saved}; go on with:")
        lines.append(f"  reverie resume {saved} --approve {first}   (or --deny {first}=REASON)")
    print("\n".join(lines), file=sys.stderr)
