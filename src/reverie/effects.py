"""The seam between the agent's loop and the world: one model call, one tool call.

The loop (:meth:`reverie.Agent.resume` and everything built on it) is deterministic given its
state and the outcomes of two kinds of effect; an :class:`Effects` object performs them:

- :meth:`Effects.call_model` takes a :class:`ModelRequest` (one step's model call: the model,
  the :class:`~reverie.model.Call`, the tools to validate calls against) and yields the
  step's events as they happen, then exactly one :class:`ModelOutcome`: the response, with
  client tool calls validated and repaired, which calls were rejected or repaired, and when
  the answer was complete. It owns retries of the model call (yielding ``Retry`` events)
  and, before each attempt it sends, calls the request's ``on_attempt`` hook when it has
  one (how run observers see attempts: :mod:`reverie.observe`).
- :meth:`Effects.call_tool` takes a :class:`ToolRequest` (one valid call, its arguments and
  its tool) and returns its outcome: a :class:`~reverie.content.ToolResultPart`, or
  :class:`Deferred` when the result must come from outside the run.

:class:`LocalEffects` does both in this process; it is what the agent uses unless told
otherwise. A durable engine wraps it to record each outcome and replay it after a crash (a
DBOS step, a Temporal activity): the loop then runs again from the run's first state, and the
effects answer from the record instead of calling the model or the tool again. Outcomes are
JSON-able with :func:`encode_model_outcome` / :func:`encode_tool_outcome` (built on
:mod:`reverie.codec`), and every request carries ``run_id``, ``step`` and, for tools, the call
id, which together name an effect uniquely within a run. An engine that cannot stream events
out of a recorded effect drains ``call_model`` with :func:`drain` and yields only the
outcome; the loop does not need the events. An outcome answered from the record sent
nothing, so it makes no ``on_attempt`` call: observers see the attempts that were made.

The contract an engine must keep: for the same request, give back the outcome the inner
effects gave the first time (same parts, same ids); never call an inner effect whose outcome
is recorded. Everything else runs again on replay: the loop itself and the agent's hooks
(``prepare_step``, stop conditions, approval predicates), which must therefore be
deterministic, and the structured-output tool, which only validates the model's answer and
so is not an effect. (A ``repair_tool_call`` hook runs inside the model effect.) The agent's
toolsets (MCP servers) are opened and listed again too: a toolset's tool call is a tool
effect like any other, and its ``ToolRequest.tool`` reaches the server through the
connection the replaying run opened, in the engine's process.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeAlias, cast

from reverie._accumulate import ResponseAccumulator, response_events
from reverie._codec_json import decode_datetime, encode_datetime
from reverie._deadline import RunDeadline
from reverie._redact import seal
from reverie._steps import RepairToolCall
from reverie._tokens import check_input_limit
from reverie._tool_calls import Checked, check_call, run_call, unique_id
from reverie.codec import decode_part, decode_response, encode_part, encode_response
from reverie.content import Message, ToolCallPart, ToolResultPart
from reverie.errors import DataFormatError
from reverie.events import AgentEvent, Retry, ToolCall
from reverie.model import Call, LanguageModel, Response
from reverie.retry import RetryPolicy
from reverie.tool import CallDeferred, FunctionTool

__all__ = [
    "Deferred",
    "Effects",
    "LocalEffects",
    "ModelOutcome",
    "ModelRequest",
    "ToolOutcome",
    "ToolRequest",
    "decode_model_outcome",
    "decode_tool_outcome",
    "drain",
    "encode_model_outcome",
    "encode_tool_outcome",
]


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """One step's model call. ``messages`` are the step's messages before structured-output
    instructions (what a ``repair_tool_call`` hook is shown); ``call`` is what is sent."""

    run_id: str
    step: int
    model: LanguageModel
    call: Call
    tools: Mapping[str, FunctionTool]
    messages: tuple[Message, ...]
    system: str | None
    streaming: bool
    run_timeout: float | None = None
    """The run's time limit (``Agent(run_timeout=...)``), None for none."""
    time_left: float | None = None
    """What was left of it when this call began: the effect must end the call, its retries
    and their waits within it, raising :class:`~reverie.errors.RunTimeoutError` (a wait that
    would not end in time is not started). :class:`LocalEffects` does."""
    max_input_tokens: int | None = None
    """The agent's input limit: the call's input is counted first (:mod:`reverie.tokens`)
    and, over it, the call is not sent (:class:`~reverie.errors.ContextTooLargeError`)."""
    on_attempt: Callable[[ModelRequest, int], None] | None = field(
        default=None, compare=False, repr=False
    )
    """Called with this request and the attempt number (1, then one more per retry) right
    before each attempt is sent; the agent sets it when the run is observed. Not part of
    the request's identity: an engine may drop it where the call runs out of process."""


