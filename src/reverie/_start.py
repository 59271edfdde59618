"""Where a run starts: its input messages, and the tools a resumed state needs.

A new run's input is the agent's system prompt, then the prompt (text and files, or
messages). A continued conversation's input is the earlier conversation (a finished run's
state or result, or messages), the system prompt put first only when it has none, then the
prompt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reverie.content import FilePart, Message
from reverie.content import system as system_message
from reverie.content import user as user_message
from reverie.errors import ConfigurationError
from reverie.run_state import RunResult, RunState


def input_messages(
    system: str | None,
    prompt: str | Sequence[Message],
    files: Sequence[FilePart],
    history: RunState | RunResult | Sequence[Message] | None,
) -> tuple[Message, ...]:
    """The messages a run starts from (see the module docstring)."""
    messages: list[Message] = []
    if history is None:
        if system:
            messages.append(system_message(system))
    else:
        if isinstance(history, RunResult) and history.state is not None:
            history = history.state
        if isinstance(history, RunState) and history.open_step is not None:
            raise ConfigurationError(
                "that run is paused on pending tool calls: resume it (agent.resume) before "
                "continuing the conversation"
            )
        if isinstance(history, RunState | RunResult):
            messages.extend(history.messages)
        else:
            messages.extend(history)
        if system and not (messages and messages[0].role == "system"):
            messages.insert(0, system_message(system))
    if isinstance(prompt, str):
        if prompt or files:
            messages.append(user_message(prompt, *files))
    else:
        messages.extend(prompt)
        if files:
            messages.append(Message("user", tuple(files)))
    if not any(m.role != "system" for m in messages):
        raise ConfigurationError("the agent needs a prompt or messages to answer")
    return tuple(messages)


def check_tools(tools: Iterable[str], state: RunState) -> None:
    """A call that will run needs its tool among ``tools`` (the agent's, with its output
    tool): a state names tools, it does not carry them."""
    if state.open_step is None:
        return
    names = set(tools)
    missing = sorted(
        {
            c.call.tool_name
            for c in state.open_step.calls
            if c.status in ("ready", "approval") and c.call.tool_name not in names
        }
    )
    if missing:
        raise ConfigurationError(
            f"the run waits on calls to {', '.join(missing)}, which this agent does not have: "
            "resume it with an agent that has the same tools"
        )
