"""The driver: performs what the state machine asks, through an :class:`~reverie.effects.Effects`.

One loop for every way a run is driven (generate, stream, resume; in memory or under a
durable engine): read the next action from the state (:mod:`reverie._machine`), do it,
fold its outcome in, yield the events. The agent's own hooks (``prepare_step``, stop
conditions, the approval policy, structured output) are asked here, in the same order an
uninterrupted run asks them, so a run resumed from a saved state sends the same requests.

Observers (:mod:`reverie.observe`) are told of what happens through a
:class:`~reverie._watch.Watch`: the agent wraps the events, the model effect calls the
request's ``on_attempt`` before each attempt, and each tool's task calls ``tool_start`` and
``tool_end`` around the tool effect. Nothing else here knows about them.

The agent's toolsets (:mod:`reverie.toolset`) are open for the whole drive and listed for
each step's model; a resumed open step lists them again so that its pending calls find
their tools.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from reverie import _machine as machine
from reverie._deadline import RunDeadline
from reverie._machine import evolve
from reverie._start import check_tools
from reverie._steps import Step, StepContext, StepOverrides, StopReason
from reverie._tool_calls import maybe_await, run_call
from reverie._watch import NO_WATCH, Watch
from reverie.content import ErrorOutput, Message, ToolCallPart, ToolResultPart
from reverie.content import system as system_message
from reverie.effects import Effects, ModelOutcome, ModelRequest, ToolOutcome, ToolRequest
from reverie.events import AgentEvent, RunFinish, RunPaused, StepFinish, StepStart, ToolResult
from reverie.model import Call, FinishReason, LanguageModel, ToolChoice
from reverie.run_state import CallState, RunResult, RunState
from reverie.tool import FunctionTool
from reverie.toolset import Toolset, step_tools, with_toolsets

if TYPE_CHECKING:
    from reverie._steps import PrepareStep, StopCondition
    from reverie.approval import ApprovalPolicy
    from reverie.model import ProviderTool
    from reverie.output._agent import AgentOutput, OutputRun


class Agent(Protocol):
    """What the driver reads of :class:`reverie.agent.Agent` (its settings; the driver
    knows the agent by this shape, not by import, so the agent module sits above it)."""

    @property
    def model(self) -> LanguageModel: ...
    @property
    def system(self) -> str | None: ...
    @property
    def tools(self) -> Mapping[str, FunctionTool]: ...
    @property
    def provider_tools(self) -> tuple[ProviderTool, ...]: ...
    @property
    def tool_choice(self) -> ToolChoice | None: ...
    @property
    def stop_when(self) -> tuple[StopCondition, ...]: ...
    @property
    def prepare_step(self) -> PrepareStep | None: ...
    @property
    def max_tool_concurrency(self) -> int: ...
    @property
    def requires_approval(self) -> ApprovalPolicy: ...
    @property
    def output(self) -> AgentOutput | None: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def provider_options(self) -> Mapping[str, Mapping[str, Any]]: ...
    @property
    def settings(self) -> Mapping[str, Any]: ...
    @property
    def run_timeout(self) -> float | None: ...
    @property
    def max_input_tokens(self) -> int | None: ...
    @property
    def toolsets(self) -> tuple[Toolset, ...]: ...


def drive(
    agent: Agent,
    state: RunState,
    effects: Effects,
    *,
    streaming: bool,
    pause_after_steps: int | None = None,
    watch: Watch = NO_WATCH,
) -> AsyncGenerator[AgentEvent, None]:
    """Run ``state`` on until it finishes or pauses; the last event is a ``RunFinish``.
    ``watch`` hears of model attempts and tool runs (the caller shows it the events).

    The agent's toolsets are entered before the first event and left after the last (or
    when the consumer closes the events early, after the run's tool calls are cancelled)."""
    events = _drive(agent, state, effects, streaming, pause_after_steps, watch)
    return with_toolsets(agent.toolsets, events) if agent.toolsets else events


