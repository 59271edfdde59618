"""How a run continues a session and adds its turn: the agent's side of sessions.

A run started with ``session=`` records, in its state's metadata under
:data:`SESSION_KEY`, the session's id and how many of its input messages came before the
prompt (the loaded conversation, and the system prompt). The run's turn is every message
after those. The record travels with the state, so a run that pauses and is resumed
later, in another process, still adds exactly its own turn when it finishes.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from contextlib import aclosing
from typing import Any, cast

from reverie.content import FilePart, Message
from reverie.errors import ConfigurationError
from reverie.events import AgentEvent, RunFinish
from reverie.run_state import RunResult, RunState
from reverie.sessions._base import Session, Turn

__all__ = [
    "SESSION_KEY",
    "begin",
    "check",
    "following",
    "session_events",
    "session_id",
    "turn_of",
    "with_turn",
]

SESSION_KEY = "reverie.session"
"""The key of a run state's metadata that ties the run to its session."""


Start = Callable[..., RunState]
Starting = tuple[Start, str | None, str | Sequence[Message], Sequence[FilePart], object, str | None]
"""What :func:`begin` takes besides the session: the agent's ``start`` and ``system``, the
prompt, files, history and run id."""


async def begin(
    start: Start,
    system: str | None,
    session: Session,
    prompt: str | Sequence[Message],
    files: Sequence[FilePart],
    history: object,
    run_id: str | None,
) -> RunState:
    """The state of a new run continuing ``session`` (``start`` is the agent's
    :meth:`~reverie.agent.Agent.start`), tied to the session (see the module docstring)."""
    if history is not None:
        raise ConfigurationError(
            "give history= or session=, not both: the session holds the conversation"
        )
    loaded = tuple(await session.load())
    state = start(prompt, files=files, history=loaded, run_id=run_id)
    # The agent's system prompt goes first unless the conversation starts with its own.
    before = len(loaded) + (1 if system and not (loaded and loaded[0].role == "system") else 0)
    return state.with_metadata(**{SESSION_KEY: {"id": session.id, "history": before}})


def _record(state: RunState) -> Mapping[str, Any] | None:
    value = state.metadata.get(SESSION_KEY)
    return cast(Mapping[str, Any], value) if isinstance(value, Mapping) else None


def session_id(state: RunState) -> str | None:
    """The id of the session the run continues, None when it continues none."""
    record = _record(state)
    return None if record is None else str(record.get("id"))


def turn_of(result: RunResult) -> Turn | None:
    """The turn a finished run made in its session; None when it paused or has none."""
    state = result.state
    if result.status != "finished" or state is None:
        return None
    record = _record(state)
    if record is None:
        return None
    before = record.get("history", 0)
    messages = state.messages[before if isinstance(before, int) else 0 :]
    context = None
    if result.steps:
        last = result.steps[-1].usage
        counted = last.input_tokens + last.cache_read_tokens + last.cache_write_tokens
        context = (counted + last.output_tokens) or None
    return Turn(tuple(messages), state.run_id, result.usage, context)


def check(state: RunState, session: Session) -> None:
    """A resumed run adds its turn only to the session it was started in."""
    started_in = session_id(state)
    if started_in is None:
        raise ConfigurationError(
            f"this run was not started with a session, so it cannot add a turn to "
            f"{session.id!r}: resume it without session="
        )
    if started_in != session.id:
        raise ConfigurationError(
            f"this run continues session {started_in!r}, not {session.id!r}: resume it "
            "with the session it was started with"
        )


async def with_turn(
    events: AsyncGenerator[AgentEvent, None], session: Session
) -> AsyncGenerator[AgentEvent, None]:
    """``events``, the run's turn appended to ``session`` before its ``RunFinish`` is
    yielded (so a caller that stops at the finish still has the session saved)."""
    async with aclosing(events):
        async for event in events:
            if isinstance(event, RunFinish):
                turn = turn_of(event.result)
                if turn is not None:
                    await session.append(turn)
            yield event


def following(
    state: RunState, session: Session, events: AsyncGenerator[AgentEvent, None]
) -> AsyncGenerator[AgentEvent, None]:
    """``events`` of a run started with ``session`` (checked), its turn added when it
    finishes."""
    check(state, session)
    return with_turn(events, session)


async def session_events(
    session: Session,
    start: tuple[
        Start, str | None, str | Sequence[Message], Sequence[FilePart], object, str | None
    ],
    drive: Callable[[RunState], AsyncGenerator[AgentEvent, None]],
) -> AsyncGenerator[AgentEvent, None]:
    """The events of a streamed run continuing ``session``: loading the session is its
    first await. ``start`` is what :func:`begin` takes besides the session; ``drive`` runs
    a state (the agent's loop)."""
    agent_start, system, prompt, files, history, run_id = start
    state = await begin(agent_start, system, session, prompt, files, history, run_id)
    async with aclosing(following(state, session, drive(state))) as run:
        async for event in run:
            yield event
