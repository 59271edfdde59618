"""A YAML writer that lays text out exactly as go-vcr does (go-yaml v4, indent 2, compact lists).

Why our own emitter: a cassette reverie writes must be byte-identical to what go-vcr would
write for the same data, so a round trip through reverie leaves go-vcr's files untouched and
diffs stay readable. PyYAML's dumper differs from go-yaml in many small ways (it folds long
lines, prefers single quotes for multi-line text, indents lists, escapes differently). The
rules below are go-yaml's, ported from its encoder (``stringv``) and its libyaml emitter
(``analyzeScalar`` / ``selectScalarStyle`` and the scalar writers), restricted to what a
cassette holds: block mappings and sequences of strings, byte strings, ints and booleans.

Choice of scalar style, in go-yaml's order:

* text with a line break: a literal block (``|``, ``|-``, ``|+``) when the emitter allows one,
  else double quotes (``\\r``, tabs after spaces, non-printable characters, trailing spaces);
* text a plain scalar would read back as something else (``""``, ``true``, ``12``, ``1e3``,
  ``2024-01-02``, ``yes``, ``<<``): double quotes;
* otherwise plain, unless an indicator forbids it (``{"a":1}``, ``*/*``, ``- x``, ``a: b``):
  single quotes, or double quotes when single quotes cannot carry it.

Lines are never folded (go-vcr writes with unlimited width). Bytes that are not UTF-8 become
``!!binary`` base64 in 70-character lines. Mapping keys keep the order they are given in.
One deliberate difference: text holding the Unicode line breaks NEL, LS or PS is always
double-quoted (escaped), because go-yaml's raw form of them does not read back as written.
"""

from __future__ import annotations

import base64
import datetime
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Value = object
"""A YAML-able value: a str, bytes, int, bool, None, list of values or str-keyed mapping."""

_BREAKS = frozenset("\r\n\x85\u2028\u2029")
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
_FLOW_INDICATORS = frozenset(",?[]{}")
# Plain text go-yaml reads as null, bool, float or merge; the YAML 1.1 booleans it quotes.
_NOT_STR = frozenset(
    {
        *("", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"),
        *(".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"),
        *("-.inf", "-.Inf", "-.INF", "-0", "-0.0", "<<"),
        *("y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO"),
        *("off", "Off", "OFF"),
    }
)
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(?:Z|[-+]\d{2}:\d{2})"
    r"| (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?)?"
)
_ESCAPES = {
    0x00: "0",
    0x07: "a",
    0x08: "b",
    0x09: "t",
    0x0A: "n",
    0x0B: "v",
    0x0C: "f",
    0x0D: "r",
    0x1B: "e",
    0x22: '"',
    0x5C: "\\",
    0x85: "N",
    0xA0: "_",
    0x2028: "L",
    0x2029: "P",
}


