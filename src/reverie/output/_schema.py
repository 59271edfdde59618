"""What a structured output must look like: :class:`ObjectSchema`, built from a type or a schema.

:func:`object_schema` accepts

- a pydantic model class (or any type pydantic's ``TypeAdapter`` understands: a dataclass, a
  ``TypedDict``): its JSON schema is generated without ``title`` keys, with ``$ref``s to
  ``$defs`` inlined (providers' strict modes and the recorded requests want plain nested
  objects; a recursive model keeps its ``$defs``), and the top-level description (the
  docstring) moved out to be the schema's description. Values are validated by pydantic and
  come back as instances of the type;
- a JSON schema (a mapping): sent exactly as given; values are validated by
  :mod:`reverie.output._validate` and come back as plain JSON values (dicts, lists, ...).

The schema transformations it uses (and that providers use for strict modes) are in
:mod:`reverie._jsonschema`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from reverie._jsonschema import inline_refs, strip_titles
from reverie.errors import ConfigurationError
from reverie.output._validate import SchemaValidationError, validate_json

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ObjectSchema(Generic[T]):
    """A schema for one structured output: its JSON schema, name, description and validator.

    ``name`` and ``description`` are empty when the caller gave none and the type has none;
    each mode applies its own default (see :mod:`reverie.output`). ``validate`` returns the
    value as ``T`` or raises :class:`~reverie.output._validate.SchemaValidationError`.
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
