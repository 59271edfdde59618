"""What runs cost, and budgets that stop them.

::

    result = await agent.generate("...")
    result.cost                  # Cost(total=Decimal('0.0031'), ...) or None
    result.steps[0].cost         # one model call's

    agent = Agent("openai:gpt-4o", budget=Budget(max_cost=0.50, max_tokens=200_000))
    result = await agent.generate("...")
    if isinstance(result.stopped_by, BudgetExceeded):
        print(result.stopped_by)     # "the run's cost reached its budget: $0.5012 of $0.50"

Prices come from the ``genai-prices`` package's dated lists, for the model that answered
(the response's dated model name when the provider sent one, else the requested id) on the
day of the call: cache reads and writes at their own rates, reasoning as output, hosted web
searches per search, service tiers and prompt-size tiers where the list has them. A price
that is not known is None, for a step and for any run that contains such a step: never a
guess. Models run on your own machine (``local``, ``ollama``, ``llamacpp``, ``lmstudio``,
``vllm``) cost 0; the OpenRouter and Vercel gateways state what they charged for each
response (the price of whichever upstream served it), which is used as it is.

A :class:`Budget` is checked after each step that would continue the run (the model asked
for tools); the run then stops, cleanly, with ``RunResult.stopped_by`` a
:class:`BudgetExceeded`. The step that crosses a limit has already been paid for, so a
run can end a little over it. A cost budget on a model whose price is unknown stops the
run after its first step (it cannot be enforced), saying so.

Not yet: refusing, before a request is sent, a request whose counted input would exceed an
input limit. That needs token counting (issue 17); it will be a ``max_input_tokens`` field
checked by the agent right after it plans a step, before the model call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from reverie._pricing import Cost, format_usd
from reverie._steps import Step, StopReason
from reverie.errors import ConfigurationError

__all__ = ["Budget", "BudgetExceeded", "Cost", "format_usd", "run_cost", "step_cost"]


def step_cost(step: Step) -> Cost | None:
    """What ``step``'s model call cost, None when its price is not known (``step.cost``)."""
    return step.cost


def run_cost(steps: Sequence[Step]) -> Cost | None:
    """The sum of the steps' costs; None when any is unknown (a partial sum would mislead)."""
    total: Cost | None = Cost(Decimal(0), Decimal(0), Decimal(0))
    for step in steps:
        cost = step.cost
        if cost is None:
            return None
        total = total + cost if total is not None else None
    return total


def _tokens_used(steps: Sequence[Step]) -> int:
    """Every token a budget counts: each step's whole prompt (cache included) and output."""
    return sum(s.usage.prompt_tokens + s.usage.output_tokens for s in steps)


@dataclass(frozen=True, slots=True)
class BudgetExceeded(StopReason):
    """A run stopped at its budget: ``limit`` is which (``"cost"`` in USD, or
    ``"tokens"``), ``maximum`` the limit and ``used`` what the run had used (None when the
    cost could not be known)."""

    limit: Literal["cost", "tokens"] = "cost"
    maximum: Decimal | int = 0
    used: Decimal | int | None = None


@dataclass(frozen=True, slots=True)
class Budget:
    """Limits for one run; pass it as ``Agent(budget=...)`` (it is also a stop condition).

    ``max_cost`` is in US dollars (a float is read as its decimal text: ``0.1`` is ten
    cents exactly); ``max_tokens`` counts every prompt token (cache included) and output
    token of every step. At least one must be set. See the module docstring for when a
    budget is checked.
    """

    max_cost: Decimal | float | int | None = None
    max_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.max_cost is None and self.max_tokens is None:
            raise ConfigurationError("a Budget needs max_cost (USD) or max_tokens, or both")
        if self.max_cost is not None:
            value = self.max_cost  # checked: callers may pass anything
            number = isinstance(value, Decimal | float | int)  # pyright: ignore[reportUnnecessaryIsInstance]
            if isinstance(value, bool) or not number:
                raise ConfigurationError(
                    f"Budget max_cost must be a number of US dollars, not {value!r}"
                )
            cost = Decimal(str(value))
            if not cost.is_finite() or cost <= 0:
                raise ConfigurationError(f"Budget max_cost must be above 0, not {self.max_cost}")
            object.__setattr__(self, "max_cost", cost)
        tokens = self.max_tokens
        whole = isinstance(tokens, int)  # pyright: ignore[reportUnnecessaryIsInstance]
        if tokens is not None and (isinstance(tokens, bool) or not whole or tokens <= 0):
            raise ConfigurationError(
                f"Budget max_tokens must be a whole number above 0, not {self.max_tokens!r}"
            )

    def __call__(self, steps: Sequence[Step]) -> BudgetExceeded | None:
        """The reason to stop after ``steps``, or None while within the budget."""
        if self.max_tokens is not None:
            used = _tokens_used(steps)
            if used >= self.max_tokens:
                return BudgetExceeded(
                    "budget",
                    f"the run's tokens reached its budget: {used} of {self.max_tokens}",
                    "tokens",
                    self.max_tokens,
                    used,
                )
        if self.max_cost is not None:
            limit = Decimal(self.max_cost)
            for step in steps:
                if step.cost is None:
                    return BudgetExceeded(
                        "budget",
                        f"the price of {step.provider}:{step.model_id} is unknown, so the "
                        f"cost budget of {format_usd(limit)} cannot be enforced; use "
                        "max_tokens for this model",
                        "cost",
                        limit,
                        None,
                    )
            cost = run_cost(steps)
            assert cost is not None
            if cost.total >= limit:
                return BudgetExceeded(
                    "budget",
                    f"the run's cost reached its budget: {format_usd(cost.total)} of "
                    f"{format_usd(limit)}",
                    "cost",
                    limit,
                    cost.total,
                )
        return None
