"""Compaction over every conversation of the corpus: nothing is orphaned, nothing owed is lost.

Every agent conversation of the corpus is replayed (as ``reverie check`` does) and kept as
one turn. The conversations of each recorded model make one long session, in corpus
order, and every strategy is applied to it at every setting that changes something. For
each compacted session:

- the kept turns are the last turns of the session, each message and part the original
  one, except client tool results whose output became the dropped note, and a summary
  note leading the first kept turn;
- every tool result answers a call before it, and every call the original answered is
  answered;
- the request reverie builds for the provider from the compacted session (system prompt,
  the turns, a new question) still carries every piece of provider data (signatures,
  encrypted reasoning, thought signatures, ids) that the request built from the same turns
  uncompacted carries: compaction never drops what must be sent back.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import orjson
import pytest

from reverie.content import (
    ErrorOutput,
    Message,
    Part,
    ToolCallPart,
    ToolResultPart,
    system,
    user,
)
from reverie.model import Call, LanguageModel
from reverie.providers._model import WireModel
from reverie.run_state import RunResult
from reverie.sessions import (
    DROPPED,
    SUMMARY_HEADING,
    Compaction,
    DropToolResults,
    KeepLastTurns,
    MemorySession,
    Summarize,
    Turn,
)
from reverie.testing import FakeModel
from reverie.testing._conformance import runner
from reverie.testing._conformance.scenarios import SYSTEM, Scenario
from reverie.testing._conformance.targets import Target, build_model
from tests.conftest import require_corpus

Key = tuple[str, str, str]


def replay_corpus(
    monkeypatch: pytest.MonkeyPatch,
) -> dict[Key, tuple[Target, list[RunResult]]]:
    """Every agent conversation's result, by recorded model, in a fixed order."""
    found: dict[Key, list[tuple[str, RunResult]]] = defaultdict(list)
    targets: dict[Key, Target] = {}
    checked = runner.check

    def keep(scenario: Scenario, result: RunResult, target: Target | None = None) -> None:
        assert target is not None
        key = (target.provider, target.base_url, target.model_id)
        found[key].append((scenario.name, result))
        targets[key] = target
        checked(scenario, result, target)

    monkeypatch.setattr(runner, "check", keep)
    paths = runner.find_cassettes([require_corpus()])
    outcomes = asyncio.run(runner.run_all(paths, "strict"))
    assert [o for o in outcomes if o.status == "failed"] == []
    # Concurrency shuffles the finishing order; the scenario name restores a fixed one.
    return {
        k: (targets[k], [r for _, r in sorted(v, key=lambda x: x[0])]) for k, v in found.items()
    }


def turn_of(result: RunResult) -> Turn:
    messages = tuple(m for m in result.messages if m.role != "system")
    return Turn(messages, usage=result.usage)


def settings(count: int) -> Iterator[tuple[str, list[Compaction]]]:
    """Every strategy at every setting that changes something for ``count`` turns."""
    summary = FakeModel([FakeModel.text(f"summary {i}") for i in range(4 * count)])
    for n in range(1, count):
        yield f"KeepLastTurns({n})", [KeepLastTurns(n)]
    for n in range(count):
        yield f"DropToolResults({n})", [DropToolResults(keep_last=n)]
    for n in range(1, count):
        yield f"Summarize({n})", [Summarize(summary, keep_last=n, max_tokens=1)]
    yield "all three", [Summarize(summary, keep_last=2), DropToolResults(1), KeepLastTurns(3)]


def same_but_dropped(before: Part, after: Part) -> bool:
    """``after`` is ``before``, or ``before`` with only its client output dropped."""
    if before == after:
        return True
    if not (isinstance(before, ToolResultPart) and isinstance(after, ToolResultPart)):
        return False
    if before.provider_executed:
        return False
    note = ErrorOutput(DROPPED) if isinstance(before.output, ErrorOutput) else None
    expected = replace(before, output=after.output)
    return after == expected and (after.output == note or str(after.output) == DROPPED)


