"""Human in the loop: tool calls that wait for a person's approval, across a saved state.

    uv run python examples/approvals.py         # needs ANTHROPIC_API_KEY; asks you y/n

``refund`` needs approval above $100 (a predicate over its arguments); ``lookup_order`` runs
freely. When the model asks for refunds, the run pauses after running the lookup: the result
says ``paused`` and lists the pending calls. The state is saved as JSON (in an app: in a
database, while the request waits in someone's inbox), read back, and resumed with one answer
per call; a denial's reason goes to the model, which carries on. The state keeps Claude's
signed thinking, so the resumed request is the one an uninterrupted run would send.

Offline: ``tests/examples/cassettes/approvals.yaml``, recorded with
``uv run python tests/examples/record.py approvals`` from a scripted Anthropic-compatible
server (``tests/examples/scripted_approvals.py``) that refuses thinking sent back without
its signature, as the real API does.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from reverie import Agent, LanguageModel, RunResult, tool
from reverie.approval import Approval, Denial, PendingCall
from reverie.run_state import RunState

ORDERS = {1042: "2 lamps, $120, delivered", 1043: "1 sofa, $900, delivered"}


@tool
def lookup_order(order_id: int) -> str:
    """Look an order up by its number."""
    return ORDERS.get(order_id, "no such order")


@tool(requires_approval=lambda args: args["amount"] > 100)
def refund(order_id: int, amount: float) -> str:
    """Refund an amount of an order to the customer."""
    return f"refunded ${amount:.0f} for order {order_id}"


def reviewer(call: PendingCall) -> bool:
    """Stands in for a person: refunds up to $500 are fine."""
    return call.arguments["amount"] <= 500


def ask_on_the_terminal(call: PendingCall) -> bool:
    return input(f"approve {call.tool_name}({dict(call.arguments)})? [y/N] ").lower() == "y"


MODEL = "anthropic:claude-sonnet-4-20250514"


async def main(
    model: LanguageModel | str = MODEL, decide: Callable[[PendingCall], bool] = reviewer
) -> RunResult:
    agent = Agent(
        model,
        system="You are a support agent. Check orders before refunding them.",
        tools=[lookup_order, refund],
        max_output_tokens=2000,
        provider_options={"anthropic": {"thinking": {"budget_tokens": 1024}}},
    )
    result = await agent.generate("Customer says orders 1042 and 1043 arrived broken. Refund both.")

    while result.status == "paused":
        assert result.state is not None
        saved = result.state.to_json()  # keep it anywhere; nothing else is needed to go on

        state = RunState.from_json(saved)  # later, perhaps in another process
        answers: list[Approval | Denial] = []
        for call in state.pending:
            ok = decide(call)
            print(f"{'approved' if ok else 'denied'}: {call.tool_name}({dict(call.arguments)})")
            answers.append(call.approve() if ok else call.deny("refunds over $500 need a manager"))
        result = await agent.resume(state, approvals=answers)

    print(result.text)
    return result


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2], decide=ask_on_the_terminal))
