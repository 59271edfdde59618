"""The agent as a Temporal workflow: model calls and tool calls are activities.

::

    # worker process (as many as you like, on any machine that reaches Temporal)
    client = await Client.connect("localhost:7233")
    async with AgentWorker(client, agent, task_queue="agents"):
        await asyncio.Event().wait()

    # caller (any process)
    run = await start_run(client, "Pay invoice 7", task_queue="agents", run_id="invoice-7")
    async for event in run.events():          # as they happen; ends when the run ends
        if isinstance(event, RunPaused):
            await run.answer(*(call.approve() for call in event.pending))
    result = await run.result()

The workflow runs reverie's own loop (:meth:`reverie.Agent.resume_stream`) with effects that
are activities (:mod:`reverie.effects`): Temporal records each model call's and each tool
call's outcome, and a worker that takes over a run replays the loop from the record, calling
no model twice and running no finished tool again. A tool that was running when its worker
died runs again (at least once; make such tools idempotent).

Decisions, and why:

- **The sandbox stays on, with reverie passed through.** The agent is built once, by your
  code, in the worker process, and the workflow uses that object (looked up by name); its
  classes must be the worker's own, not copies re-imported inside the sandbox. reverie's
  loop is deterministic by construction (the state machine does no I/O; the driver awaits
  effects and your hooks; the run id is the workflow id; ``run_timeout`` reads the event
  loop's clock, which in a workflow is Temporal's, and waits on durable timers), and Temporal
  still checks on every replay that the workflow asks for the same activities. Your hooks
  that run in the workflow (``prepare_step``, stop conditions, approval predicates,
  ``repair_output``) must be deterministic, as reverie already requires for resumable runs.
  For a worker of your own, :func:`sandbox_restrictions` is the configuration.
- **Temporal owns retries.** A model call is made without reverie's retry loop; its failure
  tells Temporal whether to try again (reverie's classification, and the provider's
  ``Retry-After`` as the next delay), and the activity's retry policy is the agent's
  :class:`~reverie.retry.RetryPolicy` translated (attempts, waits; no jitter). Retrying in
  both places would multiply attempts, and only Temporal sees a dead worker. Tools are not
  retried for their own failures (those are error results the model reads); they are tried
  again only when a worker dies under them.
- **Time limits** map to activity timeouts: what is left of ``run_timeout`` bounds a model
  call including its retries (and the run itself, on workflow timers); a tool's time limit
  (plus a grace) bounds its activity; heartbeats detect dead workers.
- **Events** go through a Temporal Workflow Stream (``temporalio.contrib.workflow_streams``):
  the workflow publishes the loop's events (step start and finish, tool results, pauses, the
  finish), the model activity publishes the model's as they arrive, batched (one signal per
  0.2 s, not per token), and callers long-poll with updates (:meth:`TemporalRun.events`).
  A retried model call is announced by a ``Retry`` event.
- **Approvals are signals**, each naming the call id and its fingerprint; a paused run waits
  durably (for days, across worker restarts) until every pending call is answered.
  :meth:`TemporalRun.answer` checks the answers against the pending calls (a query) first.
- **Only names cross Temporal** (the agent's, the model's ``"provider:model-id"``, the
  tools'); each worker rebuilds the rest from what it serves (:class:`AgentWorker`).
"""

from __future__ import annotations

try:
    import temporalio as _temporalio  # noqa: F401  # pyright: ignore[reportUnusedImport]
except ImportError as exc:  # pragma: no cover - the dev environment has it
    from reverie.errors import ConfigurationError as _ConfigurationError

    raise _ConfigurationError(
        "reverie.durable.temporal needs the temporalio package: pip install 'reverie[temporal]'"
    ) from exc

from reverie.durable.temporal._client import TemporalRun, get_run, start_run
from reverie.durable.temporal._worker import AgentWorker, sandbox_restrictions
from reverie.durable.temporal._workflow import AgentWorkflow, WorkflowEffects, temporal_retry

__all__ = [
    "AgentWorker",
    "AgentWorkflow",
    "TemporalRun",
    "WorkflowEffects",
    "get_run",
    "sandbox_restrictions",
    "start_run",
    "temporal_retry",
]
