"""Spans and metrics exported for real: OTLP over HTTP to a receiver on 127.0.0.1 that
decodes the protobuf requests, as a collector would."""

from __future__ import annotations

import asyncio
import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from reverie.otel import OpenTelemetry
from reverie.otel import names as n
from reverie.testing._conformance import run_cassette

from .telemetry import Results


class Receiver(ThreadingHTTPServer):
    """Collects the OTLP/HTTP export requests it is sent."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.traces: list[trace_service_pb2.ExportTraceServiceRequest] = []
        self.metrics: list[metrics_service_pb2.ExportMetricsServiceRequest] = []
        self.content_types: set[str] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.content_types.add(self.headers.get("Content-Type", ""))
        reply: Any
        if self.path == "/v1/traces":
            self.server.traces.append(trace_service_pb2.ExportTraceServiceRequest.FromString(body))
            reply = trace_service_pb2.ExportTraceServiceResponse()
        elif self.path == "/v1/metrics":
            request = metrics_service_pb2.ExportMetricsServiceRequest.FromString(body)
            self.server.metrics.append(request)
            reply = metrics_service_pb2.ExportMetricsServiceResponse()
        else:
            self.send_error(404)
            return
        data = reply.SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return tuple(value(x) for x in v.array_value.values)
    return getattr(v, kind) if kind else None


def attributes(kvs: Any) -> dict[str, Any]:
    return {kv.key: value(kv.value) for kv in kvs if isinstance(kv, KeyValue)}


def test_a_replayed_conversation_reaches_an_otlp_http_receiver(receiver: Receiver, corpus) -> None:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{receiver.url}/v1/traces"))
    )
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{receiver.url}/v1/metrics"),
        export_interval_millis=3_600_000,  # exported on flush only
    )
    meter_provider = MeterProvider(metric_readers=[reader])
    observer = OpenTelemetry(tracer_provider=tracer_provider, meter_provider=meter_provider)
    results = Results()
    path = corpus / "fantasy/TestOpenAICommon/openai-gpt-4o/multi_tool.yaml"
    check = asyncio.run(run_cassette(path, "strict", observers=[observer, results]))
    assert check.status == "passed", check.reason
    assert tracer_provider.force_flush() and meter_provider.force_flush()
    tracer_provider.shutdown()
    meter_provider.shutdown()

    ((_, finished),) = results.runs.items()
    result = finished.result
    assert result is not None
    spans = {
        span.name: span
        for request in receiver.traces
        for resource in request.resource_spans
        for scope in resource.scope_spans
        if scope.scope.name == "reverie"
        for span in scope.spans
    }
    assert set(spans) == {
        "invoke_agent",
        "chat gpt-4o",
        "execute_tool add",
        "execute_tool multiply",
    }
    run = spans["invoke_agent"]
    for child in ("chat gpt-4o", "execute_tool add", "execute_tool multiply"):
        assert spans[child].parent_span_id == run.span_id
        assert spans[child].trace_id == run.trace_id
    run_attributes = attributes(run.attributes)
    assert run_attributes[n.GEN_AI_OPERATION_NAME] == "invoke_agent"
    assert run_attributes[n.GEN_AI_USAGE_INPUT_TOKENS] == result.usage.prompt_tokens
    assert run_attributes[n.GEN_AI_USAGE_OUTPUT_TOKENS] == result.usage.output_tokens
    assert result.cost is not None
    assert run_attributes[n.REVERIE_COST_USD] == pytest.approx(float(result.cost.total))
    # The chat span that was exported last is the final step's.
    last = result.steps[-1]
    chat = attributes(spans["chat gpt-4o"].attributes)
    assert chat[n.GEN_AI_RESPONSE_ID] == last.response_id
    assert chat[n.GEN_AI_RESPONSE_MODEL] == last.response_model
    assert chat[n.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)

    metrics = {
        metric.name: metric
        for request in receiver.metrics
        for resource in request.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert {n.GEN_AI_CLIENT_OPERATION_DURATION, n.GEN_AI_CLIENT_TOKEN_USAGE} <= set(metrics)
    tokens = {
        attributes(p.attributes)[n.GEN_AI_TOKEN_TYPE]: p.sum
        for p in metrics[n.GEN_AI_CLIENT_TOKEN_USAGE].histogram.data_points
    }
    assert tokens == {"input": result.usage.prompt_tokens, "output": result.usage.output_tokens}
    durations = metrics[n.GEN_AI_CLIENT_OPERATION_DURATION].histogram.data_points
    assert sum(p.count for p in durations) == len(result.steps)
    assert receiver.content_types == {"application/x-protobuf"}
