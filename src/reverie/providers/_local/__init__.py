"""A real model on this machine, no key needed: ``get_model("local:smollm2")``.

- :mod:`~reverie.providers._local.files`: where the engine and model files come from;
- :mod:`~reverie.providers._local.server`: llama.cpp's HTTP server, started in-process;
- :mod:`~reverie.providers._local.model`: :class:`LocalHost` (the server as a host of the
  Chat Completions wire) and :func:`local_model`, the provider's factory;
- :mod:`~reverie.providers._local.constrained`, :mod:`~reverie.providers._local.tooljson`,
  :mod:`~reverie.providers._local.toolschema` and :mod:`~reverie.providers._local.answerstream`:
  tool calls as schema-constrained JSON, for models with no tool-call format of their own.

See ``docs/local-model.md``.
"""
