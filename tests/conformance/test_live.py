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


class Slow(FakeModel):
    """A scripted model that never answers in time."""

    async def generate(self, call: object) -> object:  # type: ignore[override]
        import asyncio

        await asyncio.sleep(30)
        raise AssertionError("the time limit did not stop the scenario")


@pytest.mark.anyio
async def test_each_scenario_is_reported_as_it_ends_within_its_time_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reverie.testing._conformance.live import LiveLimits

    SCRIPTS["long"] = [FakeModel.text("Olá! " + "muito " * 500)]
    seen: list[tuple[str, str]] = []
    results = await run_live(
        "scripted-live:long",
        ["simple"],
        limits=LiveLimits(timeout=5),
        on_result=lambda r, seconds: seen.append((r.cassette, r.status)),
    )
    assert seen == [("live:scripted-live:long/simple", "passed")]
    assert results[0].status == "passed"

    SCRIPTS["bad-long"] = [FakeModel.text("Hello " + "again " * 500)]
    (failed,) = await run_live("scripted-live:bad-long", ["simple"])
    assert failed.status == "failed"
    assert len(failed.reason) < 400  # the model's 3,000 characters are cut
    assert "more characters" in failed.reason

    info = ProviderInfo("slow-live", lambda model_id, **_: Slow([]), "never answers")  # pyright: ignore[reportUnknownLambdaType]
    monkeypatch.setitem(_registry._REGISTRY, "slow-live", info)  # pyright: ignore[reportPrivateUsage]
    (timed_out,) = await run_live("slow-live:m", ["simple"], limits=LiveLimits(timeout=0.2))
    assert timed_out.status == "failed"
    assert "took longer than 0.2 s" in timed_out.reason


def test_a_local_model_gets_limits_that_suit_it() -> None:
    from reverie.testing._conformance.live import limits_for

    local = limits_for("local:smollm2")
    assert local.max_output_tokens is not None and local.max_output_tokens <= 256
    assert local.concurrency == 1 and local.timeout <= 120
    hosted = limits_for("openai:gpt-4o")
    assert hosted.max_output_tokens is None  # the scenario's own 4000


@pytest.mark.anyio
async def test_the_output_cap_reaches_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from reverie.model import Call, Response
    from reverie.testing._conformance.live import LiveLimits

    calls: list[Call] = []

    class Recording(FakeModel):
        async def generate(self, call: Call) -> Response:
            calls.append(call)
            return await super().generate(call)

    def build(model_id: str, **_: object) -> Recording:
        return Recording([FakeModel.text("Olá!")])

    monkeypatch.setitem(_registry._REGISTRY, "capped-live", ProviderInfo("capped-live", build, ""))  # pyright: ignore[reportPrivateUsage]
    await run_live("capped-live:m", ["simple"], limits=LiveLimits(max_output_tokens=64))
    assert calls[0].max_output_tokens == 64
