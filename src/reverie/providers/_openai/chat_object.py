"""Native structured output on Chat Completions: ``response_format`` json_schema, pure.

OpenAI's own endpoint takes ``{"type": "json_schema", "json_schema": {name, strict,
description, schema}}`` and answers with the JSON as the message text. The schema gets
``additionalProperties: false`` on every object (strict mode requires it); ``strict`` is
true when the schema is strict-compatible (every property required), else false, so a
schema with optional fields is still accepted (not enforced token by token).

Most OpenAI-compatible hosts do not implement json_schema reliably, so a model reports no
native mode unless it was built with ``native_json=True`` (the ``openai`` provider is); the
structured-output core then uses a forced tool (see :mod:`reverie.output._modes`).

The format travels in the call's provider options under the dialect's name, as
``response_format``, which the chat encoder copies into the body like other passthrough
options. A caller may set ``response_format`` there themselves (e.g. ``json_object``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reverie._jsonschema import close_objects, is_strict_compatible
from reverie.model import Call


def response_format(schema: Mapping[str, Any], name: str, description: str) -> dict[str, Any]:
    """The ``response_format`` body value for ``schema``."""
    json_schema: dict[str, Any] = {
        "name": name,
        "strict": is_strict_compatible(schema),
        "schema": close_objects(schema),
    }
    if description:
        json_schema["description"] = description
    return {"type": "json_schema", "json_schema": json_schema}


def object_request(
    provider: str, call: Call, schema: Mapping[str, Any], name: str, description: str
) -> Call:
    """``call`` carrying the json_schema response format in ``provider``'s options."""
    options = dict(call.provider_options)
    mine = dict(options.get(provider, {}))
    mine["response_format"] = response_format(schema, name, description)
    options[provider] = mine
    return replace(call, provider_options=options)
