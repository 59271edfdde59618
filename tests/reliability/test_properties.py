"""Property tests: however the bytes are split, the same events and the same tool calls;
on arbitrary input, the decoders raise only their own typed errors."""

from __future__ import annotations

import contextlib
from typing import Any

import orjson
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reverie.errors import CassetteFormatError, ProtocolError
from reverie.events import ToolCall
from reverie.providers._openai.chat_stream import ChatStreamDecoder
from reverie.providers._openai.dialect import ChatDialect
from reverie.providers._sse import SSEDecoder, SSEEvent
from reverie.testing._cassette import parse_cassette

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that can sit on one SSE line: any character but line breaks and lone surrogates.
line_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=20
)


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, start = [], 0
    for p in points:
        pieces.append(data[start:p])
        start = p
    pieces.append(data[start:])
    return pieces


def decode(chunks: list[bytes]) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events + decoder.close()


@st.composite
def sse_streams(draw: st.DrawFn) -> tuple[bytes, list[SSEEvent]]:
    """A serialized stream (random line endings, comments, events without data) and the
    events it must decode to."""
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text, expected = "", []
    for _ in range(draw(st.integers(0, 6))):
        name = draw(st.one_of(st.just(""), line_text.filter(lambda s: s == s.strip())))
        lines = draw(st.lists(line_text, max_size=3))
        if draw(st.booleans()):
            text += ": a comment" + eol
        if name:
            text += f"event: {name}{eol}"
        text += "".join(f"data: {line}{eol}" for line in lines)
        text += eol
        if lines:
            expected.append((name, "\n".join(lines)))
    return text.encode(), expected


@FAST
@given(sse_streams(), st.lists(st.integers(min_value=0), max_size=12))
def test_sse_events_do_not_depend_on_how_the_bytes_are_split(
    stream: tuple[bytes, list[SSEEvent]], cuts: list[int]
):
    data, expected = stream
    assert decode([data]) == expected
    assert decode(split_at(data, cuts)) == expected


@FAST
@given(sse_streams())
def test_sse_events_survive_one_byte_reads(stream: tuple[bytes, list[SSEEvent]]):
    data, expected = stream
    assert decode([data[i : i + 1] for i in range(len(data))]) == expected


@FAST
@given(st.lists(st.binary(max_size=40), max_size=8))
def test_sse_decoder_raises_only_protocol_error_on_arbitrary_bytes(chunks: list[bytes]):
    error: ProtocolError | None = None
    try:
        decode(chunks)
    except ProtocolError as exc:
        error = exc
    assert error is None or error.line  # names what it could not decode


# -- the Chat Completions tool-call assembler ---------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
calls_strategy = st.lists(
    st.tuples(
        st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10),
        st.dictionaries(st.text(max_size=6), json_values, max_size=4),
    ),
    min_size=1,
    max_size=4,
)


def tool_chunks(
    calls: list[tuple[str, dict[str, Any]]], cuts: list[int], whole: bool
) -> list[dict]:
    """OpenAI-style chunks: each call's arguments cut at ``cuts`` (or sent whole)."""
    chunks: list[dict[str, Any]] = []
    for index, (name, args) in enumerate(calls):
        text = orjson.dumps(args).decode()
        pieces = [text]
        if not whole:  # cut the text (not its bytes: OpenAI sends whole characters)
            points = sorted({c % (len(text) + 1) for c in cuts})
            pieces, start = [], 0
            for p in points:
                pieces.append(text[start:p])
                start = p
            pieces.append(text[start:])
        first = {
            "index": index,
            "id": f"call_{index}",
            "type": "function",
            "function": {"name": name, "arguments": pieces[0]},
        }
        chunks.append({"choices": [{"index": 0, "delta": {"tool_calls": [first]}}]})
        for piece in pieces[1:]:
            delta = {"index": index, "function": {"arguments": piece}}
            chunks.append({"choices": [{"index": 0, "delta": {"tool_calls": [delta]}}]})
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    return chunks


def assemble(chunks: list[dict[str, Any]], byte_cuts: list[int]) -> list[tuple[str, str, Any]]:
    """The chunks as SSE bytes, split at ``byte_cuts``, through both decoders."""
    data = b"".join(b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"
    sse, chat = SSEDecoder(), ChatStreamDecoder(ChatDialect("openai"))
    events: list[Any] = []
    for piece in split_at(data, byte_cuts):
        for _name, payload in sse.feed(piece):
            if payload != "[DONE]":
                events += chat.feed(orjson.loads(payload))
    assert sse.close() == []
    events += chat.finish()
    return [
        (e.call.tool_call_id, e.call.tool_name, orjson.loads(e.call.input))
        for e in events
        if isinstance(e, ToolCall)
    ]


@FAST
@given(
    calls_strategy,
    st.lists(st.integers(min_value=0), max_size=6),
    st.lists(st.integers(min_value=0), max_size=10),
)
def test_tool_calls_do_not_depend_on_fragmenting_or_byte_splits(
    calls: list[tuple[str, dict[str, Any]]], arg_cuts: list[int], byte_cuts: list[int]
):
    expected = [(f"call_{i}", name, args) for i, (name, args) in enumerate(calls)]
    assert assemble(tool_chunks(calls, [], whole=True), []) == expected
    assert assemble(tool_chunks(calls, arg_cuts, whole=False), byte_cuts) == expected


# -- the cassette loader ------------------------------------------------------------------


@FAST
@given(st.text(max_size=300))
def test_cassette_parser_raises_only_its_typed_error_on_arbitrary_text(text: str):
    with contextlib.suppress(CassetteFormatError):
        parse_cassette(text)


yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "request",
                    "response",
                    "method",
                    "url",
                    "code",
                    "body",
                    "headers",
                    "status",
                    "form",
                    "duration",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@FAST
@given(st.lists(yaml_values, max_size=3), st.sampled_from([2, 1, "2", None]))
def test_cassette_parser_raises_only_its_typed_error_on_cassette_shaped_yaml(
    interactions: list[Any], version: Any
):
    text = yaml.safe_dump({"version": version, "interactions": interactions})
    with contextlib.suppress(CassetteFormatError):
        parse_cassette(text)
