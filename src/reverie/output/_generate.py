"""``generate_object``: one structured output from one model call; the result types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeAlias, TypeVar, overload

from reverie import _sync
from reverie.content import Message, ProviderData
from reverie.content import system as system_message
from reverie.content import user as user_message
from reverie.errors import ConfigurationError, RefusalError
from reverie.events import PartialObject
from reverie.model import Call, CallWarning, FinishReason, LanguageModel, Response, Usage
from reverie.output._modes import ObjectMode, ObjectPlan, plan_object_call, raw_output
from reverie.output._parse import RepairText, no_object, parse_object
from reverie.output._schema import ObjectSchema, object_schema
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


def build_plan(
    model: LanguageModel | str,
    prompt: str | Sequence[Message],
    schema: type[Any] | Mapping[str, Any] | ObjectSchema[Any],
    name: str | None,
    description: str | None,
    mode: ObjectMode,
    system: str | None,
    settings: dict[str, Any],
) -> tuple[LanguageModel, ObjectSchema[Any], ObjectPlan]:
    """The model, schema and prepared call shared by generate and stream."""
    resolved = _resolve(model)
    spec = object_schema(schema, name, description)
    return resolved, spec, plan_object_call(resolved, _call(prompt, system, settings), spec, mode)


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
    provider errors as the agent does; a model that refuses raises
    :class:`~reverie.errors.RefusalError` (a ``NoObjectGeneratedError``) with its words.
    """
    resolved, spec, plan = build_plan(
        model, prompt, schema, name, description, mode, system, settings
    )
    policy = retry if retry is not None else RetryPolicy()
    response = await policy.call(lambda: resolved.generate(plan.call))
    return await finish(response, plan, spec, repair)


def generate_object_sync(
    model: LanguageModel | str,
    prompt: str | Sequence[Message],
    *,
    schema: type[Any] | Mapping[str, Any] | ObjectSchema[Any],
    **options: Any,
) -> ObjectResult[Any]:
    """:func:`generate_object` for synchronous code (also inside a running event loop)."""
    return _sync.run(generate_object(model, prompt, schema=schema, **options))


async def finish(
    response: Response, plan: ObjectPlan, spec: ObjectSchema[T], repair: RepairText | None
) -> ObjectResult[T]:
    if response.refusal:
        raise RefusalError(
            response.refusal, usage=response.usage, finish_reason=response.finish_reason
        )
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
