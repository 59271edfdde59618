"""reverie: build AI agents on any LLM provider with one typed, async-first API.

::

    from reverie import Agent, tool

    @tool
    def add(a: int, b: int) -> int:
        "Add two numbers"
        return a + b

    agent = Agent("openai:gpt-4o", system="You are helpful.", tools=[add])
    print(agent.generate_sync("What is 2 + 3?").text)

Stream events live in :mod:`reverie.events`, errors in :mod:`reverie.errors`, cassette
testing in :mod:`reverie.testing`, run observers in :mod:`reverie.observe` (OpenTelemetry:
:mod:`reverie.otel`), prices and budgets in :mod:`reverie.cost`. Importing reverie loads no
provider, HTTP or YAML code.
"""

from reverie.accumulate import collect
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
from reverie.content import (
    ErrorOutput,
    FilePart,
    MediaOutput,
    Message,
    ReasoningPart,
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
from reverie.timeouts import Timeouts
from reverie.tool import FunctionTool, ToolResponse, tool

__version__ = "0.1.0"

__all__ = [
    "Agent",
    "AgentStream",
    "Budget",
    "BudgetExceeded",
    "Call",
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
    "ProviderTool",
    "ReasoningPart",
    "RepairContext",
    "Response",
    "RetryPolicy",
    "ReverieError",
    "RunResult",
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
