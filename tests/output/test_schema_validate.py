"""Schemas from types and dicts, the strict-mode helpers, and the small validator."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from reverie._jsonschema import close_objects, inline_refs, is_strict_compatible
from reverie.errors import ConfigurationError
from reverie.output import SchemaValidationError, object_schema, validate_json


class Author(BaseModel):
    name: str = Field(description="Author's name")
    nationality: str = Field(description="Author's nationality")


class Book(BaseModel):
    """A book with title, author, genres, and publication year"""

    title: str = Field(description="The book title")
    author: Author
    genres: list[str] = Field(description="List of genres")
    published_year: int = Field(description="Year the book was published")


class Node(BaseModel):
    value: int
    children: list[Node] = []


BOOK_JSON: dict[str, Any] = {
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


def test_pydantic_schema_is_inlined_untitled_and_named_after_the_type() -> None:
    spec = object_schema(Book)
    assert spec.name == "Book"
    assert spec.description == "A book with title, author, genres, and publication year"
    assert spec.json_schema == BOOK_JSON | {"type": "object"}


def test_explicit_name_and_description_win_over_the_type() -> None:
    spec = object_schema(Book, "Livro", "")
    assert (spec.name, spec.description) == ("Livro", "")


def test_a_json_schema_is_kept_exactly_and_unnamed() -> None:
    spec = object_schema(BOOK_JSON)
    assert spec.json_schema == BOOK_JSON
    assert spec.json_schema is not BOOK_JSON
    assert (spec.name, spec.description, spec.target) == ("", "", None)


def test_recursive_models_keep_their_defs() -> None:
    schema = object_schema(Node).json_schema
    assert "$defs" in schema
    assert inline_refs(dict(schema)) == schema


def test_a_type_without_schema_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="JSON schema"):
        object_schema(type(lambda: 0))  # pyright: ignore[reportUnknownArgumentType]


def test_pydantic_validation_returns_an_instance() -> None:
    spec = object_schema(Book)
    book = spec.validate(
        {
            "title": "The Lord of the Rings",
            "author": {"name": "Tolkien", "nationality": "British"},
            "genres": ["fantasy"],
            "published_year": 1954,
        }
    )
    assert isinstance(book, Book)
    assert book.author.name == "Tolkien"
    with pytest.raises(SchemaValidationError, match="published_year"):
        spec.validate({"title": "x", "author": {"name": "a", "nationality": "b"}, "genres": []})


def test_close_objects_adds_additional_properties_everywhere_without_mutating() -> None:
    closed = close_objects(BOOK_JSON)
    assert closed["additionalProperties"] is False
    assert closed["properties"]["author"]["additionalProperties"] is False
    assert "additionalProperties" not in BOOK_JSON
    assert "additionalProperties" not in closed["properties"]["genres"]
    nested = close_objects({"type": "array", "items": {"type": "object", "properties": {}}})
    assert nested["items"]["additionalProperties"] is False


def test_strict_compatible_only_when_every_property_is_required() -> None:
    assert is_strict_compatible(BOOK_JSON)
    optional = {"type": "object", "properties": {"a": {"type": "string"}}, "required": []}
    assert not is_strict_compatible(optional)
    deep = {"type": "object", "properties": {"x": optional}, "required": ["x"]}
    assert not is_strict_compatible(deep)


GOOD_BOOK = {
    "title": "The Lord of the Rings",
    "author": {"name": "J.R.R. Tolkien", "nationality": "British"},
    "genres": ["fantasy", "adventure"],
    "published_year": 1954,
}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({**GOOD_BOOK, "published_year": "1954"}, "published_year: expected integer, got string"),
        ({**GOOD_BOOK, "published_year": True}, "published_year: expected integer"),
        ({k: v for k, v in GOOD_BOOK.items() if k != "title"}, "title: required property"),
        ({**GOOD_BOOK, "author": {"name": "x"}}, "author.nationality: required property"),
        ({**GOOD_BOOK, "genres": ["a", 3]}, r"genres\[1\]: expected string, got integer"),
        ([GOOD_BOOK], "value: expected object, got array"),
    ],
)
def test_validator_names_the_first_mismatch(value: Any, message: str) -> None:
    with pytest.raises(SchemaValidationError, match=message):
        validate_json(value, BOOK_JSON)


def test_validator_accepts_a_good_value_and_whole_floats_as_integers() -> None:
    validate_json(GOOD_BOOK, BOOK_JSON)
    validate_json({**GOOD_BOOK, "published_year": 1954.0}, BOOK_JSON)


def test_validator_enum_any_of_refs_and_closed_objects() -> None:
    schema: dict[str, Any] = {
        "$defs": {"Color": {"enum": ["red", "green"]}},
        "type": "object",
        "properties": {
            "color": {"$ref": "#/$defs/Color"},
            "size": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        },
        "additionalProperties": False,
    }
    validate_json({"color": "red", "size": None}, schema)
    with pytest.raises(SchemaValidationError, match="not one of"):
        validate_json({"color": "blue"}, schema)
    with pytest.raises(SchemaValidationError, match="matches none of anyOf"):
        validate_json({"size": "big"}, schema)
    with pytest.raises(SchemaValidationError, match="extra: property is not allowed"):
        validate_json({"extra": 1}, schema)
