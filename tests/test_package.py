"""The public surface: a curated, sorted ``__all__`` and an import that stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import reverie


def test_all_is_sorted_and_every_name_exists() -> None:
    assert list(reverie.__all__) == sorted(reverie.__all__)
    for name in reverie.__all__:
        assert hasattr(reverie, name), name


def test_importing_reverie_loads_no_http_yaml_pydantic_or_provider_code() -> None:
    code = (
        "import sys, json, reverie; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('httpx2', 'httpcore2', 'aiohttp', 'yarl', 'yaml', 'pydantic', 'json_repair') "
        "or (m.startswith('reverie.providers.') and m not in ('reverie.providers._builtins', "
        "'reverie.providers._registry', 'reverie.providers._builtin_capabilities')) "
        "or m.startswith('reverie.testing'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
