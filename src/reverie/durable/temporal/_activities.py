"""The two activities: one step's model call, one tool call. They run on a worker, outside the
workflow sandbox, and do what :class:`~reverie.effects.LocalEffects` does, once per attempt.

Retries belong to Temporal, not to reverie (see :mod:`reverie.durable.temporal`): the model
call is made with no retry of its own, and a failure becomes an
:class:`~temporalio.exceptions.ApplicationError` that says whether Temporal may try again,
and after how long when the provider named a wait (``Retry-After``). Both activities
heartbeat while they run, so that a worker that dies is noticed within the heartbeat timeout
and the activity is tried again on another worker.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.contrib.workflow_streams import WorkflowStreamClient
from temporalio.exceptions import ApplicationError

from reverie._redact import seal
from reverie.codec import decode_json, decode_messages, decode_part
from reverie.content import ToolCallPart
from reverie.durable.temporal._payloads import (
    RemoteError,
    decode_call,
    encode_event,
)
from reverie.durable.temporal._serving import served
from reverie.effects import (
    LocalEffects,
    ModelRequest,
    ToolRequest,
    drain,
    encode_model_outcome,
    encode_tool_outcome,
)
from reverie.errors import ConfigurationError
from reverie.events import AgentEvent, Retry
from reverie.retry import NO_RETRY, RetryPolicy

MODEL_ACTIVITY = "reverie.model"
TOOL_ACTIVITY = "reverie.tool"
EVENTS_TOPIC = "events"

PUBLISH_INTERVAL = timedelta(milliseconds=200)
"""How often a streaming model call sends what it received to the workflow's event stream:
each send is one signal in the workflow's history, so not per token."""


@activity.defn(name=MODEL_ACTIVITY)
async def call_model(payload: dict[str, Any]) -> dict[str, Any]:
    """One attempt at one step's model call; its :class:`~reverie.effects.ModelOutcome`."""
    try:
        serving = served(payload["agent"])
        agent = serving.agent
        call = decode_call(payload["call"])
        messages = payload.get("messages")
        request = ModelRequest(
            run_id=payload["run_id"],
            step=payload["step"],
            model=serving.model(payload["model"]),
            call=call,
            tools={name: serving.tool(name) for name in payload["tools"]},
            messages=tuple(call.messages) if messages is None else decode_messages(messages),
            system=payload.get("system"),
            streaming=payload["streaming"],
        )
    except ConfigurationError as exc:
        raise _failure(exc, NO_RETRY) from exc
    effects = LocalEffects(NO_RETRY, agent.repair_tool_call)
    async with _heartbeating():
        try:
            if not request.streaming:
                outcome = await drain(effects.call_model(request))
            else:
                async with WorkflowStreamClient.from_within_activity(
                    batch_interval=PUBLISH_INTERVAL
                ) as stream:
                    topic = stream.topic(EVENTS_TOPIC)
                    attempt = activity.info().attempt
                    if attempt > 1:  # consumers drop what they showed of the failed attempt
                        failed = RemoteError(f"attempt {attempt - 1} of the model call failed")
                        topic.publish(encode_event(Retry(attempt - 1, failed, 0.0)))

                    def publish(event: AgentEvent) -> None:
                        topic.publish(encode_event(event))

                    outcome = await drain(effects.call_model(request), publish)
        except Exception as exc:
            raise _failure(exc, agent.retry) from exc
    return encode_model_outcome(outcome)


@activity.defn(name=TOOL_ACTIVITY)
async def call_tool(payload: dict[str, Any]) -> dict[str, Any]:
    """One tool call, run once per attempt: its result, or that it is deferred."""
    try:
        serving = served(payload["agent"])
        part = decode_part(payload["call"])
        if not isinstance(part, ToolCallPart):
            raise ConfigurationError(f"not a tool call: {payload['call']!r:.100}")
        tool = serving.tool(part.tool_name)
    except ConfigurationError as exc:
        raise _failure(exc, NO_RETRY) from exc
    request = ToolRequest(
        payload["run_id"], payload["step"], part, decode_json(payload["arguments"]), tool
    )
    async with _heartbeating():
        # A tool's own failure is its error result; only the worker's end fails an attempt.
        outcome = await LocalEffects(tool_timeout=serving.agent.tool_timeout).call_tool(request)
    return encode_tool_outcome(outcome)


def _failure(exc: BaseException, policy: RetryPolicy) -> ApplicationError:
    """``exc`` for Temporal: retryable per reverie's policy (Temporal counts the attempts),
    after the provider's named wait when it gave one. The message is scrubbed of secrets."""
    seal(exc)
    retryable = policy.is_retryable(exc) and not policy.demands_too_long(exc)
    wait: object = getattr(exc, "retry_after", None)
    delay = None
    if retryable and isinstance(wait, int | float) and math.isfinite(wait) and wait >= 0:
        delay = timedelta(seconds=float(wait))
    return ApplicationError(
        str(exc) or type(exc).__name__,
        type=type(exc).__name__,
        non_retryable=not retryable,
        next_retry_delay=delay,
    )


@asynccontextmanager
async def _heartbeating() -> AsyncGenerator[None, None]:
    """Heartbeat in the background while the body runs (a third of the timeout apart)."""
    timeout = activity.info().heartbeat_timeout
    if not timeout:
        yield
        return
    every = max(timeout.total_seconds() / 3, 0.05)

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(every)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
