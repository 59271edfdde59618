"""How a live request is matched to a recorded one, and how a miss is explained.

``strict`` (the corpus rules): method equal, full URL equal (query included), and body equal,
first as text after turning ``\\r\\n`` into ``\\n``, else as parsed JSON (key order is free;
values, arrays and their order are not). ``lenient``: method and URL only. Headers are never
compared. Each recorded interaction is used once, in recorded order among equal matches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, cast

import orjson

from reverie.testing.cassette import RecordedRequest

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
    method: str, url: str, body: bytes, candidates: Sequence[RecordedRequest], limit: int = 20
) -> str:
    """A readable account of why nothing matched: the closest unused recording and the diff."""
    if not candidates:
        return f"{method} {url}: no recorded interaction is left to play"
    same_target = [c for c in candidates if c.method.upper() == method.upper() and c.url == url]
    closest = same_target[0] if same_target else candidates[0]
    lines = [f"{method} {url} matches no recorded interaction."]
    if not same_target:
        lines.append(f"closest unused recording: {closest.method} {closest.url}")
        return "\n".join(lines)
    lines.append("differences from the closest recording (recorded -> sent):")
    a, b = _json(closest.body), _json(body)
    if a is _MISSING or b is _MISSING:
        lines.append(f"  recorded body: {_text(closest.body)[:400]!r}")
        lines.append(f"  sent body:     {_text(body)[:400]!r}")
        return "\n".join(lines)
    diffs = json_diff(a, b)
    lines.extend(f"  {d}" for d in diffs[:limit])
    if len(diffs) > limit:
        lines.append(f"  ... and {len(diffs) - limit} more")
    return "\n".join(lines)


def json_diff(recorded: Any, sent: Any, path: str = "$") -> list[str]:
    """Paths where two JSON values differ, one line each."""
    if isinstance(recorded, dict) and isinstance(sent, dict):
        recorded, sent = cast(dict[str, Any], recorded), cast(dict[str, Any], sent)
        out: list[str] = []
        for key in recorded:
            sub = f"{path}.{key}"
            if key not in sent:
                out.append(f"{sub}: missing (recorded {_short(recorded[key])})")
            else:
                out.extend(json_diff(recorded[key], sent[key], sub))
        for key in sent:
            if key not in recorded:
                out.append(f"{path}.{key}: unexpected (sent {_short(sent[key])})")
        return out
    if isinstance(recorded, list) and isinstance(sent, list):
        rec, got = cast(list[Any], recorded), cast(list[Any], sent)
        items: list[str] = []
        for i, (x, y) in enumerate(zip(rec, got, strict=False)):
            items.extend(json_diff(x, y, f"{path}[{i}]"))
        if len(rec) != len(got):
            items.append(f"{path}: {len(rec)} items recorded, {len(got)} sent")
        return items
    if recorded == sent and type(cast(object, recorded)) is type(cast(object, sent)):
        return []
    return [f"{path}: {_short(recorded)} -> {_short(sent)}"]


def _short(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 120 else text[:117] + "..."
