"""Structured output: a typed object from any model, whole or streamed as it grows.

::

    class Person(BaseModel):
        name: str
        age: int

    result = await generate_object("openai:gpt-4o", "Alice, 30", schema=Person)
    result.object                      # Person(name='Alice', age=30)

    stream = stream_object("xai:grok-4-fast", "Alice, 30", schema=Person)
    async for partial in stream.partial_objects():
        print(partial)                 # {'name': 'Al'} ... {'name': 'Alice', 'age': 30}
    person = stream.result.object

    agent = Agent(model, tools=[weather], output_type=Report)   # tools first, then a Report
    (await agent.generate("...")).output

``schema`` is a pydantic model (or dataclass, TypedDict; the object comes back as an
instance) or a JSON schema dict (the object comes back as plain JSON values, checked by a
small validator). ``name`` and ``description`` default to the type's name and docstring.

Modes (``mode=``):

- ``"auto"`` (default): what the provider does best — the model's native JSON-schema output
  if it offers one, else a forced tool.
- ``"native"``: the provider's own structured output (OpenAI chat: ``response_format``
  json_schema, ``strict``, ``additionalProperties: false`` added; name defaults to
  ``"response"``). Fails with ConfigurationError on a model that has none.
- ``"tool"``: one function tool whose parameters are the schema, forced by tool choice
  (name defaults to ``"generate_object"``); the object is the call's arguments. This is
  what auto picks for OpenAI-compatible hosts and Anthropic.
- ``"text"``: the schema in the system prompt; the answer text is parsed.

Every answer goes through the same path: JSON parse, JSON repair, validation, then the
caller's ``repair(text, error) -> text`` hook; a failure raises
:class:`~reverie.errors.NoObjectGeneratedError` with the raw text, the error (``cause``),
usage and finish reason. Streams yield :class:`~reverie.events.PartialObject` values each
time they change (never validated, never raising), :class:`JsonDelta` text, and finally
:class:`ObjectFinish` with the validated :class:`ObjectResult`.

The provider hook (how a wire module offers native JSON output)
----------------------------------------------------------------

A model class offers a native mode by defining one pure method
(:class:`SupportsNativeObject`)::

    def object_request(self, call: Call, schema: Mapping[str, Any], name: str,
                       description: str) -> Call | None

It returns a copy of ``call`` that its own ``generate``/``stream`` send as a native
structured request whose answer text is the JSON — typically by putting the provider's
format into ``call.provider_options[self.provider]`` for its encoder to copy into the body
(Gemini: ``generationConfig.responseMimeType = "application/json"`` and
``responseJsonSchema``; Responses: ``text.format = {"type": "json_schema", ...}``) — or
``None`` when it has no native mode or cannot combine it with the call's tools, so that
``auto`` falls back to the forced tool (Anthropic simply does not define the hook). An
agent with an ``output_type`` calls the hook on every step, with the step's tools in
``call``. :func:`close_objects` and :func:`is_strict_compatible` help with strict modes
(reverie's own OpenAI chat wire is the reference implementation).

Nothing here imports pydantic until a pydantic type is used.
"""

from reverie._jsonschema import close_objects, is_strict_compatible
from reverie.events import PartialObject
from reverie.output._generate import (
    JsonDelta,
    ObjectFinish,
    ObjectResult,
    ObjectStreamEvent,
    generate_object,
    generate_object_sync,
)
from reverie.output._modes import ObjectMode, SupportsNativeObject
from reverie.output._parse import PartialParser, RepairText, parse_object
from reverie.output._schema import ObjectSchema, object_schema
from reverie.output._stream import ObjectStream, stream_object
from reverie.output._validate import SchemaValidationError, validate_json

__all__ = [
    "JsonDelta",
    "ObjectFinish",
    "ObjectMode",
    "ObjectResult",
    "ObjectSchema",
    "ObjectStream",
    "ObjectStreamEvent",
    "PartialObject",
    "PartialParser",
    "RepairText",
    "SchemaValidationError",
    "SupportsNativeObject",
    "close_objects",
    "generate_object",
    "generate_object_sync",
    "is_strict_compatible",
    "object_schema",
    "parse_object",
    "stream_object",
    "validate_json",
]
