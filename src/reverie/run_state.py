"""A run as data: :class:`RunState`, complete at a step boundary or a pause, saved as JSON.

::

    result = await agent.generate("Delete the old logs")       # pauses: a call needs approval
    text = result.state.to_json()                               # keep it anywhere
    ...
    state = RunState.from_json(text)                            # another process, a day later
    result = await agent.resume(state, approvals=[c.approve() for c in state.pending])

A state holds what the run needs to go on exactly as if it had never stopped:

- ``input``: the messages the run started from (system prompt, earlier conversation, the
  prompt); ``steps``: every finished step, with the model's parts as they came (reasoning
  signatures, encrypted reasoning, thought signatures, gateway reasoning details, tool-call
  ids and argument text, provider metadata) and its usage. ``messages`` is the conversation
  they make.
- ``open_step``: the step under way when the run paused: the model's response and where each
  of its client tool calls stands (run, waiting for approval, waiting for an external result).
  ``pending`` lists the calls it waits on.
- ``run_id``; ``finished``; ``stopped_by``, why a finished run stopped before the model was
  done (a stop condition, a tool, the budget: :class:`~reverie._steps.StopReason`), None when
  the model finished by itself; ``output_forced`` (structured output: the next step is the
  forced final one); ``model`` and ``tools``, what the run was using (tools are kept by name:
  the resuming agent must have every tool a pending call names); ``metadata``, the
  application's own JSON data, carried along untouched.

The JSON (``format: reverie.run-state``) is written with :mod:`reverie.codec` and versioned
the same way: a newer version, or a field this version does not know, is a
:class:`~reverie.errors.DataFormatError`, never silently dropped. Fields are only ever added,
optional, so a document of an earlier reverie loads as it was written (the version number
goes up when a change would make one read differently). An example, paused on one call::

    {"format": "reverie.run-state", "version": 1, "run_id": "run_5f0c...",
     "input": [{"role": "system", "content": [{"type": "text", "text": "You pay bills."}]},
               {"role": "user", "content": [{"type": "text", "text": "Pay invoice 7"}]}],
     "steps": [],
     "open_step": {"number": 0,
       "response": {"content": [{"type": "tool-call", "tool_call_id": "call_1",
                                 "tool_name": "pay", "input": "{\\"invoice\\": 7}"}],
                    "finish_reason": "tool-calls", "usage": {"input_tokens": 52, ...}},
       "calls": [{"id": "call_1", "status": "approval", "fingerprint": "9b1e..."}]},
     "finished": false, "model": "openai:gpt-4o", "tools": ["pay"]}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

import orjson

from reverie._codec_json import (
    check_document,
    decode_origin,
    encode_origin,
    list_,
    object_,
    refuse_unknown,
)
from reverie._steps import Step, StopReason, make_step
from reverie._stop_json import decode_stop, encode_stop
from reverie.approval import PendingCall
from reverie.codec import (
    FORMAT_VERSION,
    decode_json,
    decode_messages,
    decode_part,
    decode_response,
    decode_step,
    encode_json,
    encode_messages,
    encode_part,
    encode_response,
    encode_step,
)
from reverie.content import Message, ToolCallPart, ToolResultPart
from reverie.cost import run_cost
from reverie.errors import DataFormatError
from reverie.model import FinishReason, Response, Usage

if TYPE_CHECKING:
    from reverie.cost import Cost

__all__ = ["CallState", "CallStatus", "OpenStep", "RunResult", "RunState"]

CallStatus: TypeAlias = Literal["ready", "answered", "approval", "external", "done"]
"""Where a client tool call of the open step stands:

- ``ready``: valid and cleared to run;
- ``answered``: its result is known without running it (invalid arguments, cut off by the
  token limit, denied, or an external result given) and not yet delivered;
- ``approval``: waits for approval; ``external``: waits for its result from outside;
- ``done``: its result is in the step.
"""

_STATUSES = ("ready", "answered", "approval", "external", "done")


@dataclass(frozen=True, slots=True)
class CallState:
    """One client tool call of the open step. ``result`` is set when ``answered`` or ``done``;
    ``fingerprint`` when the call waits (``approval``, ``external``)."""

    call: ToolCallPart
    status: CallStatus
    result: ToolResultPart | None = None
    fingerprint: str = ""

    def arguments(self) -> dict[str, Any]:
        """The call's arguments (its JSON input as an object)."""
        try:
            value = orjson.loads(self.call.input or "{}")
        except orjson.JSONDecodeError as exc:
            raise DataFormatError(
                f"the input of tool call {self.call.tool_call_id} is not JSON ({exc})"
            ) from exc
        if not isinstance(value, dict):
            raise DataFormatError(
                f"the input of tool call {self.call.tool_call_id} is not an object"
            )
        return cast(dict[str, Any], value)


