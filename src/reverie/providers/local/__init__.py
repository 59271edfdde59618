"""A real model on this machine, no key needed: ``get_model("local:smollm2")``.

- :mod:`~reverie.providers.local.files`: where the engine and model files come from;
- :mod:`~reverie.providers.local.server`: llama.cpp's HTTP server, started in-process;
- :mod:`~reverie.providers.local.model`: :class:`LocalModel`, the provider's model class;
- :mod:`~reverie.providers.local.constrained`, :mod:`~reverie.providers.local.tooljson`,
  :mod:`~reverie.providers.local.toolschema` and :mod:`~reverie.providers.local.answerstream`:
  tool calls as schema-constrained JSON, for models with no tool-call format of their own.

See ``docs/local-model.md``.
"""
