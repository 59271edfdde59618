"""Request header checks: h11's rules (httpx2's HTTP/1.1 parser), applied before sending.

A name is an RFC 9110 token (letters, digits and ``!#$%&'*+-.^_`|~``). A value is visible
characters with single spaces or tabs inside, no leading or trailing whitespace, no control
character (so no CR, LF or NUL: nothing can split the request or smuggle a header), and,
as httpx2 encodes header strings as ASCII, no character beyond ASCII.

Both of reverie's transports apply these rules (the aiohttp adapter itself, httpx2's
through h11), but their errors differ and h11 quotes the bad value, which may be an API
key. So :mod:`reverie.providers._http` checks first and reports only the header's name
and what is wrong with its value, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NAME = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
_VISIBLE = rb"[\x21-\x7e\x80-\xff]+"
_VALUE = re.compile(rb"(?:%s(?:[ \t]+%s)*)?" % (_VISIBLE, _VISIBLE))
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def header_problem(name: bytes, value: bytes) -> str | None:
    """What is wrong with one header (a phrase that follows "the header X"), or None."""
    if not _NAME.fullmatch(name):
        bad = next((i for i in range(len(name)) if not _NAME.fullmatch(name[i : i + 1])), 0)
        if not name:
            return "has an empty name"
        return (
            f"has a name with the character {name[bad : bad + 1]!r} at position {bad}, which "
            "header names cannot contain (letters, digits and !#$%&'*+-.^_`|~ only)"
        )
    if _VALUE.fullmatch(value):
        return None
    if b"\r" in value or b"\n" in value:
        return "has a value with a line break (CR or LF); a key read from a file often ends in one"
    if b"\x00" in value:
        return "has a value with a NUL byte"
    if _CONTROL.search(value):
        return "has a value with a control character"
    return "has a value with leading or trailing whitespace"


def shown_name(name: bytes) -> str:
    """The header's name as safe to show: only its valid leading part (a name that is not a
    token may be a whole ``"Authorization: Bearer ..."`` line pasted as a name)."""
    match = _NAME.match(name)
    shown = match.group().decode("ascii") if match else ""
    return shown[:40] if shown else "(unnamed)"


def first_invalid_raw(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str, str] | None:
    """The first encoded header that breaks the rules, as (shown name, problem); else None."""
    for name, value in headers:
        problem = header_problem(name, value)
        if problem is not None:
            return shown_name(name), problem
    return None


def first_invalid(headers: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """The first header that breaks the rules, as (shown name, problem); else None."""
    for name, value in headers:
        if not name.isascii():
            return shown_name(name.encode("ascii", "replace")), (
                "has a name with a character beyond ASCII, which header names cannot contain"
            )
        if not value.isascii():
            return shown_name(name.encode("ascii")), (
                "has a value with a character beyond ASCII (HTTP header values must be ASCII)"
            )
        problem = header_problem(name.encode("ascii"), value.encode("ascii"))
        if problem is not None:
            return shown_name(name.encode("ascii")), problem
    return None
