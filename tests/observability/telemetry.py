"""In-memory OpenTelemetry for tests: SDK providers that keep every span and metric point,
passed to the observer explicitly (the global providers are never touched)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from reverie.agent import RunResult
from reverie.observe import RunInfo, RunObserver
from reverie.otel import OpenTelemetry


@dataclass
class Finished:
    """What one run ended with, as an observer saw it."""

    info: RunInfo
    result: RunResult | None
    error: BaseException | None


@dataclass
class Results:
    """An observer that keeps every run's result, keyed by run id."""

    runs: dict[str, Finished] = field(default_factory=dict[str, Finished])

    def start_run(self, run: RunInfo) -> RunObserver:
        runs = self.runs

        class _Keep(RunObserver):
            def end(self, result: RunResult | None, error: BaseException | None) -> None:
                runs[run.run_id] = Finished(run, result, error)

        return _Keep()


class Telemetry:
    """SDK providers with in-memory export, and the reverie observer wired to them."""

    def __init__(self, *, capture_content: bool | None = None, agent_name: str | None = None):
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.observer = OpenTelemetry(
            tracer_provider=self.tracer_provider,
            meter_provider=self.meter_provider,
            capture_content=capture_content,
            agent_name=agent_name,
        )

    def spans(self) -> Sequence[ReadableSpan]:
        return self.exporter.get_finished_spans()

    def named(self, prefix: str) -> list[ReadableSpan]:
        return [s for s in self.spans() if (s.name or "").startswith(prefix)]

    def points(self, metric: str) -> Iterator[tuple[dict[str, Any], HistogramDataPoint]]:
        """Every data point of a histogram, with its attributes."""
        data = self.reader.get_metrics_data()
        if data is None:
            return
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for m in scope.metrics:
                    if m.name == metric:
                        for point in m.data.data_points:
                            assert isinstance(point, HistogramDataPoint)
                            yield dict(point.attributes or {}), point

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def children(spans: Sequence[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]
