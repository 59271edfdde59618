"""The conformance suite: replay every recorded conversation through the real agent.

For each cassette, the runner reads only what a user would configure — which provider
(from the recorded URL), its endpoint and the model id — and builds everything it sends
from the scenario's inputs (``shared/cassettes/README.md``): prompts, tools, options. The
request reverie builds must match the recorded one; the response is checked the way the
scenario says. Nothing is taken from the recorded request bodies but the model id.

Scenarios come from the file name (``tool_streaming.yaml``) or, for the image-upload,
web-search and computer-use tests, from the folder. Options come from the test folder.
A provider or scenario reverie does not support yet is *skipped* with that reason.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import itertools
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal, cast
from urllib.parse import unquote, urlsplit

import orjson

from reverie.accumulate import collect
from reverie.agent import Agent, PrepareStep, RunResult, StepContext, StepOverrides
from reverie.content import (
    FilePart,
    MediaOutput,
    Message,
    ProviderData,
    ReasoningPart,
    ToolCallPart,
    ToolResultPart,
    system,
    user,
)
from reverie.errors import CassetteError, ReverieError
from reverie.model import Call, FinishReason, LanguageModel, ProviderTool, Response
from reverie.testing.cassette import Cassette, load_cassette
from reverie.testing.transport import CassetteTransport

Status = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    cassette: str
    status: Status
    reason: str = ""


class Skip(Exception):
    """This cassette needs something reverie does not support yet."""


class Failure(Exception):
    """The run did not show what the scenario requires."""


# ---------------------------------------------------------------------------------------
# Scenario inputs (exact, from the corpus README)

SYSTEM = "You are a helpful assistant"


def weather(location: Annotated[str, "the city"]) -> str:
    """Get weather information for a location"""
    return "40 C"


def add(a: Annotated[int, "first number"], b: Annotated[int, "second number"]) -> str:
    """Add two numbers"""
    return str(a + b)


def multiply(a: Annotated[int, "first number"], b: Annotated[int, "second number"]) -> str:
    """Multiply two numbers"""
    return str(a * b)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    system: str
    prompt: str
    tools: tuple[Callable[..., Any], ...] = ()
    max_output_tokens: int | None = 4000
    image: bool = False


SCENARIOS: dict[str, Scenario] = {
    "simple": Scenario("simple", SYSTEM, "Say hi in Portuguese"),
    "tool": Scenario("tool", SYSTEM, "What's the weather in Florence,Italy?", (weather,)),
    "multi_tool": Scenario(
        "multi_tool",
        "You are a helpful assistant. CRITICAL: Always use both add and multiply at the same "
        "time ALWAYS.",
        "Add and multiply the number 2 and 3",
        (add, multiply),
    ),
    "multi_tool_streaming": Scenario(
        "multi_tool",
        "You are a helpful assistant. Always use both add and multiply at the same time.",
        "Add and multiply the number 2 and 3",
        (add, multiply),
    ),
    "thinking": Scenario(
        "thinking", SYSTEM, "What's the weather in Florence, Italy?", (weather,), None
    ),
    "image": Scenario("image", SYSTEM, "Describe the image briefly in English.", image=True),
    "web_search": Scenario(
        "web_search", SYSTEM, "What is the current population of Tokyo? Cite your source."
    ),
}

# The hosted web-search tool of each provider, as a user would add it to an agent.
WEB_SEARCH_TOOLS: dict[str, ProviderTool] = {
    "openai": ProviderTool("openai.web_search", "web_search"),
    "anthropic": ProviderTool("anthropic.web_search_20250305", "web_search"),
}

# Providers whose streamed web-search run continues with a second turn from the first
# turn's messages (the README's Anthropic stream), and what that turn must mention.
WEB_SEARCH_FOLLOW_UPS: dict[str, tuple[str, str]] = {
    "anthropic": ("How does that compare to Osaka?", "Osaka"),
}

OBJECT_SCENARIOS = frozenset({"simple_object", "complex_object"})

# Object folders recorded with the provider's native JSON-schema output (the README's table).

OBJECT_PROMPTS = {
    "simple_object": "Generate information about a person named Alice who is 30 years old "
    "and lives in Paris.",
    "complex_object": "Generate information about 'The Lord of the Rings' book by J.R.R. "
    "Tolkien, including genres like fantasy and adventure, and its publication year (1954).",
}

# Book as a plain JSON schema (the object comes back as a dict, checked by reverie's
# validator); Person as a pydantic model (see ``_person_type``): both paths are exercised.
BOOK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "description": "The book title"},
        "author": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "Author's name"},
                "nationality": {"type": "string", "description": "Author's nationality"},
            },
            "required": ["name", "nationality"],
        },
        "genres": {"type": "array", "items": {"type": "string"}, "description": "List of genres"},
        "published_year": {"type": "integer", "description": "Year the book was published"},
    },
    "required": ["title", "author", "genres", "published_year"],
}


@functools.cache
def _person_type() -> type[Any]:
    """The Person schema as a pydantic model (built on first use: pydantic loads lazily)."""
    from pydantic import BaseModel, Field

    class Person(BaseModel):
        """A person with name, age, and city"""

        name: str = Field(description="The person's name")
        age: int = Field(description="The person's age")
        city: str = Field(description="The city where the person lives")

    return Person


def parse_scenario(path: Path) -> tuple[str, bool]:
    """(scenario key, streaming) for a cassette path."""
    test = _test_folder(path)
    stem = path.stem
    if test.startswith("TestImageUploadAgent"):
        return "image", test.endswith("Streaming")
    if test in ("TestAnthropicWebSearch", "TestOpenAIWebSearch"):
        return "web_search", stem == "stream"
    if test == "TestAnthropicComputerUse":
        return "computer_use", stem.endswith("_streaming")
    for suffix in ("_streaming", "-streaming"):
        if stem.endswith(suffix):
            base = stem[: -len(suffix)]
            return ("multi_tool_streaming" if base == "multi_tool" else base), True
    return stem, False


def _test_folder(path: Path) -> str:
    for part in reversed(path.parts):
        if part.startswith("Test"):
            return part
    return ""


# ---------------------------------------------------------------------------------------
# Providers: what a user would configure, read from the first recorded request


@dataclass(frozen=True, slots=True)
class Target:
    """Provider name, endpoint and model id, as a user would write them."""

    provider: str
    base_url: str
    model_id: str
    options: dict[str, Any] = field(default_factory=dict[str, Any])


_KNOWN_CHAT_HOSTS = {
    "api.openai.com": "openai",
    "api.cerebras.ai": "cerebras",
    "api.groq.com": "groq",
    "api.x.ai": "xai",
    "api.z.ai": "zai",
    "router.huggingface.co": "huggingface",
    "api.avian.io": "avian",
    "localhost": "llamacpp",
}

_GATEWAY_HOSTS = {
    "openrouter.ai": "openrouter",
    "ai-gateway.vercel.sh": "vercel",
}


def infer_target(cassette: Cassette) -> Target:
    """The provider, endpoint and model a user would configure to make these requests."""
    if not cassette.interactions:
        raise Skip("the cassette has no interactions")
    first = cassette.interactions[0].request
    parts = urlsplit(first.url)
    host = parts.hostname or ""
    body: Any
    try:
        body = orjson.loads(first.body) if first.body else {}
    except orjson.JSONDecodeError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if parts.path.endswith("/chat/completions"):
        base = first.url[: first.url.rindex("/chat/completions")]
        model_id = str(body.get("model", ""))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        if host.endswith(".openai.azure.com"):
            return Target("azure", base, model_id, {"api": "chat"})
        provider = _KNOWN_CHAT_HOSTS.get(host, "openai-compatible")
        for suffix, gateway in _GATEWAY_HOSTS.items():
            if host.endswith(suffix):
                provider = gateway
        # OpenAI's wire is said explicitly, so $REVERIE_OPENAI_API cannot change it.
        options: dict[str, Any] = {"api": "chat"} if provider == "openai" else {}
        return Target(provider, base, model_id, options)
    if parts.path.endswith("/responses") and (
        host == "api.openai.com" or host.endswith(".openai.azure.com")
    ):
        base = first.url[: first.url.rindex("/responses")]
        provider = "openai" if host == "api.openai.com" else "azure"
        model_id = str(body.get("model", ""))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        return Target(provider, base, model_id, {"api": "responses"})
    anthropic = _anthropic_target(parts.scheme, host, parts.path, body)  # pyright: ignore[reportUnknownArgumentType]
    if anthropic is not None:
        return anthropic
    google = _google_target(first.url)
    if google is not None:
        return google
    raise Skip(f"provider kind at {host}{parts.path} is not supported yet")


def _anthropic_target(scheme: str, host: str, path: str, body: Mapping[str, Any]) -> Target | None:
    """The Anthropic Messages wire on the Anthropic API and on Bedrock, or None (Claude on
    Vertex AI is reached through the 'vertex' provider: see :func:`_google_target`)."""
    if host == "api.anthropic.com" and path == "/v1/messages":
        return Target("anthropic", f"{scheme}://{host}", str(body.get("model", "")))
    bedrock = re.fullmatch(r"/model/([^/]+)/invoke(?:-with-response-stream)?", path)
    if host.startswith("bedrock-runtime.") and bedrock:
        return Target("bedrock", f"{scheme}://{host}", unquote(bedrock.group(1)))
    return None


_GEMINI_URL = re.compile(
    r"^(?P<base>https?://[^/]+/[^/]+)/models/(?P<model>[^/:]+):(?:stream)?[gG]enerateContent"
)
_VERTEX_URL = re.compile(
    r"^(?P<base>https?://(?:[^/]+-)?aiplatform\.googleapis\.com/[^/]+)/projects/(?P<project>[^/]+)"
    r"/locations/(?P<location>[^/]+)/publishers/(?P<publisher>[^/]+)/models/(?P<model>[^/:]+):"
)


def _google_target(url: str) -> Target | None:
    """Gemini API or Vertex AI: endpoint, model (and project, location) from the URL."""
    vertex = _VERTEX_URL.match(url)
    if vertex is not None:
        publisher = vertex["publisher"]
        if publisher != "google":
            from reverie.providers import providers

            # Claude on Vertex goes through the 'vertex' provider, which hands it to the
            # Anthropic wire once a 'vertex-anthropic' provider is registered.
            if publisher != "anthropic" or all(p.name != "vertex-anthropic" for p in providers()):
                raise Skip(
                    f"{publisher} models on Vertex AI use the Anthropic wire, which needs a "
                    "'vertex-anthropic' provider (not registered yet)"
                )
        options = {
            "project": vertex["project"],
            "location": vertex["location"],
            # Replay needs no auth; a placeholder token keeps google-auth out of it.
            "access_token": "replayed-token",
            "api_key": None,
        }
        return Target("vertex", vertex["base"], vertex["model"], options)
    gemini = _GEMINI_URL.match(url)
    if gemini is not None and urlsplit(url).hostname == "generativelanguage.googleapis.com":
        # The corpus was recorded with tool call ids "1", "2", ... (a counter per model).
        return Target(
            "google", gemini["base"], gemini["model"], {"tool_call_id_factory": counter()}
        )
    return None


def counter() -> Callable[[], str]:
    """An id factory that yields "1", "2", ...: reproducible tool call ids."""
    ids = itertools.count(1)
    return lambda: str(next(ids))


def folder_options(path: Path, target: Target) -> dict[str, Any]:
    """Provider options the test folder applies (``shared/cassettes/README.md``)."""
    test = _test_folder(path)
    model_folder = path.parent.name
    if test == "TestOpenAICompatibleThinking" and model_folder != "avian-kimi":
        return {target.provider: {"reasoning_effort": "high"}}
    if test == "TestGoogleThinking":
        # gemini-2.x: budget 100, sent as the minimum (128); gemini-3: thinking level HIGH.
        if target.model_id.startswith("gemini-2"):
            thinking: dict[str, Any] = {"thinking_budget": 100, "include_thoughts": True}
        else:
            thinking = {"thinking_level": "HIGH", "include_thoughts": True}
        return {"google": {"thinking_config": thinking}}
    if test in ("TestOpenAIResponsesWithSummaryThinking", "TestAzureResponsesWithSummaryThinking"):
        # Azure reads options given under "openai", as a user moving from OpenAI would.
        return {
            "openai": {
                "include": ["reasoning.encrypted_content"],
                "reasoning_effort": "high",
                "reasoning_summary": "auto",
            }
        }
    if test == "TestAzureThinking":
        return {"openai": {"reasoning_effort": "high"}}
    if test == "TestOpenRouterThinking":
        return {target.provider: {"reasoning": {"effort": "medium"}}}
    if test == "TestVercelThinking":
        return {target.provider: {"reasoning": {"enabled": True}}}
    if test in ("TestAnthropicThinking", "TestAnthropicThinkingWithCacheControl"):
        return {"anthropic": {"thinking": {"budget_tokens": 4000}}}
    return {}


def folder_prepare_step(path: Path) -> PrepareStep | None:
    """The ``prepare_step`` hook the test folder applies, if any."""
    if _test_folder(path).endswith(("WithAnthropicCache", "WithCacheControl")):
        return anthropic_cache_control
    return None


_EPHEMERAL: ProviderData = {"anthropic": {"cache_control": {"type": "ephemeral"}}}


def anthropic_cache_control(ctx: StepContext) -> StepOverrides:
    """Anthropic prompt caching as a user would set it up, before every step.

    Cache control ``ephemeral`` on the last system message before the conversation and on
    the last two messages; every other message's provider options are cleared.
    """
    messages = [replace(m, provider_options={}) for m in ctx.messages]
    system_index = 0
    for i, msg in enumerate(messages):
        if msg.role != "system":
            messages[system_index] = replace(messages[system_index], provider_options=_EPHEMERAL)
            break
        system_index = i
    for i in range(max(len(messages) - 2, 0), len(messages)):
        messages[i] = replace(messages[i], provider_options=_EPHEMERAL)
    return StepOverrides(messages=messages)


# ---------------------------------------------------------------------------------------
# Running one cassette


def find_image(path: Path) -> bytes:
    """The corpus's ``wish.png``, found beside or above the cassette."""
    for folder in path.parents:
        candidate = folder / "wish.png"
        if candidate.is_file():
            return candidate.read_bytes()
    raise Skip("wish.png is not in the corpus folder")


