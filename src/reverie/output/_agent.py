"""Typed output for an agent run: ``Agent(..., output_type=Person)`` → ``RunResult.output``.

The agent keeps its loop; this module decides, per step, how the output is asked for, and
reads it back. Per step (the model may change between steps, so the mode may too):

- native (``auto`` on a model whose ``object_request`` hook accepts the call, or
  ``native``): every step's call carries the native format next to the tools; the run's
  last step, the one without tool calls, answers with the JSON as its text.
- tool (``auto`` otherwise, or ``tool``): an output tool whose parameters are the schema is
  offered with the agent's tools, and tool choice is ``required`` unless the agent or
  ``prepare_step`` chose one: the model runs its tools, then calls the output tool. The
  call is validated like any tool call (JSON repair, then the schema, then the user's
  ``repair_output`` hook); a valid one ends the run, an invalid one returns the error to
  the model as the tool's result, so it can correct itself.
- text (``text``): the schema instruction in the system prompt; parsed like native.

When the run would end without an output (a tool-mode model answered in prose; a stop
condition ended a native run in the middle of its tools), one final step is forced: only
the output tool, with ``tool_choice`` naming it, or the native/text format with no tools.
If that still yields nothing valid, the run raises
:class:`~reverie.errors.NoObjectGeneratedError`. A model that refuses (a
:class:`~reverie.events.Refusal` in its step) ends the run at once with
:class:`~reverie.errors.RefusalError`, carrying the refusal: no step is forced after it.

Streams get a :class:`~reverie.events.PartialObject` each time the output grows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import orjson

from reverie.content import TextOutput
from reverie.errors import ConfigurationError, NoObjectGeneratedError, RefusalError
from reverie.events import PartialObject, Refusal, Retry, StepStart
from reverie.model import Call, FinishReason, LanguageModel, SpecificTool, ToolChoice, Usage
from reverie.output._modes import (
    ObjectMode,
    ObjectPlan,
    native_call,
    output_tool,
    text_instruction,
    tool_name_for,
    with_instruction,
)
from reverie.output._parse import RepairText, no_object, parse_object
from reverie.output._schema import ObjectSchema, object_schema
from reverie.output._stream import PartialTracker
from reverie.tool import FunctionTool, ToolResponse

if TYPE_CHECKING:
    from reverie._steps import Step
    from reverie.run_state import OpenStep

OUTPUT_TOOL_NAME = "final_result"
_ACCEPTED = "Final answer received."


class AgentOutput:
    """An agent's output configuration; :meth:`start` makes the state for one run."""

    def __init__(
        self,
        output_type: Any,
        mode: ObjectMode = "auto",
        repair: RepairText | None = None,
    ) -> None:
        if mode not in ("auto", "native", "tool", "text"):
            raise ConfigurationError(
                f"unknown output_mode {mode!r}: use auto, native, tool or text"
            )
        self.schema: ObjectSchema[Any] = object_schema(output_type)
        self.mode: ObjectMode = mode
        self.repair = repair
        self.tool_name = tool_name_for(self.schema, OUTPUT_TOOL_NAME)
        about = f" ({self.schema.description})" if self.schema.description else ""
        self.tool_description = (
            f"Give your final answer{about}. Call this once you have everything you need."
        )

    def start(self) -> OutputRun:
        return OutputRun(self)