async def _drive(
    agent: Agent,
    state: RunState,
    effects: Effects,
    streaming: bool,
    pause_after_steps: int | None,
    watch: Watch,
) -> AsyncGenerator[AgentEvent, None]:
    output = agent.output.start() if agent.output is not None else None
    if output is not None:
        await output.restore(state.steps, state.open_step, state.output_forced, state.finished)
    tools = run_tools(agent, output)
    if agent.toolsets and state.open_step is not None:
        # A resumed step: its calls run with the toolsets' tools as listed now (renamed on
        # collision as the step was), and a call waiting on a tool that is gone is refused
        # before anything runs. The step's own model (prepare_step's) is not kept in the
        # state; the listing only shapes schemas, which running a call does not use.
        listed = await step_tools(agent.tools, agent.toolsets, agent.model)
        tools = run_tools(agent, output, listed)
        check_tools(tools, state)
    deadline = RunDeadline(agent.run_timeout)
    model_calls = 0
    while True:
        action = machine.next_action(state)
        if isinstance(action, machine.CallModel):
            if pause_after_steps is not None and model_calls >= pause_after_steps:
                yield RunFinish(_result(state, "paused"))
                return
            model_calls += 1
            number = action.number
            plan = await plan_step(agent, number, state.steps, state.messages, output)
            name = f"{plan.model.provider}:{plan.model.model_id}"
            if name != state.model:
                state = evolve(state, model=name)
            if agent.toolsets:
                # The step's calls run with the tools the toolsets listed for it; the state
                # names them all, as it names the agent's own.
                tools = run_tools(agent, output, plan.listed)
                if tuple(plan.listed) != state.tools:
                    state = evolve(state, tools=tuple(plan.listed))
            yield StepStart(number)
            request = ModelRequest(
                state.run_id,
                number,
                plan.model,
                plan.call,
                plan.tools,
                plan.messages,
                plan.system,
                streaming,
                run_timeout=agent.run_timeout,
                time_left=deadline.left(),
                max_input_tokens=agent.max_input_tokens,
                on_attempt=watch.model_attempt if watch.watching else None,
            )
            outcome: ModelOutcome | None = None
            # The effect keeps the run's time limit (request.time_left): it knows what it
            # is waiting for (a count, the model, a retry wait) and says so when it runs out.
            items = effects.call_model(request)
            try:
                async for item in items:
                    if isinstance(item, ModelOutcome):
                        outcome = item
                        continue
                    yield item
                    if output is not None:
                        for partial in output.observe(item):
                            yield partial
            finally:
                # Close the model's HTTP stream now if the run is abandoned, not whenever
                # the garbage collector finalizes the effect on another task.
                aclose = getattr(items, "aclose", None)
                if aclose is not None:
                    await aclose()
            if outcome is None:
                raise RuntimeError("the model effect ended without an outcome")
            state = machine.open_step(
                state, number, outcome, classifier(agent, plan.tools), plan.model
            )
        elif isinstance(action, machine.RunCalls):
            assert state.open_step is not None  # RunCalls comes from the open step
            number = state.open_step.number
            runs = _run_calls(
                state.run_id,
                number,
                action.calls,
                tools,
                effects,
                agent.max_tool_concurrency,
                output,
                watch,
            )
            async with aclosing(deadline.iterate(runs, "running tools")) as settled:
                async for call_id, result in settled:
                    state = machine.settle(state, call_id, result)
                    if isinstance(result, ToolResultPart):
                        yield ToolResult(result)
        elif isinstance(action, machine.Pause):
            yield RunPaused(action.pending)
            yield RunFinish(_result(state, "paused"))
            return
        elif isinstance(action, machine.CloseStep):
            state, step = machine.close_step(state)
            yield StepFinish(step)
            stop = should_stop(agent, state.steps, step)
            if stop:
                reason = stop if isinstance(stop, StopReason) else None
                # A budget stops the run as it is: no extra step to get the output.
                if (
                    output is not None
                    and not _is_budget(reason)
                    and await output.wants_final_step(
                        step.text, len(_client_calls(step)), step.usage, step.finish_reason
                    )
                ):
                    state = evolve(state, output_forced=True)
                    continue  # one more step, forced to give the structured output
                state = evolve(state, finished=True, stopped_by=reason)
        else:
            value = None
            if output is not None and not (_is_budget(state.stopped_by) and not output.has_value):
                last = state.steps[-1]
                value = output.require(last.text, state.usage, last.finish_reason)
            yield RunFinish(_result(state, "finished", value))
            return


