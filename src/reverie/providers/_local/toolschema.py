"""Tool parameter schemas made fit for one constrained reply. Pure: no I/O.

A tool's JSON schema may refer to shared definitions (``{"$ref": "#/$defs/Point"}``: what
pydantic writes for a model or an Enum argument). Such a reference is resolved against the
*root* of the schema it appears in, but the constrained reply nests every tool's schema
inside one bigger schema, where ``#/$defs/Point`` would point nowhere (llama.cpp: "cannot
resolve $ref"). :func:`hoist_definitions` moves each tool's definitions to the reply's root
under names prefixed by the tool's, and rewrites the references to match; recursive models
keep working because nothing is inlined. References that are not to a definition (a JSON
pointer into the tool's own schema) are inlined, once.

:func:`type_name` describes a parameter's type in a few words for the system prompt
(``integer``, ``list of Point``, ``"red" or "blue"``), since a small model reads that line,
not the schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import orjson

_DEF_KEYS = ("$defs", "definitions")


def _object(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return cast(Mapping[str, Any], value) if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return cast(list[Any], value) if isinstance(value, list) else []


def hoist_definitions(
    schema: Mapping[str, Any], prefix: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``schema`` without its definitions, references rewritten, and the definitions to put
    at the root of the enclosing schema (keys ``<prefix>__<name>``)."""
    local: dict[str, str] = {}  # "#/$defs/Point" -> "#/$defs/<prefix>__Point"
    for key in _DEF_KEYS:
        for name in _object(schema.get(key)):
            local[f"#/{key}/{name}"] = f"#/$defs/{prefix}__{name}"

    def rewrite(node: Any, seen: frozenset[str]) -> Any:
        if isinstance(node, Mapping):
            mapping = cast(Mapping[str, Any], node)
            ref = mapping.get("$ref")
            if isinstance(ref, str):
                if ref in local:
                    return {**{k: rewrite(v, seen) for k, v in mapping.items()}, "$ref": local[ref]}
                if ref.startswith("#") and ref not in seen:
                    target = _pointer(schema, ref)
                    if target is not None:
                        rest = {k: v for k, v in mapping.items() if k != "$ref"}
                        return {**rewrite(target, seen | {ref}), **rewrite(rest, seen)}
            return {k: rewrite(v, seen) for k, v in mapping.items() if k not in _DEF_KEYS}
        if isinstance(node, list):
            return [rewrite(v, seen) for v in cast(list[Any], node)]
        return node

    definitions: dict[str, Any] = {}
    for key in _DEF_KEYS:
        for name, definition in _object(schema.get(key)).items():
            definitions[f"{prefix}__{name}"] = rewrite(definition, frozenset())
    body = rewrite(schema, frozenset())
    return (cast(dict[str, Any], body) if isinstance(body, dict) else {}), definitions


def _pointer(root: Mapping[str, Any], ref: str) -> Any:
    """The node a local JSON pointer (``#/properties/a``) names, or None."""
    node: Any = root
    for raw in ref.removeprefix("#").split("/")[1:] if ref != "#" else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping):
            node = cast(Mapping[str, Any], node).get(token)
        elif isinstance(node, list) and token.isdigit():
            items = cast(list[Any], node)
            node = items[int(token)] if int(token) < len(items) else None
        else:
            return None
        if node is None:
            return None
    return node


def type_name(schema: Any, root: Mapping[str, Any]) -> str:
    """A parameter's type in a few words, references looked up in ``root``'s definitions."""
    node = _object(schema)
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = _object(_pointer(root, ref))
        if "enum" in target:
            return type_name(target, root)
        return ref.rsplit("/", 1)[-1]
    if "const" in node:
        return _literal(node["const"])
    if "enum" in node:
        return " or ".join(_literal(v) for v in _list(node["enum"]))
    for key in ("anyOf", "oneOf"):
        options = _list(node.get(key))
        if options:
            names = [type_name(o, root) for o in options if _object(o).get("type") != "null"]
            optional = len(names) < len(options)
            text = " or ".join(names) or "null"
            return f"{text} (optional)" if optional else text
    kind = node.get("type")
    if kind == "array":
        return f"list of {type_name(node.get('items'), root)}"
    if isinstance(kind, list):
        return " or ".join(str(k) for k in _list(kind))
    return str(kind) if kind else "any"


def _literal(value: Any) -> str:
    return orjson.dumps(value).decode()