class OutputRun:
    """One run's output state: the mode of the current step, the forced final step, the
    partial-object tracker and the validated value."""

    def __init__(self, config: AgentOutput) -> None:
        self.config = config
        self.forced = False
        self.has_value = False
        self.value: Any = None
        self._last_error = ""
        self._refusal = ""  # the current step's, from its Refusal event
        self._plan = ObjectPlan(Call(messages=()), "text")
        self._tracker = PartialTracker(self._plan)
        self._tool = FunctionTool.from_schema(
            config.tool_name,
            config.tool_description,
            config.schema.json_schema,
            self._accept,
        )

    @property
    def tool(self) -> FunctionTool:
        """The output tool (offered in tool mode; its call ends the run)."""
        return self._tool

    async def restore(
        self, steps: Sequence[Step], open_step: OpenStep | None, forced: bool, finished: bool
    ) -> None:
        """Take up a run resumed from a saved state: whether the final step is forced, and
        the output if the output tool already accepted it (validated again from its call),
        or, for a finished run, read from its last step's text."""
        self.forced = forced
        results = [r for s in steps for r in s.tool_results]
        calls = [c for s in steps for c in s.tool_calls]
        if open_step is not None:
            results += [c.result for c in open_step.calls if c.result is not None]
            calls += [c.call for c in open_step.calls]
        accepted = [
            r.tool_call_id
            for r in results
            if r.tool_name == self.config.tool_name and isinstance(r.output, TextOutput)
        ]
        if not accepted:
            if finished and steps and not steps[-1].tool_calls:
                last = steps[-1]
                self.value = await parse_object(
                    last.text,
                    self.config.schema,
                    repair=self.config.repair,
                    usage=last.usage,
                    finish_reason=last.finish_reason,
                )
                self.has_value = True
            return
        call = next(c for c in reversed(calls) if c.tool_call_id == accepted[-1])
        raw = orjson.dumps(orjson.loads(call.input or "{}")).decode()
        self.value = await parse_object(raw, self.config.schema, repair=self.config.repair)
        self.has_value = True

    # -- per step ---------------------------------------------------------------------------

    def prepare(
        self,
        model: LanguageModel,
        call: Call,
        tools: Mapping[str, FunctionTool],
        choice_given: bool,
    ) -> tuple[Call, dict[str, FunctionTool]]:
        """This step's call and tools, with the output asked for."""
        config = self.config
        tools = dict(tools)
        if config.tool_name in tools:
            raise ConfigurationError(
                f"a tool is named {config.tool_name!r}, which the output tool needs: rename it"
            )
        if self.forced:
            call = replace(call, tools=(), tool_choice=None)
            tools = {}
        mode = config.mode
        if mode in ("auto", "native"):
            native = native_call(model, call, config.schema)
            if native is not None:
                return self._set(ObjectPlan(native, "native")), tools
            if mode == "native":
                raise ConfigurationError(
                    f"{model.provider}:{model.model_id} offers no native JSON-schema output; "
                    "use output_mode='tool' or 'text'"
                )
        if mode == "text":
            messages = with_instruction(tuple(call.messages), text_instruction(config.schema))
            return self._set(ObjectPlan(replace(call, messages=messages), "text")), tools
        spec = output_tool(config.schema, config.tool_name, config.tool_description)
        choice: ToolChoice | None = call.tool_choice
        if self.forced or not call.tools:
            choice = SpecificTool(config.tool_name)
        elif not choice_given:
            choice = "required"  # the model runs its tools, then must answer with the output
        plan = ObjectPlan(
            replace(call, tools=(*call.tools, spec), tool_choice=choice), "tool", config.tool_name
        )
        return self._set(plan), {**tools, config.tool_name: self._tool}

    def _set(self, plan: ObjectPlan) -> Call:
        self._plan = plan
        self._tracker.reset(plan)
        return plan.call

    def observe(self, event: Any) -> list[PartialObject]:
        """The partial objects ``event`` completes (for the agent's stream)."""
        if isinstance(event, Retry | StepStart):
            self._tracker.reset()
            self._refusal = ""
            return []
        if isinstance(event, Refusal):
            self._refusal += event.refusal.text
            return []
        return [e for e in self._tracker.observe(event) if isinstance(e, PartialObject)]

    async def _accept(self, arguments: dict[str, Any]) -> ToolResponse:
        """The output tool's body: validate (with the repair hook), keep, end the run."""
        raw = orjson.dumps(arguments).decode()
        try:
            value = await parse_object(raw, self.config.schema, repair=self.config.repair)
        except NoObjectGeneratedError as exc:
            self._last_error = str(exc)
            raise ValueError(f"{exc}. Call {self.config.tool_name} again, corrected.") from exc
        self.value, self.has_value = value, True
        return ToolResponse(TextOutput(_ACCEPTED), stop_turn=True)

    # -- at the end ---------------------------------------------------------------------------

    async def wants_final_step(
        self, text: str, tool_calls: int, usage: Usage, finish: FinishReason
    ) -> bool:
        """Called when the loop would stop. Reads a native/text answer; returns True when one
        more (forced) step should run to get the output."""
        if self.has_value:
            return False
        if self._refusal:
            raise RefusalError(self._refusal, usage=usage, finish_reason=finish)
        if self._plan.mode != "tool" and tool_calls == 0:
            self.value = await parse_object(
                text,
                self.config.schema,
                repair=self.config.repair,
                usage=usage,
                finish_reason=finish,
            )
            self.has_value = True
            return False
        if self.forced:
            return False
        self.forced = True
        return True

    def require(self, text: str, usage: Usage, finish: FinishReason) -> Any:
        """The output, or NoObjectGeneratedError when the run ended without one."""
        if self.has_value:
            return self.value
        reason = self._last_error or "the model never gave the structured output"
        raise no_object(f"the run ended without a valid output: {reason}", text, usage, finish)
