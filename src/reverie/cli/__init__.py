"""The ``reverie`` command: ``run``, ``chat``, ``demo``, ``replay``, ``check``, ``models`` and
``local`` (see ``docs/cli.md``). :func:`main` is the console-script entry point."""

from reverie.cli._main import main

__all__ = ["main"]
