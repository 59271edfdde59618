"""A failure recorded by a durable engine, and raised again when the record is replayed."""

from __future__ import annotations

from typing import Any

from reverie._redact import scrub
from reverie.errors import ReverieError

__all__ = ["RunFailed", "failure_from_value", "failure_value"]


class RunFailed(ReverieError):
    """A durable run's model call, or the run itself, failed, and the engine recorded the
    failure: replaying the run raises it again instead of calling again. ``kind`` is the
    name of the original error's class (``RetryError``, ``AuthenticationError``, ...) and
    the message is the original's (secrets removed). Start the run again under a new id to
    try again."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.detail = message

    def __reduce__(self) -> tuple[Any, ...]:
        # Engines that pickle errors (DBOS's default serializer) get it back whole.
        return (RunFailed, (self.kind, self.detail))


def failure_value(exc: BaseException) -> dict[str, str]:
    """An error as the JSON a durable record keeps: its kind and its message, scrubbed."""
    if isinstance(exc, RunFailed):
        return {"kind": exc.kind, "message": exc.detail}
    return {"kind": type(exc).__name__, "message": scrub(str(exc))}


def failure_from_value(value: Any) -> RunFailed:
    """The error :func:`failure_value` wrote."""
    obj: dict[str, Any] = value if isinstance(value, dict) else {}  # pyright: ignore[reportUnknownVariableType]
    return RunFailed(str(obj.get("kind", "Error")), str(obj.get("message", value)))