async def run_cassette(path: Path, match: Literal["strict", "lenient"] = "strict") -> CheckResult:
    """Replay one cassette through its scenario and check the outcome."""
    try:
        await _run(path, match)
    except Skip as exc:
        return CheckResult(str(path), "skipped", str(exc))
    except Failure as exc:
        return CheckResult(str(path), "failed", str(exc))
    except ReverieError as exc:
        return CheckResult(str(path), "failed", f"{type(exc).__name__}: {exc}")
    return CheckResult(str(path), "passed")


async def _run(path: Path, match: Literal["strict", "lenient"]) -> None:
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
        model = _build_model(target, http)
        if special is not None:
            await special(model, streaming)
            if not transport.all_played:
                raise Failure(
                    f"{len(transport.unplayed)} recorded interaction(s) were never requested"
                )
            return
        assert scenario is not None
        files = (FilePart(find_image(path), "image/png"),) if scenario.image else ()
        agent = Agent(
            model,
            system=scenario.system,
            tools=scenario.tools,
            provider_tools=_provider_tools(scenario, target),
            max_output_tokens=scenario.max_output_tokens,
            provider_options=folder_options(path, target),
            prepare_step=folder_prepare_step(path),
        )
        if streaming:
            result = await agent.stream(scenario.prompt, files=files).collect()
        else:
            result = await agent.generate(scenario.prompt, files=files)
        follow_up = WEB_SEARCH_FOLLOW_UPS.get(target.provider)
        if scenario.name == "web_search" and streaming and follow_up is not None:
            # Turn 2 continues from turn 1's messages (the agent adds its system prompt).
            history = [m for m in result.messages if m.role != "system"]
            second = await agent.stream([*history, user(follow_up[0])]).collect()
            _expect(follow_up[1] in second.text, f"turn 2 lacks {follow_up[1]}: {second.text!r}")
    if not transport.all_played:
        raise Failure(f"{len(transport.unplayed)} recorded interaction(s) were never requested")
    _check(scenario, result, target)


