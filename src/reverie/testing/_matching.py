"""How a live request is matched to a recorded one, and how a miss is explained.

``strict`` (the corpus rules, the default): method equal, full URL equal (query included),
and body equal, first as text after turning ``\\r\\n`` into ``\\n``, else as parsed JSON
(key order is free; values, arrays and their order are not). ``lenient``: method and URL
only, so the recorded order decides. Or any :data:`Matcher` function. Headers are never
compared. Each recorded interaction is used once, in recorded order among equal matches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, cast

import orjson

from reverie.testing._cassette import RecordedRequest

MatchMode = Literal["strict", "lenient"]
Matcher = Callable[[str, str, bytes, RecordedRequest], bool]
"""``(method, url, body, recorded) -> bool``: a user-supplied rule."""

_MISSING = object()


def _text(body: str | bytes) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    return body


def _json(body: str | bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return _MISSING


def bodies_equal(sent: bytes, recorded: str | bytes) -> bool:
    """Equal as normalised text, else as JSON values."""
    sent_text = _text(sent).replace("\r\n", "\n")
    recorded_text = _text(recorded).replace("\r\n", "\n")
    if sent_text == recorded_text:
        return True
    a, b = _json(sent), _json(recorded)
    return a is not _MISSING and b is not _MISSING and a == b


def strict(method: str, url: str, body: bytes, recorded: RecordedRequest) -> bool:
    return (
        method.upper() == recorded.method.upper()
        and url == recorded.url
        and bodies_equal(body, recorded.body)
    )


def lenient(method: str, url: str, body: bytes, recorded: RecordedRequest) -> bool:
    return method.upper() == recorded.method.upper() and url == recorded.url


MATCHERS: dict[str, Matcher] = {"strict": strict, "lenient": lenient}


def explain_miss(
    method: str,
    url: str,
    body: bytes,
    candidates: Sequence[RecordedRequest],
    limit: int = 20,
    *,
    used: Sequence[RecordedRequest] = (),
) -> str:
    """A readable account of why nothing matched: the closest recording and the difference.

    The closest is the unused recording with the same method and URL and the fewest body
    differences (any unused one if none has the same target); when every recording was
    already played, the closest played one, since the code probably sent one call too many.
    """
    lines = [f"{method} {url} matches no recorded interaction."]
    pool = candidates or used
    if not pool:
        lines.append("the cassette has no recorded interactions")
        return "\n".join(lines)
    sent_json = _json(body)
    closest = min(pool, key=lambda c: _distance(method, url, body, sent_json, c))
    if not candidates:
        lines.append(
            f"all {len(used)} recorded interaction(s) were already played; the closest played one:"
        )
    else:
        lines.append(f"closest unused recording: {closest.method} {closest.url}")
    if closest.method.upper() != method.upper():
        lines.append(f"  method: {closest.method} -> {method}")
    if closest.url != url:
        lines.append(f"  url: {closest.url} -> {url}")
    recorded_json = _json(closest.body)
    if recorded_json is _MISSING or sent_json is _MISSING:
        if not bodies_equal(body, closest.body):
            lines.append(_text_difference(_text(closest.body), _text(body)))
        return "\n".join(lines)
    diffs = json_diff(recorded_json, sent_json)
    if diffs:
        lines.append("body differences (recorded -> sent):")
        lines.extend(f"  {d}" for d in diffs[:limit])
        if len(diffs) > limit:
            lines.append(f"  ... and {len(diffs) - limit} more")
    return "\n".join(lines)


def _distance(
    method: str, url: str, body: bytes, sent_json: Any, recorded: RecordedRequest
) -> tuple[bool, bool, int]:
    if sent_json is _MISSING:
        body_distance = 0 if bodies_equal(body, recorded.body) else 1
    else:
        recorded_json = _json(recorded.body)
        body_distance = (
            10**6 if recorded_json is _MISSING else len(json_diff(recorded_json, sent_json))
        )
    return (recorded.method.upper() != method.upper(), recorded.url != url, body_distance)


def _text_difference(recorded: str, sent: str) -> str:
    """Where two texts first differ, with a little context."""
    recorded, sent = recorded.replace("\r\n", "\n"), sent.replace("\r\n", "\n")
    i = 0
    while i < min(len(recorded), len(sent)) and recorded[i] == sent[i]:
        i += 1
    start = max(i - 40, 0)
    return (
        f"bodies differ at character {i}:\n"
        f"  recorded: {recorded[start : i + 80]!r}\n"
        f"  sent:     {sent[start : i + 80]!r}"
    )


def json_diff(recorded: Any, sent: Any, path: str = "$") -> list[str]:
    """Paths where two JSON values differ, one line each."""
    if isinstance(recorded, dict) and isinstance(sent, dict):
        a, b = cast(dict[str, Any], recorded), cast(dict[str, Any], sent)
        out: list[str] = []
        for key, value in a.items():
            sub = f"{path}.{key}"
            if key not in b:
                out.append(f"{sub}: missing (recorded {_short(value)})")
            else:
                out.extend(json_diff(value, b[key], sub))
        out.extend(
            f"{path}.{key}: unexpected (sent {_short(value)})"
            for key, value in b.items()
            if key not in a
        )
        return out
    if isinstance(recorded, list) and isinstance(sent, list):
        x, y = cast(list[Any], recorded), cast(list[Any], sent)
        out = []
        for i, (p, q) in enumerate(zip(x, y, strict=False)):
            out.extend(json_diff(p, q, f"{path}[{i}]"))
        if len(x) != len(y):
            out.append(f"{path}: {len(x)} items recorded, {len(y)} sent")
        return out
    same: bool = recorded == sent and type(cast(object, recorded)) is type(cast(object, sent))
    if same:
        return []
    return [f"{path}: {_short(cast(object, recorded))} -> {_short(cast(object, sent))}"]


def _short(value: object) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 120 else text[:117] + "..."
