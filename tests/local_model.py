"""The real local model for tests: started once per test process, or a clean skip."""

from __future__ import annotations

import pytest

from reverie.errors import ReverieError


def local_model_or_skip(**options: object) -> object:
    """``local:smollm2`` with its server running; skips (saying why) when it cannot run."""
    from reverie.providers._local.files import engine_available, find_model

    if not engine_available():
        pytest.skip("local model engine (xllamacpp) not installed: run `uv sync`")
    if find_model("smollm2") is None:
        pytest.skip("local model file not installed: run `uv sync` or `reverie local install`")
    from reverie.providers._local.model import LocalModel
    from reverie.providers._local.server import shared_server

    try:
        model = LocalModel("smollm2", **options)  # type: ignore[arg-type]
        shared_server(model._settings)  # pyright: ignore[reportPrivateUsage]
    except ReverieError as exc:
        pytest.skip(f"local model server could not start: {exc}")
    return model