def _provider_tools(scenario: Scenario, target: Target) -> tuple[ProviderTool, ...]:
    if scenario.name != "web_search":
        return ()
    tool = WEB_SEARCH_TOOLS.get(target.provider)
    if tool is None:
        raise Skip(f"the web_search scenario is not supported for {target.provider} yet")
    return (tool,)


async def _run_object(
    path: Path, cassette: Cassette, key: str, streaming: bool, match: Literal["strict", "lenient"]
) -> None:
    """A structured-output scenario: ``generate_object`` / ``stream_object``, mode auto."""
    from reverie.output import PartialObject, generate_object, stream_object

    target = infer_target(cassette)
    transport = CassetteTransport(cassette, match=match)
    if key == "simple_object":
        schema: Any = _person_type()
        name, description = None, None  # from the model: "Person" and its docstring
    else:
        schema = BOOK_SCHEMA
        name, description = "Book", "A book with title, author, genres, and publication year"
    partials = 0
    async with transport.client() as http:
        model = _build_model(target, http)
        options: dict[str, Any] = {
            "schema": schema,
            "name": name,
            "description": description,
            "max_output_tokens": 4000,
            "provider_options": folder_options(path, target),
        }
        if streaming:
            stream = stream_object(model, OBJECT_PROMPTS[key], **options)
            async for event in stream:
                partials += isinstance(event, PartialObject)
            result = stream.result
            assert result is not None
        else:
            result = await generate_object(model, OBJECT_PROMPTS[key], **options)
    if not transport.all_played:
        raise Failure(f"{len(transport.unplayed)} recorded interaction(s) were never requested")
    if streaming:
        _expect(partials > 0, "the stream yielded no partial object")
    _expect(result.finish_reason.value != "unknown", f"no finish reason: {result.finish_reason}")
    _expect(result.usage.total_tokens > 0, f"usage not tracked: {result.usage}")
    _expect(bool(result.raw_text), "no raw text")
    if key == "simple_object":
        _check_person(result.object)
    else:
        _check_book(result.object)