@dataclass(frozen=True, slots=True)
class ModelOutcome:
    """A step's model call, done: the response with client tool calls as validated (repaired
    arguments, ids made unique), ``rejected`` (call id → why it is invalid; such a call is
    answered with that error and never run), ``repaired`` (ids of calls whose arguments
    were repaired) and ``finished_at``, when the answer was complete (UTC; the step's
    ``finished_at``, the date its price is looked up for)."""

    response: Response
    rejected: Mapping[str, str] = field(default_factory=dict[str, str])
    repaired: frozenset[str] = frozenset()
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ToolRequest:
    """One valid client tool call to run: ``arguments`` are its parsed JSON input."""

    run_id: str
    step: int
    call: ToolCallPart
    arguments: Mapping[str, Any]
    tool: FunctionTool


@dataclass(frozen=True, slots=True)
class Deferred:
    """A tool call whose result comes from outside the run (an external tool, or a tool that
    raised :class:`~reverie.tool.CallDeferred`); the run pauses until it is given."""

    reason: str = ""


ToolOutcome: TypeAlias = ToolResultPart | Deferred


class Effects(Protocol):
    """What the loop needs done outside itself (see the module docstring)."""

    def call_model(self, request: ModelRequest) -> AsyncIterator[AgentEvent | ModelOutcome]:
        """The step's events as they happen, then one :class:`ModelOutcome`, last."""
        ...

    async def call_tool(self, request: ToolRequest) -> ToolOutcome:
        """Run one call; its result, or :class:`Deferred`."""
        ...


class LocalEffects:
    """Model and tool calls in this process: the model call retried per ``retry``, its tool
    calls validated and repaired (``repair_tool_call``, else JSON repair) as they arrive."""

    def __init__(
        self,
        retry: RetryPolicy | None = None,
        repair_tool_call: RepairToolCall | None = None,
        tool_timeout: float | None = None,
    ) -> None:
        self.retry = retry if retry is not None else RetryPolicy()
        self.repair_tool_call = repair_tool_call
        self.tool_timeout = tool_timeout

    async def call_model(self, request: ModelRequest) -> AsyncIterator[AgentEvent | ModelOutcome]:
        """The model's events (each tool call validated as it arrives), retried per the
        policy; generate mode turns the response into the events a stream would end with,
        so one path serves both. One generator, no inner one: this runs once per event."""
        failures: list[Exception] = []
        model, call = request.model, request.call
        deadline = RunDeadline(request.run_timeout, request.time_left)
        while True:
            attempt = len(failures) + 1
            if request.on_attempt is not None:
                request.on_attempt(request, attempt)
            acc = ResponseAccumulator()
            checked: list[Checked] = []
            failure: Exception | None = None
            events: Any = None
            fetching = True  # an exception while fetching an event is the model's failure
            try:
                if request.max_input_tokens is not None:  # the count is a request: bounded too
                    limit = request.max_input_tokens
                    await deadline.run(
                        check_input_limit(model, call, limit), "counting the input tokens"
                    )
                if request.streaming:
                    events = deadline.iterate(model.stream(call), "reading the model")
                else:
                    response = await deadline.run(model.generate(call), "waiting for the model")
                    events = _listed(response_events(response))
                async for event in events:
                    fetching = False
                    if isinstance(event, ToolCall) and not event.call.provider_executed:
                        ok = await check_call(
                            unique_id(event.call, checked),
                            request.tools,
                            self.repair_tool_call,
                            request.messages,
                            request.system,
                        )
                        checked.append(ok)
                        event = ToolCall(ok.call)
                    acc.add(event)
                    yield event
                    fetching = True
            except Exception as exc:
                if not fetching:
                    raise  # from validation, a repair hook or the consumer: not retried
                failure = exc
            finally:
                # An abandoned run closes the model's HTTP stream now, not whenever the
                # garbage collector finalizes it on another task.
                aclose = getattr(events, "aclose", None)
                if aclose is not None:
                    await aclose()
            if failure is None:
                yield ModelOutcome(
                    acc.response(),
                    {c.call.tool_call_id: c.error or "" for c in checked if c.arguments is None},
                    frozenset(c.call.tool_call_id for c in checked if c.repaired),
                    datetime.now(UTC),
                )
                return
            seal(failure)  # no secret in the chain, whatever model raised it
            failures.append(failure)
            delay = self.retry.delay_for(failure, attempt)
            if delay is None:
                gave_up = self.retry.gave_up(failures)
                if gave_up is not None:
                    raise gave_up from failure
                raise failure
            left = deadline.left()
            if left is None or delay < left:  # else the wait below fails at once
                yield Retry(attempt, failure, delay)
            await deadline.sleep(self.retry, delay, failure)

    async def call_tool(self, request: ToolRequest) -> ToolOutcome:
        if request.tool.external:
            return Deferred()
        try:
            return await run_call(request.call, request.arguments, request.tool, self.tool_timeout)
        except CallDeferred as exc:
            return Deferred(str(exc))


