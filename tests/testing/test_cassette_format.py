"""Cassettes are written as go-vcr writes them.

The corpus is the reference: every file in it (written by go-vcr) must come back byte for
byte after load -> save, and load -> save -> load must give equal data.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reverie.testing import _goyaml
from reverie.testing._cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    _loader,  # pyright: ignore[reportPrivateUsage]
    dump_cassette,
    format_go_duration,
    interaction_mapping,
    load_cassette,
    parse_cassette,
    parse_go_duration,
    save_cassette,
)
from reverie.testing._goyaml import GO_VCR, Layout, detect_layout, dump_document
from tests.conftest import CORPUS, require_corpus

CASSETTES = sorted(CORPUS.rglob("*.yaml")) if CORPUS.is_dir() else []


def _data(cassette: Cassette) -> list[dict[str, object]]:
    return [interaction_mapping(i, n) for n, i in enumerate(cassette.interactions)]


def test_every_corpus_cassette_round_trips_byte_for_byte(tmp_path: Path) -> None:
    require_corpus()
    changed: list[str] = []
    for path in CASSETTES:
        original = path.read_text(encoding="utf-8")
        cassette = load_cassette(path)
        saved = save_cassette(cassette, tmp_path / "out.yaml")
        text = saved.read_text(encoding="utf-8")
        if text != original:
            changed.append(str(path.relative_to(CORPUS)))
            continue
        again = load_cassette(saved)
        assert _data(again) == _data(cassette), path
        assert yaml.load(text, Loader=yaml.CSafeLoader) == yaml.load(
            original, Loader=yaml.CSafeLoader
        )
    assert not changed, f"{len(changed)} cassette(s) changed on a round trip: {changed[:5]}"


def test_the_layout_a_file_was_written_with_is_kept() -> None:
    default = "---\nversion: 2\ninteractions:\n- id: 0\n  request:\n    proto: HTTP/1.1\n"
    wide = "---\nversion: 2\ninteractions:\n    - id: 0\n      request:\n        proto: x\n"
    assert detect_layout(default) == GO_VCR
    assert detect_layout(wide) == Layout(4, compact=False)
    data = {"a": [{"b": {"c": ["d"]}, "e": "x\ny\n"}]}
    assert dump_document(data, Layout(4, compact=False)) == (
        "---\na:\n    - b:\n        c:\n            - d\n      e: |\n        x\n        y\n"
    )
    assert dump_document(data) == "---\na:\n- b:\n    c:\n    - d\n  e: |\n    x\n    y\n"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("application/json", "application/json"),
        ("", '""'),
        ("200 OK", "200 OK"),
        ("415.440041ms", "415.440041ms"),
        ("755.667µs", "755.667µs"),
        ("*/*", "'*/*'"),
        ('{"a":"it\'s"}', "'{\"a\":\"it''s\"}'"),
        ("- x", "'- x'"),
        ("a: b", "'a: b'"),
        ("a #b", "'a #b'"),
        ("a#b", "a#b"),
        ("12", '"12"'),
        ("0x1F", '"0x1F"'),
        ("1e3", '"1e3"'),
        (".5", '".5"'),
        ("1:20", '"1:20"'),
        ("2024-01-02", '"2024-01-02"'),
        ("2024-13-02", "2024-13-02"),
        ("true", '"true"'),
        ("yes", '"yes"'),
        ("null", '"null"'),
        ("<<", '"<<"'),
        ("tab\there", '"tab\\there"'),
        ("trailing ", "'trailing '"),
        (" leading", "' leading'"),
        ("emoji 👋", '"emoji \\U0001F44B"'),
        ("bell\x07", '"bell\\a"'),
        ("line\nnext", "|-\n    line\n    next"),
        ("data: 1\n\n", "|+\n    data: 1\n\n"),
        ("x\n", "|\n    x\n"),
        ("\nlead", "|2-\n\n    lead"),
        ("=", "="),
        ("crlf\r\n\r\n", '"crlf\\r\\n\\r\\n"'),
        ("space \nbreak", '"space \\nbreak"'),
        ("\n", '"\\n"'),
        ("a\u2028b\nc", '"a\\Lb\\nc"'),
    ],
)
def test_strings_are_written_in_go_yamls_style(value: str, written: str) -> None:
    text = dump_document({"k": {"body": value}})
    assert text == f"---\nk:\n  body: {written}" + ("" if written.endswith("\n") else "\n")
    assert yaml.load(text, Loader=_loader()) == {"k": {"body": value}}


def test_binary_bodies_are_base64_in_70_character_lines() -> None:
    data = bytes(range(256))
    text = dump_document({"k": {"body": data}})
    lines = text.splitlines()
    assert lines[2] == "  body: !!binary |"
    assert all(len(line) == 4 + 70 for line in lines[3:-1])
    assert yaml.safe_load(text) == {"k": {"body": data}}
    assert dump_document({"b": b"\xff\x00"}) == "---\nb: !!binary /wA=\n"
    assert dump_document({"b": "Olá".encode()}) == "---\nb: Olá\n"  # UTF-8 is text, as in Go


def test_headers_are_sorted_as_go_yaml_sorts_map_keys() -> None:
    interaction = Interaction(
        RecordedRequest(
            "GET",
            "https://x.test/",
            headers={"User-Agent": ["u"], "Accept": ["a"], "Content-Type": ["c"]},
            form={"b10": ["x"], "b9": ["y"], "a": ["z"]},
        ),
        RecordedResponse(200),
    )
    mapping = interaction_mapping(interaction, 0)
    assert list(mapping["request"]["headers"]) == ["Accept", "Content-Type", "User-Agent"]
    assert list(mapping["request"]["form"]) == ["a", "b9", "b10"]


def test_a_new_interaction_gets_go_vcrs_fields_and_defaults() -> None:
    cassette = Cassette(
        [
            Interaction(
                RecordedRequest("POST", "https://x.test/v1", body='{"a":1}'),
                RecordedResponse(404, body="nope", duration=format_go_duration(0.41544)),
            )
        ]
    )
    text = dump_cassette(cassette)
    assert text == (
        "---\nversion: 2\ninteractions:\n- id: 0\n  request:\n    proto: HTTP/1.1\n"
        '    proto_major: 1\n    proto_minor: 1\n    content_length: 7\n    host: ""\n'
        "    body: '{\"a\":1}'\n    headers: {}\n    url: https://x.test/v1\n    method: POST\n"
        "  response:\n    proto: HTTP/1.1\n    proto_major: 1\n    proto_minor: 1\n"
        "    content_length: 4\n    body: nope\n    headers: {}\n    status: 404 Not Found\n"
        "    code: 404\n    duration: 415.44ms\n"
    )
    assert parse_cassette(text).interactions[0].response.duration_seconds == pytest.approx(0.41544)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.000000415, "415ns"),
        (0.000755667, "755.667µs"),
        (0.415440041, "415.440041ms"),
        (8.5358505, "8.5358505s"),
        (62.5, "1m2.5s"),
        (3600, "1h0m0s"),
        (2.0, "2s"),
    ],
)
def test_durations_are_go_duration_strings(seconds: float, text: str) -> None:
    assert format_go_duration(seconds) == text
    assert math.isclose(parse_go_duration(text), seconds, abs_tol=1e-9)


_text = st.text(
    st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from("\n\r\t -:#'\"{}[]|>!&*?,%@`\x85\u2028\u2029\ufeff\x00"),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True),
        st.lists(_text, min_size=1, max_size=3),
        max_size=4,
    ),
    _text,
)
def test_whatever_the_text_pyyaml_reads_back_what_was_written(
    headers: dict[str, list[str]], body: str
) -> None:
    data = {"request": {"body": body, "headers": headers}, "n": [body, {"x": body}]}
    assert yaml.load(dump_document(data), Loader=_loader()) == data


def _reference_analysis(s: str) -> tuple[bool, bool, bool, bool]:
    """libyaml's analyze_scalar, ported character by character (block context only):
    (multiline, block_plain_allowed, single_quoted_allowed, block_allowed)."""
    if not s:
        return False, True, True, False
    breaks = "\r\n\x85\u2028\u2029"

    def printable(c: str) -> bool:
        o = ord(c)
        return (
            o == 0x0A
            or 0x20 <= o <= 0x7E
            or 0xA0 <= o <= 0xD7FF
            or (0xE000 <= o <= 0xFFFD and o != 0xFEFF)
        )

    block_ind = s.startswith(("---", "..."))
    line_breaks = special = tabs = False
    leading = trailing_space = trailing_break = break_space = space_break = False
    prev_space = prev_break = False
    preceded_by_ws = True
    for i, c in enumerate(s):
        followed_by_ws = i + 1 >= len(s) or s[i + 1] in " \t"
        if i == 0:
            if c in "#,[]{}&*!|>'\"%@`" or (c in "?:-" and followed_by_ws):
                block_ind = True
        elif (c == ":" and followed_by_ws) or (c == "#" and preceded_by_ws):
            block_ind = True
        if c == "\t":
            tabs = True
        elif not printable(c):
            special = True
        if c == " ":
            leading = leading or i == 0
            trailing_space = i == len(s) - 1
            break_space = break_space or prev_break
            prev_space, prev_break = True, False
        elif c in breaks:
            line_breaks = True
            leading = leading or i == 0
            trailing_break = i == len(s) - 1
            space_break = space_break or prev_space
            prev_space, prev_break = False, True
        else:
            prev_space = prev_break = False
        preceded_by_ws = c in " \t\0" or c in breaks
    plain = not (
        leading
        or trailing_space
        or trailing_break
        or break_space
        or space_break
        or tabs
        or special
        or line_breaks
        or block_ind
    )
    single = not (break_space or space_break or tabs or special)
    block = not (trailing_space or space_break or special)
    return line_breaks, plain, single, block


@settings(max_examples=1000, deadline=None)
@given(_text)
def test_the_fast_scalar_analysis_agrees_with_libyamls_character_loop(s: str) -> None:
    a = _goyaml._Analysis(s)  # pyright: ignore[reportPrivateUsage]
    got = (a.multiline, a.block_plain_allowed, a.single_quoted_allowed, a.block_allowed)
    assert got == _reference_analysis(s)