def _check_person(person: Any) -> None:
    _expect(isinstance(person.name, str) and bool(person.name), f"name: {person.name!r}")
    _expect(isinstance(person.age, int) and person.age > 0, f"age: {person.age!r}")
    _expect(isinstance(person.city, str) and bool(person.city), f"city: {person.city!r}")


def _check_book(book: Any) -> None:
    _expect(isinstance(book, dict), f"the book is not an object: {book!r}")
    title = book.get("title")
    _expect(isinstance(title, str) and "rings" in title.lower(), f"title: {title!r}")
    author = book.get("author")
    _expect(
        isinstance(author, dict) and "name" in author and "nationality" in author,
        f"author: {author!r}",
    )
    genres: Any = book.get("genres")
    items: list[Any] = cast(list[Any], genres) if isinstance(genres, list) else []
    _expect(bool(items) and all(isinstance(g, str) for g in items), f"genres: {genres!r}")
    year = book.get("published_year")
    _expect(isinstance(year, int) and year > 1900, f"published_year: {year!r}")


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
    _expect(first.finish_reason == FinishReason.TOOL_CALLS, f"turn 1: {first.finish_reason}")
    calls = [p for p in first.content if isinstance(p, ToolCallPart)]
    _expect(
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
    _expect(bool(second.text.strip()), "turn 2 has no text")


# Scenarios that are not one agent run: a function of the model and whether to stream.
_SPECIAL_SCENARIOS: dict[str, Callable[[LanguageModel, bool], Awaitable[None]]] = {
    "computer_use": _computer_use,
}


def _build_model(target: Target, http: Any) -> LanguageModel:
    from reverie.providers import get_model

    options: dict[str, Any] = {"api_key": "replayed-key", **target.options}
    return get_model(
        f"{target.provider}:{target.model_id}",
        base_url=target.base_url,
        http_client=http,
        **options,
    )


def _check(scenario: Scenario, result: RunResult, target: Target | None = None) -> None:
    text = result.text
    name = scenario.name
    if name == "simple":
        _expect(
            any(w in text for w in ("Oi", "oi", "Olá", "olá")),
            f"no Portuguese greeting in {text!r}",
        )
    elif name == "tool":
        _expect(len(result.steps) >= 2, f"expected at least 2 steps, got {len(result.steps)}")
        calls = result.steps[0].tool_calls
        _expect(len(calls) == 1 and calls[0].tool_name == "weather", f"step 1 calls: {calls}")
        _expect_valid(result, 0)
        _expect("Florence" in text and "40" in text, f"final text lacks Florence/40: {text!r}")
    elif name == "multi_tool":
        _expect(len(result.steps) == 2, f"expected exactly 2 steps, got {len(result.steps)}")
        calls = result.steps[0].tool_calls
        names = sorted(c.tool_name for c in calls)
        _expect(names == ["add", "multiply"], f"step 1 calls: {names}")
        for c in calls:
            _expect(
                orjson.loads(c.input) == {"a": 2, "b": 3}, f"arguments of {c.tool_name}: {c.input}"
            )
        _expect_valid(result, 0)
        _expect("5" in text and "6" in text, f"final text lacks 5/6: {text!r}")
    elif name == "thinking":
        _expect("Florence" in text and "40" in text, f"final text lacks Florence/40: {text!r}")
        reasoning = [p for s in result.steps for p in s.content if isinstance(p, ReasoningPart)]
        _expect(
            any(p.text for p in reasoning) or result.usage.reasoning_tokens > 0,
            "the run produced no reasoning",
        )
        if target is not None and target.provider == "anthropic":
            # Anthropic thinking only goes back with its signature.
            unsigned = [
                p
                for p in reasoning
                if p.text and not p.provider_metadata.get("anthropic", {}).get("signature")
            ]
            _expect(not unsigned, f"{len(unsigned)} reasoning part(s) without a signature")
        if target is not None and target.options.get("api") == "responses":
            # Responses reasoning only survives a stateless (store=false) round trip
            # encrypted, so every reasoning part must carry it.
            _expect(bool(reasoning), "the run produced no reasoning parts")
            for p in reasoning:
                _expect(
                    any(m.get("encrypted_content") for m in p.provider_metadata.values()),
                    f"a reasoning part lacks encrypted content: {p.provider_metadata}",
                )
    elif name == "image":
        _expect(bool(text.strip()), "no text describing the image")
    elif name == "web_search":
        _expect("Tokyo" in text, f"the answer does not mention Tokyo: {text[:200]!r}")
        searches = [
            c
            for s in result.steps
            for c in s.tool_calls
            if c.provider_executed and c.tool_name == "web_search"
        ]
        _expect(bool(searches), "no provider-executed web_search call")
        sources = [src for s in result.steps for src in s.sources]
        _expect(bool(sources), "no sources")
        _expect(all(src.url for src in sources), f"a source has no URL: {sources}")


def _expect_valid(result: RunResult, step: int) -> None:
    for r in result.steps[step].tool_results:
        _expect(r.output.type != "error", f"tool {r.tool_name} failed: {r.output}")


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failure(message)


# ---------------------------------------------------------------------------------------
# Many cassettes


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
    paths: Sequence[Path], match: Literal["strict", "lenient"] = "strict", concurrency: int = 16
) -> list[CheckResult]:
    """Run many cassettes concurrently; results in the order of ``paths``."""
    limit = asyncio.Semaphore(concurrency)

    async def one(p: Path) -> CheckResult:
        async with limit:
            return await run_cassette(p, match)

    return list(await asyncio.gather(*(one(p) for p in paths)))


def summarize(results: Sequence[CheckResult]) -> Mapping[str, int]:
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for r in results:
        counts[r.status] += 1
    return counts
