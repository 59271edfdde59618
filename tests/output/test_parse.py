"""Partial JSON while it streams, and parse → repair → validate → hook for final answers."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from pydantic import BaseModel

from reverie.errors import NoObjectGeneratedError
from reverie.model import FinishReason, Usage
from reverie.output import PartialParser, object_schema, parse_object


class Person(BaseModel):
    name: str
    age: int
    city: str


PERSON = object_schema(Person)
TEXT = '{"name":"Alice","age":30,"city":"Paris"}'


def feed_all(text: str, size: int) -> list[Any]:
    parser = PartialParser()
    values: list[Any] = []
    for i in range(0, len(text), size):
        value = parser.feed(text[i : i + size])
        if value is not None:
            values.append(value)
    return values


def test_partials_grow_and_each_differs_from_the_previous() -> None:
    values = feed_all(TEXT, 1)
    assert values[-1] == {"name": "Alice", "age": 30, "city": "Paris"}
    assert all(a != b for a, b in itertools.pairwise(values))
    assert {"name": "Al"} in values  # an unfinished string is shown as far as it goes
    assert values[0] == {"name": ""}


def test_partials_leave_out_unfinished_keys_and_literals() -> None:
    parser = PartialParser()
    assert parser.feed('{"name":"Bo","ag') == {"name": "Bo"}
    assert parser.feed('e":tr') is None  # unchanged: no new value emitted
    assert parser.feed("ue}") == {"name": "Bo", "age": True}


def test_partials_skip_a_markdown_fence_and_prose_before_the_object() -> None:
    values = feed_all('Sure! ```json\n{"name": "Alice", "tags": ["a", "b"]}\n```', 4)
    assert values[-1] == {"name": "Alice", "tags": ["a", "b"]}


def test_partial_parser_never_raises_on_garbage() -> None:
    parser = PartialParser()
    for chunk in ["no json here", "{]]]", '"""', "}{"]:
        parser.feed(chunk)  # returns None or a value, never raises


def test_partial_set_replaces_the_text() -> None:
    parser = PartialParser()
    parser.feed('{"a": 1')
    assert parser.set('{"a": 1, "b": 2}') == {"a": 1, "b": 2}


@pytest.mark.anyio
async def test_valid_json_validates_into_the_model() -> None:
    person = await parse_object(TEXT, PERSON)
    assert person == Person(name="Alice", age=30, city="Paris")


@pytest.mark.anyio
@pytest.mark.parametrize(
    "broken",
    [
        '```json\n{"name":"Alice","age":30,"city":"Paris"}\n```',
        '{"name":"Alice","age":30,"city":"Paris",}',
        '{"name":"Alice","age":30,"city":"Paris"',
        "{'name': 'Alice', 'age': 30, 'city': 'Paris'}",
        'Here is the person: {"name":"Alice","age":30,"city":"Paris"}',
    ],
)
async def test_broken_json_is_repaired(broken: str) -> None:
    assert await parse_object(broken, PERSON) == Person(name="Alice", age=30, city="Paris")


@pytest.mark.anyio
async def test_invalid_object_raises_with_raw_text_cause_usage_and_finish() -> None:
    usage = Usage(1, 2, 3)
    with pytest.raises(NoObjectGeneratedError) as info:
        await parse_object(
            '{"name": "Alice"}', PERSON, usage=usage, finish_reason=FinishReason.LENGTH
        )
    err = info.value
    assert err.raw_text == '{"name": "Alice"}'
    assert "age" in str(err.cause)
    assert err.usage == usage
    assert err.finish_reason == FinishReason.LENGTH
    assert "max_output_tokens" in str(err)  # cut off: the message says what to do


@pytest.mark.anyio
async def test_text_without_json_raises() -> None:
    with pytest.raises(NoObjectGeneratedError, match="not JSON"):
        await parse_object("I cannot help with that.", PERSON)


@pytest.mark.anyio
async def test_the_repair_hook_gets_text_and_error_and_may_be_async() -> None:
    seen: list[tuple[str, str]] = []

    async def fix(text: str, error: str) -> str:
        seen.append((text, error))
        return text.replace('"thirty"', "30")

    raw = '{"name":"Alice","age":"thirty","city":"Paris"}'
    assert (await parse_object(raw, PERSON, repair=fix)).age == 30
    assert seen[0][0] == raw
    assert "age" in seen[0][1]


@pytest.mark.anyio
async def test_a_failing_repair_hook_keeps_both_errors() -> None:
    with pytest.raises(NoObjectGeneratedError, match="after the repair hook") as info:
        await parse_object('{"name": 1}', PERSON, repair=lambda text, error: '{"x": 1}')
    assert info.value.raw_text == '{"x": 1}'


@pytest.mark.anyio
async def test_a_repair_hook_returning_none_gives_up() -> None:
    with pytest.raises(NoObjectGeneratedError) as info:
        await parse_object('{"name": 1}', PERSON, repair=lambda text, error: None)
    assert info.value.raw_text == '{"name": 1}'
