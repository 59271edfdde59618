"""Batch runs: one agent over many prompts, with limits, progress and resumability.

::

    from reverie.batch import BatchSpec, run_batch

    spec = BatchSpec("openai:gpt-4o-mini", system="Classify the ticket.",
                     requests_per_second=5, tokens_per_minute=200_000)
    summary = await run_batch(spec, "tickets.jsonl", "results.jsonl", concurrency=16)

The input is JSONL: each line a prompt string, or an object with ``prompt`` and an optional
``id`` (else the line number is the row's id). Each finished row appends one line to the
results file: ``{"id", "text", "output"?, "usage", "steps"}``, or ``{"id", "error":
{"kind", "message"}}`` for a row that failed after the model call's retries. Running the
same batch again skips the rows done and runs the failed ones again.

:func:`run_batch` works in this process (``concurrency`` rows at a time; an
:class:`~reverie.Agent` or a :class:`BatchSpec`). :func:`run_batch_durable` puts the rows on a
DBOS queue in Postgres (needs ``reverie[durable]``): any number of :func:`work` processes
(``reverie worker --durable postgresql://...``), on any machine that reaches the database,
share them; each row runs once, and a killed worker's rows are taken over by the others and
resumed from their recorded calls. Limits (:class:`BatchSpec` ``requests_per_second``,
``tokens_per_minute``) hold per provider in each process.

The command line: ``reverie batch INPUT.jsonl -m MODEL [--tool ...] [--output-type ...]
--out RESULTS.jsonl [--durable postgresql://...]`` (see ``docs/durable.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reverie.batch._limits import LimitedModel, ProviderLimiter
from reverie.batch._local import BatchProgress, BatchSummary, run_batch
from reverie.batch._spec import BatchSpec, Row, read_rows

if TYPE_CHECKING:
    from reverie.batch._durable import run_batch_durable, work

__all__ = [
    "BatchProgress",
    "BatchSpec",
    "BatchSummary",
    "LimitedModel",
    "ProviderLimiter",
    "Row",
    "read_rows",
    "run_batch",
    "run_batch_durable",
    "work",
]


def __getattr__(name: str) -> Any:
    # The DBOS-backed functions load DBOS only when asked for.
    if name in ("run_batch_durable", "work"):
        from reverie.batch import _durable

        return getattr(_durable, name)
    raise AttributeError(f"module 'reverie.batch' has no attribute {name!r}")
