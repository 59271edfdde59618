"""The code under test: an agent that answers weather questions with a tool.

In your project this is your own module; ``test_weather_agent.py`` next to it shows how to
test it offline with reverie's pytest plugin.
"""

from __future__ import annotations

from reverie import Agent, LanguageModel, tool


@tool
def weather(location: str) -> str:
    """Get the current weather for a city.

    Args:
        location: the city, e.g. "Florence, Italy"
    """
    return f"40 C and sunny in {location}"


def build_agent(model: LanguageModel | str) -> Agent:
    """The agent, on whatever model it is given (a real one, or one on a cassette)."""
    return Agent(
        model,
        system="You are a helpful assistant. Use the tools to answer.",
        tools=[weather],
        max_output_tokens=120,
    )
