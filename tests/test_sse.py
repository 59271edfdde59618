"""The SSE decoder: framing rules, and the same events however the bytes are split."""

from __future__ import annotations

import pytest

from reverie.errors import ProtocolError
from reverie.providers._sse import DONE, SSEDecoder, SSEEvent, SSEObjects


def decode(*chunks: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events + decoder.close()


STREAM = (
    b": keep-alive comment\n"
    b'event: message_start\ndata: {"a": 1}\n\n'
    b"data: line one\ndata: line two\n\n"
    b"data:no-space\n\n"
    b"event: ping\n\n"
    + "data: multibyte \u00e9\u00e8 \u2603 \U0001f600\n\n".encode()
    + b"data: [DONE]\n\n"
)
EXPECTED: list[SSEEvent] = [
    ("message_start", '{"a": 1}'),
    ("", "line one\nline two"),
    ("", "no-space"),
    ("", "multibyte \u00e9\u00e8 \u2603 \U0001f600"),
    ("", "[DONE]"),
]


def test_decodes_events_comments_multiline_data_and_skips_events_without_data() -> None:
    assert decode(STREAM) == EXPECTED


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
def test_crlf_and_cr_line_endings_decode_like_lf(newline: bytes) -> None:
    assert decode(STREAM.replace(b"\n", newline)) == EXPECTED


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_every_single_split_point_gives_the_same_events(newline: bytes) -> None:
    data = STREAM.replace(b"\n", newline)
    for cut in range(len(data) + 1):
        assert decode(data[:cut], data[cut:]) == EXPECTED, f"split at {cut}"


def test_byte_by_byte_feeding_gives_the_same_events() -> None:
    data = STREAM.replace(b"\n", b"\r\n")
    assert decode(*(data[i : i + 1] for i in range(len(data)))) == EXPECTED


def test_a_final_event_without_its_blank_line_is_still_delivered() -> None:
    assert decode(b'data: {"x": 1}') == [("", '{"x": 1}')]


def test_invalid_utf8_raises_a_protocol_error_naming_the_line() -> None:
    with pytest.raises(ProtocolError, match="not UTF-8"):
        decode(b"data: \xff\xfe\n\n")


def test_simple_and_unusual_events_mixed_give_the_same_events_however_split() -> None:
    simple = b"".join(b'data: {"n": %d}\n\n' % i for i in range(5))
    data = simple + b"event: x\r\ndata: a\r\ndata: b\r\n\r\n" + simple + b"data: tail\n\n"
    expected = [("", f'{{"n": {i}}}') for i in range(5)]
    expected = [*expected, ("x", "a\nb"), *expected, ("", "tail")]
    for cut in range(len(data) + 1):
        assert decode(data[:cut], data[cut:]) == expected, f"split at {cut}"
    assert decode(*(data[i : i + 7] for i in range(0, len(data), 7))) == expected


def test_sse_objects_pass_done_on_as_a_read_only_marker() -> None:
    framing = SSEObjects("p")
    objects = framing.feed(b'data: {"a": 1}\n\ndata: [DONE]\n\n') + framing.close()
    assert objects == [{"a": 1}, DONE]
    assert objects[1] is DONE and not DONE  # an empty event to decoders that do not look
    with pytest.raises(TypeError):
        DONE["x"] = 1  # type: ignore[index]  # shared by every stream: never written to


def test_sse_objects_refuse_data_that_is_not_a_json_object() -> None:
    with pytest.raises(ProtocolError, match="not a JSON object"):
        SSEObjects("p").feed(b"data: [1, 2]\n\n")
