"""The observer :class:`OpenTelemetry` (see :mod:`reverie.otel`): the tracer, meter and
instruments, shared by every run it watches; each run's spans are a
:class:`~reverie.otel._run.RunTelemetry`."""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from reverie.observe import RunInfo, RunObserver

try:
    from opentelemetry import metrics, trace
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "reverie.otel needs the OpenTelemetry API: pip install 'reverie[otel]'"
    ) from exc

from reverie.otel import _names as names
from reverie.otel._run import RunTelemetry

CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
"""The environment variable the OpenTelemetry GenAI instrumentations read for content opt-in."""


class OpenTelemetry:
    """An observer (:mod:`reverie.observe`) reporting runs as OpenTelemetry spans and metrics.

    ``tracer_provider`` / ``meter_provider`` default to the global ones (set by the
    application, or no-ops). ``capture_content`` records message content (see the module
    docstring); ``agent_name`` becomes ``gen_ai.agent.name`` and the run span's name (an
    agent's ``name`` attribute is used when this is not given). One instance can watch any
    number of agents and concurrent runs.
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        capture_content: bool | None = None,
        agent_name: str | None = None,
    ) -> None:
        if capture_content is None:
            capture_content = os.environ.get(CAPTURE_CONTENT_ENV, "").lower() in ("true", "1")
        self.capture_content = capture_content
        self.agent_name = agent_name
        self._explicit = tracer_provider is not None or meter_provider is not None
        scope_version = _version()
        self.tracer = trace.get_tracer("reverie", scope_version, tracer_provider=tracer_provider)
        meter = metrics.get_meter("reverie", scope_version, meter_provider=meter_provider)
        self.duration = meter.create_histogram(
            names.GEN_AI_CLIENT_OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=names.DURATION_BUCKETS,
        )
        self.tokens = meter.create_histogram(
            names.GEN_AI_CLIENT_TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=names.TOKEN_BUCKETS,
        )
        self.first_chunk = meter.create_histogram(
            names.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
            unit="s",
            description="Time to receive the first chunk of a streamed response.",
            explicit_bucket_boundaries_advisory=names.DURATION_BUCKETS,
        )

    def start_run(self, run: RunInfo) -> RunObserver | None:
        """The telemetry of one run (starts its ``invoke_agent`` span); None while no
        provider is configured anywhere."""
        if not self._explicit and _nothing_configured():
            return None
        return RunTelemetry(self, run)

    def __repr__(self) -> str:
        extra: dict[str, Any] = {"capture_content": self.capture_content}
        if self.agent_name:
            extra["agent_name"] = self.agent_name
        return f"OpenTelemetry({', '.join(f'{k}={v!r}' for k, v in extra.items())})"


def _nothing_configured() -> bool:
    """Whether the global tracer and meter providers are still the API's placeholders."""
    from opentelemetry.metrics import _internal as metrics_internal

    # The API keeps its placeholder meter provider in a private singleton; if that ever
    # moves, the answer is "configured" and runs are simply watched by the no-ops.
    placeholder = getattr(metrics_internal, "_PROXY_METER_PROVIDER", None)
    return (
        isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
        and metrics.get_meter_provider() is placeholder
    )


def _version() -> str:
    try:
        return version("reverie")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"
