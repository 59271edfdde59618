"""Readers for numbers that came from the network: they never crash, never hang, never
allocate from what a response says.

A provider, a proxy in front of it or anyone on the path writes every header and body
field, so each number reverie acts on goes through one of these readers first. They accept
what the protocols specify and treat anything else — ``NaN``, infinities, negatives,
booleans, numbers too large to mean anything, text that is not a number, values of the
wrong JSON type — as absent (``None`` or ``0``), or clamp it to a stated bound:

============================  ==============================================================
:func:`count`                 a token count in a usage object: an int (or an integral float)
                              in ``0 ..`` :data:`MAX_COUNT`; larger is clamped, anything
                              else is 0
:func:`index`                 a position in a stream (content block, tool call): an int in
                              ``0 ..`` :data:`MAX_INDEX`, else None
:func:`seconds`               ``Retry-After`` (decimal seconds or an HTTP date) and
                              ``retry-after-ms``: finite, at least 0, at most
                              :data:`MAX_WAIT` (a longer demand is clamped to it, and the
                              retry policy refuses to wait that long), else None
:func:`content_length`        ``Content-Length``: 1 to 18 digits, else None
:func:`mapping`               a JSON object where one is expected, else ``{}``
:func:`identifier`            a name a response gives (its id, the model that answered): a
                              non-empty string of at most :data:`MAX_IDENTIFIER` characters,
                              else None
============================  ==============================================================

reverie reads no rate-limit *reset* header (``x-ratelimit-reset-*``,
``anthropic-ratelimit-*-reset``): waits come only from ``retry-after-ms`` / ``retry-after``.
"""

from __future__ import annotations

import datetime
import email.utils
import math
import re
import time
from collections.abc import Mapping
from typing import Any, cast

MAX_COUNT = 10**12
"""The largest token count believed (a trillion tokens; larger is clamped to this)."""

MAX_INDEX = 1 << 20
"""The largest stream index believed (about a million blocks or calls in one answer)."""

MAX_IDENTIFIER = 256
"""The longest response id or model name believed (real ones are well under 100)."""

MAX_WAIT = 86_400.0
"""The longest wait a response can name, in seconds (one day). The retry policy's own
``max_retry_after`` (60 s by default) is far below it: such a demand raises at once."""

# Decimal seconds as servers send them ("120", "1.5"); RFC 9110 allows only digits, and a
# fraction is common enough to accept. Bounded so a huge value is rejected by its length.
_DECIMAL = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?")
_DIGITS = re.compile(r"[0-9]{1,18}")
_LONGEST_DATE = 64  # "Sun, 06 Nov 1994 08:49:37 GMT" is 29 characters


def count(value: Any) -> int:
    """A token count: a non-negative int up to :data:`MAX_COUNT`; else 0 (see the module
    table). Digit strings are accepted, as some hosts quote their numbers."""
    number: float | int
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            return 0
        number = value
    elif isinstance(value, str) and len(value) <= 18 and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        return 0
    if number <= 0:
        return 0
    return MAX_COUNT if number >= MAX_COUNT else int(number)


def index(value: Any) -> int | None:
    """A stream position: an int in ``0 ..`` :data:`MAX_INDEX`, else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_INDEX else None


def seconds(value: Any, *, now: float | None = None) -> float | None:
    """A wait named by a response: decimal seconds or an HTTP date (``Retry-After``).

    Returns finite seconds in ``0 ..`` :data:`MAX_WAIT`, or None for anything else. A date
    in the past means 0; ``now`` (a Unix time) is for tests.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _DECIMAL.fullmatch(text):
        return min(float(text), MAX_WAIT)
    if len(text) > _LONGEST_DATE or not text[:1].isalpha():
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
        stamp = when.timestamp() if when.tzinfo else _utc_timestamp(when)
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None
    delay = stamp - (time.time() if now is None else now)
    if not math.isfinite(delay):
        return None
    return min(max(delay, 0.0), MAX_WAIT)


def milliseconds(value: Any) -> float | None:
    """``retry-after-ms``: decimal milliseconds as seconds, bounded like :func:`seconds`."""
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value.strip()):
        return None
    return min(float(value.strip()) / 1000.0, MAX_WAIT)


def content_length(value: Any) -> int | None:
    """A ``Content-Length`` value: 1 to 18 digits (no sign, no spaces inside), else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return int(text) if _DIGITS.fullmatch(text) else None


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one: a usage or details field of
    the wrong type reads as absent instead of crashing the decoder."""
    return cast(Mapping[str, Any], value) if isinstance(value, Mapping) else {}


def identifier(value: Any) -> str | None:
    """A response id or model name (typed onto ``Response``, spans and price lookups): a
    non-empty string up to :data:`MAX_IDENTIFIER` characters, else None."""
    if isinstance(value, str) and 0 < len(value) <= MAX_IDENTIFIER:
        return value
    return None


def _utc_timestamp(when: datetime.datetime) -> float:
    """A naive datetime (an HTTP date with ``-0000``) read as UTC, not local time."""
    return when.replace(tzinfo=datetime.UTC).timestamp()
