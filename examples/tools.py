"""Example tools for ``reverie run --tool examples/tools.py:NAME``.

Plain typed functions: reverie builds each tool's JSON schema from the type hints and the
description from the docstring (``Args:`` entries describe the parameters).
"""

from __future__ import annotations

import datetime


def add(a: int, b: int) -> int:
    """Add two numbers.

    Args:
        a: first number
        b: second number
    """
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two numbers.

    Args:
        a: first number
        b: second number
    """
    return a * b


def weather(location: str) -> str:
    """Get weather information for a location.

    Args:
        location: the city
    """
    return "40 C"


def utc_now() -> str:
    """The current date and time in UTC (ISO 8601)."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