# ---------------------------------------------------------------------------------------
# The agent's hooks, asked in the order an uninterrupted run asks them


@dataclass(frozen=True, slots=True)
class StepPlan:
    model: LanguageModel
    messages: tuple[Message, ...]
    system: str | None
    call: Call
    tools: dict[str, FunctionTool]
    """The tools offered in this step (after ``prepare_step``), the output tool included."""
    listed: Mapping[str, FunctionTool]
    """Every tool the agent had for this step: its own and its toolsets', before
    ``prepare_step`` chose the active ones."""


async def plan_step(
    agent: Agent,
    number: int,
    steps: tuple[Step, ...],
    messages: tuple[Message, ...],
    output: OutputRun | None,
) -> StepPlan:
    """Step ``number``'s model, messages, tools and call, after ``prepare_step``; the
    toolsets are listed for the model it chose (their tools can be made active too)."""
    model = agent.model
    system = agent.system
    tool_choice: ToolChoice | None = agent.tool_choice
    provider_tools = agent.provider_tools
    overrides: StepOverrides | None = None
    if agent.prepare_step is not None:
        overrides = await maybe_await(
            agent.prepare_step(StepContext(number, steps, model, messages))
        )
        if overrides is not None:
            model = overrides.model or model
    listed = agent.tools
    if agent.toolsets:
        listed = await step_tools(agent.tools, agent.toolsets, model)
    tools = listed
    if overrides is not None:
        if overrides.messages is not None:
            messages = tuple(overrides.messages)
        if overrides.system is not None:
            system = overrides.system
            messages = _replace_system(messages, system)
        if overrides.tool_choice is not None:
            tool_choice = overrides.tool_choice
        if not overrides.tools_enabled:
            tools, provider_tools = {}, ()
        elif overrides.active_tools is not None:
            active = set(overrides.active_tools)
            tools = {n: t for n, t in tools.items() if n in active}
            provider_tools = tuple(t for t in provider_tools if t.name in active)
    call = Call(
        messages=messages,
        tools=(*(t.spec for t in tools.values()), *provider_tools),
        tool_choice=("auto" if tools or provider_tools else None)
        if tool_choice is None
        else tool_choice,
        headers=agent.headers,
        provider_options=agent.provider_options,
        **agent.settings,
    )
    if output is not None:
        call, tools = output.prepare(model, call, tools, tool_choice is not None)
    return StepPlan(model, messages, system, call, dict(tools), listed)


def should_stop(agent: Agent, steps: tuple[Step, ...], step: Step) -> bool | StopReason:
    """After ``step``: the run ends when the step made no client tool call or was cut off by
    the output token limit (``length``): True, the model is done. It also ends, though the
    model would go on, when a tool asked to end the turn or a stop condition holds: then
    the answer says why (``RunResult.stopped_by``). False: go on. Any other finish reason
    goes on: some servers say ``stop`` with complete calls."""
    if not _client_calls(step) or step.finish_reason == FinishReason.LENGTH:
        return True
    for r in step.tool_results:
        if r.stop_turn:
            return StopReason("tool", f"the tool {r.tool_name!r} ended the turn")
    for cond in agent.stop_when:
        verdict = cond(steps)
        if isinstance(verdict, StopReason):
            return verdict
        if verdict:
            return StopReason("condition", "a stop_when condition held")
    return False


