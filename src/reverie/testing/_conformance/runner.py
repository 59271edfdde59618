"""Running cassettes: one through its scenario, or many concurrently."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from reverie._accumulate import collect
from reverie._steps import PrepareStep
from reverie.agent import Agent
from reverie.content import (
    FilePart,
    MediaOutput,
    Message,
    ProviderData,
    ToolCallPart,
    ToolResultPart,
    system,
    user,
)
from reverie.errors import CassetteError, ReverieError
from reverie.model import Call, FinishReason, LanguageModel, ProviderTool, Response
from reverie.observe import Observer
from reverie.run_state import RunResult, RunState
from reverie.testing._cassette import Cassette, load_cassette
from reverie.testing._conformance.checks import check, check_book, check_person, expect
from reverie.testing._conformance.resumed import ResumeMode, run_in_pieces
from reverie.testing._conformance.scenarios import (
    BOOK_SCHEMA,
    OBJECT_PROMPTS,
    OBJECT_SCENARIOS,
    SCENARIOS,
    SYSTEM,
    WEB_SEARCH_FOLLOW_UPS,
    CheckResult,
    Failure,
    Scenario,
    Skip,
    clip,
    is_scenario_path,
    parse_scenario,
    person_type,
)
from reverie.testing._conformance.targets import (
    build_model,
    folder_options,
    folder_prepare_step,
    infer_target,
    provider_tools,
)
from reverie.testing._transport import CassetteTransport


def find_image(path: Path) -> bytes:
    """The corpus's ``wish.png``, found beside or above the cassette."""
    for folder in path.parents:
        candidate = folder / "wish.png"
        if candidate.is_file():
            return candidate.read_bytes()
    raise Skip("wish.png is not in the corpus folder")


NOT_A_SCENARIO = (
    "not a conformance scenario: scenarios live in the corpus layout "
    "<suite>/Test<Name>/<model>/<scenario>.yaml (reverie replay shows what it holds)"
)


async def run_cassette(
    path: Path,
    match: Literal["strict", "lenient"] = "strict",
    resume: ResumeMode | None = None,
    observers: Sequence[Observer] = (),
) -> CheckResult:
    """Replay one cassette through its scenario and check the outcome. With ``resume``, an
    agent scenario runs in pieces through saved run states (:mod:`.resumed`). A cassette
    outside the corpus layout is ``not-scenario``: its file name may be a scenario's
    (``simple``), but nothing says it was recorded as one. ``observers`` watch the agent
    runs of agent scenarios (telemetry tests replay the corpus this way)."""
    if not is_scenario_path(path):
        return CheckResult(str(path), "not-scenario", NOT_A_SCENARIO)
    try:
        await _run(path, match, resume, observers)
    except Skip as exc:
        return CheckResult(str(path), "skipped", str(exc))
    except Failure as exc:
        return CheckResult(str(path), "failed", clip(str(exc)))
    except ReverieError as exc:
        return CheckResult(str(path), "failed", f"{type(exc).__name__}: {exc}")
    return CheckResult(str(path), "passed")