@dataclass(frozen=True, slots=True)
class Layout:
    """Indentation as go-yaml's encoder was configured: go-vcr's writer uses ``indent=2`` with
    compact sequences (``- `` at the parent key's column); go-yaml's defaults are 4 and not
    compact, which some cassettes were written with."""

    indent: int = 2
    compact: bool = True

    def nested(self, indent: int) -> int:
        """The indentation of a block nested under a key at ``indent`` (go-yaml's rule)."""
        return self.indent * ((indent + self.indent) // self.indent)


GO_VCR = Layout()


def dump_document(value: Mapping[str, Value], layout: Layout = GO_VCR) -> str:
    """The text go-vcr writes for a cassette mapping: ``---``, then the block mapping."""
    out: list[str] = ["---\n"]
    _Writer(layout, out).mapping(value, 0, inline=False)
    return "".join(out)


def detect_layout(text: str) -> Layout:
    """The layout a cassette's text was written with (go-vcr's when it cannot tell).

    Read from the first interaction: ``- id: 0`` / ``request:`` / ``proto: ...``.
    """
    lines = text.split("\n", 12)
    for i, line in enumerate(lines[:-2]):
        stripped = line.lstrip(" ")
        if stripped.startswith("- "):
            item = len(line) - len(stripped)
            key = len(lines[i + 2]) - len(lines[i + 2].lstrip(" "))
            break
    else:
        return GO_VCR
    for indent in range(2, 10):
        for compact in (True, False):
            layout = Layout(indent, compact)
            first = layout.nested(0) - (2 if compact else 0)
            if first == item and layout.nested(item + 2) == key:
                return layout
    return GO_VCR


# ---------------------------------------------------------------------------------------
# Layout


class _Writer:
    __slots__ = ("layout", "out")

    def __init__(self, layout: Layout, out: list[str]) -> None:
        self.layout = layout
        self.out = out

    def mapping(self, value: Mapping[str, Value], indent: int, *, inline: bool) -> None:
        """Keys at ``indent``; with ``inline`` the first key follows a ``- `` already written."""
        out = self.out
        for i, (key, item) in enumerate(value.items()):
            if not (inline and i == 0):
                out.append(" " * indent)
            name = str(key)
            if len(name.encode()) > 128 or any(c in _BREAKS for c in name):
                # go-yaml writes a long or multi-line key as an explicit "? key" entry.
                text = self.scalar(name, self.layout.nested(indent), simple_key=False)
                out.append("? " + text.rstrip("\n") + "\n" + " " * indent)
            else:
                out.append(self.scalar(name, indent, simple_key=True))
            out.append(":")
            self.value(item, indent, in_sequence=False)

    def sequence(self, value: Sequence[Value], indent: int, *, inline: bool) -> None:
        """Items at ``indent``, each ``- `` then the item."""
        for i, item in enumerate(value):
            if not (inline and i == 0):
                self.out.append(" " * indent)
            self.out.append("-")
            self.value(item, indent, in_sequence=True)

    def value(self, item: Value, indent: int, *, in_sequence: bool) -> None:
        """Write what follows a ``key:`` or ``-`` at ``indent``, through the end of its line(s)."""
        out = self.out
        # Inside a list item, go-yaml indents what follows by the width of "- ".
        inner = indent + 2 if in_sequence else self.layout.nested(indent)
        if isinstance(item, Mapping):
            if not item:
                out.append(" {}\n")
            elif in_sequence:
                out.append(" ")
                self.mapping(item, inner, inline=True)  # pyright: ignore[reportUnknownArgumentType]
            else:
                out.append("\n")
                self.mapping(item, inner, inline=False)  # pyright: ignore[reportUnknownArgumentType]
        elif isinstance(item, list | tuple):
            if not item:
                out.append(" []\n")
            elif in_sequence:
                out.append(" ")
                self.sequence(item, inner, inline=True)  # pyright: ignore[reportUnknownArgumentType]
            else:
                out.append("\n")
                items = inner - 2 if self.layout.compact else inner
                self.sequence(item, items, inline=False)  # pyright: ignore[reportUnknownArgumentType]
        else:
            text = self.node(item, inner)
            out.append(" " + text)
            if not text.endswith("\n"):
                out.append("\n")

    def node(self, item: Value, block_indent: int) -> str:
        return _node(item, block_indent, self.layout.indent)

    def scalar(self, s: str, block_indent: int, *, simple_key: bool) -> str:
        return _scalar(s, block_indent, self.layout.indent, simple_key=simple_key)


def _node(item: Value, block_indent: int, hint: int) -> str:
    if item is None:
        return "null"
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        return _float(item)
    if isinstance(item, bytes):
        try:
            return _scalar(item.decode("utf-8"), block_indent, hint, simple_key=False)
        except UnicodeDecodeError:
            return _binary(item, block_indent, hint)
    if isinstance(item, str):
        return _scalar(item, block_indent, hint, simple_key=False)
    raise TypeError(f"cannot write a {type(item).__name__} into a cassette")


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


def _binary(data: bytes, block_indent: int, hint: int) -> str:
    """go-yaml's ``!!binary``: base64 in 70-character lines, as a literal block when long."""
    encoded = base64.b64encode(data).decode("ascii")
    lines = [encoded[i : i + 70] for i in range(0, len(encoded), 70)]
    if len(encoded) // 70 + 1 == 1:
        return "!!binary " + encoded
    return "!!binary " + _literal("".join(line + "\n" for line in lines), block_indent, hint)


# ---------------------------------------------------------------------------------------
# Scalars


def _scalar(s: str, block_indent: int, hint: int, *, simple_key: bool) -> str:
    """One string in go-yaml's style for it (see the module docstring)."""
    if _UNICODE_BREAK.search(s) is not None:
        # Deliberately unlike go-yaml: it writes NEL, LS and PS raw, and a YAML reader
        # (go-yaml included) then folds them into spaces. Escaped, they read back exactly.
        return _double_quoted(s)
    style = _requested_style(s)
    a = _Analysis(s)
    if simple_key and a.multiline:
        style = "double"
    if style == "plain" and (not a.block_plain_allowed or (not s and simple_key)):
        style = "single"
    if style == "single" and not a.single_quoted_allowed:
        style = "double"
    if style == "literal" and (not a.block_allowed or simple_key):
        style = "double"
    if style == "plain":
        return s
    if style == "single":
        return "'" + s.replace("'", "''") + "'"
    if style == "literal":
        return _literal(s, block_indent, hint)
    return _double_quoted(s)


def _requested_style(s: str) -> str:
    """go-yaml's encoder choice, before the emitter checks what the text allows."""
    if "\n" in s:
        return "literal" if _should_use_literal(s) else "double"
    return "plain" if _resolves_to_str(s) else "double"


def _should_use_literal(s: str) -> bool:
    return len(s) >= 2 and any(not _go_is_space(c) for c in s)


def _go_is_space(c: str) -> bool:
    # Go's unicode.IsSpace; Python's isspace also counts the separators U+001C..U+001F.
    return c.isspace() and c not in "\x1c\x1d\x1e\x1f"


def _resolves_to_str(s: str) -> bool:
    """Whether go-yaml reads ``s`` back as a string when written plain (its ``resolve``)."""
    if s in _NOT_STR or _BASE60.fullmatch(s):
        return False
    first = s[0]
    if first == ".":
        return not _DOT_FLOAT.fullmatch(s) or math.isinf(float(s))
    if not (first.isascii() and (first.isdigit() or first in "+-")):
        return True
    if _is_timestamp(s):
        return False
    plain = s.replace("_", "")
    if _is_go_int(plain):
        return False
    if _YAML_FLOAT.fullmatch(plain):
        return math.isinf(float(plain))
    return True


def _is_go_int(s: str) -> bool:
    """``strconv.ParseInt(s, 0, 64)`` or ``ParseUint`` succeeds."""
    m = _GO_INT.fullmatch(s)
    if not m:
        return False
    sign, digits = m.group(1), m.group(2)
    if len(digits) > 1 and digits[0] == "0" and digits[1] in "0123456789":
        magnitude = int(digits, 8)
    else:
        magnitude = int(digits, 0)
    value = -magnitude if sign == "-" else magnitude
    if -(2**63) <= value < 2**63:
        return True
    return sign == "" and value < 2**64


def _is_timestamp(s: str) -> bool:
    m = _TIMESTAMP.fullmatch(s)
    if not m:
        return False
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    clock = m.group(4, 5, 6) if m.group(4) else m.group(7, 8, 9)
    if clock[0] is None:
        return True
    h, mi, sec = (int(x) for x in clock)
    return h < 24 and mi < 60 and sec < 60


_BREAK_CLASS = "\r\n\x85\u2028\u2029"
_HAS_BREAK = re.compile(f"[{_BREAK_CLASS}]")
_UNICODE_BREAK = re.compile("[\x85\u2028\u2029]")
_BREAK_SPACE = re.compile(f"[{_BREAK_CLASS}] ")
_SPACE_BREAK = re.compile(f" [{_BREAK_CLASS}]")
_NOT_PRINTABLE = re.compile(r"[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
_COLON_BLANK = re.compile(r":(?:[ \t]|\Z)")
_BLANK_HASH = re.compile(f"[ \\t\\0{_BREAK_CLASS}]#")
# What a double-quoted scalar writes unescaped: printable, not a break, not '"' or '\\'.
_NEEDS_ESCAPE = re.compile(
    r"[^\x20\x21\x23-\x5b\x5d-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]"
)


class _Analysis:
    """What the emitter allows for a scalar: libyaml's ``analyze_scalar``, for block context,
    computed with regular expressions instead of its character loop (the same predicates)."""

    __slots__ = (
        "block_allowed",
        "block_plain_allowed",
        "multiline",
        "single_quoted_allowed",
    )

    def __init__(self, s: str) -> None:
        if not s:
            self.multiline = False
            self.block_plain_allowed = True
            self.single_quoted_allowed = True
            self.block_allowed = False
            return
        first, last = s[0], s[-1]
        followed_by_blank = len(s) == 1 or s[1] in " \t"
        indicators = (
            s.startswith(("---", "..."))
            or first in _FIRST_INDICATORS
            or (first in "?:-" and followed_by_blank)
            or _COLON_BLANK.search(s) is not None
            or _BLANK_HASH.search(s) is not None
        )
        line_breaks = _HAS_BREAK.search(s) is not None
        special = _NOT_PRINTABLE.search(s.replace("\t", " ")) is not None
        tabs = "\t" in s
        break_space = line_breaks and _BREAK_SPACE.search(s) is not None
        space_break = line_breaks and _SPACE_BREAK.search(s) is not None
        trailing_space = last == " "
        self.multiline = line_breaks
        self.block_plain_allowed = not (
            first == " "
            or trailing_space
            or line_breaks
            or break_space
            or space_break
            or tabs
            or special
            or indicators
        )
        self.single_quoted_allowed = not (break_space or space_break or tabs or special)
        self.block_allowed = not (trailing_space or space_break or special)


def _literal(s: str, indent: int, hint: int) -> str:
    """A literal block: indicator, indentation and chomping hints, then indented lines."""
    head = "|"
    if s[:1] == " " or s[:1] in _BREAKS:
        head += str(hint)
    if not s or s[-1] not in _BREAKS:
        head += "-"
    elif len(s) == 1 or s[-2] in _BREAKS:
        head += "+"
    pad = " " * indent
    if _HAS_BREAK.search(s.replace("\n", "")) is None:
        body = "\n".join(pad + line if line else "" for line in s.split("\n"))
        return f"{head}\n{body}" + ("" if s.endswith("\n") else "\n")
    out = [head, "\n"]
    at_line_start = True
    for c in s:
        if c in _BREAKS:
            # go-yaml writes a break other than \n as itself, then starts a fresh line.
            out.append(c)
            at_line_start = True
        else:
            if at_line_start:
                out.append(pad)
                at_line_start = False
            out.append(c)
    if not at_line_start or s[-1] not in _BREAKS:
        out.append("\n")
    return "".join(out)


def _double_quoted(s: str) -> str:
    if s.startswith("\ufeff"):  # go-yaml's BOM check looks at the first character only
        return '"' + "".join(_escape(c) for c in s) + '"'
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _escape(m.group()), s) + '"'


def _escape(c: str) -> str:
    o = ord(c)
    short = _ESCAPES.get(o)
    if short is not None:
        return "\\" + short
    if o <= 0xFF:
        return f"\\x{o:02X}"
    if o <= 0xFFFF:
        return f"\\u{o:04X}"
    return f"\\U{o:08X}"
