"""The worker side: :class:`AgentWorker` serves agents on a task queue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from reverie.agent import Agent
from reverie.durable.temporal._activities import call_model, call_tool
from reverie.durable.temporal._serving import Served, serve, unserve
from reverie.durable.temporal._workflow import AgentWorkflow
from reverie.errors import ConfigurationError
from reverie.model import LanguageModel

DEFAULT_TASK_QUEUE = "reverie"
DEFAULT_AGENT = "default"

_PASSTHROUGH = ("reverie", "orjson", "json_repair", "typing_inspection")
"""reverie, and what its workflow code may import on first use (pydantic loads some of its
modules lazily; the sandbox passes pydantic through, and must pass these through too)."""


def sandbox_restrictions() -> SandboxRestrictions:
    """Temporal's default sandbox with ``reverie`` passed through (see
    :mod:`reverie.durable.temporal` for why): for a worker of your own that runs the agent
    workflow beside other workflows."""
    return SandboxRestrictions.default.with_passthrough_modules(*_PASSTHROUGH)


def _prime(agent: Agent) -> None:
    """Do outside the sandbox what the workflow would otherwise do first inside it. pydantic
    loads its submodules on first use, with ``importlib`` (which the sandbox does not see),
    so a first use inside a workflow would run their module code against the sandbox's
    restricted stand-ins (``threading``) and fail; tool schemas are built lazily too."""
    import pydantic
    import pydantic_core

    for name in ("BaseModel", "Field", "TypeAdapter", "ValidationError", "create_model"):
        getattr(pydantic, name)
    pydantic_core.from_json  # noqa: B018  # pyright: ignore[reportUnusedExpression]
    for tool in agent.tools.values():
        tool.spec  # noqa: B018  # pyright: ignore[reportUnusedExpression]
    if agent.output is not None:
        agent.output.start().tool.spec  # noqa: B018  # pyright: ignore[reportUnusedExpression]


class AgentWorker:
    """A Temporal worker that runs agent runs on ``task_queue``: the agent workflow and its
    model and tool activities.

    ::

        async with AgentWorker(client, agent, task_queue="agents"):
            ...                                   # or: await AgentWorker(...).run()

    ``agents`` is one agent (served as ``"default"``) or a mapping of names to agents; a run
    names the agent it wants (:func:`start_run`). Every worker on a task queue must serve
    the same agents with the same tools: any of them may run any step of any run. Only names
    cross Temporal; the worker rebuilds the rest: the agent's own model, a model in
    ``models`` (for ``prepare_step`` hooks that switch models: keyed ``"provider:model-id"``),
    else the model built by that name from the worker's environment.

    ``heartbeat_timeout`` is how soon a dead worker's activity is tried elsewhere;
    ``model_attempt_timeout`` bounds one attempt of a model call (a backstop above the model's
    own request timeouts); ``max_tool_time`` bounds a tool that has no time limit of its own;
    ``tool_attempts`` is how many times a tool call is tried when workers die under it (a
    tool's own failure is its error result and is not retried). Other keyword arguments go
    to :class:`temporalio.worker.Worker`.
    """

    def __init__(
        self,
        client: Client,
        agents: Agent | Mapping[str, Agent],
        *,
        task_queue: str = DEFAULT_TASK_QUEUE,
        models: Sequence[LanguageModel] = (),
        heartbeat_timeout: timedelta = timedelta(seconds=30),
        model_attempt_timeout: timedelta = timedelta(seconds=1260),
        max_tool_time: timedelta = timedelta(hours=1),
        tool_attempts: int = 3,
        **worker_options: Any,
    ) -> None:
        named = {DEFAULT_AGENT: agents} if isinstance(agents, Agent) else dict(agents)
        if not named:
            raise ConfigurationError("AgentWorker needs at least one agent to serve")
        if tool_attempts < 1:
            raise ConfigurationError("tool_attempts must be at least 1")
        for agent in named.values():
            _prime(agent)
        by_name = {f"{m.provider}:{m.model_id}": m for m in models}
        self._served = {
            name: Served(
                agent,
                by_name,
                heartbeat_timeout,
                model_attempt_timeout,
                tool_attempts,
                max_tool_time,
            )
            for name, agent in named.items()
        }
        worker_options.setdefault(
            "workflow_runner", SandboxedWorkflowRunner(restrictions=sandbox_restrictions())
        )
        self.worker = Worker(
            client,
            task_queue=task_queue,
            workflows=[AgentWorkflow],
            activities=[call_model, call_tool],
            **worker_options,
        )
        self._registered = False

    def _register(self) -> None:
        if not self._registered:
            done: list[str] = []
            try:
                for name, served in self._served.items():
                    serve(name, served)
                    done.append(name)
            except ConfigurationError:
                for name in done:
                    unserve(name, self._served[name])
                raise
            self._registered = True

    def _unregister(self) -> None:
        if self._registered:
            for name, served in self._served.items():
                unserve(name, served)
            self._registered = False

    async def run(self) -> None:
        """Serve until cancelled or :meth:`shutdown`."""
        self._register()
        try:
            await self.worker.run()
        finally:
            self._unregister()

    async def shutdown(self) -> None:
        """Stop polling, let running activities finish (per the worker's graceful timeout)."""
        await self.worker.shutdown()

    async def __aenter__(self) -> AgentWorker:
        self._register()
        try:
            await self.worker.__aenter__()
        except BaseException:
            self._unregister()
            raise
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            await self.worker.__aexit__(*exc_info)
        finally:
            self._unregister()
