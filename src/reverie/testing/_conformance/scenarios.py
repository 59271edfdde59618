"""Scenario inputs, exactly as ``shared/cassettes/README.md`` states them.

Inputs (prompts, tools, schemas, options) are what reverie builds every request from; what
a passing run must show is in :mod:`.checks`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from reverie.model import ProviderTool

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
