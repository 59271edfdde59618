"""``generate_object`` and ``stream_object``: one structured output from one model call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeAlias, TypeVar, overload

from reverie import _sync
from reverie.accumulate import ResponseAccumulator
from reverie.content import Message, ProviderData
from reverie.content import system as system_message
from reverie.content import user as user_message
from reverie.errors import ConfigurationError
from reverie.events import PartialObject, TextDelta, ToolCall, ToolInputDelta, ToolInputStart
from reverie.model import Call, CallWarning, FinishReason, LanguageModel, Response, Usage
from reverie.output.modes import ObjectMode, ObjectPlan, plan_object_call, raw_output
from reverie.output.parse import PartialParser, RepairText, no_object, parse_object
from reverie.output.schema import ObjectSchema, object_schema
from reverie.retry import RetryPolicy

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ObjectResult(Generic[T]):
    """A validated structured output and what the call cost.

    ``raw_text`` is the JSON text as the model wrote it (before any repair); ``mode`` is the
    mode actually used (``auto`` resolved).
    """

    object: T
    raw_text: str
    usage: Usage
    finish_reason: FinishReason
    mode: Literal["native", "tool", "text"]
    warnings: tuple[CallWarning, ...] = ()
    provider_metadata: ProviderData = field(default_factory=dict[str, Mapping[str, Any]])
    response: Response | None = None


@dataclass(frozen=True, slots=True)
class JsonDelta:
    """A piece of the JSON text as it arrives (from the text, or from the tool's arguments)."""

    delta: str
    type: Literal["json-delta"] = "json-delta"


@dataclass(frozen=True, slots=True)
class ObjectFinish(Generic[T]):
    """The end of an object stream: the validated result."""

    result: ObjectResult[T]
    type: Literal["object-finish"] = "object-finish"


ObjectStreamEvent: TypeAlias = JsonDelta | PartialObject | ObjectFinish[Any]


def _messages(prompt: str | Sequence[Message], system: str | None) -> tuple[Message, ...]:
    messages: list[Message] = [system_message(system)] if system else []
    if isinstance(prompt, str):
        messages.append(user_message(prompt))
    else:
        messages.extend(prompt)
    if not any(m.role != "system" for m in messages):
        raise ConfigurationError("generate_object needs a prompt or messages")
    return tuple(messages)


def _resolve(model: LanguageModel | str) -> LanguageModel:
    if isinstance(model, str):
        from reverie.providers import get_model

        return get_model(model)
    return model


_SETTINGS = frozenset(
    {
        "max_output_tokens",
        "temperature",
        "top_p",
        "top_k",
        "presence_penalty",
        "frequency_penalty",
        "headers",
        "provider_options",
    }
)


def _call(prompt: str | Sequence[Message], system: str | None, settings: dict[str, Any]) -> Call:
    unknown = sorted(set(settings) - _SETTINGS)
    if unknown:
        raise ConfigurationError(
            f"unknown setting(s) {', '.join(unknown)}; structured output takes "
            f"{', '.join(sorted(_SETTINGS))}"
        )
    return Call(messages=_messages(prompt, system), **settings)


@overload
async def generate_object(
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
) -> ObjectResult[T]: ...
@overload
async def generate_object(
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
) -> ObjectResult[Any]: ...
async def generate_object(
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
) -> ObjectResult[Any]:
    """Ask ``model`` for one object matching ``schema`` and return it validated.

    ``schema`` is a pydantic model (or dataclass, TypedDict) — the object comes back as an
    instance — or a JSON schema dict — it comes back as plain JSON values. ``settings`` are
    :class:`~reverie.model.Call` fields (``max_output_tokens``, ``temperature``, ...,
    ``headers``, ``provider_options``). Transient provider failures are retried per
    ``retry`` (the agent's default policy when None). Raises
    :class:`~reverie.errors.NoObjectGeneratedError` when no valid object comes back, and
    provider errors as the agent does.
    """
    resolved = _resolve(model)
    spec = object_schema(schema, name, description)
    plan = plan_object_call(resolved, _call(prompt, system, settings), spec, mode)
    policy = retry if retry is not None else RetryPolicy()
    attempt = 0
    while True:
        attempt += 1
        try:
            response = await resolved.generate(plan.call)
            break
        except Exception as exc:
            delay = policy.delay_for(exc, attempt)
            if delay is None:
                raise
            await policy.sleep(delay)
    return await _finish(response, plan, spec, repair)


def generate_object_sync(
    model: LanguageModel | str,
    prompt: str | Sequence[Message],
    *,
    schema: type[Any] | Mapping[str, Any] | ObjectSchema[Any],
    **options: Any,
) -> ObjectResult[Any]:
    """:func:`generate_object` for synchronous code (also inside a running event loop)."""
    return _sync.run(generate_object(model, prompt, schema=schema, **options))


async def _finish(
    response: Response, plan: ObjectPlan, spec: ObjectSchema[T], repair: RepairText | None
) -> ObjectResult[T]:
    raw = raw_output(response, plan)
    if raw is None:
        what = "call the output tool" if plan.mode == "tool" else "answer with any text"
        raise no_object(
            f"no object: the model did not {what}",
            response.text,
            response.usage,
            response.finish_reason,
        )
    obj = await parse_object(
        raw, spec, repair=repair, usage=response.usage, finish_reason=response.finish_reason
    )
    return ObjectResult(
        obj,
        raw,
        response.usage,
        response.finish_reason,
        plan.mode,
        response.warnings,
        response.provider_metadata,
        response,
    )


# ---------------------------------------------------------------------------------------
# Streaming


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
    resolved = _resolve(model)
    spec = object_schema(schema, name, description)
    plan = plan_object_call(resolved, _call(prompt, system, settings), spec, mode)
    policy = retry if retry is not None else RetryPolicy()
    return ObjectStream(_stream(resolved, plan, spec, repair, policy))


async def _stream(
    model: LanguageModel,
    plan: ObjectPlan,
    spec: ObjectSchema[Any],
    repair: RepairText | None,
    policy: RetryPolicy,
) -> AsyncIterator[ObjectStreamEvent]:
    attempt = 0
    while True:
        attempt += 1
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
            delay = None if yielded else policy.delay_for(exc, attempt)
            if delay is None:
                raise
        finally:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()
        await policy.sleep(delay)
    result = await _finish(acc.response(), plan, spec, repair)
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
