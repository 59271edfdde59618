"""Server-initiated elicitation (``elicitation/create``) handed to a user callback.

A server may ask the user for input mid-call: a small form (``mode="form"``, a flat JSON
schema of the fields it wants) or a visit to a URL (``mode="url"``, for a sign-in or a
payment). With ``elicitation=`` set on a server, reverie calls it with an
:class:`Elicitation` and sends back the :class:`ElicitationResponse` it returns; without it,
reverie does not offer elicitation.

On accepting a form, fields the user left out that have a ``default`` in the schema are
filled with it before the answer goes back (SEP-1034), so a callback may accept with only
what the user changed. A callback that raises answers the server with an error.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, cast

import mcp.types as types
from mcp.client import ClientRequestContext
from mcp.client.session import ElicitationFnT

logger = logging.getLogger(__name__.rpartition(".")[0])  # "reverie.mcp"


@dataclass(frozen=True, slots=True)
class Elicitation:
    """What a server asks the user: a ``message`` and a form ``schema`` or a ``url``."""

    server: str
    message: str
    mode: Literal["form", "url"] = "form"
    schema: Mapping[str, Any] = field(default_factory=dict[str, Any])
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ElicitationResponse:
    """The user's answer: ``accept`` (with the form's ``content``), ``decline`` or ``cancel``."""

    action: Literal["accept", "decline", "cancel"]
    content: Mapping[str, Any] | None = None


ElicitationHandler: TypeAlias = Callable[
    [Elicitation], Awaitable[ElicitationResponse] | ElicitationResponse
]


def elicitation_callback(handler: ElicitationHandler, label: str) -> ElicitationFnT:
    """The SDK callback that asks ``handler`` on behalf of the server ``label``."""

    async def elicit(
        context: ClientRequestContext, params: types.ElicitRequestParams
    ) -> types.ElicitResult | types.ErrorData:
        request = to_elicitation(params, label)
        try:
            answer = handler(request)
            if inspect.isawaitable(answer):
                answer = await answer
        except Exception as exc:
            logger.warning("%s: the elicitation callback failed: %s", label, exc)
            return types.ErrorData(code=types.INTERNAL_ERROR, message=f"elicitation failed: {exc}")
        return to_result(answer, request)

    return elicit


def to_elicitation(params: types.ElicitRequestParams, label: str) -> Elicitation:
    if isinstance(params, types.ElicitRequestURLParams):
        return Elicitation(label, params.message, "url", url=params.url)
    return Elicitation(label, params.message, "form", schema=dict(params.requested_schema))


def to_result(answer: ElicitationResponse, request: Elicitation) -> types.ElicitResult:
    if answer.action != "accept" or request.mode == "url":
        return types.ElicitResult(action=answer.action)
    content = with_defaults(answer.content or {}, request.schema)
    return types.ElicitResult(action="accept", content=content)


def with_defaults(content: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """``content`` plus the schema's default for every field it leaves out."""
    out = dict(content)
    props = schema.get("properties")
    if isinstance(props, Mapping):
        for name, sub in cast("Mapping[str, Any]", props).items():
            if name not in out and isinstance(sub, Mapping) and "default" in sub:
                out[name] = cast("Mapping[str, Any]", sub)["default"]
    return out
