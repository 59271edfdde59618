"""The agent: call the model, run the tools it asks for, feed results back, repeat.

::

    agent = Agent("cerebras:qwen-3-coder-480b", system="You are helpful.", tools=[add, multiply])
    result = await agent.generate("Add and multiply 2 and 3")
    async for event in agent.stream("..."): ...
    result = agent.generate_sync("...")          # also inside a running loop (notebooks)

The loop, identical for ``generate`` and ``stream``:

1. ``prepare_step`` may change the model, messages, system prompt, tool choice and active
   tools for this step.
2. The model is called (its stream consumed, in ``stream``).
3. Each client tool call is validated: the tool exists, the arguments are a JSON object
   with every required key and of the right types. A failing call is repaired, by the
   user's ``repair_tool_call`` hook when given, else by JSON repair; a call that stays
   invalid is answered with an error result and never executed.
4. Valid calls run concurrently (at most ``max_tool_concurrency`` at once; sync tools in
   worker threads); results keep call order. A tool's exception is an error result.
5. The loop continues only while the step made client tool calls, finished with
   ``tool-calls``, no tool asked to stop the turn, and no stop condition holds (by
   default: 20 steps).

With an ``output_type``, the run ends with a validated structured output in
``RunResult.output`` (how it is asked for and repaired: :mod:`reverie.output._agent`).

A step's model call is retried on transient failures (see :mod:`reverie.retry`); in a stream a
``Retry`` event comes first, so consumers can drop what they showed of the failed attempt.

Time limits: ``tool_timeout`` is the default limit of one tool call (a tool's own
``timeout`` wins; see :mod:`reverie.tool`); ``run_timeout`` bounds the whole run, retries,
waits and tools included (see :mod:`reverie._deadline`), and raises
:class:`~reverie.errors.RunTimeoutError` when it runs out. Both are off by default.
"""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reverie import _sync
from reverie._accumulate import ResponseAccumulator, response_events
from reverie._deadline import RunDeadline, check_timeout
from reverie._redact import seal
from reverie._steps import (
    DEFAULT_MAX_STEPS,
    PrepareStep,
    RepairContext,
    RepairToolCall,
    RunResult,
    Step,
    StepContext,
    StepOverrides,
    StopCondition,
    finish_reason_is,
    has_tool_call,
    make_step,
    max_tokens_used,
    step_count_is,
)
from reverie._tool_calls import Checked, check_call, cut_off, execute_calls, maybe_await, unique_id
from reverie.content import (
    FilePart,
    Message,
    ProviderData,
    ToolResultPart,
)
from reverie.content import (
    system as system_message,
)
from reverie.content import (
    user as user_message,
)
from reverie.errors import ConfigurationError
from reverie.events import (
    AgentEvent,
    Retry,
    RunFinish,
    StepFinish,
    StepStart,
    ToolCall,
    ToolResult,
)
from reverie.model import (
    Call,
    FinishReason,
    LanguageModel,
    ProviderTool,
    Response,
    ToolChoice,
    Usage,
)
from reverie.retry import RetryPolicy
from reverie.tokens import check_input_limit
from reverie.tool import FunctionTool

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
    "finish_reason_is",
    "has_tool_call",
    "max_tokens_used",
    "step_count_is",
]

if TYPE_CHECKING:
    from reverie.output._agent import AgentOutput, OutputRun
    from reverie.output._modes import ObjectMode
    from reverie.output._parse import RepairText

# ---------------------------------------------------------------------------------------
# The agent


@dataclass(frozen=True, slots=True)
class _StepPlan:
    model: LanguageModel
    messages: tuple[Message, ...]
    system: str | None
    call: Call
    tools: dict[str, FunctionTool]