@dataclass(frozen=True, slots=True)
class OpenStep:
    """The step under way: the model's response (client tool calls as validated) and where
    each client call stands, in call order; ``provider``, ``model_id`` and ``finished_at``
    are the finished step's (:class:`~reverie._steps.Step`)."""

    number: int
    response: Response
    calls: tuple[CallState, ...]
    provider: str = ""
    model_id: str = ""
    finished_at: datetime | None = None

    def call(self, call_id: str) -> CallState | None:
        return next((c for c in self.calls if c.call.tool_call_id == call_id), None)


@dataclass(frozen=True, slots=True)
class RunState:
    """A run at a step boundary or a pause (see the module docstring)."""

    run_id: str
    input: tuple[Message, ...]
    steps: tuple[Step, ...] = ()
    open_step: OpenStep | None = None
    finished: bool = False
    output_forced: bool = False
    model: str = ""
    tools: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict[str, Any])
    stopped_by: StopReason | None = None

    @property
    def messages(self) -> tuple[Message, ...]:
        """The conversation: the input, then each finished step's messages."""
        return (*self.input, *(m for s in self.steps for m in s.messages))

    @property
    def pending(self) -> tuple[PendingCall, ...]:
        """The calls the run waits on (approval or an external result), in call order."""
        if self.open_step is None:
            return ()
        return tuple(
            PendingCall(
                c.call.tool_call_id, c.call.tool_name, c.arguments(), c.status, c.fingerprint
            )
            for c in self.open_step.calls
            if c.status == "approval" or c.status == "external"
        )

    @property
    def usage(self) -> Usage:
        """Tokens used by the finished steps and the open step's model call."""
        total = Usage()
        for s in self.steps:
            total = total + s.usage
        if self.open_step is not None:
            total = total + self.open_step.response.usage
        return total

    # -- JSON ---------------------------------------------------------------------------------

    def to_json(self) -> str:
        """This state as a versioned JSON document."""
        return orjson.dumps(self.to_value()).decode()

    def to_value(self) -> dict[str, Any]:
        """This state as JSON values (what :meth:`to_json` writes)."""
        doc: dict[str, Any] = {
            "format": "reverie.run-state",
            "version": FORMAT_VERSION,
            "run_id": self.run_id,
            "input": encode_messages(self.input),
            "steps": [encode_step(s) for s in self.steps],
            "open_step": None if self.open_step is None else _encode_open(self.open_step),
            "finished": self.finished,
        }
        if self.stopped_by is not None:
            doc["stopped_by"] = encode_stop(self.stopped_by)
        if self.output_forced:
            doc["output_forced"] = True
        if self.model:
            doc["model"] = self.model
        if self.tools:
            doc["tools"] = list(self.tools)
        if self.metadata:
            doc["metadata"] = encode_json(dict(self.metadata), "metadata")
        return doc

    @classmethod
    def from_json(cls, text: str | bytes) -> RunState:
        """The state :meth:`to_json` wrote; :class:`~reverie.errors.DataFormatError` when it
        cannot be read (names the version, the field, the value)."""
        doc = check_document(text, "reverie.run-state", _FIELDS)
        return cls.from_value(doc)

    @classmethod
    def from_value(cls, doc: Mapping[str, Any]) -> RunState:
        """The state :meth:`to_value` wrote (already checked by :meth:`from_json`)."""
        run_id = doc.get("run_id")
        if not isinstance(run_id, str) or not run_id:
            raise DataFormatError(f"run state: run_id must be a non-empty string, got {run_id!r}")
        steps = tuple(decode_step(s) for s in list_(doc.get("steps", []), "steps"))
        open_value = doc.get("open_step")
        tools = list_(doc.get("tools", []), "tools")
        if not all(isinstance(t, str) for t in tools):
            raise DataFormatError("run state: tools must be a list of tool names")
        return cls(
            run_id=run_id,
            input=decode_messages(doc.get("input")),
            steps=steps,
            open_step=None if open_value is None else _decode_open(open_value),
            finished=_flag(doc.get("finished", False), "finished"),
            output_forced=_flag(doc.get("output_forced", False), "output_forced"),
            model=str(doc.get("model", "")),
            tools=tuple(cast(list[str], tools)),
            metadata=decode_json(doc.get("metadata", {}), "metadata"),
            stopped_by=decode_stop(doc["stopped_by"]) if "stopped_by" in doc else None,
        )

    def with_metadata(self, **values: Any) -> RunState:
        """A copy whose ``metadata`` also holds ``values`` (JSON-able)."""
        return replace(self, metadata={**self.metadata, **values})


_FIELDS = {
    "run_id",
    "input",
    "steps",
    "open_step",
    "finished",
    "output_forced",
    "model",
    "tools",
    "metadata",
    "stopped_by",
}


def _encode_open(step: OpenStep) -> dict[str, Any]:
    calls: list[dict[str, Any]] = []
    for c in step.calls:
        entry: dict[str, Any] = {"id": c.call.tool_call_id, "status": c.status}
        if c.fingerprint:
            entry["fingerprint"] = c.fingerprint
        if c.result is not None:
            entry["result"] = encode_part(c.result)
        calls.append(entry)
    out = {"number": step.number, "response": encode_response(step.response), "calls": calls}
    return {**out, **encode_origin(step.provider, step.model_id, step.finished_at)}


