"""Agents known to this process by name, so that any process can run a durable run.

A durable run is resumed by whichever process picks it up (the same command run again, a
worker, another machine): that process builds the agent again from the name the run was
started with and the run's JSON ``config``. Each process registers the same names, at import
time or before it starts its engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from reverie.agent import Agent
from reverie.errors import ConfigurationError

__all__ = ["AgentFactory", "build_agent", "register_agent", "registered"]

AgentFactory: TypeAlias = Callable[[Mapping[str, Any]], Agent]
"""Builds the agent of a durable run from the run's JSON ``config`` (``{}`` when none was
given). It must build the same agent every time for the same config: the run replays through
it."""

_factories: dict[str, AgentFactory] = {}


def register_agent(name: str, agent: Agent | AgentFactory) -> None:
    """Make ``name`` known: an :class:`~reverie.Agent` (every run of it uses that agent), or
    a factory (see :data:`AgentFactory`). Registering a name again replaces it."""
    if not name:
        raise ConfigurationError("a durable agent needs a non-empty name")
    if isinstance(agent, Agent):
        fixed = agent
        _factories[name] = lambda _config: fixed
    elif callable(agent):
        _factories[name] = agent
    else:
        raise ConfigurationError(f"register {name!r} with an Agent or a function that builds one")


def registered(name: str) -> bool:
    return name in _factories


def build_agent(name: str, config: Mapping[str, Any]) -> Agent:
    """The agent ``name`` builds for ``config``."""
    factory = _factories.get(name)
    if factory is None:
        known = ", ".join(sorted(_factories)) or "none"
        raise ConfigurationError(
            f"this process does not know the durable agent {name!r} (known: {known}); "
            "register it (register_agent) in every process that may run it, before starting"
        )
    agent = factory(config)
    if not isinstance(agent, Agent):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigurationError(f"the factory of durable agent {name!r} did not return an Agent")
    return agent
