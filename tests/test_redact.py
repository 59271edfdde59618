"""The redaction choke point itself: every ReverieError, of any type, present or future,
refuses to carry a registered secret; seal() cleans what an error cannot (its chain)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from reverie import _redact
from reverie.errors import ProtocolError, ProviderError, RetryError, ReverieError

SECRET = "sk-test-REDACT-0123456789abcdefghijXYZ"


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """A private copy of the process-wide registry, restored after the test."""
    monkeypatch.setattr(_redact, "_known", dict(_redact._known))  # pyright: ignore[reportPrivateUsage]
    monkeypatch.setattr(_redact, "_ordered", _redact.known())
    _redact.remember([SECRET])


class FutureError(ReverieError):
    """An error type written later, by someone who never heard of redaction."""

    def __init__(self, message: str, payload: str, extra: dict[str, str]) -> None:
        super().__init__(message, payload)
        self.payload = payload
        self.extra = extra
        self.items = [payload]


def test_a_new_error_type_cannot_carry_a_secret() -> None:
    err = FutureError(f"failed with {SECRET}", f"raw {SECRET}", {"k": SECRET, SECRET: "v"})
    shown = " ".join([str(err), repr(err), repr(err.args), repr(vars(err))])
    assert SECRET not in shown
    assert "[REDACTED]" in str(err)
    err.payload = f"set later: {SECRET}"  # attributes assigned afterwards too
    assert err.payload == "set later: [REDACTED]"


def test_pieces_and_encodings_of_a_secret_are_redacted() -> None:
    cut = f"the key was {SECRET[:20]}"  # a message shortened inside the key
    tail = f"{SECRET[-18:]} was the key"
    encoded = f"url?key={quote(SECRET, safe='')}"
    err = ProtocolError(f"{cut} | {tail} | {encoded}", line=cut)
    for shown in (str(err), err.line):
        assert SECRET[:16] not in shown and SECRET[-16:] not in shown
    assert "sk-test" not in str(err).replace("[REDACTED]", "")


def test_short_values_and_unrelated_text_are_left_alone() -> None:
    _redact.remember(["short"])  # under 8 characters: not a key, never remembered
    err = ProviderError("a short message about sk-test keys", body="short")
    assert err.body == "short"
    assert str(err) == "a short message about sk-test keys"


def test_seal_replaces_a_leaking_foreign_cause_everywhere_in_the_chain() -> None:
    foreign = ValueError(f"bad input {SECRET}")
    try:
        try:
            raise foreign
        except ValueError as exc:
            raise ProtocolError("could not decode") from exc
    except ProtocolError as err:
        outer = RetryError("gave up", [err])
        outer.__cause__ = err
        _redact.seal(outer)
    inner = outer.attempts[0]
    assert isinstance(inner.__cause__, _redact.RedactedException)
    assert inner.__context__ is inner.__cause__  # the same stand-in in both links
    assert "ValueError: bad input [REDACTED]" in str(inner.__cause__)
    assert inner.__suppress_context__


def test_display_url_hides_the_password_and_secret_parameters() -> None:
    url = f"https://me:{SECRET}@host.example/v1/models?key={SECRET}&alt=sse"
    assert _redact.display_url(url) == (
        "https://me:[REDACTED]@host.example/v1/models?key=[REDACTED]&alt=sse"
    )
    assert _redact.display_url("https://host.example/v1") == "https://host.example/v1"


def test_the_registry_is_bounded() -> None:
    _redact.remember([f"secret-number-{i:06d}" for i in range(_redact.LIMIT + 50)])
    assert len(_redact.known()) <= 2 * _redact.LIMIT  # each secret and its encoded form
    assert "secret-number-000000" not in _redact.known()  # the oldest were dropped
    assert f"secret-number-{_redact.LIMIT + 49:06d}" in _redact.known()
