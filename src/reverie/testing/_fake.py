"""A scripted model, so agent code can be tested with no HTTP and no provider.

::

    model = FakeModel([
        FakeModel.tool_calls(("add", {"a": 2, "b": 3})),
        FakeModel.text("The sum is 5."),
    ])
    result = await Agent(model, tools=[add]).generate("Add 2 and 3")
    assert model.calls[1].messages[-1].role == "tool"

Each call (``generate`` or ``stream``) takes the next scripted :class:`Response`; ``stream``
yields the events a real provider would (text deltas of ``chunk_size`` characters, tool
input in fragments, then the whole tool call, then ``Finish``). A scripted exception is
raised instead. Every :class:`Call` received is kept in ``calls``.

``native_json=True`` makes the model offer native structured output through the
``object_request`` hook (:mod:`reverie.output`): the format is recorded in the call's
``provider_options["fake"]["response_format"]``, where a test can check it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import orjson

from reverie._accumulate import response_events
from reverie.content import Part, ReasoningPart, TextPart, ToolCallPart
from reverie.events import StreamEvent
from reverie.model import Call, FinishReason, Response, Usage


class FakeModel:
    """A :class:`~reverie.model.LanguageModel` that answers from a script."""

    def __init__(
        self,
        script: Sequence[Response | BaseException],
        *,
        provider: str = "fake",
        model_id: str = "scripted",
        chunk_size: int = 3,
        native_json: bool = False,
    ) -> None:
        self._script = list(script)
        self._provider = provider
        self._model_id = model_id
        self.chunk_size = max(1, chunk_size)
        self.native_json = native_json
        self.calls: list[Call] = []

    @property
    def provider(self) -> str:
        return self._provider

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def remaining(self) -> int:
        """Scripted answers not used yet."""
        return len(self._script)

    def object_request(
        self, call: Call, schema: Mapping[str, Any], name: str, description: str
    ) -> Call | None:
        """The structured-output hook: offered only with ``native_json=True``."""
        if not self.native_json:
            return None
        options = dict(call.provider_options)
        fmt = {"name": name, "description": description, "schema": dict(schema)}
        options[self._provider] = {**options.get(self._provider, {}), "response_format": fmt}
        return replace(call, provider_options=options)

    def _next(self, call: Call) -> Response:
        self.calls.append(call)
        if not self._script:
            raise AssertionError(f"FakeModel: no scripted answer left for call {len(self.calls)}")
        item = self._script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    async def generate(self, call: Call) -> Response:
        return self._next(call)

    async def stream(self, call: Call) -> AsyncIterator[StreamEvent]:
        response = self._next(call)
        for event in response_events(response, self.chunk_size):
            yield event

    # -- script helpers ---------------------------------------------------------------------

    @staticmethod
    def text(text: str, *, usage: Usage | None = None, reasoning: str | None = None) -> Response:
        """A final answer."""
        parts: list[Part] = [ReasoningPart(reasoning)] if reasoning is not None else []
        parts.append(TextPart(text))
        return Response(tuple(parts), FinishReason.STOP, usage or Usage(10, 5, 15))

    @staticmethod
    def tool_calls(
        *calls: tuple[str, dict[str, Any] | str], text: str = "", usage: Usage | None = None
    ) -> Response:
        """A step that calls tools: ``(name, arguments)`` pairs; a str is sent verbatim."""
        parts: list[Part] = [TextPart(text)] if text else []
        for i, (name, args) in enumerate(calls):
            raw = args if isinstance(args, str) else orjson.dumps(args).decode()
            parts.append(ToolCallPart(f"call_{i}", name, raw))
        return Response(tuple(parts), FinishReason.TOOL_CALLS, usage or Usage(10, 5, 15))