def classifier(
    agent: Agent, tools: Mapping[str, FunctionTool]
) -> Callable[[ToolCallPart, dict[str, Any]], machine.Classification]:
    """Whether a valid call runs now, waits for approval, or waits for an external result:
    per the tool's ``requires_approval``, the agent's, and ``external``."""
    policy = agent.requires_approval
    output_tool = agent.output.tool_name if agent.output is not None else None

    def classify(call: ToolCallPart, arguments: dict[str, Any]) -> machine.Classification:
        tool = tools.get(call.tool_name)
        if tool is None or call.tool_name == output_tool:
            return "ready"
        if tool.needs_approval(arguments) or (
            policy(call.tool_name, arguments) if callable(policy) else policy
        ):
            return "approval"
        return "external" if tool.external else "ready"

    return classify


def run_tools(
    agent: Agent, output: OutputRun | None, listed: Mapping[str, FunctionTool] | None = None
) -> dict[str, FunctionTool]:
    """Every tool a call of this run may name: the agent's (with its toolsets' tools, when
    ``listed`` for the step), and the output tool."""
    tools = agent.tools if listed is None else listed
    if output is None:
        return dict(tools)
    return {**tools, output.tool.name: output.tool}


def _replace_system(messages: tuple[Message, ...], system: str) -> tuple[Message, ...]:
    if messages and messages[0].role == "system":
        return (system_message(system), *messages[1:])
    return (system_message(system), *messages)


# ---------------------------------------------------------------------------------------
# Effects


async def _run_calls(
    run_id: str,
    step: int,
    calls: tuple[CallState, ...],
    tools: Mapping[str, FunctionTool],
    effects: Effects,
    max_concurrency: int,
    output: OutputRun | None,
    watch: Watch = NO_WATCH,
) -> AsyncGenerator[tuple[str, ToolOutcome], None]:
    """Run the ready calls concurrently (at most ``max_concurrency`` at once) and yield each
    call's outcome in call order; answered calls are delivered as they are. ``watch`` hears
    of each tool effect from inside the task that runs it.

    The structured-output tool is not an effect: it only validates the model's answer (and
    keeps it for the result), so it runs here, also when an engine replays the others."""
    limit = asyncio.Semaphore(max_concurrency)

    async def run_one(item: CallState) -> ToolOutcome:
        call = item.call
        tool = tools.get(call.tool_name)
        if tool is None:
            names = ", ".join(tools) or "none"
            message = f"tool not found: {call.tool_name}. Available tools: {names}"
            return ToolResultPart(call.tool_call_id, call.tool_name, ErrorOutput(message))
        if output is not None and tool is output.tool:
            return await watched(call, run_call(call, item.arguments(), tool))
        async with limit:
            request = ToolRequest(run_id, step, call, item.arguments(), tool)
            return await watched(call, effects.call_tool(request))

    async def watched(call: ToolCallPart, work: Awaitable[ToolOutcome]) -> ToolOutcome:
        if not watch.watching:
            return await work
        outcome: ToolOutcome | None = None
        watch.tool_start(call)
        try:
            outcome = await work
            return outcome
        finally:
            watch.tool_end(call, outcome)

    tasks = {
        c.call.tool_call_id: asyncio.ensure_future(run_one(c)) for c in calls if c.status == "ready"
    }
    try:
        for item in calls:
            call_id = item.call.tool_call_id
            task = tasks.get(call_id)
            if task is not None:
                yield call_id, await task
            elif item.result is not None:
                yield call_id, item.result
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)


def _is_budget(reason: StopReason | None) -> bool:
    return reason is not None and reason.kind == "budget"


def _client_calls(step: Step) -> list[Any]:
    return [c for c in step.tool_calls if not c.provider_executed]


def _result(state: RunState, status: Literal["finished", "paused"], value: Any = None) -> RunResult:
    return RunResult(
        steps=state.steps,
        usage=state.usage,
        messages=state.messages,
        output=value,
        status=status,
        pending=state.pending,
        state=state,
        stopped_by=state.stopped_by,
    )