async def _run(
    path: Path,
    match: Literal["strict", "lenient"],
    resume: ResumeMode | None = None,
    observers: Sequence[Observer] = (),
) -> None:
    try:
        cassette = load_cassette(path)
    except CassetteError as exc:
        raise Failure(f"cassette not loadable: {exc}") from exc
    key, streaming = parse_scenario(path)
    if key in OBJECT_SCENARIOS:
        await _run_object(path, cassette, key, streaming, match)
        return
    special = _SPECIAL_SCENARIOS.get(key)
    scenario = SCENARIOS.get(key)
    if scenario is None and special is None:
        raise Skip(f"scenario {key!r} is not supported yet")
    target = infer_target(cassette)
    transport = CassetteTransport(cassette, match=match)
    async with transport.client() as http:
        model = build_model(target, http)
        if special is not None:
            await special(model, streaming)
            if not transport.all_played:
                raise Failure(
                    f"{len(transport.unplayed)} recorded interaction(s) were never requested"
                )
            return
        assert scenario is not None
        files = (FilePart(find_image(path), "image/png"),) if scenario.image else ()
        tools = provider_tools(scenario, target)
        options = folder_options(path, target)
        follow_up = WEB_SEARCH_FOLLOW_UPS.get(target.provider)
        if resume is not None:

            def fresh(options: ProviderData = options, prepare: bool = True) -> Agent:
                agent = _agent(
                    build_model(target, http),
                    scenario,
                    tools,
                    options,
                    folder_prepare_step(path) if prepare else None,
                    observers,
                )
                agent.requires_approval = resume == "approvals"
                return agent

            result = await run_in_pieces(fresh, scenario.prompt, streaming, files=files)
            if scenario.name == "web_search" and streaming and follow_up is not None:
                # Turn 2 continues from turn 1's saved state, itself read back from JSON.
                state = result.state
                assert state is not None
                second = await run_in_pieces(
                    lambda: fresh({}, False),
                    follow_up[0],
                    streaming,
                    history=RunState.from_json(state.to_json()),
                )
                expect(follow_up[1] in second.text, f"turn 2 lacks {follow_up[1]}")
        else:
            result = await run_agent_scenario(
                model,
                scenario,
                streaming,
                files=files,
                provider_tools=tools,
                provider_options=options,
                prepare_step=folder_prepare_step(path),
                observers=observers,
            )
            if scenario.name == "web_search" and streaming and follow_up is not None:
                # Turn 2 continues from turn 1's messages (the agent adds its system prompt).
                agent = _agent(model, scenario, tools, {}, None, observers)
                history = [m for m in result.messages if m.role != "system"]
                second = await agent.stream([*history, user(follow_up[0])]).collect()
                expect(follow_up[1] in second.text, f"turn 2 lacks {follow_up[1]}: {second.text!r}")
    if not transport.all_played:
        raise Failure(f"{len(transport.unplayed)} recorded interaction(s) were never requested")
    check(scenario, result, target)


async def _run_object(
    path: Path, cassette: Cassette, key: str, streaming: bool, match: Literal["strict", "lenient"]
) -> None:
    """A structured-output scenario from a cassette."""
    target = infer_target(cassette)
    transport = CassetteTransport(cassette, match=match)
    async with transport.client() as http:
        model = build_model(target, http)
        await run_object_scenario(model, key, streaming, folder_options(path, target))
    if not transport.all_played:
        raise Failure(f"{len(transport.unplayed)} recorded interaction(s) were never requested")


def _agent(
    model: LanguageModel,
    scenario: Scenario,
    tools: tuple[ProviderTool, ...],
    options: ProviderData,
    prepare: PrepareStep | None,
    observers: Sequence[Observer] = (),
) -> Agent:
    return Agent(
        model,
        system=scenario.system,
        tools=scenario.tools,
        provider_tools=tools,
        max_output_tokens=scenario.max_output_tokens,
        provider_options=options,
        prepare_step=prepare,
        observers=observers,
    )


async def run_agent_scenario(
    model: LanguageModel,
    scenario: Scenario,
    streaming: bool,
    *,
    files: tuple[FilePart, ...] = (),
    provider_tools: tuple[ProviderTool, ...] = (),
    provider_options: ProviderData | None = None,
    prepare_step: PrepareStep | None = None,
    observers: Sequence[Observer] = (),
) -> RunResult:
    """One agent scenario on ``model`` (replayed or live); the caller checks the result."""
    agent = _agent(model, scenario, provider_tools, provider_options or {}, prepare_step, observers)
    if streaming:
        return await agent.stream(scenario.prompt, files=files).collect()
    return await agent.generate(scenario.prompt, files=files)


