"""JSON schema → Google's ``Schema`` dialect, pure.

Google's function declarations take an OpenAPI-style subset: upper-case ``type`` names,
``nullable`` instead of a ``null`` type, no ``$ref``. The converter keeps what that subset
knows and drops the rest; the recorded requests show the result for simple tools
(``{"type": "OBJECT", "properties": {...: {"type": "STRING", "description": ...}},
"required": [...]}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

_TYPES = {
    "string": "STRING",
    "number": "NUMBER",
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
    "array": "ARRAY",
    "object": "OBJECT",
}
_MAX_DEPTH = 32  # a recursive $ref is cut here rather than looping forever


def _mapping(value: Any) -> Mapping[str, Any] | None:
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else None


def _list(value: Any) -> list[Any]:
    return cast("list[Any]", value) if isinstance(value, list) else []


def object_members(
    src: Mapping[str, Any], defs: Mapping[str, Any] | None = None, depth: int = 0
) -> dict[str, Any]:
    """``properties`` and ``required`` of an object schema, converted. At the top level
    (``defs`` None) the schema's own ``$defs`` are used to inline references."""
    if defs is None:
        defs = _mapping(src.get("$defs")) or _mapping(src.get("definitions"))
    out: dict[str, Any] = {}
    props = _mapping(src.get("properties"))
    if props:
        out["properties"] = {str(k): convert_schema(v, defs, depth + 1) for k, v in props.items()}
    required = _list(src.get("required"))
    if required:
        out["required"] = [str(r) for r in required]
    return out


def convert_schema(
    value: Any, defs: Mapping[str, Any] | None = None, depth: int = 0
) -> dict[str, Any]:
    """One JSON-schema property in Google's schema dialect.

    Keeps what Google's ``Schema`` knows (type, description, enum, format, items,
    properties, required, nullable, bounds, anyOf); a type list or ``anyOf`` with
    ``"null"`` becomes ``nullable``; local ``$ref``s are inlined from ``defs``; anything
    without a usable type is a STRING, as Google's own SDKs do.
    """
    src = _mapping(value)
    if src is None or depth > _MAX_DEPTH:
        return {"type": "STRING"}
    ref = src.get("$ref")
    if isinstance(ref, str) and defs is not None:
        target = _mapping(defs.get(ref.rsplit("/", 1)[-1]))
        if target is not None:
            merged = {**target, **{k: v for k, v in src.items() if k != "$ref"}}
            return convert_schema(merged, defs, depth + 1)
    out: dict[str, Any] = {}
    kind: Any = src.get("type")
    kinds = _list(kind)
    if kinds:
        names = [str(k) for k in kinds if k != "null"]
        if len(names) < len(kinds):
            out["nullable"] = True
        kind = names[0] if names else None
    variants = _list(src.get("anyOf"))
    if variants and kind is None:
        options = [o for o in variants if (_mapping(o) or {}).get("type") != "null"]
        if len(options) < len(variants):
            out["nullable"] = True
        if isinstance(src.get("description"), str):
            out["description"] = src["description"]
        if len(options) == 1:
            return {**convert_schema(options[0], defs, depth + 1), **out}
        out["anyOf"] = [convert_schema(o, defs, depth + 1) for o in options]
        return out
    out["type"] = _TYPES.get(str(kind), "STRING")
    if isinstance(src.get("description"), str):
        out["description"] = src["description"]
    enum = _list(src.get("enum"))
    if enum:
        out["enum"] = [str(e) for e in enum]
    if isinstance(src.get("format"), str):
        out["format"] = src["format"]
    for key in ("minimum", "maximum", "minItems", "maxItems"):
        if isinstance(src.get(key), int | float):
            out[key] = src[key]
    if kind == "array" and src.get("items") is not None:
        out["items"] = convert_schema(src["items"], defs, depth + 1)
    if kind == "object":
        out.update(object_members(src, defs, depth))
    return out
