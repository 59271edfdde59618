"""Pending tool calls and the answers a person (or another program) gives them.

A run pauses on a tool call that needs approval (``@tool(requires_approval=True)``, a
predicate over the arguments, or the agent's ``requires_approval`` policy) and on a call to an
external tool (declared without a body, or one that raised :class:`~reverie.tool.CallDeferred`).
Each such call is a :class:`PendingCall` in ``result.pending`` / ``state.pending``; the answers
go to :meth:`reverie.Agent.resume`::

    result = await agent.generate("Pay the invoice")
    for call in result.pending:                 # id, tool_name, arguments, kind
        print(call.tool_name, call.arguments)
    answers = [c.approve() if ok(c) else c.deny("too expensive") for c in result.pending]
    result = await agent.resume(result.state, approvals=answers)

An answer is bound to the call's **fingerprint**: a hash of the exact tool name and arguments.
When the run resumes, the fingerprint is computed again from the call that would run; if the
state was edited since the call was shown (another tool, other arguments), the answer is
refused with :class:`~reverie.errors.ApprovalError` and nothing runs. A denial's reason goes
to the model as the call's error result, and the run goes on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import orjson

__all__ = [
    "Approval",
    "ApprovalPolicy",
    "Denial",
    "ExternalResult",
    "PendingCall",
    "PendingKind",
    "fingerprint",
]

PendingKind: TypeAlias = Literal["approval", "external"]
"""``approval``: waits for a yes or no; ``external``: waits for its result from outside."""

ApprovalPolicy: TypeAlias = "bool | Callable[[str, Mapping[str, Any]], bool]"
"""The agent's ``requires_approval``: every call (True), none beyond the tools' own (False), or
a predicate over ``(tool name, arguments)``."""


def fingerprint(tool_name: str, arguments: Mapping[str, Any]) -> str:
    """A hash of the tool name and the arguments (as JSON values, keys sorted)."""
    data = orjson.dumps([tool_name, arguments], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Approval:
    """Run the call ``call_id``, as shown with ``fingerprint``."""

    call_id: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Denial:
    """Do not run the call ``call_id``; the model gets an error result carrying ``reason``."""

    call_id: str
    fingerprint: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ExternalResult:
    """The result of the external call ``call_id``: anything a tool may return (text, a
    JSON-able value, a :class:`~reverie.content.ToolOutput`, a ``ToolResponse``)."""

    call_id: str
    fingerprint: str
    output: Any


@dataclass(frozen=True, slots=True)
class PendingCall:
    """A tool call the run waits on: ``kind`` says for what."""

    id: str
    tool_name: str
    arguments: Mapping[str, Any] = field(default_factory=dict[str, Any])
    kind: PendingKind = "approval"
    fingerprint: str = ""

    def approve(self) -> Approval:
        """Approve this call as shown."""
        return Approval(self.id, self.fingerprint)

    def deny(self, reason: str = "") -> Denial:
        """Refuse this call; ``reason`` is told to the model."""
        return Denial(self.id, self.fingerprint, reason)

    def answer(self, output: Any) -> ExternalResult:
        """Give the result of this (external) call."""
        return ExternalResult(self.id, self.fingerprint, output)
