"""Gateways over the Chat Completions wire: OpenRouter and the Vercel AI Gateway.

Both are OpenAI Chat Completions plus a little: routing options, usage with cost, Anthropic
prompt caching, and reasoning that round-trips as ``reasoning_details``. They reuse
:mod:`reverie.providers._openai.chat` through its extension point; what differs lives here.
"""

from reverie.providers._gateways.openrouter import OpenRouterExtension, openrouter_model
from reverie.providers._gateways.vercel import VercelExtension, vercel_model

__all__ = ["OpenRouterExtension", "VercelExtension", "openrouter_model", "vercel_model"]
