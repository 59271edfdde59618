"""An MCP tool's input schema, made acceptable to the provider that will receive it.

MCP servers publish JSON Schema as their SDK produced it (draft-07 from zod, 2020-12 from
pydantic): ``$schema`` keys, ``allOf``/``oneOf`` at any depth, ``const``, ``default``,
arrays without ``items``, optional properties. Providers each accept a different subset, and
a schema they reject fails the whole request, not just the tool. So each schema is shaped
for its destination before it is sent; pure functions, dicts in and out.

Rules for every provider (:func:`normalize_schema`):

- the root must be an object schema (``type: object`` is added to a root that has
  ``properties``); any other root is a :class:`SchemaError` naming the tool;
- ``$schema``, ``$id`` and ``$comment`` are dropped, ``definitions`` become ``$defs``;
- a root ``allOf`` is merged into one object and a root ``anyOf``/``oneOf`` becomes one
  object with every variant's properties and only the keys all variants require (OpenAI
  and Anthropic reject combinators at the root);
- an ``array`` without ``items`` gets ``items: {}`` (OpenAI rejects it otherwise).

Then per target:

- ``"openai"``: the above (non-strict function calling, what reverie sends by default);
- ``"openai-strict"``: OpenAI's strict mode: every object closed (``additionalProperties:
  false``) with every property required, a property that was optional made nullable (the
  ``null`` the model then sends is removed again by :func:`drop_added_nulls` before the
  server sees it), ``oneOf`` as ``anyOf``, and keywords strict mode rejects dropped (a
  ``default`` is kept in the description). An object that names no properties cannot be
  strict: :class:`SchemaError`;
- ``"gemini"``: Gemini's subset, completed by the Google wire's own converter: ``oneOf``
  as ``anyOf``, ``allOf`` merged, ``const`` as a one-value ``enum``, an ``enum`` of
  non-strings (Gemini takes string enums only) moved into the description, and a
  ``format`` Gemini does not know for the type (``uri``, ``email``) dropped;
- ``"anthropic"``: the common rules (Anthropic takes the rest of JSON Schema as is).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal, TypeAlias, cast

import orjson

from reverie.errors import ConfigurationError

Target: TypeAlias = Literal["openai", "openai-strict", "gemini", "anthropic"]

_DROPPED = frozenset({"$schema", "$id", "$comment"})
_COMBINATORS = ("anyOf", "oneOf", "allOf")
# What OpenAI's strict mode accepts in a schema node (its structured-outputs subset).
_STRICT_KEYS = frozenset(
    {
        "type",
        "description",
        "title",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "$ref",
        "$defs",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)
# The formats Gemini accepts, per type; it rejects a request that uses any other.
_GEMINI_FORMATS = {
    "string": ("enum", "date-time"),
    "number": ("float", "double"),
    "integer": ("int32", "int64"),
}
_GOOGLE_PROVIDERS = frozenset({"google", "vertex", "gemini"})
_ANTHROPIC_PROVIDERS = frozenset({"anthropic", "bedrock", "vertex-anthropic"})


class SchemaError(ConfigurationError):
    """A tool's input schema cannot be sent to the provider; the message names the tool."""


def target_for(provider: str | None, *, strict: bool = False) -> Target:
    """The schema dialect for a provider name (OpenAI's for every OpenAI-compatible host)."""
    if provider in _GOOGLE_PROVIDERS:
        return "gemini"
    if provider in _ANTHROPIC_PROVIDERS:
        return "anthropic"
    return "openai-strict" if strict else "openai"


def normalize_schema(schema: Any, target: Target, *, tool: str = "tool") -> dict[str, Any]:
    """``schema`` (an MCP tool's ``inputSchema``) shaped for ``target``; see the module doc.

    Never changes its argument. Raises :class:`SchemaError` for a schema no provider of
    ``target`` would accept.
    """
    if not isinstance(schema, Mapping):
        raise SchemaError(f"tool {tool!r}: its input schema is not a JSON object")
    node = _common(copy.deepcopy(dict(cast("Mapping[str, Any]", schema))))
    node = _root_object(node, tool)
    if target == "openai-strict":
        return _strict(node, tool, path="")
    if target == "gemini":
        return _gemini(node)
    return node


