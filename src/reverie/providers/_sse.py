"""A sans-I/O Server-Sent Events decoder: bytes in, ``(event, data)`` pairs out.

Follows the WHATWG rules that matter for LLM streams: lines end in ``\\n``, ``\\r\\n`` or
``\\r`` (also when the pair is split across reads); a blank line dispatches the event;
``data:`` lines join with ``\\n``; a single space after the colon is dropped; lines starting
with ``:`` are comments; an event with no data lines is not dispatched. Bytes are decoded as
UTF-8 only once a line is whole, so a multibyte character split across reads is safe.

The fast path handles the common case, ``\\n``-only framing: a read is split into whole
events on the blank line, and an event that is a single ``data: ...`` line is decoded at
once; anything else (comments, ``event:`` lines, several data lines, ``\\r``) goes through
the line parser. Both give the same events.

The work is linear in the bytes fed, however they are split: a read without a line break
is only put aside, and an unfinished event's whole lines are parsed once, so a line of
megabytes (an inline image) arriving in small reads is not re-scanned on every read. A
line longer than :data:`MAX_LINE` is a :class:`~reverie.errors.ProtocolError`, not memory
spent on a stream that never ends its line. Error messages show the offending data
shortened, with known secrets removed before shortening.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, cast

import orjson

from reverie._redact import excerpt
from reverie.errors import ProtocolError

SSEEvent = tuple[str, str]
"""``(event name, data)``; the name is ``""`` when the stream gave none."""

MAX_LINE = 64 * 1024 * 1024
"""The longest line (or unfinished event) held while waiting for its end: 64 MiB."""


class SSEDecoder:
    """Incremental decoder. Call :meth:`feed` per read and :meth:`close` at the end."""

    __slots__ = ("_data", "_event", "_has_data", "_pending_cr", "_pieces", "_size")

    def __init__(self) -> None:
        # The bytes after the last line break seen, in the pieces they arrived as: joined
        # only once a line break arrives.
        self._pieces: list[bytes] = []
        self._size = 0
        self._event = ""
        self._data: list[str] = []
        self._has_data = False
        self._pending_cr = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Decode ``chunk``; return the events it completed, in order."""
        if self._pending_cr:
            # A "\r" ended the previous read: if this one starts with "\n" they were one
            # line ending, already handled.
            self._pending_cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\r" in chunk:
            if chunk.endswith(b"\r"):
                self._pending_cr = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\n" not in chunk:
            self._hold(chunk)
            return []
        buffer = self._take(chunk)
        if not self._has_data and not self._event:
            return self._feed_events(buffer)
        lines = buffer.split(b"\n")
        self._hold(lines.pop())
        events: list[SSEEvent] = []
        for raw in lines:
            self._line(raw, events)
        return events

    def close(self) -> list[SSEEvent]:
        """End of stream: a final unterminated event is dispatched, as browsers do not, but
        servers that omit the last blank line are common and the data is whole."""
        events: list[SSEEvent] = []
        if self._pieces:
            self._line(self._take(b""), events)
        self._line(b"", events)
        return events

    def _hold(self, rest: bytes) -> None:
        """Keep ``rest``, the start of a line still unfinished, for the next read."""
        if rest:
            self._size += len(rest)
            if self._size > MAX_LINE:
                raise ProtocolError(
                    f"stream line longer than {MAX_LINE} bytes without a line break; the "
                    "stream is not Server-Sent Events, or is corrupt"
                )
            self._pieces.append(rest)

    def _take(self, chunk: bytes) -> bytes:
        """The held bytes followed by ``chunk``; nothing is held afterwards."""
        if not self._pieces:
            return chunk
        buffer = b"".join(self._pieces) + chunk
        self._pieces = []
        self._size = 0
        return buffer

    def _feed_events(self, buffer: bytes) -> list[SSEEvent]:
        """The fast path, at an event boundary with ``\\n``-only framing: everything before
        the last blank line is whole events. An unfinished event's whole lines go through
        the line parser now (so they are never split again); its last, partial line waits."""
        blocks = buffer.split(b"\n\n")
        rest = blocks.pop()
        events: list[SSEEvent] = []
        for block in blocks:
            if block[:6] == b"data: " and b"\n" not in block:
                events.append(("", _decode(block[6:])))
                continue
            for raw in block.split(b"\n"):
                self._line(raw, events)
            self._line(b"", events)
        if rest:
            lines = rest.split(b"\n")
            self._hold(lines.pop())
            for raw in lines:
                self._line(raw, events)
        return events

    def _line(self, raw: bytes, events: list[SSEEvent]) -> None:
        if not raw:
            if self._has_data:
                events.append((self._event, "\n".join(self._data)))
            self._event = ""
            self._data = []
            self._has_data = False
            return
        if raw[0] == 58:  # b":" comment
            return
        name, sep, value = _decode(raw).partition(":")
        if sep and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._has_data = True
        elif name == "event":
            self._event = value
        # "id" and "retry" are valid fields that LLM clients have no use for; unknown
        # fields are ignored as the spec says.


def _decode(raw: bytes) -> str:
    """A whole line as UTF-8, or :class:`ProtocolError` showing it (shortened, scrubbed).

    The error is raised outside the ``except``: the ``UnicodeDecodeError`` would chain the
    whole line's bytes (its repr shows them) to an error that must show only a scrubbed
    excerpt."""
    try:
        return raw.decode()
    except UnicodeDecodeError as exc:
        where = f"byte {exc.start}"
    shown = excerpt(repr(raw[:1024]), 200)
    raise ProtocolError(f"stream line is not UTF-8 (at {where}): {shown}", line=shown)


def json_object(data: str, provider: str) -> dict[str, Any]:
    """An event's ``data`` parsed as a JSON object, or :class:`ProtocolError` naming it
    (raised unchained: orjson's error keeps the whole text as ``.doc``)."""
    try:
        value: Any = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        problem = f"is not JSON ({exc})"
    else:
        if isinstance(value, dict):
            return cast(dict[str, Any], value)
        problem = "is not a JSON object"
    shown = excerpt(data, 300)
    raise ProtocolError(f"{provider}: stream data {problem}: {shown!r}", line=shown)


DONE: Mapping[str, Any] = MappingProxyType({})
"""What :class:`SSEObjects` gives for a ``data: [DONE]`` event: an empty, read-only object.
A decoder that does not care reads it as an event that says nothing; one that does tests
``data is DONE`` (Chat Completions: a stream that ended with ``[DONE]`` ended on purpose,
even without a finish reason)."""


class SSEObjects:
    """A stream framed as Server-Sent Events, read as JSON objects: one per event's data.

    ``[DONE]``, which OpenAI-style hosts send last, is :data:`DONE`; any other data that is
    not a JSON object is a :class:`ProtocolError`. The
    :class:`~reverie.providers._host.Framing` of every SSE host.
    """

    __slots__ = ("_decoder", "_provider")

    def __init__(self, provider: str) -> None:
        self._decoder = SSEDecoder()
        self._provider = provider

    def feed(self, chunk: bytes) -> list[Mapping[str, Any]]:
        return self._objects(self._decoder.feed(chunk))

    def close(self) -> list[Mapping[str, Any]]:
        return self._objects(self._decoder.close())

    def _objects(self, events: list[SSEEvent]) -> list[Mapping[str, Any]]:
        return [
            DONE if data == "[DONE]" else json_object(data, self._provider) for _, data in events
        ]
