"""One agent run as spans and metrics: the observer :class:`~reverie.otel.OpenTelemetry`
returns for each run.

Spans (parents given explicitly, never through the current context: the run is an async
generator that the caller's code interleaves with, so attaching a context across its
yields would leak it into the caller):

- ``invoke_agent [name]``, the run; a child of whatever span is current when it starts;
- ``chat {model}``, one per attempt at a model call, from the request to its ``Finish``
  event; a failed attempt ends with ``error.type`` and, when retried, a ``reverie.retry``
  event; the next attempt is a new span with ``reverie.attempt`` one higher;
- ``execute_tool {name}``, one per client tool execution, current while the tool runs (it
  runs in its own task), so spans the tool makes are its children; a tool that leaves its
  result to come from outside ends its span with ``reverie.tool.deferred``. A call the
  model made in this run piece that was answered without running (invalid arguments, cut
  off by the token limit) gets a span ended at once with ``error.type``
  ``invalid_tool_call``.

A paused run is watched piece by piece (:mod:`reverie.observe`): each piece is its own
``invoke_agent`` span with the run's ``reverie.run.id``, ``reverie.run.status``
(``paused`` or ``finished``) and, when it continues an earlier piece,
``reverie.run.resumed``; its usage and cost are those of the model calls it made.

Metrics per chat attempt: ``gen_ai.client.operation.duration`` (with ``error.type`` on
failure), ``gen_ai.client.token.usage`` (input: the whole prompt, cache included; output),
and for streams ``gen_ai.client.operation.time_to_first_chunk``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from reverie._accumulate import ResponseAccumulator
from reverie._pricing import WEB_SEARCH, Cost, price, web_searches
from reverie.content import ErrorOutput, ToolCallPart, ToolResultPart
from reverie.effects import Deferred
from reverie.events import (
    AgentEvent,
    Finish,
    ReasoningDelta,
    Retry,
    RunFinish,
    StepStart,
    TextDelta,
    ToolCall,
    ToolInputDelta,
    ToolInputStart,
    ToolResult,
)
from reverie.model import ToolSpec, Usage
from reverie.observe import ModelAttempt, RunInfo, RunObserver
from reverie.otel import _attributes as attributes_of
from reverie.otel import _content as content
from reverie.otel import _names as n

if TYPE_CHECKING:
    from opentelemetry.metrics import Histogram
    from opentelemetry.trace import Tracer

    from reverie.run_state import RunResult
    from reverie.tool import FunctionTool

_FIRST_CHUNK = (TextDelta, ReasoningDelta, ToolInputStart, ToolCall)
_DELTAS = frozenset({TextDelta, ReasoningDelta, ToolInputDelta})


def provider_name(provider: str) -> str:
    """``gen_ai.provider.name`` for a reverie provider name."""
    return n.PROVIDER_NAMES.get(provider, provider)


@dataclass(slots=True)
class _Chat:
    """The open chat span of one model-call attempt."""

    span: Span
    request: ModelAttempt
    started: float
    first_chunk: float | None = None
    output: ResponseAccumulator | None = None
    web_searches: int = 0


@dataclass(slots=True)
class _Totals:
    usage: Usage = field(default_factory=Usage)
    cost: Decimal | None = Decimal(0)
    finish_reasons: list[str] = field(default_factory=list[str])


class Instruments(Protocol):
    """What a run's telemetry uses of the observer that made it
    (:class:`~reverie.otel.OpenTelemetry`)."""

    capture_content: bool
    agent_name: str | None
    tracer: Tracer
    duration: Histogram
    tokens: Histogram
    first_chunk: Histogram


class RunTelemetry(RunObserver):
    """Spans and metrics for one run; see the module docstring."""

    def __init__(self, telemetry: Instruments, run: RunInfo) -> None:
        self._t = telemetry
        self._run_info = run
        self._chat: _Chat | None = None
        self._tools: dict[str, tuple[Span, object]] = {}  # running, by call id
        self._called: set[str] = set()  # client calls the model made in this step
        self._executed: set[str] = set()  # this step's executed calls
        self._totals = _Totals()
        # A resumed piece may run tools before any model call: start from the agent's tools.
        tools: Any = getattr(run.agent, "tools", None)
        self._descriptions: Mapping[str, str] = {}
        if isinstance(tools, Mapping):
            agent_tools = cast("Mapping[str, FunctionTool]", tools)
            self._descriptions = {k: t.description or "" for k, t in agent_tools.items()}
        name = telemetry.agent_name or getattr(run.agent, "name", None)
        attributes: dict[str, Any] = {
            n.GEN_AI_OPERATION_NAME: n.INVOKE_AGENT,
            n.GEN_AI_PROVIDER_NAME: provider_name(run.model.provider),
            n.GEN_AI_REQUEST_MODEL: run.model.model_id,
            n.REVERIE_RUN_ID: run.run_id,
        }
        if run.resumed:
            attributes[n.REVERIE_RUN_RESUMED] = True
        if name:
            attributes[n.GEN_AI_AGENT_NAME] = name
        self._span = telemetry.tracer.start_span(
            f"{n.INVOKE_AGENT} {name}" if name else n.INVOKE_AGENT,
            kind=SpanKind.INTERNAL,
            attributes=attributes,
        )
        self._recording = self._span.is_recording()
        self._context = trace.set_span_in_context(self._span)

    # -- model calls -----------------------------------------------------------------------

    def model_attempt(self, attempt: ModelAttempt) -> None:
        request = attempt  # what is sent: this attempt's request
        call = request.call
        model = request.model
        attributes: dict[str, Any] = {
            n.GEN_AI_OPERATION_NAME: n.CHAT,
            n.GEN_AI_PROVIDER_NAME: provider_name(model.provider),
            n.GEN_AI_REQUEST_MODEL: model.model_id,
            n.REVERIE_STEP: request.step,
            n.REVERIE_ATTEMPT: request.attempt,
        }
        if self._recording:
            attributes.update(attributes_of.request(request, self._t.capture_content))
        self._descriptions = {t.name: t.description for t in call.tools if isinstance(t, ToolSpec)}
        span = self._t.tracer.start_span(
            f"{n.CHAT} {model.model_id}",
            context=self._context,
            kind=SpanKind.CLIENT,
            attributes=attributes,
        )
        output = ResponseAccumulator() if self._recording and self._t.capture_content else None
        self._chat = _Chat(span, request, time.perf_counter(), None, output)

    def event(self, event: AgentEvent) -> None:
        chat = self._chat
        if type(event) in _DELTAS:  # most of a stream: the fewest checks
            if chat is not None:
                if chat.first_chunk is None:
                    chat.first_chunk = time.perf_counter()
                if chat.output is not None:
                    chat.output.add(event)  # pyright: ignore[reportArgumentType]
            return
        if isinstance(event, StepStart):
            # Call ids are unique within a step only.
            self._called.clear()
            self._executed.clear()
        elif isinstance(event, ToolCall) and not event.call.provider_executed:
            self._called.add(event.call.tool_call_id)
        if chat is not None:
            if chat.first_chunk is None and isinstance(event, _FIRST_CHUNK):
                chat.first_chunk = time.perf_counter()
            if chat.output is not None and not isinstance(event, Retry | RunFinish):
                chat.output.add(event)  # pyright: ignore[reportArgumentType]
            if isinstance(event, ToolCall) and event.call.tool_name == WEB_SEARCH:
                chat.web_searches += web_searches((event.call,))
            if isinstance(event, Finish):
                self._finish_chat(chat, event)
            elif isinstance(event, Retry):
                span = chat.span
                if span.is_recording():
                    span.add_event(
                        n.REVERIE_RETRY,
                        {n.REVERIE_ATTEMPT: event.attempt, n.REVERIE_RETRY_DELAY: event.delay},
                    )
                self._fail_chat(chat, event.error)
                self._called.clear()  # the next attempt makes its own calls
        if isinstance(event, ToolResult) and self._recording:
            call_id = event.result.tool_call_id
            # Denials and results given from outside answer calls of an earlier piece.
            if call_id in self._called and call_id not in self._executed:
                self._rejected_call(event.result)

    def _finish_chat(self, chat: _Chat, finish: Finish) -> None:
        self._chat = None
        ended = time.perf_counter()
        request = chat.request
        usage = finish.usage
        reason = content.FINISH_REASONS[finish.finish_reason]
        totals = self._totals
        totals.usage = totals.usage + usage
        totals.finish_reasons = [reason]
        span = chat.span
        metric = self._metric_attributes(request, finish.response_model)
        cost = None
        if self._recording:
            cost = self._cost(chat, finish)
            totals.cost = None if cost is None or totals.cost is None else totals.cost + cost.total
        if span.is_recording():
            attributes: dict[str, Any] = {
                n.GEN_AI_RESPONSE_FINISH_REASONS: [reason],
                **attributes_of.usage(usage),
            }
            if finish.response_id:
                attributes[n.GEN_AI_RESPONSE_ID] = finish.response_id
            if finish.response_model:
                attributes[n.GEN_AI_RESPONSE_MODEL] = finish.response_model
            if request.streaming and chat.first_chunk is not None:
                attributes[n.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = chat.first_chunk - chat.started
            if cost is not None:
                attributes[n.REVERIE_COST_USD] = float(cost.total)
            if chat.output is not None:
                response = chat.output.response()
                attributes[n.GEN_AI_OUTPUT_MESSAGES] = content.output_messages(
                    response.content, response.finish_reason
                )
            span.set_attributes(attributes)
        span.end()
        t = self._t
        t.duration.record(ended - chat.started, metric)
        t.tokens.record(usage.prompt_tokens, {**metric, n.GEN_AI_TOKEN_TYPE: "input"})
        t.tokens.record(usage.output_tokens, {**metric, n.GEN_AI_TOKEN_TYPE: "output"})
        if request.streaming and chat.first_chunk is not None:
            t.first_chunk.record(chat.first_chunk - chat.started, metric)

    def _fail_chat(self, chat: _Chat, error: BaseException) -> None:
        self._chat = None
        error_type = error_type_of(error)
        _fail(chat.span, error, error_type)
        chat.span.end()
        metric = self._metric_attributes(chat.request, None)
        self._t.duration.record(
            time.perf_counter() - chat.started, {**metric, n.ERROR_TYPE: error_type}
        )

    def _metric_attributes(
        self, request: ModelAttempt, response_model: str | None
    ) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            n.GEN_AI_OPERATION_NAME: n.CHAT,
            n.GEN_AI_PROVIDER_NAME: provider_name(request.model.provider),
            n.GEN_AI_REQUEST_MODEL: request.model.model_id,
        }
        if response_model:
            attributes[n.GEN_AI_RESPONSE_MODEL] = response_model
        return attributes

    def _cost(self, chat: _Chat, finish: Finish) -> Cost | None:
        model = chat.request.model
        return price(
            model.provider,
            (finish.response_model, model.model_id),
            finish.usage,
            None,
            finish.provider_metadata,
            chat.web_searches,
        )

    # -- tools -------------------------------------------------------------------------------

    def tool_start(self, call: ToolCallPart) -> None:
        attributes: dict[str, Any] = {
            n.GEN_AI_OPERATION_NAME: n.EXECUTE_TOOL,
            n.GEN_AI_TOOL_NAME: call.tool_name,
            n.GEN_AI_TOOL_CALL_ID: call.tool_call_id,
            n.GEN_AI_TOOL_TYPE: "function",
        }
        if self._recording:
            description = self._descriptions.get(call.tool_name)
            if description:
                attributes[n.GEN_AI_TOOL_DESCRIPTION] = description
            if self._t.capture_content:
                attributes[n.GEN_AI_TOOL_CALL_ARGUMENTS] = content.dumps(content.arguments(call))
        span = self._t.tracer.start_span(
            f"{n.EXECUTE_TOOL} {call.tool_name}",
            context=self._context,
            kind=SpanKind.INTERNAL,
            attributes=attributes,
        )
        # This runs in the tool's own task: the span is current for the tool's code only.
        token = otel_context.attach(trace.set_span_in_context(span))
        self._tools[call.tool_call_id] = (span, token)
        self._executed.add(call.tool_call_id)

    def tool_end(self, call: ToolCallPart, result: ToolResultPart | Deferred | None) -> None:
        span, token = self._tools.pop(call.tool_call_id)
        otel_context.detach(token)  # pyright: ignore[reportArgumentType]
        if result is None:
            _fail(span, None, "cancelled", "the tool was cancelled")
        elif isinstance(result, Deferred):
            span.set_attribute(n.REVERIE_TOOL_DEFERRED, True)
        elif span.is_recording():
            if isinstance(result.output, ErrorOutput):
                _fail(span, None, "tool_error", result.output.message)
            if self._t.capture_content:
                span.set_attribute(
                    n.GEN_AI_TOOL_CALL_RESULT, content.dumps(content.tool_output(result.output))
                )
        span.end()

    def _rejected_call(self, result: ToolResultPart) -> None:
        """A call answered with an error and never executed (invalid, or cut off)."""
        span = self._t.tracer.start_span(
            f"{n.EXECUTE_TOOL} {result.tool_name}",
            context=self._context,
            kind=SpanKind.INTERNAL,
            attributes={
                n.GEN_AI_OPERATION_NAME: n.EXECUTE_TOOL,
                n.GEN_AI_TOOL_NAME: result.tool_name,
                n.GEN_AI_TOOL_CALL_ID: result.tool_call_id,
                n.GEN_AI_TOOL_TYPE: "function",
            },
        )
        message = result.output.message if isinstance(result.output, ErrorOutput) else ""
        _fail(span, None, "invalid_tool_call", message)
        span.end()

    # -- the end -------------------------------------------------------------------------------

    def end(self, result: RunResult | None, error: BaseException | None) -> None:
        if self._chat is not None:
            self._fail_chat(self._chat, error or RuntimeError("the run ended mid-call"))
        for span, _token in self._tools.values():  # tool_end never came: torn down
            _fail(span, None, "cancelled", "the run ended while the tool ran")
            span.end()
        self._tools.clear()
        span = self._span
        if span.is_recording():
            totals = self._totals
            attributes: dict[str, Any] = attributes_of.usage(totals.usage)
            if totals.finish_reasons:
                attributes[n.GEN_AI_RESPONSE_FINISH_REASONS] = totals.finish_reasons
            if totals.cost is not None:
                attributes[n.REVERIE_COST_USD] = float(totals.cost)
            if result is not None:
                attributes[n.REVERIE_RUN_STATUS] = result.status
                attributes[n.REVERIE_RUN_STEPS] = len(result.steps)
                if result.stopped_by is not None:
                    attributes[n.REVERIE_STOPPED_BY] = result.stopped_by.kind
            span.set_attributes(attributes)
            if error is not None:
                _fail(span, error, error_type_of(error))
        span.end()


def error_type_of(error: BaseException) -> str:
    """``error.type``: ``cancelled`` for an abandoned run, else the exception's class name."""
    if isinstance(error, GeneratorExit) or type(error).__name__ == "CancelledError":
        return "cancelled"
    return type(error).__qualname__


def _fail(span: Span, error: BaseException | None, error_type: str, message: str = "") -> None:
    if not span.is_recording():
        return
    span.set_attribute(n.ERROR_TYPE, error_type)
    if error is not None and error_type != "cancelled":
        span.record_exception(error)
        message = message or str(error)
    span.set_status(Status(StatusCode.ERROR, message or error_type))
