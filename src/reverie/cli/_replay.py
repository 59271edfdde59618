"""``reverie replay CASSETTE``: a recorded conversation, printed as a transcript.

Each interaction shows what the request added to the conversation (the first shows it
whole), then the response: text, reasoning, tool calls, usage. Chat Completions responses
are decoded by reverie's own wire code; other wires are read loosely (see
:mod:`reverie.cli._transcript`). Nothing is sent anywhere.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from reverie.cli._console import Console
from reverie.cli._render import usage_text
from reverie.cli._transcript import Turn, request_turns, response_turns
from reverie.content import ReasoningPart, TextPart, ToolCallPart
from reverie.errors import ReverieError
from reverie.model import Usage
from reverie.testing._cassette import Interaction, load_cassette

_STYLES = {
    "system": "magenta",
    "user": "bold",
    "assistant": "",
    "reasoning": "dim italic",
    "call": "cyan",
    "tool result": "green",
    "note": "yellow",
}


def _chat_response(interaction: Interaction) -> tuple[list[Turn], Usage | None]:
    """A Chat Completions response through reverie's decoders."""
    from reverie.providers._openai.chat_decode import decode_response
    from reverie.providers._openai.chat_stream import ChatStreamDecoder
    from reverie.providers._openai.dialect import ChatDialect
    from reverie.providers._sse import SSEObjects

    body = interaction.response.body
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    dialect = ChatDialect("replay")
    turns: list[Turn] = []
    usage: Usage | None = None
    if text.lstrip().startswith("{"):
        response = decode_response(orjson.loads(text), dialect, [])
        parts, usage = list(response.content), response.usage
    else:
        from reverie._accumulate import ResponseAccumulator

        decoder = ChatStreamDecoder(dialect)
        acc = ResponseAccumulator()
        framing = SSEObjects("replay")  # as a streamed answer is read: [DONE] included
        for data in [*framing.feed(text.encode()), *framing.close()]:
            for ev in decoder.feed(data):
                acc.add(ev)
        for ev in decoder.finish():
            acc.add(ev)
        response = acc.response()
        parts, usage = list(response.content), response.usage
    for part in parts:
        if isinstance(part, TextPart):
            turns.append(("assistant", part.text))
        elif isinstance(part, ReasoningPart):
            turns.append(("reasoning", part.text))
        elif isinstance(part, ToolCallPart):
            turns.append(("call", f"{part.tool_name}({part.input})"))
    return turns, usage


def _print_turns(console: Console, turns: list[Turn], indent: str = "  ") -> None:
    for role, text in turns:
        label = f"{role}:".ljust(13)
        body = text.strip().replace("\n", "\n" + indent + " " * 13)
        console.write(indent + label, f"bold {_STYLES.get(role, '')}".strip())
        console.line(body, _STYLES.get(role) or None)


def replay(path: str) -> int:
    """Print the transcript; 0 on success, 2 when the file cannot be read as a cassette."""
    file = Path(path)
    if not file.is_file():
        print(f"reverie replay: no such file: {path}", file=sys.stderr)
        return 2
    try:
        cassette = load_cassette(file)
    except ReverieError as exc:
        print(f"reverie replay: {exc}", file=sys.stderr)
        return 2
    console = Console(sys.stdout)
    console.line(f"{file}  ({len(cassette.interactions)} interactions)", "bold")
    seen = 0
    for number, interaction in enumerate(cassette.interactions, 1):
        request = interaction.request
        body = orjson.loads(request.body) if request.body and _is_json(request.body) else None
        model = body.get("model", "") if isinstance(body, dict) else ""  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        console.line()
        console.line(
            f"── {number}. {request.method} {request.url}" + (f"  model {model}" if model else ""),
            "dim",
        )
        turns = request_turns(body)
        new = turns[seen:] if seen <= len(turns) else turns
        if number > 1:
            # The previous response, echoed back as history, was shown already.
            while new and new[0][0] in ("assistant", "call", "reasoning"):
                new = new[1:]
        _print_turns(console, new)
        seen = len(turns)
        response = interaction.response
        status = response.status or str(response.status_code)
        console.line(
            f"  ← {status}" + (f" in {response.duration}" if response.duration else ""), "dim"
        )
        usage: Usage | None = None
        try:
            if response.status_code >= 400:
                text = response.body if isinstance(response.body, str) else repr(response.body)
                answer = [("note", f"(error) {text.strip()[:500]}")]
            elif request.url.split("?")[0].endswith("/chat/completions"):
                answer, usage = _chat_response(interaction)
            else:
                answer = response_turns(response.body)
        except (ReverieError, orjson.JSONDecodeError, ValueError) as exc:
            answer = [("note", f"(response not decodable: {exc})")]
        _print_turns(console, answer)
        if usage is not None and usage.total_tokens:
            console.line(f"  usage: {usage_text(usage)}", "dim")
    return 0


def _is_json(body: str | bytes) -> bool:
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return True


def main(args: argparse.Namespace) -> int:
    return replay(args.cassette)
