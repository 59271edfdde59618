"""JSON schema transformations, pure: inputs are never modified.

Used by tools (their argument schemas), structured output (its object schemas) and the
providers whose native JSON mode has a strict variant (OpenAI chat and Responses), which is
why it sits at the bottom, below all three.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, cast

_NAME_MAPS = frozenset({"properties", "$defs", "definitions", "patternProperties"})


def strip_titles(node: Any, names: bool = False) -> Any:
    """``node`` without pydantic's ``title`` keys. Inside ``properties`` and ``$defs`` the keys
    are names, so a property called "title" stays."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in cast(dict[str, Any], node).items():
            if names:
                out[key] = strip_titles(value)
            elif key != "title" or not isinstance(value, str):
                out[key] = strip_titles(value, key in _NAME_MAPS)
        return out
    if isinstance(node, list):
        return [strip_titles(v) for v in cast(list[Any], node)]
    return node


def inline_refs(schema: Any) -> Any:
    """``schema`` with local ``#/$defs/X`` references replaced by the definitions.

    A reference's sibling keys (a field's ``description``) are kept over the definition's.
    A recursive schema cannot be inlined and is returned unchanged.
    """
    if not isinstance(schema, dict):
        return schema
    root = cast(dict[str, Any], schema)
    defs: dict[str, Any] = {**root.get("definitions", {}), **root.get("$defs", {})}
    if not defs:
        return root

    def resolve(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [resolve(v, seen) for v in cast(list[Any], node)]
        if not isinstance(node, dict):
            return node
        node = cast(dict[str, Any], node)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(("#/$defs/", "#/definitions/")):
            key = ref.rsplit("/", 1)[1]
            if key in seen or key not in defs:
                raise _Recursive
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            return {**resolve(defs[key], (*seen, key)), **resolve(siblings, seen)}
        return {k: resolve(v, seen) for k, v in node.items() if k not in ("$defs", "definitions")}

    try:
        return resolve(root, ())
    except _Recursive:
        return root


class _Recursive(Exception):
    pass


def close_objects(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` with ``additionalProperties: false`` on every object that does not
    say otherwise, through properties, items, ``anyOf``/``oneOf``/``allOf`` and ``$defs``
    (OpenAI's strict structured outputs require it)."""
    out = copy.deepcopy(dict(schema))
    _close(out)
    return out


def _close(node: Any) -> None:
    if isinstance(node, list):
        for item in cast(list[Any], node):
            _close(item)
        return
    if not isinstance(node, dict):
        return
    node = cast(dict[str, Any], node)
    kind = node.get("type")
    if (kind == "object" or (isinstance(kind, list) and "object" in kind)) and (
        "additionalProperties" not in node
    ):
        node["additionalProperties"] = False
    for key in ("properties", "$defs", "definitions"):
        children = node.get(key)
        if isinstance(children, dict):
            for child in cast(dict[str, Any], children).values():
                _close(child)
    for key in ("items", "anyOf", "oneOf", "allOf", "prefixItems"):
        if key in node:
            _close(node[key])


def is_strict_compatible(schema: Mapping[str, Any]) -> bool:
    """Whether every object in ``schema`` requires all of its properties, as OpenAI's strict
    mode demands (an optional field must be written as required-and-nullable there)."""

    def check(node: Any) -> bool:
        if isinstance(node, list):
            return all(check(v) for v in cast(list[Any], node))
        if not isinstance(node, dict):
            return True
        node = cast(dict[str, Any], node)
        props = node.get("properties")
        if isinstance(props, dict):
            required = set(cast(list[str], node.get("required") or []))
            if not set(cast(dict[str, Any], props)) <= required:
                return False
            if not all(check(v) for v in cast(dict[str, Any], props).values()):
                return False
        children = [node[k] for k in ("items", "anyOf", "oneOf", "allOf") if k in node]
        for key in ("$defs", "definitions"):
            if isinstance(node.get(key), dict):
                children.extend(cast(dict[str, Any], node[key]).values())
        return all(check(c) for c in children)

    return check(dict(schema))
