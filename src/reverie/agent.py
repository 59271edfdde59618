"""The agent: call the model, run the tools it asks for, feed results back, repeat.

::

    agent = Agent("cerebras:qwen-3-coder-480b", system="You are helpful.", tools=[add, multiply])
    result = await agent.generate("Add and multiply 2 and 3")
    async for event in agent.stream("..."): ...
    result = agent.generate_sync("...")          # also inside a running loop (notebooks)

The loop, identical for ``generate``, ``stream`` and ``resume`` (a state machine over a
:class:`~reverie.run_state.RunState`: :mod:`reverie._machine`, driven by
:mod:`reverie._driver` through :mod:`reverie.effects`):

1. ``prepare_step`` may change the model, messages, system prompt, tool choice and active
   tools for this step.
2. The model is called (its stream consumed, in ``stream``).
3. Each client tool call is validated: the tool exists, the arguments are a JSON object
   with every required key and of the right types. A failing call is repaired, by the
   user's ``repair_tool_call`` hook when given, else by JSON repair; a call that stays
   invalid is answered with an error result and never executed.
4. Valid calls run concurrently (at most ``max_tool_concurrency`` at once; sync tools in
   worker threads); results keep call order. A tool's exception is an error result. Calls
   are run whatever the step's finish reason (some servers say ``stop`` with complete tool
   calls), except those a ``length`` finish cut off, which get an error result.
5. A call that needs approval (the tool's ``requires_approval``, or the agent's), or an
   external one, is not run: once the other calls have run, the run pauses. The result's
   ``status`` is ``"paused"``, ``pending`` lists the calls, and :meth:`Agent.resume`
   continues from ``result.state`` with the answers (:mod:`reverie.approval`).
6. The loop continues only while the step made client tool calls, was not cut off by the
   token limit, no tool asked to stop the turn, and no stop condition holds (by default: 20
   steps).

Toolsets (``tools=[..., MCPServerStdio(...)]``, :mod:`reverie.toolset`) are entered around
every run, or once for several with ``async with agent:``, and asked for their tools before
every step with that step's model.

A run's state can be saved at any pause (``result.state.to_json()``) and resumed in another
process, exactly: the next request is the one the uninterrupted run would have sent.
``pause_after_steps`` pauses at a step boundary; ``history=`` continues a conversation from a
finished run's state, result or messages.

With an ``output_type``, the run ends with a validated structured output in
``RunResult.output`` (how it is asked for and repaired: :mod:`reverie.output._agent`).

A step's model call is retried on transient failures (see :mod:`reverie.retry`); in a stream a
``Retry`` event comes first, so consumers can drop what they showed of the failed attempt.

Time limits: ``tool_timeout`` is the default limit of one tool call (a tool's own
``timeout`` wins; see :mod:`reverie.tool`); ``run_timeout`` bounds the whole run (each
:meth:`Agent.resume` of it), retries, waits and tools included, and raises
:class:`~reverie.errors.RunTimeoutError` when it runs out. Both are off by default.

``observers`` watch each run from beside the loop (:mod:`reverie.observe`; OpenTelemetry in
:mod:`reverie.otel`), in ``generate``, ``stream`` and each ``resume`` of a paused run alike;
``budget`` stops a run once its cost or tokens reach a limit (:mod:`reverie.cost`). Why a
run stopped before the model was done is ``RunResult.stopped_by``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from reverie import _machine, _sync
from reverie._deadline import check_timeout
from reverie._driver import drive
from reverie._start import check_tools, input_messages
from reverie._steps import (
    DEFAULT_MAX_STEPS,
    PrepareStep,
    RepairContext,
    RepairToolCall,
    Step,
    StepContext,
    StepOverrides,
    StopCondition,
    StopReason,
    finish_reason_is,
    has_tool_call,
    max_tokens_used,
    step_count_is,
)
from reverie._watch import NO_WATCH, Watch
from reverie.approval import Approval, ApprovalPolicy, Denial, ExternalResult
from reverie.content import FilePart, Message, ProviderData
from reverie.effects import Effects, LocalEffects
from reverie.errors import ConfigurationError
from reverie.events import AgentEvent, RunFinish
from reverie.model import LanguageModel, ProviderTool, ToolChoice
from reverie.observe import Observer, RunInfo
from reverie.retry import RetryPolicy
from reverie.run_state import RunResult, RunState
from reverie.tool import FunctionTool
from reverie.toolset import Toolset, open_toolsets

__all__ = [
    "Agent",
    "AgentStream",
    "PrepareStep",
    "RepairContext",
    "RepairToolCall",
    "RunResult",
    "Step",
    "StepContext",
    "StepOverrides",
    "StopCondition",
    "StopReason",
    "finish_reason_is",
    "has_tool_call",
    "max_tokens_used",
    "step_count_is",
]

if TYPE_CHECKING:
    from reverie.cost import Budget
    from reverie.output._agent import AgentOutput
    from reverie.output._modes import ObjectMode
    from reverie.output._parse import RepairText
    from reverie.sessions import Session


class Agent:
    """A model, a system prompt and tools, run in a loop until the task is done.

    ``model`` is a :class:`~reverie.model.LanguageModel` or a name such as
    ``"openai:gpt-4o"``. Sampling settings (``max_output_tokens``, ``temperature``, ...),
    ``headers`` and ``provider_options`` go to every call. See the module docstring for the
    loop's rules.

    ``output_type`` (a pydantic model, dataclass, TypedDict or JSON schema dict) makes the
    run end with a validated structured output in ``RunResult.output``, asked for per
    ``output_mode`` and repaired by ``repair_output``; see :mod:`reverie.output._agent`.

    ``requires_approval`` is the agent's approval policy, on top of each tool's own: True
    makes every tool call wait for approval; a predicate ``(tool name, arguments) -> bool``
    picks the calls.

    ``observers`` watch every run (:mod:`reverie.observe`); ``budget``
    (:class:`~reverie.cost.Budget`) stops a run at a cost or token limit, in addition to
    ``stop_when``.

    ``tools`` takes functions, :class:`~reverie.tool.FunctionTool` objects and toolsets
    (:class:`~reverie.toolset.Toolset`, such as an MCP server). ``async with agent:`` keeps
    the toolsets open across runs; without it, each run opens and closes them.

    ``max_input_tokens`` refuses, before sending, a model call whose input would exceed it
    (:class:`~reverie.errors.ContextTooLargeError`); the count is the provider's where it
    has a counting endpoint (one extra request per step), else an estimate
    (:mod:`reverie.tokens`).
    """

    def __init__(
        self,
        model: LanguageModel | str,
        *,
        system: str | None = None,
        tools: Iterable[FunctionTool | Toolset | Callable[..., Any]] = (),
        provider_tools: Iterable[ProviderTool] = (),
        max_output_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        tool_choice: ToolChoice | None = None,
        stop_when: StopCondition | Sequence[StopCondition] | None = None,
        prepare_step: PrepareStep | None = None,
        repair_tool_call: RepairToolCall | None = None,
        max_tool_concurrency: int = 8,
        tool_timeout: float | None = None,
        run_timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        provider_options: ProviderData | None = None,
        output_type: Any = None,
        output_mode: ObjectMode = "auto",
        repair_output: RepairText | None = None,
        requires_approval: ApprovalPolicy = False,
        observers: Sequence[Observer] = (),
        budget: Budget | None = None,
        max_input_tokens: int | None = None,
    ) -> None:
        if isinstance(model, str):
            from reverie.providers import get_model

            model = get_model(model)
        self.model: LanguageModel = model
        self.system = system
        self.tools: dict[str, FunctionTool] = {}
        toolsets: list[Toolset] = []
        for t in tools:
            if isinstance(t, Toolset):
                toolsets.append(t)
                continue
            ft = t if isinstance(t, FunctionTool) else FunctionTool(t)
            if ft.name in self.tools:
                raise ConfigurationError(
                    f"two tools are named {ft.name!r}; tool names must be unique"
                )
            self.tools[ft.name] = ft
        self.toolsets: tuple[Toolset, ...] = tuple(toolsets)
        self._held_open: list[AsyncExitStack] = []
        self.provider_tools = tuple(provider_tools)
        self.settings: dict[str, Any] = {
            "max_output_tokens": max_output_tokens,
            "temperature": temperature,
            "top_p": top_p,
            "top_k": top_k,
            "presence_penalty": presence_penalty,
            "frequency_penalty": frequency_penalty,
        }
        self.tool_choice: ToolChoice | None = tool_choice
        if stop_when is None:
            self.stop_when: tuple[StopCondition, ...] = (step_count_is(DEFAULT_MAX_STEPS),)
        elif callable(stop_when):
            self.stop_when = (stop_when,)
        else:
            self.stop_when = tuple(stop_when)
        if budget is not None:
            self.stop_when = (*self.stop_when, budget)
        self.budget = budget
        self.observers: tuple[Observer, ...] = tuple(observers)
        if os.environ.get("REVERIE_LOG"):  # REVERIE_LOG=1 logs every run (reverie.runlog)
            from reverie.runlog import environment_log

            if (log := environment_log(self.observers)) is not None:
                self.observers = (*self.observers, log)
        self.prepare_step = prepare_step
        self.repair_tool_call = repair_tool_call
        if max_tool_concurrency < 1:
            raise ConfigurationError("max_tool_concurrency must be at least 1")
        self.max_tool_concurrency = max_tool_concurrency
        self.tool_timeout = check_timeout(tool_timeout, "tool_timeout")
        self.run_timeout = check_timeout(run_timeout, "run_timeout")
        self.retry = retry if retry is not None else RetryPolicy()
        self.headers = dict(headers or {})
        self.provider_options = dict(provider_options or {})
        self.requires_approval: bool | Callable[[str, Mapping[str, Any]], bool] = requires_approval
        # Counted before each model call (reverie.tokens); over it, the call is not sent.
        self.max_input_tokens = max_input_tokens
        self.output: AgentOutput | None = None
        if output_type is not None:
            from reverie.output._agent import AgentOutput

            self.output = AgentOutput(output_type, output_mode, repair_output)

    async def __aenter__(self) -> Agent:
        """Open the agent's toolsets (MCP servers) once for the runs inside, rather than
        around each run. Re-entrant: each ``async with`` is left in turn."""
        self._held_open.append(await open_toolsets(self.toolsets))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._held_open.pop().aclose()

    # -- public entry points ------------------------------------------------------------

    async def generate(
        self,
        prompt: str | Sequence[Message] = "",
        *,
        files: Sequence[FilePart] = (),
        history: RunState | RunResult | Sequence[Message] | None = None,
        run_id: str | None = None,
        pause_after_steps: int | None = None,
        session: Session | None = None,
    ) -> RunResult:
        """Run until the run finishes or pauses, and return it. Raises on provider failure.

        ``history`` continues a conversation (a finished run's state or result, or messages);
        ``session`` continues a stored one and adds this run's turn to it once the run
        finishes (:mod:`reverie.sessions`); ``pause_after_steps`` pauses at the step
        boundary after that many model calls.
        """
        if session is not None:
            from reverie.sessions._runs import begin

            start = begin(self.start, self.system, session, prompt, files, history, run_id)
            state = await start
        else:
            state = self.start(prompt, files=files, history=history, run_id=run_id)
        return await self.resume(state, pause_after_steps=pause_after_steps, session=session)

    def stream(
        self,
        prompt: str | Sequence[Message] = "",
        *,
        files: Sequence[FilePart] = (),
        history: RunState | RunResult | Sequence[Message] | None = None,
        run_id: str | None = None,
        pause_after_steps: int | None = None,
        session: Session | None = None,
    ) -> AgentStream:
        """Run and yield events as they happen; ``async for`` over the returned stream.

        After iteration, ``stream.result`` holds the :class:`RunResult`. A run that pauses
        yields ``RunPaused`` (the calls it waits on), then ``RunFinish``, and ends.
        ``session`` as for :meth:`generate` (it is loaded when iteration begins).
        """
        if session is not None:
            from reverie.sessions._runs import session_events

            def drive(state: RunState) -> AsyncGenerator[AgentEvent, None]:
                return self._drive(state, (), (), None, True, pause_after_steps)

            start = (self.start, self.system, prompt, files, history, run_id)
            return AgentStream(session_events(session, start, drive))
        state = self.start(prompt, files=files, history=history, run_id=run_id)
        return self.resume_stream(state, pause_after_steps=pause_after_steps)

    def generate_sync(
        self,
        prompt: str | Sequence[Message] = "",
        *,
        files: Sequence[FilePart] = (),
        history: RunState | RunResult | Sequence[Message] | None = None,
        run_id: str | None = None,
        pause_after_steps: int | None = None,
        session: Session | None = None,
    ) -> RunResult:
        """:meth:`generate` for synchronous code; works inside a running event loop too."""
        return _sync.run(
            self.generate(
                prompt,
                files=files,
                history=history,
                run_id=run_id,
                pause_after_steps=pause_after_steps,
                session=session,
            )
        )

    async def resume(
        self,
        state: RunState,
        *,
        approvals: Iterable[Approval | Denial] = (),
        results: Iterable[ExternalResult] = (),
        effects: Effects | None = None,
        pause_after_steps: int | None = None,
        session: Session | None = None,
    ) -> RunResult:
        """Go on with a run from ``state``, answering its pending calls first.

        ``approvals`` approve or deny pending calls (``call.approve()``, ``call.deny(why)``);
        ``results`` give external calls their results (``call.answer(value)``). An answer
        whose fingerprint does not match the call raises :class:`~reverie.errors.ApprovalError`
        before anything runs. Calls left unanswered keep the run paused on them. ``effects``
        performs model and tool calls (default: :class:`~reverie.effects.LocalEffects`, in
        this process; durable engines pass their own). ``session`` is the session the run
        was started with: its turn is added to it when the run finishes.
        """
        result: RunResult | None = None
        events = self._drive(state, approvals, results, effects, False, pause_after_steps)
        if session is not None:
            from reverie.sessions._runs import following

            events = following(state, session, events)
        async for event in events:
            if isinstance(event, RunFinish):
                result = event.result
        assert result is not None
        return result

    def resume_stream(
        self,
        state: RunState,
        *,
        approvals: Iterable[Approval | Denial] = (),
        results: Iterable[ExternalResult] = (),
        effects: Effects | None = None,
        pause_after_steps: int | None = None,
        session: Session | None = None,
    ) -> AgentStream:
        """:meth:`resume`, yielding events as they happen (as :meth:`stream` does)."""
        events = self._drive(state, approvals, results, effects, True, pause_after_steps)
        if session is not None:
            from reverie.sessions._runs import following

            events = following(state, session, events)
        return AgentStream(events)

    def resume_sync(
        self,
        state: RunState,
        *,
        approvals: Iterable[Approval | Denial] = (),
        results: Iterable[ExternalResult] = (),
        pause_after_steps: int | None = None,
        session: Session | None = None,
    ) -> RunResult:
        """:meth:`resume` for synchronous code."""
        return _sync.run(
            self.resume(
                state,
                approvals=approvals,
                results=results,
                pause_after_steps=pause_after_steps,
                session=session,
            )
        )

    def start(
        self,
        prompt: str | Sequence[Message] = "",
        *,
        files: Sequence[FilePart] = (),
        history: RunState | RunResult | Sequence[Message] | None = None,
        run_id: str | None = None,
    ) -> RunState:
        """The state of a run that has not made its first call yet (nothing is sent).

        :meth:`generate` is ``resume(start(...))``. With ``history``, the run continues that
        conversation: its messages come first (the agent's system prompt is put before them
        unless they begin with a system message), then the prompt and files.
        """
        messages = input_messages(self.system, prompt, files, history)
        return RunState(
            run_id=run_id or f"run_{uuid.uuid4().hex}",
            input=messages,
            model=f"{self.model.provider}:{self.model.model_id}",
            tools=tuple(self.tools),
        )

    # -- the loop --------------------------------------------------------------------------

    def _drive(
        self,
        state: RunState,
        approvals: Iterable[Approval | Denial],
        results: Iterable[ExternalResult],
        effects: Effects | None,
        streaming: bool,
        pause_after_steps: int | None,
    ) -> AsyncGenerator[AgentEvent, None]:
        if pause_after_steps is not None and pause_after_steps < 0:
            raise ConfigurationError("pause_after_steps must be 0 or more")
        state = _machine.decide(state, approvals, results)
        if not self.toolsets:  # else the driver checks, once the toolsets have listed theirs
            output_tool = () if self.output is None else (self.output.tool_name,)
            check_tools((*self.tools, *output_tool), state)
        if effects is None:
            effects = LocalEffects(self.retry, self.repair_tool_call, self.tool_timeout)
        # Observers are asked now (when generate is called or the stream is returned); with
        # none watching, the run is the driver's bare generator: nothing more per event.
        watch = NO_WATCH
        if self.observers:
            watch = Watch(self.observers, RunInfo(self, self.model, streaming, state))
            watch.start()
        pause = pause_after_steps
        events = drive(
            self, state, effects, streaming=streaming, pause_after_steps=pause, watch=watch
        )
        return watch.observe(events) if watch.watching else events


class AgentStream:
    """The events of one agent run, iterated with ``async for``; ``result`` once done.

    Cancelling the task, or closing the stream (``await stream.aclose()``, or
    ``async with agent.stream(...) as stream:``), closes the model's HTTP response and
    cancels running tools before it returns. Merely leaving the loop early (``break``)
    leaves the closing to Python's async-generator finalizer, which runs it on the event
    loop's next turn; use ``async with`` when it must happen at once.
    """

    def __init__(self, events: AsyncGenerator[AgentEvent, None]) -> None:
        self._events = events
        self.result: RunResult | None = None

    def __aiter__(self) -> AsyncGenerator[AgentEvent, None]:
        # A generator per loop, so that a bare ``break`` drops it and its finalizer closes
        # the run even while the caller still holds this object (to read ``result``).
        return self._iterate()

    async def _iterate(self) -> AsyncGenerator[AgentEvent, None]:
        try:
            async for event in self._events:
                if isinstance(event, RunFinish):
                    self.result = event.result
                yield event
        finally:
            await self._events.aclose()

    async def aclose(self) -> None:
        """Stop the run now: close the HTTP response and cancel running tools."""
        await self._events.aclose()

    async def __aenter__(self) -> AgentStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def collect(self) -> RunResult:
        """Consume the remaining events and return the result."""
        async for _ in self:
            pass
        assert self.result is not None
        return self.result
