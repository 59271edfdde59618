"""Go conventions that go-vcr's files follow: durations, status text, header names, map order.

go-vcr writes Go values: a ``time.Duration`` as ``Duration.String()`` (``"415.440041ms"``),
``resp.Status`` (``"200 OK"``), header names as ``textproto.CanonicalMIMEHeaderKey`` makes
them, and map keys in go-yaml's natural order. reverie writes the same, so a cassette it
records reads like one go-vcr recorded.
"""

from __future__ import annotations

import functools
import re
from http import HTTPStatus

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def canonical_header(name: str) -> str:
    """Go's ``textproto.CanonicalMIMEHeaderKey``: ``content-type`` -> ``Content-Type``."""
    if not _TOKEN.fullmatch(name):
        return name
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def status_text(code: int) -> str:
    """Go's ``resp.Status`` for a code: ``"200 OK"``."""
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} status code {code}"


def sorted_map(value: dict[str, list[str]]) -> dict[str, list[str]]:
    """A Go map as go-yaml writes it: keys in go-yaml's natural order."""
    return {k: value[k] for k in sorted(value, key=functools.cmp_to_key(_go_key_cmp))}


def _go_key_cmp(a: str, b: str) -> int:
    """go-yaml's ``keyList.Less`` for strings: letters before digits, numbers by value."""
    return -1 if _go_key_less(a, b) else (1 if _go_key_less(b, a) else 0)


def _go_key_less(a: str, b: str) -> bool:
    digits = False
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            digits = ca.isdigit()
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            return al if digits else bl
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}


def parse_go_duration(text: str) -> float:
    """Seconds in a Go duration string (``"1m2.5s"``, ``"415.44ms"``, ``"755.667µs"``)."""
    s = text.strip()
    sign = -1.0 if s.startswith("-") else 1.0
    s = s.lstrip("+-")
    if s == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if not m:
            raise ValueError(f"not a Go duration: {text!r}")
        total += float(m.group(1)) * _UNIT_NS[m.group(2)]
        pos = m.end()
    if not s:
        raise ValueError(f"not a Go duration: {text!r}")
    return sign * total / 1e9


def format_go_duration(seconds: float) -> str:
    """Go's ``time.Duration.String()`` for ``seconds``: ``"415.440041ms"``, ``"1m2.5s"``."""
    ns = round(seconds * 1e9)
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{_fraction(ns, 1_000)}µs"
    if ns < 1_000_000_000:
        return f"{sign}{_fraction(ns, 1_000_000)}ms"
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = f"{_fraction(rest, 1_000_000_000)}s"
    if hours:
        return f"{sign}{hours}h{minutes}m{text}"
    if minutes:
        return f"{sign}{minutes}m{text}"
    return f"{sign}{text}"


def _fraction(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    if not frac:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}.{frac:0{digits}d}".rstrip("0")
