"""How long each phase of a provider request may take.

=============  =======  ==================================================================
``connect``    10 s     opening the TCP/TLS connection
``first_byte`` 300 s    from sending a streamed request to its first body bytes (headers
                        included); reasoning models may think silently before the first one
``idle``       120 s    silence between two chunks of a stream: a stalled stream is the
                        most common hang; providers that think for long send keep-alive
                        pings (Anthropic) or content well within this
``total``      1200 s   the whole request, body included, streamed or not
=============  =======  ==================================================================

Set per model: ``get_model("openai:gpt-4o", timeouts=Timeouts(idle=30))``. ``None`` turns
one limit off. A non-streamed request is bounded by ``connect`` and ``total`` only (its
first byte is its last). Enforcement lives in :mod:`reverie.providers._http`; a miss is an
:class:`~reverie.errors.APITimeoutError`, which the agent retries.

These bound one request. The whole run — every step, retry, wait and tool — is bounded by
``Agent(run_timeout=...)`` (:mod:`reverie._deadline`), one tool call by
``@tool(timeout=...)`` / ``Agent(tool_timeout=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_TIMEOUTS",
    "Timeouts",
]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds allowed per phase of a request; ``None`` disables one (see the module doc)."""

    connect: float | None = 10.0
    first_byte: float | None = 300.0
    idle: float | None = 120.0
    total: float | None = 1200.0


DEFAULT_TIMEOUTS = Timeouts()