def drop_added_nulls(arguments: Mapping[str, Any], original: Mapping[str, Any]) -> dict[str, Any]:
    """``arguments`` without the ``null`` values strict mode made the model send for
    properties the ``original`` schema left optional (and did not allow to be null)."""
    out: dict[str, Any] = {}
    props = _mapping(original.get("properties")) or {}
    required = set(_strings(original.get("required")))
    for key, value in arguments.items():
        sub = _mapping(props.get(key)) or {}
        if value is None and key not in required and not _allows_null(sub):
            continue
        if isinstance(value, Mapping) and _mapping(sub.get("properties")) is not None:
            value = drop_added_nulls(cast("Mapping[str, Any]", value), sub)
        out[key] = value
    return out


# ---------------------------------------------------------------------------------------
# Common rules


def _common(node: Any) -> Any:
    if isinstance(node, list):
        return [_common(v) for v in cast("list[Any]", node)]
    if not isinstance(node, dict):
        return node
    src = cast("dict[str, Any]", node)
    out: dict[str, Any] = {}
    for key, value in src.items():
        if key in _DROPPED:
            continue
        if key == "definitions":
            key = "$defs"
        if key in ("properties", "$defs", "patternProperties") and isinstance(value, dict):
            props = cast("dict[str, Any]", value)
            out[key] = {name: _common(sub) for name, sub in props.items()}
        else:
            out[key] = _common(value)
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        out["$ref"] = "#/$defs/" + ref.removeprefix("#/definitions/")
    if _types(out) == {"array"} and "items" not in out and "prefixItems" not in out:
        out["items"] = {}
    return out


def _root_object(node: dict[str, Any], tool: str) -> dict[str, Any]:
    if "allOf" in node:
        node = _merge_all_of(node)
    for key in ("anyOf", "oneOf"):
        if key in node and _types(node) <= {"object"}:
            node = _merge_variants(node, key)
    kinds = _types(node)
    if not kinds and ("properties" in node or not node):
        node["type"] = "object"
    elif kinds != {"object"}:
        raise SchemaError(
            f"tool {tool!r}: its input schema has type {sorted(kinds) or 'unset'}, but a tool "
            "takes a JSON object of arguments; leave the tool out (exclude=[...]) or fix the "
            "server"
        )
    node.setdefault("properties", {})
    return node


def _merge_all_of(node: dict[str, Any]) -> dict[str, Any]:
    """``allOf`` parts folded into the node: properties united, required keys united."""
    for part in _dicts(node.pop("allOf")):
        if "allOf" in part:
            part = _merge_all_of(part)
        props = _mapping(part.get("properties"))
        if props:
            node.setdefault("properties", {}).update(props)
        required = _strings(part.get("required"))
        if required:
            node["required"] = _unique([*_strings(node.get("required")), *required])
        for key, value in part.items():
            if key not in ("properties", "required"):
                node.setdefault(key, value)
    return node


def _merge_variants(node: dict[str, Any], key: str) -> dict[str, Any]:
    """A root ``anyOf``/``oneOf`` of objects as one object: every variant's properties,
    required only where every variant requires."""
    variants = _dicts(node.pop(key))
    props: dict[str, Any] = dict(_mapping(node.get("properties")) or {})
    shared: set[str] | None = None
    for variant in variants:
        props.update(_mapping(variant.get("properties")) or {})
        req = set(_strings(variant.get("required")))
        shared = req if shared is None else shared & req
    node["properties"] = props
    required = [*_strings(node.get("required")), *sorted(shared or ())]
    if required:
        node["required"] = _unique(required)
    note = f"Arguments fit one of {len(variants)} alternative forms."
    node["description"] = f"{node['description']} {note}" if node.get("description") else note
    return node


# ---------------------------------------------------------------------------------------
# OpenAI strict mode


