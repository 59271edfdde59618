"""Durable runs: an agent run that survives its process, on an existing engine.

A run dies with its process; the model calls it paid for and the tools it ran (some with side
effects) are lost with it. A durable engine records each model call and each tool call of a
run as it finishes; after a crash the same run is started again, the loop runs again from the
run's first state, and every recorded call is answered from the record instead of being made
again (see :mod:`reverie.effects`, the seam the engines wrap). reverie has no engine of its
own; it runs on these:

- **DBOS** (:mod:`reverie.durable.dbos`, ``pip install 'reverie[durable]'``): a library, not a
  service. The record is a database: SQLite (a file, nothing to start) for one machine, or
  Postgres for production and for several worker processes or machines sharing the runs of a
  batch. The default: choose it unless you already run Temporal.
- **Temporal** (:mod:`reverie.durable.temporal`, ``pip install 'reverie[temporal]'``): a
  workflow service. Choose it when your organisation already runs a Temporal cluster, or
  needs its operations tooling (visibility, namespaces, replay tooling) around agent runs.

Both give the same guarantees: a run has an id; running the id again resumes it (recorded
calls are replayed, never repeated; a tool that had finished is not run again, one that was
running when the process died is run again, so tools with side effects should be idempotent
or keyed by their call id); a finished id gives its result with no call; a run waiting for
approval waits durably, and any process can answer it. The agent's hooks (``prepare_step``,
stop conditions, approval predicates) run again on replay and must be deterministic.

``docs/durable.md`` compares the engines and shows the command line (``reverie run --durable``,
``reverie approve``, ``reverie batch``, ``reverie worker``).

This package itself imports no engine: each engine's module imports its library when it is
imported.
"""

from __future__ import annotations

from reverie.durable._agents import AgentFactory
from reverie.durable._errors import RunFailed

__all__ = ["AgentFactory", "RunFailed"]