async def run_object_scenario(
    model: LanguageModel,
    key: str,
    streaming: bool,
    provider_options: ProviderData | None = None,
    max_output_tokens: int = 4000,
) -> None:
    """A structured-output scenario (``generate_object`` / ``stream_object``, mode auto) on
    ``model``, checked as the corpus README says (whose output cap is 4000 tokens)."""
    from reverie.output import PartialObject, generate_object, stream_object

    if key == "simple_object":
        schema: Any = person_type()
        name, description = None, None  # from the model: "Person" and its docstring
    else:
        schema = BOOK_SCHEMA
        name, description = "Book", "A book with title, author, genres, and publication year"
    options: dict[str, Any] = {
        "schema": schema,
        "name": name,
        "description": description,
        "max_output_tokens": max_output_tokens,
        "provider_options": provider_options or {},
    }
    partials = 0
    if streaming:
        stream = stream_object(model, OBJECT_PROMPTS[key], **options)
        async for event in stream:
            partials += isinstance(event, PartialObject)
        result = stream.result
        assert result is not None
        expect(partials > 0, "the stream yielded no partial object")
    else:
        result = await generate_object(model, OBJECT_PROMPTS[key], **options)
    expect(result.finish_reason.value != "unknown", f"no finish reason: {result.finish_reason}")
    expect(result.usage.total_tokens > 0, f"usage not tracked: {result.usage}")
    expect(bool(result.raw_text), "no raw text")
    if key == "simple_object":
        check_person(result.object)
    else:
        check_book(result.object)


# A 1x1 PNG: the "screenshot" the computer-use scenario returns.
SCREENSHOT_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
)


# The computer-use tool version each model was recorded with (README: TestAnthropicComputerUse).
_COMPUTER_TOOLS = {"claude-opus-4-6": "computer_20251124"}


async def _computer_use(model: LanguageModel, streaming: bool) -> None:
    """Two model calls, as a computer-use loop makes them: the model asks for a screenshot,
    the screenshot goes back as the tool result, the model describes it."""
    if model.provider != "anthropic":
        raise Skip(f"computer use on {model.provider} is not supported yet")
    version = _COMPUTER_TOOLS.get(model.model_id, "computer_20250124")
    computer = ProviderTool(
        f"anthropic.{version}",
        "computer",
        {"display_width_px": 1920, "display_height_px": 1080},
    )
    prompt = [system(SYSTEM), user("Take a screenshot of the desktop")]

    async def call(messages: Sequence[Message]) -> Response:
        request = Call(messages=messages, tools=(computer,))
        return await (collect(model.stream(request)) if streaming else model.generate(request))

    first = await call(prompt)
    expect(first.finish_reason == FinishReason.TOOL_CALLS, f"turn 1: {first.finish_reason}")
    calls = [p for p in first.content if isinstance(p, ToolCallPart)]
    expect(
        len(calls) == 1 and calls[0].tool_name == "computer" and "screenshot" in calls[0].input,
        f"turn 1 calls: {calls}",
    )
    shot = calls[0]
    screenshot = MediaOutput(SCREENSHOT_PNG, "image/png")
    second = await call(
        [
            *prompt,
            Message("assistant", (ToolCallPart(shot.tool_call_id, shot.tool_name, shot.input),)),
            Message("tool", (ToolResultPart(shot.tool_call_id, shot.tool_name, screenshot),)),
        ]
    )
    expect(bool(second.text.strip()), "turn 2 has no text")


# Scenarios that are not one agent run: a function of the model and whether to stream.
_SPECIAL_SCENARIOS: dict[str, Callable[[LanguageModel, bool], Awaitable[None]]] = {
    "computer_use": _computer_use,
}


def find_cassettes(paths: Iterable[str | Path]) -> list[Path]:
    """Every ``.yaml`` cassette named or found under the given paths, sorted."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(p.rglob("*.yaml")))
        elif p.suffix in (".yaml", ".yml") and p.exists():
            found.append(p)
        else:
            raise FileNotFoundError(f"no cassette or folder at {p}")
    return found


async def run_all(
    paths: Sequence[Path],
    match: Literal["strict", "lenient"] = "strict",
    concurrency: int = 16,
    resume: ResumeMode | None = None,
) -> list[CheckResult]:
    """Run many cassettes concurrently; results in the order of ``paths``."""
    limit = asyncio.Semaphore(concurrency)

    async def one(p: Path) -> CheckResult:
        async with limit:
            return await run_cassette(p, match, resume)

    return list(await asyncio.gather(*(one(p) for p in paths)))


def summarize(results: Sequence[CheckResult]) -> Mapping[str, int]:
    counts = {"passed": 0, "failed": 0, "skipped": 0, "not-scenario": 0}
    for r in results:
        counts[r.status] += 1
    return counts
