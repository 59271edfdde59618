"""Telemetry over the corpus: every agent conversation of every provider folder, replayed
with the OpenTelemetry observer, checked span by span and metric by metric.

Expected values come from the run's own result (which the conformance suite checks
against the scenario) and, for the response id and model, from the recorded response
bodies themselves: an id reverie reports must be one the provider sent.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections import defaultdict
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from reverie.agent import RunResult, Step
from reverie.cost import Cost
from reverie.otel import names as n
from reverie.otel import provider_name
from reverie.otel._content import FINISH_REASONS
from reverie.testing._cassette import load_cassette
from reverie.testing._conformance import SCENARIOS, find_cassettes, parse_scenario, run_cassette
from tests.conftest import CORPUS

from .semconv import STANDARD_NAMES
from .telemetry import Results, Telemetry, attrs, children

CASSETTES = find_cassettes([CORPUS]) if CORPUS.is_dir() else []
AGENT_CASSETTES = [p for p in CASSETTES if parse_scenario(p)[0] in SCENARIOS]
BY_FOLDER: dict[Path, list[Path]] = defaultdict(list)
for _path in AGENT_CASSETTES:
    BY_FOLDER[_path.parent].append(_path)
FOLDERS = sorted(BY_FOLDER)

CONTENT = {
    n.GEN_AI_INPUT_MESSAGES,
    n.GEN_AI_OUTPUT_MESSAGES,
    n.GEN_AI_SYSTEM_INSTRUCTIONS,
    n.GEN_AI_TOOL_DEFINITIONS,
    n.GEN_AI_TOOL_CALL_ARGUMENTS,
    n.GEN_AI_TOOL_CALL_RESULT,
}


def recorded_text(path: Path) -> str:
    """Every response body of the cassette as text; Bedrock's binary event streams carry
    base64 JSON payloads, which are decoded too."""
    out: list[str] = []
    for interaction in load_cassette(path).interactions:
        body = interaction.response.body
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        out.append(text)
        for chunk in re.findall(r'"bytes":"([A-Za-z0-9+/=]+)"', text):
            out.append(base64.b64decode(chunk).decode("utf-8", "replace"))
    return "\n".join(out)


def usage_attributes(step_or_run: Step | RunResult) -> dict[str, int]:
    usage = step_or_run.usage
    return {
        n.GEN_AI_USAGE_INPUT_TOKENS: usage.prompt_tokens,
        n.GEN_AI_USAGE_OUTPUT_TOKENS: usage.output_tokens,
        n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: usage.cache_read_tokens,
        n.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: usage.cache_write_tokens,
    }


def cost_value(cost: Cost | None) -> float | None:
    return None if cost is None else float(cost.total)


def check_chat(span: ReadableSpan, step: Step, max_tokens: int | None, recorded: str) -> None:
    a = attrs(span)
    assert span.name == f"chat {step.model_id}"
    assert a[n.GEN_AI_OPERATION_NAME] == "chat"
    assert a[n.GEN_AI_PROVIDER_NAME] == provider_name(step.provider)
    assert a[n.GEN_AI_REQUEST_MODEL] == step.model_id
    assert a.get(n.GEN_AI_REQUEST_MAX_TOKENS) == max_tokens
    assert (a[n.REVERIE_STEP], a[n.REVERIE_ATTEMPT]) == (step.number, 1)
    assert step.response_id, f"no response id decoded for step {step.number}"
    assert a[n.GEN_AI_RESPONSE_ID] == step.response_id
    assert step.response_id in recorded, "the reported response id was not in the recording"
    assert step.response_model and a[n.GEN_AI_RESPONSE_MODEL] == step.response_model
    assert step.response_model in recorded
    assert a[n.GEN_AI_RESPONSE_FINISH_REASONS] == (FINISH_REASONS[step.finish_reason],)
    assert {k: a[k] for k in usage_attributes(step)} == usage_attributes(step)
    assert a.get(n.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, 0) == step.usage.reasoning_tokens
    assert a.get(n.REVERIE_COST_USD) == cost_value(step.cost)
    assert span.status.status_code == StatusCode.UNSET
    assert n.ERROR_TYPE not in a


def check_run(span: ReadableSpan, result: RunResult, spans: list[ReadableSpan], path: Path) -> None:
    recorded = recorded_text(path)
    a = attrs(span)
    assert span.name == "invoke_agent" and span.parent is None
    first = result.steps[0]
    assert a[n.GEN_AI_OPERATION_NAME] == "invoke_agent"
    assert a[n.GEN_AI_PROVIDER_NAME] == provider_name(first.provider)
    assert a[n.GEN_AI_REQUEST_MODEL] == first.model_id
    assert {k: a[k] for k in usage_attributes(result)} == usage_attributes(result)
    assert a[n.GEN_AI_RESPONSE_FINISH_REASONS] == (FINISH_REASONS[result.finish_reason],)
    assert a[n.REVERIE_RUN_STEPS] == len(result.steps)
    assert a.get(n.REVERIE_COST_USD) == pytest.approx(cost_value(result.cost))
    assert span.status.status_code == StatusCode.UNSET

    mine = children(spans, span)
    chats = sorted((s for s in mine if s.name.startswith("chat ")), key=lambda s: s.start_time or 0)
    assert len(chats) == len(result.steps)
    scenario = SCENARIOS[parse_scenario(path)[0]]
    for chat, step in zip(chats, result.steps, strict=True):
        check_chat(chat, step, scenario.max_output_tokens, recorded)

    tools = [s for s in mine if s.name.startswith("execute_tool ")]
    expected = {
        (c.tool_name, c.tool_call_id)
        for s in result.steps
        for c in s.tool_calls
        if not c.provider_executed
    }
    seen = {(attrs(t)[n.GEN_AI_TOOL_NAME], attrs(t)[n.GEN_AI_TOOL_CALL_ID]) for t in tools}
    assert seen == expected
    for tool in tools:
        assert tool.name == f"execute_tool {attrs(tool)[n.GEN_AI_TOOL_NAME]}"
        assert attrs(tool)[n.GEN_AI_OPERATION_NAME] == "execute_tool"
        assert tool.status.status_code == StatusCode.UNSET
    assert len(mine) == len(chats) + len(tools)


@pytest.mark.skipif(not FOLDERS, reason=f"cassette corpus not found at {CORPUS}")
@pytest.mark.parametrize("folder", FOLDERS, ids=[str(f.relative_to(CORPUS)) for f in FOLDERS])
def test_every_agent_run_of_the_folder_is_traced_per_the_genai_conventions(folder: Path) -> None:
    telemetry = Telemetry()
    results = Results()
    for path in BY_FOLDER[folder]:
        before = set(results.runs)
        telemetry.exporter.clear()
        check = asyncio.run(run_cassette(path, "strict", observers=[telemetry.observer, results]))
        assert check.status == "passed", f"{path.name}: {check.reason}"
        spans = list(telemetry.spans())
        runs = [s for s in spans if s.name.startswith("invoke_agent")]
        assert {attrs(s)[n.REVERIE_RUN_ID] for s in runs} == set(results.runs) - before
        for span in runs:
            finished = results.runs[attrs(span)[n.REVERIE_RUN_ID]]
            assert finished.result is not None and finished.error is None
            check_run(span, finished.result, spans, path)
        for span in spans:
            keys = set(attrs(span))
            assert not keys & CONTENT, f"{span.name} recorded content without opt-in"
            standard = {k for k in keys if not k.startswith("reverie.")}
            assert standard <= STANDARD_NAMES, standard - STANDARD_NAMES
    check_metrics(telemetry, results)
    telemetry.shutdown()


def check_metrics(telemetry: Telemetry, results: Results) -> None:
    """The folder's metrics add up to its runs' steps."""
    steps = [s for f in results.runs.values() if f.result for s in f.result.steps]
    providers = {provider_name(s.provider) for s in steps}
    tokens: dict[str, int] = defaultdict(int)
    for labels, point in telemetry.points(n.GEN_AI_CLIENT_TOKEN_USAGE):
        assert labels[n.GEN_AI_OPERATION_NAME] == "chat"
        assert labels[n.GEN_AI_PROVIDER_NAME] in providers
        assert set(labels) <= STANDARD_NAMES
        tokens[labels[n.GEN_AI_TOKEN_TYPE]] += int(point.sum)
    assert tokens == {
        "input": sum(s.usage.prompt_tokens for s in steps),
        "output": sum(s.usage.output_tokens for s in steps),
    }
    durations = list(telemetry.points(n.GEN_AI_CLIENT_OPERATION_DURATION))
    assert sum(p.count for _, p in durations) == len(steps)
    assert all(n.ERROR_TYPE not in labels for labels, _ in durations)
    assert {labels[n.GEN_AI_REQUEST_MODEL] for labels, _ in durations} == {
        s.model_id for s in steps
    }
    streamed = sum(
        len(f.result.steps) for f in results.runs.values() if f.result and f.info.streaming
    )
    first_chunks = list(telemetry.points(n.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK))
    assert sum(p.count for _, p in first_chunks) == streamed


def test_the_corpus_has_an_agent_folder_for_every_provider_it_records() -> None:
    if not FOLDERS:
        pytest.skip(f"cassette corpus not found at {CORPUS}")
    providers = {infer_provider(p) for p in AGENT_CASSETTES}
    # Sanity: the folders above cover more than a handful of providers and hosts.
    assert len(FOLDERS) >= 40 and len(providers) >= 12, (len(FOLDERS), providers)


def infer_provider(path: Path) -> str:
    from reverie.testing._conformance import infer_target

    return infer_target(load_cassette(path)).provider
