"""Tool schemas shaped per provider, over the reference servers' real schemas and over the
shapes that break providers. Each provider's rules are checked on what reverie's own wire
code would send (``encode_tool`` of each provider), not on the intermediate schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reverie.mcp import MCPServerStdio, SchemaError, normalize_schema, target_for
from reverie.mcp._schema import drop_added_nulls
from reverie.model import ToolSpec
from reverie.providers._anthropic.encode import _encode_tools as anthropic_tools  # pyright: ignore[reportPrivateUsage]
from reverie.providers._google.encode import encode_tool as gemini_tool
from reverie.providers._openai.chat import encode_tool as openai_tool

# What a Gemini function declaration's Schema may contain (Google's Schema type).
GEMINI_KEYS = {
    "type", "format", "description", "nullable", "enum", "properties", "required", "items",
    "minItems", "maxItems", "minimum", "maximum", "anyOf",
}  # fmt: skip
GEMINI_TYPES = {"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT"}
GEMINI_FORMATS = {
    "STRING": {"enum", "date-time"},
    "NUMBER": {"float", "double"},
    "INTEGER": {"int32", "int64"},
}
# OpenAI's strict mode: the keywords its structured-outputs subset documents.
STRICT_KEYS = {
    "type", "description", "title", "properties", "required", "additionalProperties",
    "items", "enum", "const", "anyOf", "$ref", "$defs", "pattern", "format", "minimum",
    "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems",
}  # fmt: skip


def nodes(schema: Any) -> Iterator[dict[str, Any]]:
    """Every schema node (not the names in ``properties``/``$defs``)."""
    if isinstance(schema, dict):
        yield schema
        for key, value in schema.items():
            if key in ("properties", "$defs") and isinstance(value, dict):
                for sub in value.values():
                    yield from nodes(sub)
            elif key in ("items", "additionalProperties", "not"):
                yield from nodes(value)
            elif key in ("anyOf", "oneOf", "allOf", "prefixItems") and isinstance(value, list):
                for sub in value:
                    yield from nodes(sub)


def check_openai(schema: dict[str, Any]) -> None:
    params = openai_tool(ToolSpec("t", "d", schema))["function"]["parameters"]
    assert params["type"] == "object"
    assert not {"anyOf", "oneOf", "allOf", "not", "enum"} & set(params)
    assert "$schema" not in params
    for node in nodes(params):
        if node.get("type") == "array":
            assert "items" in node, node


def check_openai_strict(schema: dict[str, Any]) -> None:
    check_openai(schema)
    for node in nodes(schema):
        assert set(node) <= STRICT_KEYS, set(node) - STRICT_KEYS
        if "properties" in node:
            assert node["additionalProperties"] is False
            assert sorted(node["required"]) == sorted(node["properties"])


def check_gemini(schema: dict[str, Any]) -> None:
    params = gemini_tool(ToolSpec("t", "d", schema))["parameters"]
    for node in nodes(params):
        assert set(node) <= GEMINI_KEYS, set(node) - GEMINI_KEYS
        if "type" in node:
            assert node["type"] in GEMINI_TYPES
        if "enum" in node:
            assert node["type"] == "STRING" and all(isinstance(e, str) for e in node["enum"])
        if "format" in node:  # "only 'enum' and 'date-time' are supported for STRING type"
            assert node["format"] in GEMINI_FORMATS[node["type"]], node


def check_anthropic(schema: dict[str, Any]) -> None:
    [encoded] = anthropic_tools([ToolSpec("t", "d", schema)], [], [])
    assert encoded["input_schema"]["type"] == "object"
    assert not {"anyOf", "oneOf", "allOf"} & set(encoded["input_schema"])


CHECKS = {
    "openai": check_openai,
    "openai-strict": check_openai_strict,
    "gemini": check_gemini,
    "anthropic": check_anthropic,
}


@pytest.fixture(scope="module")
def real_schemas(
    everything_cmd: list[str], filesystem_cmd: list[str], tmp_path_factory: Any
) -> dict[str, Any]:
    """Every tool schema the two reference servers publish, as the SDK hands them over."""
    import asyncio

    from reverie.mcp import ElicitationResponse
    from reverie.testing._fake import FakeModel

    async def listing() -> dict[str, Any]:
        folder = tmp_path_factory.mktemp("fs")
        servers = [
            # With sampling and elicitation offered, the server lists the tools that use them.
            MCPServerStdio(
                everything_cmd[0],
                everything_cmd[1:],
                sampling_model=FakeModel([]),
                elicitation=lambda e: ElicitationResponse("decline"),
            ),
            MCPServerStdio(filesystem_cmd[0], [*filesystem_cmd[1:], str(folder)]),
        ]
        out: dict[str, Any] = {}
        for server in servers:
            async with server:
                for tool in (await server.client.list_tools()).tools:
                    out[tool.name] = tool.input_schema
        return out

    schemas = asyncio.run(listing())
    assert len(schemas) >= 25
    return schemas


@pytest.mark.parametrize("target", list(CHECKS))
def test_every_real_schema_is_accepted_by_every_provider(
    real_schemas: dict[str, Any], target: Any
) -> None:
    for name, schema in real_schemas.items():
        shaped = normalize_schema(schema, target, tool=name)
        try:
            CHECKS[target](shaped)
        except AssertionError as exc:
            raise AssertionError(f"{name} for {target}: {exc}\n{shaped}") from exc
        assert schema != shaped or "$schema" not in schema  # the original is not changed


def test_strict_mode_keeps_defaults_in_the_description_and_drops_nulls_again(
    real_schemas: dict[str, Any],
) -> None:
    original = real_schemas["get-resource-reference"]
    strict = normalize_schema(original, "openai-strict")
    kind = strict["properties"]["resourceType"]
    assert kind["type"] == ["string", "null"]  # optional: now required, but nullable
    assert "default" not in kind and kind["description"] == 'Default: "Text".'
    described = strict["properties"]["resourceId"]["description"]
    assert described == "ID of the text resource to fetch (default: 1)"
    # What the model then sends for a left-out argument is removed before the server sees it.
    assert drop_added_nulls({"resourceType": None, "resourceId": 2}, original) == {"resourceId": 2}


TRICKY: list[tuple[str, dict[str, Any]]] = [
    ("root anyOf", {"anyOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                              {"type": "object", "properties": {"b": {"type": "number"}}, "required": ["b"]}]}),
    ("root allOf", {"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                              {"properties": {"b": {"type": "integer"}}}]}),
    ("nested oneOf and const", {"type": "object", "properties": {"mode": {"oneOf": [{"const": "fast"}, {"const": "slow"}]},
                                                               "level": {"type": "integer", "enum": [1, 2, 3]}}}),
    ("array without items", {"type": "object", "properties": {"tags": {"type": "array"}}}),
    ("definitions and refs", {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                              "definitions": {"point": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}},
                              "properties": {"at": {"$ref": "#/definitions/point"}}, "required": ["at"]}),
    ("properties only", {"properties": {"q": {"type": "string"}}}),
    ("empty", {}),
]  # fmt: skip


@pytest.mark.parametrize("target", list(CHECKS))
@pytest.mark.parametrize(("label", "schema"), TRICKY, ids=[t[0] for t in TRICKY])
def test_shapes_providers_reject_are_reshaped(
    label: str, schema: dict[str, Any], target: Any
) -> None:
    CHECKS[target](normalize_schema(schema, target, tool=label))


def test_a_root_anyof_keeps_every_property_and_only_the_shared_required_keys() -> None:
    shaped = normalize_schema(TRICKY[0][1], "anthropic")
    assert set(shaped["properties"]) == {"a", "b"} and "required" not in shaped
    assert "alternative forms" in shaped["description"]


def test_refs_to_definitions_point_at_defs() -> None:
    shaped = normalize_schema(TRICKY[4][1], "openai")
    assert shaped["properties"]["at"] == {"$ref": "#/$defs/point"} and "point" in shaped["$defs"]


@pytest.mark.parametrize(
    ("schema", "target", "message"),
    [
        ({"type": "string"}, "openai", r"has type \['string'\]"),
        ("not a schema", "gemini", "is not a JSON object"),
        (
            {"type": "object", "properties": {"m": {"type": "object"}}},
            "openai-strict",
            "argument 'm' is an open object",
        ),
    ],
)
def test_schemas_that_cannot_be_sent_are_schema_errors(
    schema: Any, target: Any, message: str
) -> None:
    with pytest.raises(SchemaError, match=message):
        normalize_schema(schema, target, tool="x")


def test_providers_map_to_their_dialects() -> None:
    assert target_for("google") == target_for("vertex") == "gemini"
    assert target_for("anthropic") == target_for("bedrock") == "anthropic"
    assert target_for("groq") == target_for("openrouter") == target_for(None) == "openai"
    assert target_for("openai", strict=True) == "openai-strict"
