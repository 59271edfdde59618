"""``stream_object``: one structured output, streamed as partial objects, then validated."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

from reverie._accumulate import ResponseAccumulator
from reverie._redact import seal
from reverie.content import Message
from reverie.events import PartialObject, TextDelta, ToolCall, ToolInputDelta, ToolInputStart
from reverie.model import LanguageModel
from reverie.output._generate import (
    JsonDelta,
    ObjectFinish,
    ObjectResult,
    ObjectStreamEvent,
    build_plan,
    finish,
)
from reverie.output._modes import ObjectMode, ObjectPlan
from reverie.output._parse import PartialParser, RepairText
from reverie.output._schema import ObjectSchema
from reverie.retry import RetryPolicy

T = TypeVar("T")


class ObjectStream(Generic[T]):
    """The events of one streamed object; ``async for`` over it, or use a view.

    Yields :class:`JsonDelta` (the JSON text growing), :class:`~reverie.events.PartialObject`
    (each time the parsed value changes; not validated) and, last, :class:`ObjectFinish`
    with the validated result. A failure raises from the iteration (a provider error, or
    :class:`~reverie.errors.NoObjectGeneratedError`). The stream can be consumed once;
    afterwards ``result`` holds the :class:`ObjectResult`.
    """

    def __init__(self, events: AsyncIterator[ObjectStreamEvent]) -> None:
        self._events = events
        self.result: ObjectResult[T] | None = None

    def __aiter__(self) -> AsyncIterator[ObjectStreamEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[ObjectStreamEvent]:
        try:
            async for event in self._events:
                if isinstance(event, ObjectFinish):
                    self.result = event.result
                yield event
        finally:
            await self._events.aclose()  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]

    async def partial_objects(self) -> AsyncIterator[Any]:
        """Only the partial values, each different from the one before."""
        async for event in self:
            if isinstance(event, PartialObject):
                yield event.value

    async def text_stream(self) -> AsyncIterator[str]:
        """Only the JSON text deltas."""
        async for event in self:
            if isinstance(event, JsonDelta):
                yield event.delta

    async def collect(self) -> ObjectResult[T]:
        """Consume the rest of the stream and return the validated result."""
        async for _ in self:
            pass
        assert self.result is not None
        return self.result


@overload
def stream_object(
    model: LanguageModel | str,
    prompt: str | Sequence[Message],
    *,
    schema: type[T] | ObjectSchema[T],
    name: str | None = None,
    description: str | None = None,
    mode: ObjectMode = "auto",
    system: str | None = None,
    repair: RepairText | None = None,
    retry: RetryPolicy | None = None,
    **settings: Any,
) -> ObjectStream[T]: ...
@overload
def stream_object(
    model: LanguageModel | str,
    prompt: str | Sequence[Message],
    *,
    schema: Mapping[str, Any],
    name: str | None = None,
    description: str | None = None,
    mode: ObjectMode = "auto",
    system: str | None = None,
    repair: RepairText | None = None,
    retry: RetryPolicy | None = None,
    **settings: Any,
) -> ObjectStream[Any]: ...
def stream_object(
    model: LanguageModel | str,
    prompt: str | Sequence[Message],
    *,
    schema: type[Any] | Mapping[str, Any] | ObjectSchema[Any],
    name: str | None = None,
    description: str | None = None,
    mode: ObjectMode = "auto",
    system: str | None = None,
    repair: RepairText | None = None,
    retry: RetryPolicy | None = None,
    **settings: Any,
) -> ObjectStream[Any]:
    """Stream one object matching ``schema``: partial values as they grow, then the
    validated object. Arguments as :func:`generate_object`; nothing is sent until the
    returned :class:`ObjectStream` is iterated. Configuration errors raise here. A transient
    failure is retried only before anything was yielded (so no consumer ever sees a partial
    object start over)."""
    resolved, spec, plan = build_plan(
        model, prompt, schema, name, description, mode, system, settings
    )
    policy = retry if retry is not None else RetryPolicy()
    return ObjectStream(_stream(resolved, plan, spec, repair, policy))


async def _stream(
    model: LanguageModel,
    plan: ObjectPlan,
    spec: ObjectSchema[Any],
    repair: RepairText | None,
    policy: RetryPolicy,
) -> AsyncIterator[ObjectStreamEvent]:
    failures: list[Exception] = []
    while True:
        acc = ResponseAccumulator()
        tracker = PartialTracker(plan)
        yielded = False
        events = model.stream(plan.call)
        try:
            async for event in events:
                acc.add(event)
                for out in tracker.observe(event):
                    yielded = True
                    yield out
            break
        except Exception as exc:
            seal(exc)  # no secret in the chain, whatever raised it
            if yielded:  # partial objects were shown: a retry cannot take them back
                raise
            failures.append(exc)
            delay = policy.delay_for(exc, len(failures))
            if delay is None:
                gave_up = policy.gave_up(failures)
                if gave_up is not None:
                    raise gave_up from exc
                raise
        finally:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()
        await policy.sleep(delay)
    result = await finish(acc.response(), plan, spec, repair)
    yield ObjectFinish(result)


class PartialTracker:
    """Turns a model's events into :class:`JsonDelta` / :class:`PartialObject` for a plan:
    text deltas in native and text mode; in tool mode, the forced tool's argument deltas
    and, when a provider sends a call whole, its complete arguments."""

    __slots__ = ("_parser", "_plan", "_tool_id")

    def __init__(self, plan: ObjectPlan) -> None:
        self._plan = plan
        self._parser = PartialParser()
        self._tool_id: str | None = None

    def reset(self, plan: ObjectPlan | None = None) -> None:
        """Start over (a new step, or a retried attempt)."""
        if plan is not None:
            self._plan = plan
        self._parser.reset()
        self._tool_id = None

    def observe(self, event: Any) -> list[JsonDelta | PartialObject]:
        delta: str | None = None
        value: Any = None
        if self._plan.mode != "tool":
            if isinstance(event, TextDelta):
                delta = event.delta
        elif isinstance(event, ToolInputStart):
            if self._tool_id is None and event.tool_name == self._plan.tool_name:
                self._tool_id = event.id
        elif isinstance(event, ToolInputDelta):
            if event.id == self._tool_id:
                delta = event.delta
        elif (
            isinstance(event, ToolCall)
            and event.call.tool_name == self._plan.tool_name
            and (self._tool_id is None or event.call.tool_call_id == self._tool_id)
        ):
            self._tool_id = event.call.tool_call_id
            if not self._parser.text:
                delta = event.call.input  # sent whole, without deltas (Cerebras, Groq)
            elif event.call.input != self._parser.text:
                value = self._parser.set(event.call.input)
        out: list[JsonDelta | PartialObject] = []
        if delta:
            out.append(JsonDelta(delta))
            value = self._parser.feed(delta)
        if value is not None:
            out.append(PartialObject(value))
        return out
