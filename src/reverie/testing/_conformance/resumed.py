"""Scenarios run in pieces: the run state saved, read back as JSON, resumed by a fresh agent.

The exactness bar of the run state: a run interrupted at any pause and continued elsewhere
sends the requests the uninterrupted run sends. ``reverie check --resume steps`` replays each
conversation with a pause at every step boundary; ``--resume approvals`` with an approval
pause before every tool call as well (every call approved). Between pieces the state goes
through ``RunState.to_json`` / ``RunState.from_json`` and a new agent (on a new model object)
takes over, so nothing survives in memory but what the JSON holds. (The one thing shared
is the replay's Gemini tool-call id counter, the stand-in for the ids Gemini leaves to the
client: a real run uses fresh UUIDs in any process.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, TypeAlias

from reverie.agent import Agent
from reverie.content import FilePart, Message
from reverie.run_state import RunResult, RunState
from reverie.testing._conformance.scenarios import Failure

ResumeMode: TypeAlias = Literal["steps", "approvals"]
RESUME_MODES: tuple[ResumeMode, ...] = ("steps", "approvals")


async def run_in_pieces(
    make_agent: Callable[[], Agent],
    prompt: str | Sequence[Message],
    streaming: bool,
    *,
    files: Sequence[FilePart] = (),
    history: RunState | None = None,
) -> RunResult:
    """One agent run, paused and resumed through JSON until it finishes (see the module
    docstring). ``make_agent`` builds a fresh, identically configured agent each time (with
    ``requires_approval=True`` for the approvals mode)."""
    state = make_agent().start(prompt, files=files, history=history)
    pieces = 0
    while True:
        loaded = RunState.from_json(state.to_json())
        if loaded != state:
            raise Failure("the run state read back from JSON differs from the one written")
        state = loaded
        agent = make_agent()
        approvals = [call.approve() for call in state.pending if call.kind == "approval"]
        # After approvals: run the calls and pause again at the step boundary, before the
        # next model call, so that boundary is crossed through JSON too.
        after = 0 if approvals else 1
        if streaming:
            stream = agent.resume_stream(state, approvals=approvals, pause_after_steps=after)
            result = await stream.collect()
        else:
            result = await agent.resume(state, approvals=approvals, pause_after_steps=after)
        assert result.state is not None
        if result.status == "finished":
            return result
        pieces += 1
        if pieces > 100:
            raise RuntimeError("the run did not finish in 100 pieces")
        state = result.state