def _strict(node: Any, tool: str, path: str) -> Any:
    if isinstance(node, list):
        return [_strict(v, tool, path) for v in cast("list[Any]", node)]
    if not isinstance(node, dict):
        return node
    src = cast("dict[str, Any]", node)
    if "allOf" in src:
        src = _merge_all_of(src)
    out: dict[str, Any] = {}
    for key, value in src.items():
        if key == "oneOf":
            key = "anyOf"
        if key == "default":
            text = orjson.dumps(value).decode()
            prior = src.get("description")
            out["description"] = f"{prior} (default: {text})" if prior else f"Default: {text}."
            continue
        if key not in _STRICT_KEYS:
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            members = cast("dict[str, Any]", value)
            out[key] = {n: _strict(v, tool, f"{path}.{n}") for n, v in members.items()}
        elif key == "description" and "description" in out:
            continue  # already carries the default
        else:
            out[key] = _strict(value, tool, path)
    if "object" in _types(out) or "properties" in out:
        _close_object(out, tool, path)
    return out


def _close_object(node: dict[str, Any], tool: str, path: str) -> None:
    props = _mapping(node.get("properties"))
    if not props and path:
        raise SchemaError(
            f"tool {tool!r}: argument {path.lstrip('.')!r} is an open object, which OpenAI's "
            "strict mode cannot express; turn strict mode off or leave the tool out"
        )
    props = dict(props or {})
    required = set(_strings(node.get("required")))
    for name, sub in props.items():
        if name not in required and isinstance(sub, dict):
            props[name] = _nullable(cast("dict[str, Any]", sub))
    node["properties"] = props
    node["required"] = list(props)
    node["additionalProperties"] = False


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    if _allows_null(node):
        return node
    kind = node.get("type")
    if isinstance(kind, str):
        return {**node, "type": [kind, "null"]}
    if isinstance(kind, list):
        return {**node, "type": [*cast("list[Any]", kind), "null"]}
    return {"anyOf": [node, {"type": "null"}]}


# ---------------------------------------------------------------------------------------
# Gemini


def _gemini(node: Any) -> Any:
    if isinstance(node, list):
        return [_gemini(v) for v in cast("list[Any]", node)]
    if not isinstance(node, dict):
        return node
    src = cast("dict[str, Any]", node)
    if "allOf" in src:
        src = _merge_all_of(src)
    out: dict[str, Any] = {}
    for key, value in src.items():
        if key == "oneOf":
            key = "anyOf"
        if key in ("properties", "$defs") and isinstance(value, dict):
            members = cast("dict[str, Any]", value)
            out[key] = {n: _gemini(v) for n, v in members.items()}
        else:
            out[key] = _gemini(value)
    if "const" in out:
        out["enum"] = [out.pop("const")]
    fmt = out.get("format")
    if fmt is not None and fmt not in _GEMINI_FORMATS.get(next(iter(_types(out)), ""), ()):
        del out["format"]  # Gemini refuses the request over an unknown format ("uri")
    enum = _list(out.get("enum"))
    if enum and not all(isinstance(e, str) for e in enum):
        del out["enum"]
        values = ", ".join(orjson.dumps(e).decode() for e in enum)
        note = f"One of: {values}."
        out["description"] = f"{out['description']} {note}" if out.get("description") else note
    return out


# ---------------------------------------------------------------------------------------
# Helpers


def _types(node: Mapping[str, Any]) -> set[str]:
    kind = node.get("type")
    if isinstance(kind, str):
        return {kind}
    return {str(k) for k in _list(kind) if k != "null"}


def _allows_null(node: Mapping[str, Any]) -> bool:
    kind = node.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    variants = [*_list(node.get("anyOf")), *_list(node.get("oneOf"))]
    return any(_allows_null(v) for v in _dicts(variants))


def _mapping(value: Any) -> dict[str, Any] | None:
    return cast("dict[str, Any]", value) if isinstance(value, dict) else None


def _list(value: Any) -> list[Any]:
    return cast("list[Any]", value) if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [cast("dict[str, Any]", v) for v in _list(value) if isinstance(v, dict)]


def _strings(value: Any) -> list[str]:
    return [str(v) for v in _list(value)]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