async def _listed(events: list[Any]) -> AsyncGenerator[Any, None]:
    for event in events:
        yield event


async def drain(
    items: AsyncIterator[AgentEvent | ModelOutcome],
    on_event: Callable[[AgentEvent], Awaitable[None] | None] | None = None,
) -> ModelOutcome:
    """Consume a :meth:`Effects.call_model` iterator; hand each event to ``on_event`` and
    return the outcome (for engines that record the outcome of a whole model call)."""
    outcome: ModelOutcome | None = None
    async with aclosing(cast(Any, items)) as events:
        async for item in cast(AsyncIterator[AgentEvent | ModelOutcome], events):
            if isinstance(item, ModelOutcome):
                outcome = item
            elif on_event is not None:
                done = on_event(item)
                if done is not None:
                    await done
    if outcome is None:
        raise RuntimeError("call_model ended without a ModelOutcome")
    return outcome


# -- JSON for recorded outcomes -------------------------------------------------------------


def encode_model_outcome(outcome: ModelOutcome) -> dict[str, Any]:
    """A model outcome as JSON values."""
    value: dict[str, Any] = {"response": encode_response(outcome.response)}
    if outcome.rejected:
        value["rejected"] = dict(outcome.rejected)
    if outcome.repaired:
        value["repaired"] = sorted(outcome.repaired)
    if outcome.finished_at is not None:
        value["finished_at"] = encode_datetime(outcome.finished_at)
    return value


def decode_model_outcome(value: Any) -> ModelOutcome:
    """The outcome :func:`encode_model_outcome` wrote."""
    if not isinstance(value, dict) or not set(cast(dict[str, Any], value)) <= {
        "response",
        "rejected",
        "repaired",
        "finished_at",
    }:
        raise DataFormatError(f"not a model outcome: {value!r:.200}")
    obj = cast(dict[str, Any], value)
    finished_at = obj.get("finished_at")
    return ModelOutcome(
        decode_response(obj.get("response")),
        {str(k): str(v) for k, v in cast(dict[str, Any], obj.get("rejected", {})).items()},
        frozenset(str(i) for i in cast(list[Any], obj.get("repaired", []))),
        None if finished_at is None else decode_datetime(finished_at, "finished_at"),
    )


def encode_tool_outcome(outcome: ToolOutcome) -> dict[str, Any]:
    """A tool outcome as JSON values: ``{"result": part}`` or ``{"deferred": reason}``."""
    if isinstance(outcome, Deferred):
        return {"deferred": outcome.reason}
    return {"result": encode_part(outcome)}


def decode_tool_outcome(value: Any) -> ToolOutcome:
    """The outcome :func:`encode_tool_outcome` wrote."""
    obj = cast(dict[str, Any], value) if isinstance(value, dict) else {}
    if set(obj) == {"deferred"}:
        return Deferred(str(obj["deferred"]))
    if set(obj) == {"result"}:
        part = decode_part(obj["result"])
        if isinstance(part, ToolResultPart):
            return part
    raise DataFormatError(f"not a tool outcome: {value!r:.200}")
