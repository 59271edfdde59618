"""The repository's pytest settings that hold for every run here, the examples' included.

The coverage floor ([tool.coverage.report] fail_under in pyproject.toml) holds for the whole
suite, ``uv run pytest``; a run of some tests (``pytest tests/test_tool.py``, ``pytest
examples/testing``) is measured and reported, but not held to it.
"""

from __future__ import annotations

import pytest


def _whole_suite(config: pytest.Config) -> bool:
    """Whether this run is ``pytest`` on every test (no paths, no selection)."""
    option = config.option
    return config.args_source == pytest.Config.ArgsSource.TESTPATHS and not (
        option.keyword
        or option.markexpr
        or option.deselect
        or getattr(option, "lf", False)
        or getattr(option, "stepwise", False)
    )


def pytest_configure(config: pytest.Config) -> None:
    coverage = config.pluginmanager.get_plugin("_cov")
    if coverage is not None and not _whole_suite(config):
        coverage.options.cov_fail_under = None
