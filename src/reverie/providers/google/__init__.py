"""Google's ``generateContent`` wire, for the Gemini API and for Vertex AI.

- :mod:`~reverie.providers.google.encode`: :class:`~reverie.model.Call` → request body (pure).
- :mod:`~reverie.providers.google.schema`: JSON schema → Google's schema dialect (pure).
- :mod:`~reverie.providers.google.decode`: response JSON → :class:`~reverie.model.Response`,
  usage and finish-reason mapping (pure).
- :mod:`~reverie.providers.google.stream`: streamed chunks → :mod:`reverie.events` (pure).
- :mod:`~reverie.providers.google.auth`: how Vertex requests are authorised.
- :mod:`~reverie.providers.google.model`: :class:`GeminiModel`, the thin class that sends.
"""
