"""OpenTelemetry for agent runs: GenAI semantic-convention spans and metrics.

::

    pip install 'reverie[otel]'

    from reverie.otel import OpenTelemetry

    agent = Agent("openai:gpt-4o", tools=[...], observers=[OpenTelemetry()])

reverie configures no exporter: it uses the tracer and meter providers the application set
up (the global ones, or those passed here). While the application has set neither, a run
is not watched at all (checked as each run starts), so it costs next to nothing; with only
one set, the other is the API's no-op, and no attribute is built for a span not recorded.

What is recorded (names from the GenAI semantic conventions; ``docs/observability.md``
lists every attribute):

- an ``invoke_agent`` span per run, with the run's total usage, its last finish reason,
  its cost (``reverie.usage.cost_usd``) and, when a budget or condition stopped it,
  ``reverie.run.stopped_by``;
- a ``chat {model}`` span per model call attempt (request parameters, response id and
  model, finish reasons, usage with cache and reasoning tokens, cost); a failed attempt
  carries ``error.type`` and, when retried, a ``reverie.retry`` event;
- an ``execute_tool {name}`` span per tool call, current while the tool runs;
- the metrics ``gen_ai.client.operation.duration``, ``gen_ai.client.token.usage`` and, for
  streams, ``gen_ai.client.operation.time_to_first_chunk``.

Message content (prompts, answers, tool arguments and results, tool definitions) is only
recorded when the application opts in: ``capture_content=True``, or the environment
variable ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`` when the argument is
not given.
"""

from reverie.otel import _names as names
from reverie.otel._observer import CAPTURE_CONTENT_ENV, OpenTelemetry
from reverie.otel._run import provider_name

__all__ = ["CAPTURE_CONTENT_ENV", "OpenTelemetry", "names", "provider_name"]
