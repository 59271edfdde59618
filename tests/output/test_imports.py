"""Structured output stays lazy: importing it loads no pydantic, HTTP or provider code."""

from __future__ import annotations

import subprocess
import sys


def test_importing_reverie_and_its_output_api_loads_no_heavy_module() -> None:
    code = (
        "import sys, reverie, reverie.output, reverie.output._agent\n"
        "heavy = ('pydantic', 'pydantic_core', 'httpx2', 'yaml', 'json_repair',\n"
        "         'reverie.providers._model', 'reverie.providers._openai.wires')\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
