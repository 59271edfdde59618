"""Tools from typed functions: the schema sent, validation, and what a run gets back."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field

from reverie import ErrorOutput, MediaOutput, TextOutput, ToolResponse, tool
from reverie.errors import ToolDefinitionError
from reverie.tool import FunctionTool, ToolArgumentsError

# The schemas of the corpus's tools, exactly as recorded.
RECORDED_ADD = {
    "properties": {
        "a": {"description": "first number", "type": "integer"},
        "b": {"description": "second number", "type": "integer"},
    },
    "required": ["a", "b"],
    "type": "object",
}
RECORDED_WEATHER = {
    "properties": {"location": {"description": "the city", "type": "string"}},
    "required": ["location"],
    "type": "object",
}


def test_annotated_descriptions_give_the_recorded_schema_without_titles() -> None:
    @tool
    def add(a: Annotated[int, "first number"], b: Annotated[int, "second number"]) -> int:
        """Add two numbers"""
        return a + b

    assert add.name == "add"
    assert add.description == "Add two numbers"
    assert add.input_schema == RECORDED_ADD


def test_google_docstring_args_describe_parameters() -> None:
    @tool
    def weather(location: str) -> str:
        """Get weather information for a location

        Args:
            location: the city
        """
        return "40 C"

    assert weather.description == "Get weather information for a location"
    assert weather.input_schema == RECORDED_WEATHER


def test_sphinx_params_and_field_descriptions_and_defaults() -> None:
    @tool(name="lookup", description="Find things")
    def find(query: str, limit: Annotated[int, Field(description="max results")] = 5) -> str:
        """Ignored because a description was given.

        :param query: what to search for
        """
        return query

    assert find.name == "lookup"
    assert find.description == "Find things"
    props = find.input_schema["properties"]
    assert props["query"] == {"description": "what to search for", "type": "string"}
    assert props["limit"] == {"default": 5, "description": "max results", "type": "integer"}
    assert find.input_schema["required"] == ["query"]


class Book(BaseModel):
    title: str
    year: int


class Point(BaseModel):
    x: int
    y: int


def test_a_property_named_title_survives_title_stripping() -> None:
    @tool
    def save(book: Book, kind: Literal["novel", "essay"]) -> str:
        """Save a book"""
        return book.title

    schema = save.input_schema
    assert "title" not in schema
    book_schema = schema["$defs"]["Book"]
    assert "title" in book_schema["properties"]
    assert book_schema["properties"]["title"] == {"type": "string"}
    assert schema["properties"]["kind"] == {"enum": ["novel", "essay"], "type": "string"}


@pytest.mark.anyio
async def test_pydantic_arguments_are_validated_and_built() -> None:
    @tool
    async def norm(p: Point) -> int:
        """Manhattan norm"""
        return abs(p.x) + abs(p.y)

    response = await norm.run({"p": {"x": 3, "y": -4}})
    assert response.output == TextOutput("7")
    with pytest.raises(ToolArgumentsError, match=r"p\.y"):
        await norm.run({"p": {"x": 3}})


@pytest.mark.anyio
async def test_sync_tools_run_and_return_values_become_text() -> None:
    @tool
    def info() -> dict[str, int]:
        """Info"""
        return {"a": 1}

    assert (await info.run({})).output == TextOutput('{"a":1}')


@pytest.mark.anyio
async def test_a_raising_tool_becomes_an_error_result() -> None:
    @tool
    def broken(x: int) -> str:
        """Always fails"""
        raise RuntimeError(f"cannot handle {x}")

    assert (await broken.run({"x": 1})).output == ErrorOutput("RuntimeError: cannot handle 1")


@pytest.mark.anyio
async def test_media_and_stop_turn_responses_pass_through() -> None:
    @tool
    def shot() -> ToolResponse:
        """Screenshot"""
        return ToolResponse(MediaOutput(b"\x89PNG", "image/png"), stop_turn=True)

    response = await shot.run({})
    assert response.stop_turn
    assert response.output == MediaOutput(b"\x89PNG", "image/png")


def test_bad_definitions_raise_typed_errors_that_say_what_to_do() -> None:
    def variadic(*args: int) -> int:
        return 0

    with pytest.raises(ToolDefinitionError, match="plain named parameter"):
        tool(variadic)
    with pytest.raises(ToolDefinitionError, match="pass name="):
        FunctionTool(lambda: 0)


@pytest.mark.anyio
async def test_explicit_schema_tools_get_one_dict_and_check_required_keys() -> None:
    seen: list[dict[str, object]] = []
    t = FunctionTool.from_schema(
        "echo", "Echo", RECORDED_WEATHER, lambda args: seen.append(args) or "ok"
    )
    assert t.input_schema == RECORDED_WEATHER
    assert (await t.run({"location": "Rome"})).output == TextOutput("ok")
    assert seen == [{"location": "Rome"}]
    with pytest.raises(ToolArgumentsError, match="location"):
        await t.run({})
