"""A small JSON-schema validator for the subset structured output uses.

Checked: ``type`` (one or a list; ``integer`` accepts 3.0 but never ``true``), ``enum``,
``const``, ``properties``, ``required``, ``additionalProperties`` (``false`` or a schema),
``items`` (one schema), ``minItems``/``maxItems``, ``anyOf``/``oneOf`` (at least one branch
matches), ``allOf``, and local ``$ref`` into ``$defs``/``definitions``. Other keywords
(formats, patterns, numeric bounds) are ignored: the provider's own structured mode enforces
what it supports, and a pydantic type is validated by pydantic instead.

Why not the ``jsonschema`` package: it is a sizeable dependency for the few keywords model
output schemas use, and it would be imported on every validation path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast


class SchemaValidationError(ValueError):
    """A value does not match its schema; the message names the path, e.g. ``author.name``."""


_TYPE_NAMES: dict[type[Any], str] = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def validate_json(value: Any, schema: Mapping[str, Any]) -> None:
    """Raise :class:`SchemaValidationError` unless ``value`` matches ``schema``."""
    error = _check(value, schema, schema, "")
    if error is not None:
        raise SchemaValidationError(error)


def _matches_type(value: Any, kind: str) -> bool:
    match kind:
        case "object":
            return isinstance(value, dict)
        case "array":
            return isinstance(value, list)
        case "string":
            return isinstance(value, str)
        case "boolean":
            return isinstance(value, bool)
        case "integer":
            if isinstance(value, bool):
                return False
            return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        case "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        case "null":
            return value is None
        case _:
            return True  # an unknown type name constrains nothing we can check


def _describe(value: Any) -> str:
    kind: type[Any] = type(value)  # pyright: ignore[reportUnknownVariableType]
    return _TYPE_NAMES.get(kind, kind.__name__)


def _check(value: Any, schema: Any, root: Mapping[str, Any], path: str) -> str | None:
    """The first mismatch as a message, or None."""
    if not isinstance(schema, Mapping):
        return None  # ``true`` / ``{}``-like schemas accept anything
    node = cast(Mapping[str, Any], schema)
    where = path or "value"

    ref = node.get("$ref")
    if isinstance(ref, str):
        target = _resolve(ref, root)
        if target is None:
            return f"{where}: unresolvable reference {ref}"
        error = _check(value, target, root, path)
        if error is not None:
            return error

    kind = node.get("type")
    if kind is not None:
        kinds = [kind] if isinstance(kind, str) else [str(k) for k in cast(list[Any], kind)]
        if not any(_matches_type(value, k) for k in kinds):
            return f"{where}: expected {' or '.join(kinds)}, got {_describe(value)}"

    if "enum" in node and value not in cast(list[Any], node["enum"]):
        return f"{where}: {value!r} is not one of {node['enum']!r}"
    if "const" in node and value != node["const"]:
        return f"{where}: expected {node['const']!r}, got {value!r}"

    for key in ("anyOf", "oneOf"):
        branches = node.get(key)
        if isinstance(branches, list) and branches:
            errors = [_check(value, b, root, path) for b in cast(list[Any], branches)]
            if all(e is not None for e in errors):
                return f"{where}: matches none of {key}: " + " | ".join(str(e) for e in errors)
    for branch in cast(list[Any], node.get("allOf") or []):
        error = _check(value, branch, root, path)
        if error is not None:
            return error

    if isinstance(value, dict):
        return _check_object(cast(dict[str, Any], value), node, root, path)
    if isinstance(value, list):
        return _check_array(cast(list[Any], value), node, root, path)
    return None


def _check_object(
    value: dict[str, Any], node: Mapping[str, Any], root: Mapping[str, Any], path: str
) -> str | None:
    prefix = f"{path}." if path else ""
    for name in cast(list[str], node.get("required") or []):
        if name not in value:
            return f"{prefix}{name}: required property is missing"
    props = cast(Mapping[str, Any], node.get("properties") or {})
    extra = node.get("additionalProperties", True)
    for key, item in value.items():
        if key in props:
            error = _check(item, props[key], root, prefix + key)
        elif extra is False:
            error = f"{prefix}{key}: property is not allowed by the schema"
        else:
            error = _check(item, extra, root, prefix + key)
        if error is not None:
            return error
    return None


def _check_array(
    value: list[Any], node: Mapping[str, Any], root: Mapping[str, Any], path: str
) -> str | None:
    where = path or "value"
    low = node.get("minItems")
    if isinstance(low, int) and len(value) < low:
        return f"{where}: expected at least {low} items, got {len(value)}"
    high = node.get("maxItems")
    if isinstance(high, int) and len(value) > high:
        return f"{where}: expected at most {high} items, got {len(value)}"
    items = node.get("items")
    if isinstance(items, Mapping):
        for i, item in enumerate(value):
            error = _check(item, items, root, f"{path}[{i}]" if path else f"[{i}]")
            if error is not None:
                return error
    return None


def _resolve(ref: str, root: Mapping[str, Any]) -> Any:
    for prefix in ("#/$defs/", "#/definitions/"):
        if ref.startswith(prefix):
            defs = root.get(prefix[2:-1])
            if isinstance(defs, Mapping):
                return cast(Mapping[str, Any], defs).get(ref[len(prefix) :])
    if ref == "#":
        return root
    return None
