"""``reverie check --live``: the scenarios run on a model and checked like the corpus."""

from __future__ import annotations

import pytest

from reverie.providers import ProviderInfo, _registry
from reverie.testing._conformance.live import run_live
from reverie.testing._fake import FakeModel

SCRIPTS: dict[str, list[object]] = {}


def _fake(model_id: str, **_: object) -> FakeModel:
    return FakeModel(SCRIPTS[model_id])  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def scripted_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """A provider of scripted models, registered for these tests only."""
    info = ProviderInfo("scripted-live", _fake, "scripted models for the live check")
    monkeypatch.setitem(_registry._REGISTRY, "scripted-live", info)  # pyright: ignore[reportPrivateUsage]


@pytest.mark.anyio
async def test_scenarios_that_show_what_the_corpus_asks_pass_and_others_fail_with_a_reason() -> (
    None
):
    SCRIPTS["good"] = [
        FakeModel.tool_calls(("add", {"a": 2, "b": 3}), ("multiply", {"a": 2, "b": 3})),
        FakeModel.text("The sum is 5 and the product is 6."),
    ]
    SCRIPTS["bad"] = [FakeModel.text("Hello!")]
    good = await run_live("scripted-live:good", ["multi_tool"])
    bad = await run_live("scripted-live:bad", ["simple"])
    assert [(r.cassette, r.status) for r in good] == [
        ("live:scripted-live:good/multi_tool", "passed")
    ]
    assert bad[0].status == "failed"
    assert "no Portuguese greeting" in bad[0].reason


@pytest.mark.anyio
async def test_unknown_scenarios_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        await run_live("scripted-live:good", ["nope"])
