"""reverie: build AI agents on any LLM provider with one typed, async-first API.

::

    from reverie import Agent, tool

    @tool
    def add(a: int, b: int) -> int:
        "Add two numbers"
        return a + b

    agent = Agent("openai:gpt-4o", system="You are helpful.", tools=[add])
    print(agent.generate_sync("What is 2 + 3?").text)

The public API is this package's ``__all__`` and the ``__all__`` of these modules; nothing
else is (every other module's name, or its package's, starts with an underscore and may
change in any release):

- :mod:`reverie.agent` — :class:`Agent`, its steps, results, stop conditions and hooks;
- :mod:`reverie.content` — messages and their parts, tool outputs;
- :mod:`reverie.events` — every event a model's or an agent's stream yields;
- :mod:`reverie.errors` — the error tree, rooted at :class:`ReverieError`;
- :mod:`reverie.model` — the :class:`LanguageModel` contract: :class:`Call` in,
  :class:`Response` or stream events out;
- :mod:`reverie.tool` — tools from typed Python functions;
- :mod:`reverie.run_state` — a run as data (save, load, resume), :mod:`reverie.approval` —
  answering the calls a paused run waits on, :mod:`reverie.codec` — the versioned JSON of
  messages and steps, :mod:`reverie.effects` — the seam durable engines wrap;
- :mod:`reverie.retry` and :mod:`reverie.timeouts` — how failures are retried and waited on;
- :mod:`reverie.observe` — observers that watch runs (OpenTelemetry: :mod:`reverie.otel`,
  the ``otel`` extra); :mod:`reverie.cost` — what runs cost, and budgets that stop them;
- :mod:`reverie.output` — structured output: typed objects, whole or streamed;
- :mod:`reverie.providers` — models by name (:func:`get_model`) and registering your own;
- :mod:`reverie.embeddings` — vectors for texts on any provider with embedding models;
- :mod:`reverie.tokens` — counting a request's input tokens before sending it;
- :mod:`reverie.testing` — a scripted model and cassettes of recorded traffic, with the
  pytest plugin :mod:`reverie.testing.pytest_plugin` (registered on install);
- :mod:`reverie.cli` — the ``reverie`` command (``main``).

The names in ``__all__`` are the ones most programs need, re-exported from those modules.
Each loads its module on first use, so ``import reverie`` alone loads almost nothing (and
never provider, HTTP or YAML code).
"""

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reverie._accumulate import collect
    from reverie.agent import (
        Agent,
        AgentStream,
        RepairContext,
        RunResult,
        Step,
        StepContext,
        StepOverrides,
        StopReason,
        finish_reason_is,
        has_tool_call,
        max_tokens_used,
        step_count_is,
    )
    from reverie.approval import PendingCall
    from reverie.content import (
        ErrorOutput,
        FilePart,
        MediaOutput,
        Message,
        ReasoningPart,
        RefusalPart,
        SourcePart,
        TextOutput,
        TextPart,
        ToolCallPart,
        ToolResultPart,
        assistant,
        system,
        user,
    )
    from reverie.cost import Budget, BudgetExceeded, Cost
    from reverie.embeddings import embed, embed_many
    from reverie.errors import ReverieError
    from reverie.events import PartialObject
    from reverie.model import (
        Call,
        FinishReason,
        LanguageModel,
        ProviderTool,
        Response,
        SpecificTool,
        ToolSpec,
        Usage,
    )
    from reverie.output import (
        ObjectResult,
        ObjectStream,
        generate_object,
        generate_object_sync,
        stream_object,
    )
    from reverie.providers import get_model
    from reverie.retry import RetryPolicy
    from reverie.run_state import RunState
    from reverie.timeouts import Timeouts
    from reverie.tokens import count_tokens
    from reverie.tool import CallDeferred, FunctionTool, ToolResponse, tool

# Each name loads its module on first use (PEP 562), so `import reverie` costs almost
# nothing, and a tool that imports reverie early (pytest loading the plugin) loads no more.
_HOMES: dict[str, tuple[str, ...]] = {
    "reverie._accumulate": ("collect",),
    "reverie.agent": (
        "Agent",
        "AgentStream",
        "RepairContext",
        "RunResult",
        "Step",
        "StepContext",
        "StepOverrides",
        "StopReason",
        "finish_reason_is",
        "has_tool_call",
        "max_tokens_used",
        "step_count_is",
    ),
    "reverie.content": (
        "ErrorOutput",
        "FilePart",
        "MediaOutput",
        "Message",
        "ReasoningPart",
        "RefusalPart",
        "SourcePart",
        "TextOutput",
        "TextPart",
        "ToolCallPart",
        "ToolResultPart",
        "assistant",
        "system",
        "user",
    ),
    "reverie.cost": ("Budget", "BudgetExceeded", "Cost"),
    "reverie.embeddings": ("embed", "embed_many"),
    "reverie.errors": ("ReverieError",),
    "reverie.events": ("PartialObject",),
    "reverie.model": (
        "Call",
        "FinishReason",
        "LanguageModel",
        "ProviderTool",
        "Response",
        "SpecificTool",
        "ToolSpec",
        "Usage",
    ),
    "reverie.output": (
        "ObjectResult",
        "ObjectStream",
        "generate_object",
        "generate_object_sync",
        "stream_object",
    ),
    "reverie.providers": ("get_model",),
    "reverie.retry": ("RetryPolicy",),
    "reverie.timeouts": ("Timeouts",),
    "reverie.run_state": ("RunState",),
    "reverie.approval": ("PendingCall",),
    "reverie.tokens": ("count_tokens",),
    "reverie.tool": (
        "CallDeferred",
        "FunctionTool",
        "ToolResponse",
        "tool",
    ),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__version__ = "0.1.0"

__all__ = [
    "Agent",
    "AgentStream",
    "Budget",
    "BudgetExceeded",
    "Call",
    "CallDeferred",
    "Cost",
    "ErrorOutput",
    "FilePart",
    "FinishReason",
    "FunctionTool",
    "LanguageModel",
    "MediaOutput",
    "Message",
    "ObjectResult",
    "ObjectStream",
    "PartialObject",
    "PendingCall",
    "ProviderTool",
    "ReasoningPart",
    "RefusalPart",
    "RepairContext",
    "Response",
    "RetryPolicy",
    "ReverieError",
    "RunResult",
    "RunState",
    "SourcePart",
    "SpecificTool",
    "Step",
    "StepContext",
    "StepOverrides",
    "StopReason",
    "TextOutput",
    "TextPart",
    "Timeouts",
    "ToolCallPart",
    "ToolResponse",
    "ToolResultPart",
    "ToolSpec",
    "Usage",
    "assistant",
    "collect",
    "count_tokens",
    "embed",
    "embed_many",
    "finish_reason_is",
    "generate_object",
    "generate_object_sync",
    "get_model",
    "has_tool_call",
    "max_tokens_used",
    "step_count_is",
    "stream_object",
    "system",
    "tool",
    "user",
]


class _Package(ModuleType):
    """This package's module type: a submodule never hides an exported name.

    Importing ``reverie.tool`` sets the package's attribute ``tool`` to that module, which
    would hide the ``tool`` decorator exported under the same name; the decorator wins.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if not (isinstance(value, ModuleType) and name in _HOME_OF):
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'reverie' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain one
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
