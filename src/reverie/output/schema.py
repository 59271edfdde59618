"""What a structured output must look like: :class:`ObjectSchema`, built from a type or a schema.

:func:`object_schema` accepts

- a pydantic model class (or any type pydantic's ``TypeAdapter`` understands: a dataclass, a
  ``TypedDict``): its JSON schema is generated without ``title`` keys, with ``$ref``s to
  ``$defs`` inlined (providers' strict modes and the recorded requests want plain nested
  objects; a recursive model keeps its ``$defs``), and the top-level description (the
  docstring) moved out to be the schema's description. Values are validated by pydantic and
  come back as instances of the type;
- a JSON schema (a mapping): sent exactly as given; values are validated by
  :mod:`reverie.output.validate` and come back as plain JSON values (dicts, lists, ...).

The helpers :func:`close_objects` and :func:`is_strict_compatible` serve providers whose
native JSON mode has a strict variant (OpenAI chat and Responses).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from reverie.errors import ConfigurationError
from reverie.output.validate import SchemaValidationError, validate_json

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ObjectSchema(Generic[T]):
    """A schema for one structured output: its JSON schema, name, description and validator.

    ``name`` and ``description`` are empty when the caller gave none and the type has none;
    each mode applies its own default (see :mod:`reverie.output`). ``validate`` returns the
    value as ``T`` or raises :class:`~reverie.output.validate.SchemaValidationError`.
    """

    json_schema: Mapping[str, Any]
    name: str = ""
    description: str = ""
    target: Any = None
    """The Python type values are validated into; ``None`` for a plain JSON schema."""

    def validate(self, value: Any) -> T:
        """``value`` (parsed JSON) as the output type, or :class:`SchemaValidationError`."""
        if self.target is None:
            validate_json(value, self.json_schema)
            return cast(T, value)
        from pydantic import ValidationError

        try:
            return cast(T, _adapter(self.target).validate_python(value))
        except ValidationError as exc:
            raise SchemaValidationError(_pydantic_message(exc)) from exc


def object_schema(
    schema: type[T] | Mapping[str, Any] | ObjectSchema[T],
    name: str | None = None,
    description: str | None = None,
) -> ObjectSchema[T]:
    """An :class:`ObjectSchema` from a type, a JSON schema, or another ObjectSchema.

    Raises :class:`~reverie.errors.ConfigurationError` when a type has no JSON schema.
    """
    if isinstance(schema, ObjectSchema):
        return ObjectSchema(
            schema.json_schema,
            schema.name if name is None else name,
            schema.description if description is None else description,
            schema.target,
        )
    if isinstance(schema, Mapping):
        return ObjectSchema(dict(schema), name or "", description or "")
    try:
        generated: dict[str, Any] = _adapter(schema).json_schema()
    except Exception as exc:
        raise ConfigurationError(
            f"cannot describe {schema!r} as a JSON schema ({exc}); pass a pydantic model, "
            "a dataclass, a TypedDict or a JSON schema dict"
        ) from exc
    normalized = cast(dict[str, Any], inline_refs(strip_titles(generated)))
    doc: Any = normalized.pop("description", "")
    type_name = getattr(schema, "__name__", "")
    return ObjectSchema(
        normalized,
        type_name if name is None else name,
        str(doc) if description is None else description,
        schema,
    )


_ADAPTERS: dict[Any, Any] = {}


def _adapter(target: Any) -> Any:
    """pydantic's ``TypeAdapter`` for ``target``, cached (building one is not free)."""
    adapter = _ADAPTERS.get(target)
    if adapter is None:
        from pydantic import TypeAdapter

        adapter = TypeAdapter(target)
        _ADAPTERS[target] = adapter
    return adapter


def _pydantic_message(exc: Any) -> str:
    parts: list[str] = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(x) for x in err.get("loc", ())) or "value"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------
# Schema transformations (pure; inputs are never modified)

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