_OPEN_FIELDS = {"number", "response", "calls", "provider", "model_id", "finished_at"}


def _decode_open(value: Any) -> OpenStep:
    obj = object_(value, "open_step")
    refuse_unknown(obj, _OPEN_FIELDS, "open_step")
    number = obj.get("number")
    if not isinstance(number, int) or isinstance(number, bool):
        raise DataFormatError(f"open_step.number: expected an integer, got {number!r}")
    response = decode_response(obj.get("response"))
    by_id = {
        p.tool_call_id: p
        for p in response.content
        if isinstance(p, ToolCallPart) and not p.provider_executed
    }
    calls: list[CallState] = []
    for entry in list_(obj.get("calls"), "open_step.calls"):
        item = object_(entry, "open_step.calls[]")
        refuse_unknown(item, {"id", "status", "fingerprint", "result"}, "open_step.calls[]")
        call = by_id.get(item.get("id"))  # pyright: ignore[reportArgumentType]
        if call is None:
            raise DataFormatError(
                f"open_step.calls: no client tool call with id {item.get('id')!r} in the response"
            )
        status = item.get("status")
        if status not in _STATUSES:
            raise DataFormatError(f"open_step.calls: unknown status {status!r}")
        result = None
        if "result" in item:
            part = decode_part(item["result"])
            if not isinstance(part, ToolResultPart):
                raise DataFormatError("open_step.calls[].result must be a tool-result part")
            result = part
        if (status in ("answered", "done")) != (result is not None):
            raise DataFormatError(
                f"open_step.calls: call {call.tool_call_id} is {status!r}, so it "
                f"{'needs' if result is None else 'cannot have'} a result"
            )
        fp = item.get("fingerprint", "")
        if not isinstance(fp, str):
            raise DataFormatError("open_step.calls[].fingerprint must be a string")
        calls.append(CallState(call, status, result, fp))
    return OpenStep(number, response, tuple(calls), *decode_origin(obj, "open_step"))


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise DataFormatError(f"run state: {where} must be true or false")
    return value


@dataclass(frozen=True, slots=True)
class RunResult:
    """A run that finished or paused: its steps, the total usage, and the conversation.

    ``output`` is the validated structured output when the agent has an ``output_type``
    (an instance of that type, or JSON values for a JSON schema), else None; it is None too
    when the run stopped at its budget before the model gave it.

    ``stopped_by`` says why a finished run ended while the model still wanted to continue
    (its last step asked for tools): a stop condition, a tool that ended the turn, or the
    budget (:class:`~reverie.cost.BudgetExceeded`). None when the model finished by itself,
    and while the run is paused.

    ``status`` is ``"finished"``, or ``"paused"`` when the run stopped to wait: on the tool
    calls in ``pending`` (approval, or a result from outside), or at a step boundary when
    asked to (``pause_after_steps``). ``state`` is the run as data: save it
    (``state.to_json()``), resume it (:meth:`reverie.Agent.resume`), or, once finished,
    continue the conversation from it (``history=``). While paused, ``steps`` holds the
    finished steps only; the step waiting on its calls is in ``state.open_step``.
    """

    steps: tuple[Step, ...]
    usage: Usage
    messages: tuple[Message, ...]
    output: Any = None
    status: Literal["finished", "paused"] = "finished"
    pending: tuple[PendingCall, ...] = ()
    state: RunState | None = None
    stopped_by: StopReason | None = None

    @property
    def paused(self) -> bool:
        return self.status == "paused"

    @property
    def cost(self) -> Cost | None:
        """What the run's model calls cost in USD (:mod:`reverie.cost`): the finished steps'
        and, while paused, the waiting step's, as :attr:`usage` counts them; None when any
        price is unknown."""
        steps = self.steps
        waiting = self.state.open_step if self.state is not None else None
        if waiting is not None:
            call = make_step(
                waiting.number,
                waiting.response,
                (),
                provider=waiting.provider,
                model_id=waiting.model_id,
                finished_at=waiting.finished_at,
            )
            steps = (*steps, call)
        return run_cost(steps)

    @property
    def final_step(self) -> Step:
        """The last step with non-blank text, else the last step."""
        if not self.steps:
            raise IndexError("the run has no finished step yet (it paused in its first step)")
        for step in reversed(self.steps):
            if step.text.strip():
                return step
        return self.steps[-1]

    @property
    def text(self) -> str:
        """The answer: the text of :attr:`final_step` ("" before any step finished)."""
        return self.final_step.text if self.steps else ""

    @property
    def refusal(self) -> str:
        """The last finished step's refusal, when the model refused to answer; else ``""``."""
        return self.steps[-1].refusal if self.steps else ""

    @property
    def finish_reason(self) -> FinishReason:
        """The last finished step's, else the paused step's, else ``unknown``."""
        if self.steps:
            return self.steps[-1].finish_reason
        if self.state is not None and self.state.open_step is not None:
            return self.state.open_step.response.finish_reason
        return FinishReason.UNKNOWN
