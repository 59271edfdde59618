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

None of it can stall the event loop, whatever the model sends: repair runs off the loop
and only on text up to :data:`reverie._json.REPAIR_LIMIT` (longer text that is not JSON
fails as not repairable); the partial parser re-reads the whole text on each delta only
while it is short (:data:`PARTIAL_EVERY`), then each time it has grown by an eighth (so
its total work stays linear in the text), and stops giving partial values past
:data:`PARTIAL_LIMIT` (the final value is still parsed and validated).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias, TypeVar

import orjson

from reverie._json import NOTHING, REPAIR_LIMIT, TOO_LARGE, repair_json_off_loop
from reverie.errors import NoObjectGeneratedError
from reverie.model import FinishReason, Usage
from reverie.output._schema import ObjectSchema
from reverie.output._validate import SchemaValidationError

T = TypeVar("T")

RepairText: TypeAlias = Callable[[str, str], "str | Awaitable[str | None] | None"]
"""A user's repair hook: ``(raw text, error message) -> fixed text`` (or None to give up).
May be async."""


PARTIAL_EVERY = 16 * 1024
"""Below this many characters, every delta is parsed for a new partial value."""
PARTIAL_LIMIT = 4 * 1024 * 1024
"""Past this many characters, no more partial values are parsed (display only)."""


async def loads_lenient(text: str) -> Any:
    """``text`` as JSON, repaired (off the event loop) when it is not quite JSON;
    ``NOTHING`` when hopeless, ``TOO_LARGE`` when too long to repair."""
    stripped = text.strip()
    if not stripped:
        return NOTHING
    try:
        return orjson.loads(stripped)
    except orjson.JSONDecodeError:
        pass
    return await repair_json_off_loop(stripped)


async def _attempt(text: str, schema: ObjectSchema[T]) -> tuple[T | None, str | None]:
    value = await loads_lenient(text)
    if value is TOO_LARGE:
        return None, (
            f"the text is not JSON, and at {len(text)} characters too long to be repaired "
            f"(only up to {REPAIR_LIMIT} characters are)"
        )
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
    obj, error = await _attempt(text, schema)
    if error is None:
        return obj  # pyright: ignore[reportReturnType]
    raw = text
    if repair is not None:
        fixed: Any = repair(text, error)
        if inspect.isawaitable(fixed):
            fixed = await fixed
        if isinstance(fixed, str):
            obj, second = await _attempt(fixed, schema)
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

    __slots__ = ("_last", "_parsed", "_pieces", "_size", "_start")

    def __init__(self) -> None:
        self._pieces: list[str] = []  # joined on demand: appending to a str is quadratic
        self._size = 0
        self._parsed = 0  # the size at the last parse
        self._start = -1
        self._last: Any = None

    @property
    def text(self) -> str:
        """Everything fed so far."""
        if len(self._pieces) > 1:
            self._pieces = ["".join(self._pieces)]
        return self._pieces[0] if self._pieces else ""

    def reset(self) -> None:
        self._pieces = []
        self._size = self._parsed = 0
        self._start = -1
        self._last = None

    def feed(self, delta: str) -> Any:
        self._pieces.append(delta)
        self._size += len(delta)
        if self._size > PARTIAL_LIMIT:
            return None
        if self._size >= PARTIAL_EVERY and self._size - self._parsed < self._parsed // 8:
            return None
        return self._update()

    def set(self, text: str) -> Any:
        """Replace the whole text (a tool call's complete arguments) and parse it."""
        self._pieces = [text]
        self._size = len(text)
        self._start = -1
        return self._update() if self._size <= PARTIAL_LIMIT else None

    def _update(self) -> Any:
        self._parsed = self._size
        whole = self.text
        if self._start < 0:
            starts = [i for i in (whole.find("{"), whole.find("[")) if i >= 0]
            if not starts:
                return None
            self._start = min(starts)
        from pydantic_core import from_json

        text = whole[self._start :]
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
