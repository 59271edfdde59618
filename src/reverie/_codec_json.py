"""Free-form JSON values and the shape checks of :mod:`reverie.codec` (see there).

Provider data, tool arguments and JSON outputs are JSON as is; the few non-JSON values
Python code may put there are tagged (``$bytes``, ``$tuple``, and ``$dict`` to escape a dict
that happens to look tagged). Every check raises :class:`~reverie.errors.DataFormatError`
naming where the value was.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

import orjson

from reverie.content import ProviderData
from reverie.errors import DataFormatError

FORMAT_VERSION = 1
"""The version this reverie writes; it reads this one and every earlier one."""

JsonValue = Any
"""A value made of dict (str keys), list, str, int, float, bool and None."""


_TAGS = frozenset({"$bytes", "$tuple", "$dict"})


def encode_json(value: Any, where: str = "value") -> JsonValue:
    """``value`` as JSON values, bytes and tuples tagged; anything else is a DataFormatError."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple):
        items = cast(tuple[Any, ...], value)
        return {"$tuple": [encode_json(v, where) for v in items]}
    if isinstance(value, list):
        return [encode_json(v, where) for v in cast(list[Any], value)]
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in cast(Mapping[Any, Any], value).items():
            if not isinstance(key, str):
                raise DataFormatError(f"{where}: a key {key!r} is not a string; JSON needs one")
            out[key] = encode_json(item, where)
        if len(out) == 1 and next(iter(out)) in _TAGS:
            return {"$dict": out}
        return out
    raise DataFormatError(
        f"{where}: a {type(value).__name__} cannot be written as JSON; keep provider data and "
        "tool values to dicts, lists, strings, numbers, booleans, None and bytes"
    )


def decode_json(value: JsonValue, where: str = "value") -> Any:
    """The inverse of :func:`encode_json`."""
    if isinstance(value, list):
        return [decode_json(v, where) for v in cast(list[Any], value)]
    if not isinstance(value, dict):
        return value
    obj = cast(dict[str, Any], value)
    if len(obj) == 1:
        tag, inner = next(iter(obj.items()))
        if tag == "$bytes":
            return b64(inner, where)
        if tag == "$tuple":
            return tuple(decode_json(v, where) for v in list_(inner, where))
        if tag == "$dict":
            return {k: decode_json(v, where) for k, v in object_(inner, where).items()}
    return {k: decode_json(v, where) for k, v in obj.items()}


def encode_provider_data(data: ProviderData, where: str = "provider data") -> dict[str, Any]:
    """Per-provider data as JSON values."""
    return {str(name): encode_json(dict(values), where) for name, values in data.items()}


def decode_provider_data(value: JsonValue, where: str = "provider data") -> dict[str, Any]:
    """The inverse of :func:`encode_provider_data`."""
    out: dict[str, Any] = {}
    for name, values in object_(value, where).items():
        out[name] = decode_json(object_(values, f"{where}.{name}"), where)
    return out


def encode_datetime(when: datetime) -> str:
    """An instant as ISO 8601 text with its UTC offset, to the microsecond (exact)."""
    return when.isoformat()


def decode_datetime(value: Any, where: str) -> datetime:
    """The instant :func:`encode_datetime` wrote; it must carry its UTC offset."""
    if not isinstance(value, str) or len(value) > 40:
        raise DataFormatError(f"{where}: expected ISO 8601 date and time text, got {kind(value)}")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise DataFormatError(f"{where}: not an ISO 8601 date and time: {value!r}") from None
    if when.tzinfo is None:
        raise DataFormatError(f"{where}: {value!r} has no UTC offset")
    return when


def encode_origin(provider: str, model_id: str, when: datetime | None) -> dict[str, str]:
    """Who answered a model call and when: ``provider``, ``model_id`` and ``finished_at``
    (:func:`encode_datetime`), each left out when unknown."""
    out = {"provider": provider, "model_id": model_id}
    out = {k: v for k, v in out.items() if v}
    if when is not None:
        out["finished_at"] = encode_datetime(when)
    return out


def decode_origin(obj: Mapping[str, Any], where: str) -> tuple[str, str, datetime | None]:
    """The ``(provider, model_id, finished_at)`` :func:`encode_origin` wrote into ``obj``."""
    names: list[str] = []
    for name in ("provider", "model_id"):
        value = obj.get(name, "")
        if not isinstance(value, str):
            raise DataFormatError(f"{where}.{name}: expected a string, got {kind(value)}")
        names.append(value)
    when = obj.get("finished_at")
    at = None if when is None else decode_datetime(when, f"{where}.finished_at")
    return names[0], names[1], at


def check_document(text: str | bytes, fmt: str, fields_: set[str]) -> dict[str, Any]:
    """Parse a versioned document of format ``fmt``; refuse other formats, newer versions
    and unknown top-level fields. Returns the parsed object."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise DataFormatError(f"not JSON: {exc}") from exc
    obj = object_(doc, fmt)
    if obj.get("format") != fmt:
        raise DataFormatError(f"expected a {fmt} document, got format {obj.get('format')!r}")
    version = obj.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DataFormatError(f"{fmt}: version {version!r} is not a positive integer")
    if version > FORMAT_VERSION:
        raise DataFormatError(
            f"{fmt} version {version} was written by a newer reverie; this one reads up to "
            f"version {FORMAT_VERSION}: upgrade reverie to load it"
        )
    refuse_unknown(obj, {"format", "version", *fields_}, f"{fmt} (version {version})")
    return obj


def object_(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DataFormatError(f"{where}: expected a JSON object, got {kind(value)}")
    return cast(dict[str, Any], value)


def list_(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise DataFormatError(f"{where}: expected a JSON array, got {kind(value)}")
    return cast(list[Any], value)


def b64(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise DataFormatError(f"{where}: expected base64 text, got {kind(value)}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DataFormatError(f"{where}: not valid base64 ({exc})") from exc


def refuse_unknown(obj: Mapping[str, Any], known: Mapping[str, Any] | set[str], where: str) -> None:
    unknown = [k for k in obj if k not in known]
    if unknown:
        raise DataFormatError(
            f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; this reverie reads "
            f"format version {FORMAT_VERSION} and earlier, so a newer reverie probably wrote "
            "it: upgrade to load it"
        )


def kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