class Agent:
    """A model, a system prompt and tools, run in a loop until the task is done.

    ``model`` is a :class:`~reverie.model.LanguageModel` or a name such as
    ``"openai:gpt-4o"``. Sampling settings (``max_output_tokens``, ``temperature``, ...),
    ``headers`` and ``provider_options`` go to every call. See the module docstring for the
    loop's rules.

    ``output_type`` (a pydantic model, dataclass, TypedDict or JSON schema dict) makes the
    run end with a validated structured output in ``RunResult.output``, asked for per
    ``output_mode`` and repaired by ``repair_output``; see :mod:`reverie.output._agent`.

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
        tools: Iterable[FunctionTool | Callable[..., Any]] = (),
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
        max_input_tokens: int | None = None,
    ) -> None:
        if isinstance(model, str):
            from reverie.providers import get_model

            model = get_model(model)
        self.model: LanguageModel = model
        self.system = system
        self.tools: dict[str, FunctionTool] = {}
        for t in tools:
            ft = t if isinstance(t, FunctionTool) else FunctionTool(t)
            if ft.name in self.tools:
                raise ConfigurationError(
                    f"two tools are named {ft.name!r}; tool names must be unique"
                )
            self.tools[ft.name] = ft
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
        # Counted before each model call (reverie.tokens); over it, the call is not sent.
        self.max_input_tokens = max_input_tokens
        self.output: AgentOutput | None = None
        if output_type is not None:
            from reverie.output._agent import AgentOutput

            self.output = AgentOutput(output_type, output_mode, repair_output)

    # -- public entry points ------------------------------------------------------------

    async def generate(
        self, prompt: str | Sequence[Message] = "", *, files: Sequence[FilePart] = ()
    ) -> RunResult:
        """Run to completion and return every step. Raises on provider failure."""
        result: RunResult | None = None
        async for event in self._run(prompt, files, streaming=False):
            if isinstance(event, RunFinish):
                result = event.result
        assert result is not None
        return result

    def stream(
        self, prompt: str | Sequence[Message] = "", *, files: Sequence[FilePart] = ()
    ) -> AgentStream:
        """Run and yield events as they happen; ``async for`` over the returned stream.

        After iteration, ``stream.result`` holds the :class:`RunResult`.
        """
        return AgentStream(self._run(prompt, files, streaming=True))

    def generate_sync(
        self, prompt: str | Sequence[Message] = "", *, files: Sequence[FilePart] = ()
    ) -> RunResult:
        """:meth:`generate` for synchronous code; works inside a running event loop too."""
        return _sync.run(self.generate(prompt, files=files))

    # -- the loop --------------------------------------------------------------------------

    def _initial_messages(
        self, prompt: str | Sequence[Message], files: Sequence[FilePart]
    ) -> tuple[Message, ...]:
        messages: list[Message] = []
        if self.system:
            messages.append(system_message(self.system))
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

    async def _run(
        self, prompt: str | Sequence[Message], files: Sequence[FilePart], *, streaming: bool
    ) -> AsyncGenerator[AgentEvent, None]:
        initial = self._initial_messages(prompt, files)
        deadline = RunDeadline(self.run_timeout)
        history: list[Message] = []
        steps: list[Step] = []
        output = self.output.start() if self.output is not None else None
        while True:
            plan = await self._plan(len(steps), tuple(steps), initial + tuple(history), output)
            yield StepStart(len(steps))
            acc = ResponseAccumulator()
            checked: list[Checked] = []
            # aclosing: an abandoned run closes the model's HTTP stream now, not whenever
            # the garbage collector finalizes the inner generator on another task.
            async with aclosing(self._call_model(plan, streaming, deadline)) as model_events:
                async for event in model_events:
                    if isinstance(event, Retry):
                        acc = ResponseAccumulator()
                        checked.clear()
                    elif isinstance(event, ToolCall) and not event.call.provider_executed:
                        ok = await check_call(
                            unique_id(event.call, checked),
                            plan.tools,
                            self.repair_tool_call,
                            plan.messages,
                            plan.system,
                        )
                        checked.append(ok)
                        event = ToolCall(ok.call)
                        acc.add(event)
                    else:
                        acc.add(event)
                    yield event
                    if output is not None:
                        for partial in output.observe(event):
                            yield partial
            response = acc.response()
            if response.finish_reason == FinishReason.LENGTH:
                checked = [cut_off(c) for c in checked]
            results: list[ToolResultPart] = []
            async with aclosing(
                execute_calls(checked, plan.tools, self.max_tool_concurrency, self.tool_timeout)
            ) as executed:
                async for result in deadline.iterate(executed, "running tools"):
                    results.append(result)
                    yield ToolResult(result)
            step = make_step(len(steps), response, results)
            steps.append(step)
            history.extend(step.messages)
            yield StepFinish(step)
            if self._should_stop(steps, checked, results, response):
                if output is not None and await output.wants_final_step(
                    step.text, len(step.tool_calls), step.usage, step.finish_reason
                ):
                    continue  # one more step, forced to give the structured output
                break
        total = Usage()
        for s in steps:
            total = total + s.usage
        value = None
        if output is not None:
            value = output.require(steps[-1].text, total, steps[-1].finish_reason)
        yield RunFinish(RunResult(tuple(steps), total, initial + tuple(history), value))

    def _should_stop(
        self,
        steps: Sequence[Step],
        calls: Sequence[Checked],
        results: Sequence[ToolResultPart],
        response: Response,
    ) -> bool:
        if not calls or response.finish_reason != FinishReason.TOOL_CALLS:
            return True
        if any(r.stop_turn for r in results):
            return True
        return any(cond(steps) for cond in self.stop_when)

    async def _plan(
        self,
        number: int,
        steps: tuple[Step, ...],
        messages: tuple[Message, ...],
        output: OutputRun | None = None,
    ) -> _StepPlan:
        model = self.model
        system = self.system
        tool_choice: ToolChoice | None = self.tool_choice
        tools = self.tools
        provider_tools = self.provider_tools
        if self.prepare_step is not None:
            overrides: StepOverrides | None = await maybe_await(
                self.prepare_step(StepContext(number, steps, model, messages))
            )
            if overrides is not None:
                model = overrides.model or model
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
            tool_choice=_default_choice(tools, provider_tools)
            if tool_choice is None
            else tool_choice,
            headers=self.headers,
            provider_options=self.provider_options,
            **self.settings,
        )
        if output is not None:
            call, tools = output.prepare(model, call, tools, tool_choice is not None)
        return _StepPlan(model, messages, system, call, tools)

    async def _call_model(
        self, plan: _StepPlan, streaming: bool, deadline: RunDeadline
    ) -> AsyncGenerator[Any, None]:
        """The model's events for one step, retried per the policy. Generate mode turns the
        response into the same events a stream would end with, so one path serves both."""
        failures: list[Exception] = []
        while True:
            attempt = len(failures) + 1
            try:
                if self.max_input_tokens is not None:  # the count is a request: bounded too
                    await deadline.run(
                        check_input_limit(plan.model, plan.call, self.max_input_tokens),
                        "counting the input tokens",
                    )
                if streaming:
                    events = deadline.iterate(plan.model.stream(plan.call), "reading the model")
                    try:
                        async for event in events:
                            yield event
                    finally:
                        aclose = getattr(events, "aclose", None)
                        if aclose is not None:
                            await aclose()
                else:
                    response = await deadline.run(
                        plan.model.generate(plan.call), "waiting for the model"
                    )
                    for event in response_events(response):
                        yield event
                return
            except Exception as exc:
                seal(exc)  # no secret in the chain, whatever model raised it
                failures.append(exc)
                delay = self.retry.delay_for(exc, attempt)
                if delay is None:
                    gave_up = self.retry.gave_up(failures)
                    if gave_up is not None:
                        raise gave_up from exc
                    raise
                left = deadline.left()
                if left is None or delay < left:  # else the wait below fails at once
                    yield Retry(attempt, exc, delay)
                await deadline.sleep(self.retry, delay, exc)


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


# ---------------------------------------------------------------------------------------
# Helpers


def _default_choice(tools: Mapping[str, Any], provider_tools: Sequence[Any]) -> ToolChoice | None:
    return "auto" if tools or provider_tools else None


def _replace_system(messages: tuple[Message, ...], system: str) -> tuple[Message, ...]:
    if messages and messages[0].role == "system":
        return (system_message(system), *messages[1:])
    return (system_message(system), *messages)
