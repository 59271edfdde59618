"""The names reverie's telemetry uses: the OpenTelemetry GenAI semantic conventions', and a
few of its own under ``reverie.``.

Each ``GEN_AI_*`` / ``ERROR_TYPE`` constant has the name and value of the one in the
``opentelemetry-semantic-conventions`` package (a test checks every one), which is not a
runtime dependency: the extra needs only ``opentelemetry-api``.
"""

from typing import Final

# Attributes (opentelemetry.semconv._incubating.attributes.gen_ai_attributes).
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P: Final = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K: Final = "gen_ai.request.top_k"
GEN_AI_REQUEST_PRESENCE_PENALTY: Final = "gen_ai.request.presence_penalty"
GEN_AI_REQUEST_FREQUENCY_PENALTY: Final = "gen_ai.request.frequency_penalty"
GEN_AI_REQUEST_STREAM: Final = "gen_ai.request.stream"
GEN_AI_RESPONSE_ID: Final = "gen_ai.response.id"
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
GEN_AI_TOOL_TYPE: Final = "gen_ai.tool.type"
GEN_AI_TOOL_DESCRIPTION: Final = "gen_ai.tool.description"
GEN_AI_TOKEN_TYPE: Final = "gen_ai.token.type"
# Content: recorded only when the application opts in.
GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
GEN_AI_TOOL_DEFINITIONS: Final = "gen_ai.tool.definitions"
GEN_AI_TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"

# opentelemetry.semconv.attributes.error_attributes (stable).
ERROR_TYPE: Final = "error.type"

# Metrics (opentelemetry.semconv._incubating.metrics.gen_ai_metrics).
GEN_AI_CLIENT_OPERATION_DURATION: Final = "gen_ai.client.operation.duration"
GEN_AI_CLIENT_TOKEN_USAGE: Final = "gen_ai.client.token.usage"
GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK: Final = "gen_ai.client.operation.time_to_first_chunk"

# Operation names (GenAiOperationNameValues).
CHAT: Final = "chat"
INVOKE_AGENT: Final = "invoke_agent"
EXECUTE_TOOL: Final = "execute_tool"

# reverie's own attributes and events.
REVERIE_COST_USD: Final = "reverie.usage.cost_usd"
"""What the call (chat span) or run (invoke_agent span) cost, in US dollars; absent when the
price is unknown (see :mod:`reverie.cost`)."""
REVERIE_STEP: Final = "reverie.step"
"""The 0-based number of the agent step a chat span belongs to."""
REVERIE_ATTEMPT: Final = "reverie.attempt"
"""Which attempt at the step's model call a chat span is (1, then 2... after retries)."""
REVERIE_RUN_ID: Final = "reverie.run.id"
"""The run's id (``RunState.run_id``): the same on every piece of a paused and resumed run."""
REVERIE_RUN_STEPS: Final = "reverie.run.steps"
"""The run's finished steps when the span ends (earlier pieces' included)."""
REVERIE_RUN_STATUS: Final = "reverie.run.status"
"""``finished``, or ``paused`` when the piece ended waiting (``RunResult.status``)."""
REVERIE_RUN_RESUMED: Final = "reverie.run.resumed"
"""Set (true) on a piece that continues an earlier piece of the same run."""
REVERIE_TOOL_DEFERRED: Final = "reverie.tool.deferred"
"""Set (true) on a tool span whose tool left its result to come from outside the run."""
REVERIE_STOPPED_BY: Final = "reverie.run.stopped_by"
"""Why the run stopped early (``RunResult.stopped_by.kind``), when it did."""
REVERIE_RETRY: Final = "reverie.retry"
"""Span event on a chat span whose attempt failed and is retried."""
REVERIE_RETRY_DELAY: Final = "reverie.retry.delay_s"

# Recommended histogram buckets from the GenAI metric conventions.
DURATION_BUCKETS: Final = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
TOKEN_BUCKETS: Final = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip

# reverie provider name -> gen_ai.provider.name (GenAiProviderNameValues where one applies;
# otherwise reverie's own name, as the conventions allow).
PROVIDER_NAMES: Final = {
    "anthropic": "anthropic",
    "azure": "azure.ai.openai",
    "azure-responses": "azure.ai.openai",
    "bedrock": "aws.bedrock",
    "deepseek": "deepseek",
    "google": "gcp.gemini",
    "groq": "groq",
    "mistral": "mistral_ai",
    "openai": "openai",
    "openai-responses": "openai",
    "vertex": "gcp.vertex_ai",
    "vertex-anthropic": "gcp.vertex_ai",
    "xai": "x_ai",
}
