"""Google's ``generateContent`` wire, for the Gemini API and for Vertex AI.

- :mod:`~reverie.providers._google.encode`: :class:`~reverie.model.Call` → request body (pure).
- :mod:`~reverie.providers._google.schema`: JSON schema → Google's schema dialect (pure).
- :mod:`~reverie.providers._google.decode`: response JSON → :class:`~reverie.model.Response`,
  usage and finish-reason mapping (pure).
- :mod:`~reverie.providers._google.stream`: streamed chunks → :mod:`reverie.events` (pure).
- :mod:`~reverie.providers._google.auth`: how Vertex requests are authorised.
- :mod:`~reverie.providers._google.wire`: the above as one :class:`GeminiWire` (pure).
- :mod:`~reverie.providers._google.hosts`: the Gemini API and Vertex AI as hosts, and
  :func:`gemini_model`, which pairs a host with the wire.
"""
