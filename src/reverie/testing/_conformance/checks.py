"""What a passing run must show, per scenario (``shared/cassettes/README.md``).

A failed expectation raises :class:`~.scenarios.Failure` with what was seen instead.
"""

from __future__ import annotations

from typing import Any, cast

import orjson

from reverie.content import ReasoningPart
from reverie.run_state import RunResult
from reverie.testing._conformance.scenarios import Failure, Scenario
from reverie.testing._conformance.targets import Target


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
