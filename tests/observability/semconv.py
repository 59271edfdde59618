"""The OpenTelemetry semantic conventions, from the ``opentelemetry-semantic-conventions``
package: what reverie's telemetry is checked against."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from opentelemetry.semconv._incubating.attributes import gen_ai_attributes
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics
from opentelemetry.semconv.attributes import error_attributes


def constants(*modules: ModuleType) -> dict[str, Any]:
    """Every upper-case constant of the modules, by name."""
    return {
        name: value
        for module in modules
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str)
    }


SEMCONV = constants(gen_ai_attributes, gen_ai_metrics, error_attributes)
"""Name -> value of every GenAI attribute and metric, and ``error.type``."""

STANDARD_NAMES = frozenset(SEMCONV.values())
"""Every attribute and metric name the conventions define for GenAI (and ``error.type``)."""

# Values of the conventions' enums (the enum classes warn as deprecated when used; these
# are their values, listed here and checked against the enums in test_names).
OPERATION_NAMES = {"chat", "invoke_agent", "execute_tool"}
TOKEN_TYPES = {"input", "output"}
