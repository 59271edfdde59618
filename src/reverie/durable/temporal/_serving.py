"""The agents this process's workers serve, by name: what workflows and activities look up.

A workflow or activity carries only names across Temporal (the agent's, the model's
``"provider:model-id"``, the tools'); the worker that runs it finds the objects here. The
workflow sandbox passes ``reverie`` through (see :mod:`reverie.durable.temporal`), so the
workflow code sees this very table, filled by :class:`~reverie.durable.temporal.AgentWorker`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from threading import Lock

from reverie.agent import Agent
from reverie.errors import ConfigurationError
from reverie.model import LanguageModel
from reverie.tool import FunctionTool


@dataclass(frozen=True, slots=True)
class Served:
    """One agent as a worker serves it, with the settings its activities are scheduled with."""

    agent: Agent
    models: Mapping[str, LanguageModel] = field(default_factory=dict[str, LanguageModel])
    heartbeat_timeout: timedelta = timedelta(seconds=30)
    model_attempt_timeout: timedelta = timedelta(seconds=1260)
    tool_attempts: int = 3
    max_tool_time: timedelta = timedelta(hours=1)

    def model(self, name: str) -> LanguageModel:
        """The model named ``"provider:model-id"``: the agent's own, one the worker was given,
        else one built by name (from the worker's environment: keys, base URLs)."""
        own = self.agent.model
        if name == f"{own.provider}:{own.model_id}":
            return own
        given = self.models.get(name)
        if given is not None:
            return given
        from reverie.providers import get_model

        return get_model(name)

    def tool(self, name: str) -> FunctionTool:
        """The tool a call names: the agent's, or its structured-output tool."""
        tool = self.agent.tools.get(name)
        if tool is not None:
            return tool
        output = self.agent.output
        if output is not None and name == output.tool_name:
            return output.start().tool
        raise ConfigurationError(
            f"this worker's agent has no tool {name!r} (it has: "
            f"{', '.join(self.agent.tools) or 'none'}); every worker on a task queue must "
            "serve the same agents with the same tools"
        )


_SERVED: dict[str, list[Served]] = {}
_LOCK = Lock()


def serve(name: str, served: Served) -> None:
    """Make ``served`` available under ``name`` (several workers may serve the same agent)."""
    with _LOCK:
        entries = _SERVED.setdefault(name, [])
        if entries and entries[0].agent is not served.agent:
            raise ConfigurationError(
                f"this process already serves another agent named {name!r}; give each agent "
                "its own name"
            )
        entries.append(served)


def unserve(name: str, served: Served) -> None:
    with _LOCK:
        entries = _SERVED.get(name, [])
        if served in entries:
            entries.remove(served)
        if not entries:
            _SERVED.pop(name, None)


def served(name: str) -> Served:
    """The agent served under ``name``; ConfigurationError when this process serves none."""
    entries = _SERVED.get(name)
    if not entries:
        known = ", ".join(sorted(_SERVED)) or "none"
        raise ConfigurationError(
            f"no worker in this process serves an agent named {name!r} (served: {known}); "
            "start an AgentWorker for it on the run's task queue"
        )
    return entries[0]
