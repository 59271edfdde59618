"""The constrained reply, streamed: answer text as it is generated, tool calls at the end.

:class:`AnswerStreamer` reads the JSON of :mod:`reverie.providers._local.tooljson` as it
arrives. While the reply is ``{"final_answer": "..."}`` it decodes the string (escapes,
surrogate pairs split across chunks) and emits text deltas at once, so an answer streams
the way a hosted model's does; tool calls are emitted whole when the reply is complete,
since their arguments are only usable then.
"""

from __future__ import annotations

import re

from reverie.content import TextPart, ToolCallPart
from reverie.events import (
    StreamEvent,
    TextDelta,
    TextEnd,
    TextStart,
    ToolCall,
    ToolInputDelta,
    ToolInputEnd,
    ToolInputStart,
)
from reverie.providers._local.tooljson import TEXT_ID, decode_answer

_KEY = re.compile(r'\s*\{\s*"(final_answer|tool_calls|tool)"\s*:\s*')
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class AnswerStreamer:
    """Feed the reply's text as it streams; get back the events it stands for.

    The ``final_answer`` string is decoded and emitted as text deltas while it is being
    generated; tool calls are emitted whole when the reply is complete (:meth:`finish`).
    """

    def __init__(self) -> None:
        self._buffer = ""
        self._kind: str | None = None  # "final_answer", "tool_calls", "tool", "raw" once known
        self._pos = 0  # in final_answer: the next unread character of the string value
        self._string_done = False
        self._text_open = False
        self._started = False  # a TextStart was emitted

    @property
    def text(self) -> str:
        """Everything received so far."""
        return self._buffer

    def feed(self, delta: str) -> list[StreamEvent]:
        self._buffer += delta
        if self._kind is None:
            match = _KEY.match(self._buffer)
            if match is None:
                stripped = self._buffer.lstrip()
                if stripped and not _could_become_key(stripped):
                    self._kind = "raw"
                return []
            self._kind = match.group(1)
            self._pos = match.end()
        if self._kind != "final_answer" or self._string_done:
            return []
        return self._stream_string()

    def _stream_string(self) -> list[StreamEvent]:
        buf = self._buffer
        if self._pos < len(buf) and not self._text_open:
            if buf[self._pos] != '"':
                self._string_done = True  # not a string: decode_answer will sort it out
                return []
            self._pos += 1
            self._text_open = True
        if not self._text_open:
            return []
        out: list[str] = []
        i = self._pos
        while i < len(buf):
            ch = buf[i]
            if ch == '"':
                self._string_done = True
                i += 1
                break
            if ch != "\\":
                out.append(ch)
                i += 1
                continue
            if i + 1 >= len(buf):
                break  # wait for the escaped character
            esc = buf[i + 1]
            if esc == "u":
                decoded, used = _unicode_escape(buf, i)
                if used == 0:
                    break  # wait for the whole escape
                out.append(decoded)
                i += used
            else:
                out.append(_ESCAPES.get(esc, esc))
                i += 2
        self._pos = i
        events: list[StreamEvent] = []
        if out:
            if not self._started:
                self._started = True
                events.append(TextStart(TEXT_ID))
            events.append(TextDelta(TEXT_ID, "".join(out)))
        return events

    def finish(self) -> tuple[list[StreamEvent], bool]:
        """The closing events, and whether the reply was tool calls."""
        events: list[StreamEvent] = []
        if self._started:
            events.append(TextEnd(TEXT_ID))
            return events, False
        called = False
        for part in decode_answer(self._buffer):
            if isinstance(part, ToolCallPart):
                called = True
                events += [
                    ToolInputStart(part.tool_call_id, part.tool_name),
                    ToolInputDelta(part.tool_call_id, part.input),
                    ToolInputEnd(part.tool_call_id),
                    ToolCall(part),
                ]
            elif isinstance(part, TextPart) and part.text:
                events += [TextStart(TEXT_ID), TextDelta(TEXT_ID, part.text), TextEnd(TEXT_ID)]
        return events, called


def _could_become_key(text: str) -> bool:
    """Whether ``text`` may still grow into one of the protocol's opening keys."""
    compact = re.sub(r"\s+", "", text)
    return any(
        target.startswith(compact) or compact.startswith(target)
        for target in ('{"final_answer":', '{"tool_calls":', '{"tool":')
    )


def _unicode_escape(buf: str, i: int) -> tuple[str, int]:
    """Decode ``\\uXXXX`` (and a surrogate pair) at ``buf[i]``; ``(text, length)`` or 0."""
    if i + 6 > len(buf):
        return "", 0
    try:
        code = int(buf[i + 2 : i + 6], 16)
    except ValueError:
        return buf[i : i + 6], 6
    if 0xD800 <= code < 0xDC00:
        if i + 12 > len(buf):
            return "", 0
        if buf[i + 6 : i + 8] == "\\u":
            try:
                low = int(buf[i + 8 : i + 12], 16)
            except ValueError:
                low = 0
            if 0xDC00 <= low < 0xE000:
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), 12
    return chr(code), 6
