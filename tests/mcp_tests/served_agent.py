"""An agent for ``reverie mcp serve --agent tests/mcp_tests/served_agent.py:helper``: its
scripted model calls its own tool, then answers."""

from __future__ import annotations

from reverie import Agent, tool
from reverie.testing._fake import FakeModel


@tool
def shout(text: str) -> str:
    """Say it louder."""
    return text.upper()


helper = Agent(
    FakeModel([FakeModel.tool_calls(("shout", {"text": "hi"})), FakeModel.text("it says HI")]),
    tools=[shout],
)
