"""Scenario inputs and checks, exactly as ``shared/cassettes/README.md`` states them.

Inputs (prompts, tools, schemas, options) are what reverie builds every request from; checks
are what a passing run must show.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

import orjson

from reverie.content import ReasoningPart
from reverie.model import ProviderTool
from reverie.steps import RunResult

if TYPE_CHECKING:
    from reverie.testing.conformance.targets import Target

Status = Literal["passed", "failed", "skipped", "not-scenario"]
"""``not-scenario``: a cassette outside the corpus layout
(``<suite>/Test<Name>/<model>/<scenario>.yaml``), which no scenario names: information, not a
failure."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    cassette: str
    status: Status
    reason: str = ""


class Skip(Exception):
    """This cassette needs something reverie does not support yet."""


class Failure(Exception):
    """The run did not show what the scenario requires."""


# Inputs

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


OBJECT_PROMPTS = {
    "simple_object": "Generate information about a person named Alice who is 30 years old "
    "and lives in Paris.",
    "complex_object": "Generate information about 'The Lord of the Rings' book by J.R.R. "
    "Tolkien, including genres like fantasy and adventure, and its publication year (1954).",
}


# Book as a plain JSON schema (the object comes back as a dict, checked by reverie's
# validator); Person as a pydantic model (see ``person_type``): both paths are exercised.
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
def person_type() -> type[Any]:
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
    test = test_folder(path)
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


def is_scenario_path(path: Path) -> bool:
    """Whether ``path`` follows the corpus layout, where the folders name the scenario."""
    return bool(test_folder(path))


def clip(text: str, limit: int = 300) -> str:
    """``text`` cut to about ``limit`` characters, saying how much was left out (model output
    in a failure message can run to thousands of characters)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def test_folder(path: Path) -> str:
    for part in reversed(path.parts):
        if part.startswith("Test"):
            return part
    return ""


# Checks


def check(scenario: Scenario, result: RunResult, target: Target | None = None) -> None:
    text = result.text
    name = scenario.name
    if name == "simple":
        expect(
            any(w in text for w in ("Oi", "oi", "Olá", "olá")),
            f"no Portuguese greeting in {text!r}",
        )
    elif name == "tool":
        expect(len(result.steps) >= 2, f"expected at least 2 steps, got {len(result.steps)}")
        calls = result.steps[0].tool_calls
        expect(len(calls) == 1 and calls[0].tool_name == "weather", f"step 1 calls: {calls}")
        _expect_valid(result, 0)
        expect("Florence" in text and "40" in text, f"final text lacks Florence/40: {text!r}")
    elif name == "multi_tool":
        expect(len(result.steps) == 2, f"expected exactly 2 steps, got {len(result.steps)}")
        calls = result.steps[0].tool_calls
        names = sorted(c.tool_name for c in calls)
        expect(names == ["add", "multiply"], f"step 1 calls: {names}")
        for c in calls:
            expect(
                orjson.loads(c.input) == {"a": 2, "b": 3}, f"arguments of {c.tool_name}: {c.input}"
            )
        _expect_valid(result, 0)
        expect("5" in text and "6" in text, f"final text lacks 5/6: {text!r}")
    elif name == "thinking":
        expect("Florence" in text and "40" in text, f"final text lacks Florence/40: {text!r}")
        reasoning = [p for s in result.steps for p in s.content if isinstance(p, ReasoningPart)]
        expect(
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
            expect(not unsigned, f"{len(unsigned)} reasoning part(s) without a signature")
        if target is not None and target.options.get("api") == "responses":
            # Responses reasoning only survives a stateless (store=false) round trip
            # encrypted, so every reasoning part must carry it.
            expect(bool(reasoning), "the run produced no reasoning parts")
            for p in reasoning:
                expect(
                    any(m.get("encrypted_content") for m in p.provider_metadata.values()),
                    f"a reasoning part lacks encrypted content: {p.provider_metadata}",
                )
    elif name == "image":
        expect(bool(text.strip()), "no text describing the image")
    elif name == "web_search":
        expect("Tokyo" in text, f"the answer does not mention Tokyo: {text[:200]!r}")
        searches = [
            c
            for s in result.steps
            for c in s.tool_calls
            if c.provider_executed and c.tool_name == "web_search"
        ]
        expect(bool(searches), "no provider-executed web_search call")
        sources = [src for s in result.steps for src in s.sources]
        expect(bool(sources), "no sources")
        expect(all(src.url for src in sources), f"a source has no URL: {sources}")


def check_person(person: Any) -> None:
    expect(isinstance(person.name, str) and bool(person.name), f"name: {person.name!r}")
    expect(isinstance(person.age, int) and person.age > 0, f"age: {person.age!r}")
    expect(isinstance(person.city, str) and bool(person.city), f"city: {person.city!r}")


def check_book(book: Any) -> None:
    expect(isinstance(book, dict), f"the book is not an object: {book!r}")
    title = book.get("title")
    expect(isinstance(title, str) and "rings" in title.lower(), f"title: {title!r}")
    author = book.get("author")
    expect(
        isinstance(author, dict) and "name" in author and "nationality" in author,
        f"author: {author!r}",
    )
    genres: Any = book.get("genres")
    items: list[Any] = cast(list[Any], genres) if isinstance(genres, list) else []
    expect(bool(items) and all(isinstance(g, str) for g in items), f"genres: {genres!r}")
    year = book.get("published_year")
    expect(isinstance(year, int) and year > 1900, f"published_year: {year!r}")


def _expect_valid(result: RunResult, step: int) -> None:
    for r in result.steps[step].tool_results:
        expect(r.output.type != "error", f"tool {r.tool_name} failed: {r.output}")


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failure(message)