def check_turns(original: Sequence[Turn], compacted: Sequence[Turn]) -> None:
    assert 1 <= len(compacted) <= len(original)
    tail = original[len(original) - len(compacted) :]
    for index, (before, after) in enumerate(zip(tail, compacted, strict=True)):
        messages = list(after.messages)
        if index == 0 and messages and messages[0].text.startswith(SUMMARY_HEADING):
            first = messages[0]
            if len(first.content) == 1:
                messages = messages[1:]  # a user message of its own
            else:
                messages[0] = replace(first, content=first.content[1:])
        assert len(messages) == len(before.messages)
        for old, new in zip(before.messages, messages, strict=True):
            assert (old.role, old.provider_options) == (new.role, new.provider_options)
            assert len(old.content) == len(new.content)
            for a, b in zip(old.content, new.content, strict=True):
                assert same_but_dropped(a, b), (a, b)


def answered(messages: Sequence[Message]) -> tuple[set[str], set[str]]:
    """The ids of client calls that have a later result, and of results with no earlier
    call."""
    calls: set[str] = set()
    done: set[str] = set()
    orphans: set[str] = set()
    for message in messages:
        for part in message.content:
            if isinstance(part, ToolCallPart) and not part.provider_executed:
                calls.add(part.tool_call_id)
            elif isinstance(part, ToolResultPart) and not part.provider_executed:
                (done if part.tool_call_id in calls else orphans).add(part.tool_call_id)
    return done, orphans


def provider_strings(value: Any) -> Iterator[str]:
    """The text values inside provider data (signatures, ids, encrypted content)."""
    if isinstance(value, str):
        if len(value) >= 8:
            yield value
    elif isinstance(value, Mapping):
        for v in value.values():  # pyright: ignore[reportUnknownVariableType]
            yield from provider_strings(v)
    elif isinstance(value, list | tuple):
        for v in value:  # pyright: ignore[reportUnknownVariableType]
            yield from provider_strings(v)


def owed(turns: Sequence[Turn]) -> set[str]:
    """Provider data and call ids of the turns' parts: what may have to go back."""
    out: set[str] = set()
    for message in (m for t in turns for m in t.messages):
        for part in message.content:
            out.update(provider_strings(getattr(part, "provider_metadata", {})))
            if isinstance(part, ToolCallPart | ToolResultPart):
                out.add(part.tool_call_id)
    return out


def request_text(model: WireModel, turns: Sequence[Turn]) -> str:
    messages = (system(SYSTEM), *(m for t in turns for m in t.messages), user("Go on."))
    encoded = model.wire.encode(Call(messages=messages), model.model_id, stream=False)
    # Escaped as JSON text: a value is found whatever the wire nests it in.
    return orjson.dumps(encoded.body).decode()


def json_text(value: str) -> str:
    return orjson.dumps(value).decode()[1:-1]


def test_no_strategy_orphans_a_call_or_loses_provider_data_on_any_corpus_conversation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sessions = replay_corpus(monkeypatch)
    conversations = sum(len(v[1]) for v in sessions.values())
    assert conversations > 250  # every agent conversation of the corpus, not a sample
    checked = 0
    for (provider, _, model_id), (target, results) in sessions.items():
        turns = [turn_of(r) for r in results]
        model: LanguageModel = build_model(target, None)
        assert isinstance(model, WireModel), provider
        for name, strategies in settings(len(turns)):
            session = MemorySession(f"{provider}/{model_id}", compaction=strategies)
            session.turns = list(turns)
            compacted = asyncio.run(session.compacted())
            where = f"{provider}:{model_id} {name}"
            check_turns(turns, compacted)
            before_done, _ = answered([m for t in turns for m in t.messages])
            done, orphans = answered([m for t in compacted for m in t.messages])
            assert not orphans, where
            kept_calls = {
                p.tool_call_id
                for t in compacted
                for m in t.messages
                for p in m.content
                if isinstance(p, ToolCallPart)
            }
            assert before_done & kept_calls <= done, where
            tail = turns[len(turns) - len(compacted) :]
            sent = request_text(model, tail)
            after = request_text(model, compacted)
            for value in owed(tail):
                if json_text(value) in sent:
                    assert json_text(value) in after, f"{where}: lost {value[:40]}"
            checked += 1
    assert checked > len(sessions) * 3
