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
"""

from __future__ import annotations

from typing import Any, cast

import orjson

from reverie.errors import ProtocolError

SSEEvent = tuple[str, str]
"""``(event name, data)``; the name is ``""`` when the stream gave none."""


class SSEDecoder:
    """Incremental decoder. Call :meth:`feed` per read and :meth:`close` at the end."""

    __slots__ = ("_buffer", "_data", "_event", "_has_data", "_pending_cr")

    def __init__(self) -> None:
        self._buffer = b""
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
        elif not self._has_data and not self._event:
            return self._feed_events(self._buffer + chunk if self._buffer else chunk)
        buffer = self._buffer + chunk if self._buffer else chunk
        lines = buffer.split(b"\n")
        self._buffer = lines.pop()
        if not lines:
            return []
        events: list[SSEEvent] = []
        for raw in lines:
            self._line(raw, events)
        return events

    def close(self) -> list[SSEEvent]:
        """End of stream: a final unterminated event is dispatched, as browsers do not, but
        servers that omit the last blank line are common and the data is whole."""
        events: list[SSEEvent] = []
        if self._buffer:
            for raw in self._buffer.split(b"\n"):  # the fast path may leave whole lines
                self._line(raw, events)
            self._buffer = b""
        self._line(b"", events)
        return events

    def _feed_events(self, buffer: bytes) -> list[SSEEvent]:
        """The fast path, at an event boundary with ``\\n``-only framing: everything before
        the last blank line is whole events; the rest waits, unparsed, in the buffer."""
        blocks = buffer.split(b"\n\n")
        self._buffer = blocks.pop()
        events: list[SSEEvent] = []
        for block in blocks:
            if block[:6] == b"data: " and b"\n" not in block:
                try:
                    events.append(("", block[6:].decode()))
                except UnicodeDecodeError as exc:
                    raise ProtocolError(f"stream line is not UTF-8: {block[:200]!r}") from exc
                continue
            for raw in block.split(b"\n"):
                self._line(raw, events)
            self._line(b"", events)
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
        try:
            line = raw.decode()
        except UnicodeDecodeError as exc:
            shown = repr(raw[:200])
            raise ProtocolError(f"stream line is not UTF-8: {shown}", line=shown) from exc
        name, sep, value = line.partition(":")
        if sep and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._has_data = True
        elif name == "event":
            self._event = value
        # "id" and "retry" are valid fields that LLM clients have no use for; unknown
        # fields are ignored as the spec says.


def json_object(data: str, provider: str) -> dict[str, Any]:
    """An event's ``data`` parsed as a JSON object, or :class:`ProtocolError` naming it."""
    try:
        value: Any = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(
            f"{provider}: stream data is not JSON: {data[:300]!r}", line=data[:300]
        ) from exc
    if not isinstance(value, dict):
        raise ProtocolError(
            f"{provider}: stream data is not a JSON object: {data[:300]!r}", line=data[:300]
        )
    return cast(dict[str, Any], value)


class SSEObjects:
    """A stream framed as Server-Sent Events, read as JSON objects: one per event's data.

    ``[DONE]``, which OpenAI-style hosts send last, is skipped; any other data that is not a
    JSON object is a :class:`ProtocolError`. The :class:`~reverie.providers._host.Framing`
    of every SSE host.
    """

    __slots__ = ("_decoder", "_provider")

    def __init__(self, provider: str) -> None:
        self._decoder = SSEDecoder()
        self._provider = provider

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        return self._objects(self._decoder.feed(chunk))

    def close(self) -> list[dict[str, Any]]:
        return self._objects(self._decoder.close())

    def _objects(self, events: list[SSEEvent]) -> list[dict[str, Any]]:
        return [json_object(data, self._provider) for _, data in events if data != "[DONE]"]
