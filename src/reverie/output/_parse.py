"""From model text to a validated value: parse, repair, validate; and partial parsing.

:func:`parse_object` is the one path every mode ends in (generate, stream, agent):

1. parse the text as JSON; failing that, JSON-repair it (a Markdown fence, prose around
   the object, a trailing comma, a missing bracket: the same json-repair the agent uses
   for tool arguments);
2. validate against the schema;
3. when 1 or 2 failed and the caller gave a repair hook, call it with the text and the
   error, and go through 1-2 once more with what it returns;
4. otherwise raise :class:`~reverie.errors.NoObjectGeneratedError` carrying the raw text,
   the parse or validation error, usage and finish reason.

:class:`PartialParser` reads a growing JSON text and returns the best-effort value so far
(an unfinished string is kept as far as it goes; an unfinished key, number or literal is
left out). It never raises: partial values are for display and are not validated.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias, TypeVar

import orjson

from reverie._json import NOTHING, repair_json
from reverie.errors import NoObjectGeneratedError
from reverie.model import FinishReason, Usage
from reverie.output._schema import ObjectSchema
from reverie.output._validate import SchemaValidationError

T = TypeVar("T")

RepairText: TypeAlias = Callable[[str, str], "str | Awaitable[str | None] | None"]
"""A user's repair hook: ``(raw text, error message) -> fixed text`` (or None to give up).
May be async."""


def loads_lenient(text: str) -> Any:
    """``text`` as JSON, repaired when it is not quite JSON; ``NOTHING`` when hopeless."""
    stripped = text.strip()
    if not stripped:
        return NOTHING
    try:
        return orjson.loads(stripped)
    except orjson.JSONDecodeError:
        pass
    return repair_json(stripped)


def _attempt(text: str, schema: ObjectSchema[T]) -> tuple[T | None, str | None]:
    value = loads_lenient(text)
    if value is NOTHING:
        return None, "the text is not JSON and could not be repaired"
    try:
        return schema.validate(value), None
    except SchemaValidationError as exc:
        return None, f"the object does not match the schema: {exc}"


async def parse_object(
    text: str,
    schema: ObjectSchema[T],
    *,
    repair: RepairText | None = None,
    usage: Usage | None = None,
    finish_reason: FinishReason | None = None,
) -> T:
    """The validated object in ``text``; see the module docstring for the steps."""
    obj, error = _attempt(text, schema)
    if error is None:
        return obj  # pyright: ignore[reportReturnType]
    raw = text
    if repair is not None:
        fixed: Any = repair(text, error)
        if inspect.isawaitable(fixed):
            fixed = await fixed
        if isinstance(fixed, str):
            obj, second = _attempt(fixed, schema)
            if second is None:
                return obj  # pyright: ignore[reportReturnType]
            raw, error = fixed, f"{error}; after the repair hook: {second}"
    raise no_object(f"no valid object: {error}", raw, usage, finish_reason, error)


def no_object(
    message: str,
    raw_text: str,
    usage: Usage | None,
    finish_reason: FinishReason | None,
    cause: str | None = None,
) -> NoObjectGeneratedError:
    """The error for a failed structured output, with the hint every such error needs."""
    hint = ""
    if finish_reason == FinishReason.LENGTH:
        hint = " The output was cut off at the token limit: raise max_output_tokens."
    return NoObjectGeneratedError(
        message + hint,
        raw_text=raw_text,
        cause=SchemaValidationError(cause) if cause else None,
        usage=usage,
        finish_reason=finish_reason,
    )


class PartialParser:
    """Feed text deltas; :meth:`feed` returns the new partial value when it changed, else
    ``None``. Text before the first ``{`` or ``[`` (a Markdown fence, a preamble) is skipped.
    """

    __slots__ = ("_last", "_start", "_text")

    def __init__(self) -> None:
        self._text = ""
        self._start = -1
        self._last: Any = None

    @property
    def text(self) -> str:
        """Everything fed so far."""
        return self._text

    def reset(self) -> None:
        self._text = ""
        self._start = -1
        self._last = None

    def feed(self, delta: str) -> Any:
        self._text += delta
        return self._update()

    def set(self, text: str) -> Any:
        """Replace the whole text (a tool call's complete arguments) and parse it."""
        self._text = text
        self._start = -1
        return self._update()

    def _update(self) -> Any:
        if self._start < 0:
            starts = [i for i in (self._text.find("{"), self._text.find("[")) if i >= 0]
            if not starts:
                return None
            self._start = min(starts)
        from pydantic_core import from_json

        text = self._text[self._start :]
        try:
            value = from_json(text, allow_partial="trailing-strings")
        except ValueError:
            # Something after the value (a closing Markdown fence): parse up to its end.
            end = max(text.rfind("}"), text.rfind("]"))
            try:
                value = from_json(text[: end + 1]) if end > 0 else None
            except ValueError:
                return None
        if not value or value == self._last:
            return None
        self._last = value
        return value
