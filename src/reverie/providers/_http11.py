"""A sans-I/O HTTP/1.1 client codec: request bytes out, response head and body bytes in.

Only what a client of JSON and SSE APIs needs (RFC 9112): a request head with a
``Content-Length`` body; a response status line and headers; the body framed by
``Transfer-Encoding: chunked``, ``Content-Length`` or the end of the connection.

The chunked decoder is the reason this module exists: it decodes every chunk contained in
one read with ``bytes.find`` and returns their payloads joined into ONE bytes object, so
reading a stream costs per socket read, not per HTTP chunk (servers send one chunk per SSE
event). Errors are :class:`H11Error` with a message; the transport maps them to
``httpx2.RemoteProtocolError``.
"""

from __future__ import annotations

_MAX_HEAD = 256 * 1024  # a response head larger than this is not an API answer
_MAX_SIZE_LINE = 1024


class H11Error(Exception):
    """The peer broke HTTP/1.1 framing (the message says how)."""


def request_head(method: str, target: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """``METHOD target HTTP/1.1`` and the header lines, as given, ending in a blank line."""
    lines = [method.encode("ascii") + b" " + target + b" HTTP/1.1"]
    for name, value in headers:
        if b"\r" in value or b"\n" in value or b"\r" in name or b"\n" in name:
            raise ValueError(f"header {name!r} contains a line break")
        lines.append(name + b": " + value)
    return b"\r\n".join(lines) + b"\r\n\r\n"


class ResponseHead:
    """A parsed status line and header block, with the framing facts the client needs."""

    __slots__ = ("headers", "http_version", "keep_alive", "reason", "status")

    def __init__(
        self, status: int, reason: bytes, http_version: bytes, headers: list[tuple[bytes, bytes]]
    ) -> None:
        self.status = status
        self.reason = reason
        self.http_version = http_version
        self.headers = headers
        tokens = self.tokens(b"connection")
        if http_version == b"HTTP/1.0":
            self.keep_alive = b"keep-alive" in tokens
        else:
            self.keep_alive = b"close" not in tokens

    def tokens(self, name: bytes) -> list[bytes]:
        """The comma-separated, lower-cased tokens of every ``name`` header."""
        out: list[bytes] = []
        for key, value in self.headers:
            if key.lower() == name:
                out += [t.strip().lower() for t in value.split(b",") if t.strip()]
        return out

    def framing(self, method: str) -> tuple[str, int]:
        """``("none", 0)``, ``("chunked", 0)``, ``("length", n)`` or ``("close", 0)``."""
        if method == "HEAD" or self.status in (204, 304) or self.status < 200:
            return "none", 0
        encodings = self.tokens(b"transfer-encoding")
        if encodings:
            # Transfer-Encoding overrides Content-Length; without "chunked" last, the body
            # runs to the end of the connection.
            if encodings[-1] == b"chunked":
                return "chunked", 0
            self.keep_alive = False
            return "close", 0
        lengths = {v.strip() for k, v in self.headers if k.lower() == b"content-length"}
        if lengths:
            if len(lengths) > 1:
                raise H11Error(f"conflicting Content-Length headers: {sorted(lengths)!r}")
            value = lengths.pop()
            if not value.isdigit():
                raise H11Error(f"invalid Content-Length {value!r}")
            return "length", int(value)
        self.keep_alive = False
        return "close", 0


def find_head_end(buffer: bytes | bytearray) -> int:
    """The index just past the blank line ending a response head, or -1 if not yet whole."""
    end = buffer.find(b"\r\n\r\n")
    if end >= 0:
        return end + 4
    end = buffer.find(b"\n\n")  # bare-LF servers exist; tolerate them
    if end >= 0:
        return end + 2
    if len(buffer) > _MAX_HEAD:
        raise H11Error(f"response head larger than {_MAX_HEAD} bytes")
    return -1


def parse_head(raw: bytes) -> ResponseHead:
    """Parse a whole response head (as delimited by :func:`find_head_end`)."""
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    status_line = lines[0]
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise H11Error(f"invalid status line {status_line[:200]!r}")
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in (9, 32):  # obsolete line folding: continues the previous value
            if not headers:
                raise H11Error("header continuation without a header")
            name, value = headers[-1]
            headers[-1] = (name, value + b" " + line.strip())
            continue
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise H11Error(f"invalid header line {line[:200]!r}")
        headers.append((name, value.strip()))
    reason = parts[2] if len(parts) > 2 else b""
    return ResponseHead(int(parts[1]), reason, parts[0], headers)


class ChunkedDecoder:
    """Incremental ``Transfer-Encoding: chunked`` decoder.

    :meth:`feed` takes the bytes of one read and returns the payload bytes they complete
    (possibly ``b""``), joined into one object. :attr:`done` turns true after the last
    chunk and its trailers; :attr:`leftover` then holds any bytes past the message end.
    """

    __slots__ = ("_buffer", "_remaining", "_state", "done", "leftover")

    _SIZE, _DATA, _DATA_END, _TRAILERS = 0, 1, 2, 3

    def __init__(self) -> None:
        self._buffer = b""
        self._remaining = 0  # payload bytes still expected in the current chunk
        self._state = self._SIZE
        self.done = False
        self.leftover = b""

    def feed(self, data: bytes) -> bytes:
        buf = self._buffer + data if self._buffer else data
        self._buffer = b""
        pos = 0
        end = len(buf)
        out: list[bytes] = []
        state = self._state
        while pos < end:
            if state == 0:  # chunk-size line
                nl = buf.find(b"\r\n", pos)
                if nl < 0:
                    if end - pos > _MAX_SIZE_LINE:
                        raise H11Error("chunk size line too long")
                    break
                size = _chunk_size(buf[pos:nl])
                pos = nl + 2
                if size == 0:
                    state = 3
                    continue
                stop = pos + size
                # The common case: the whole chunk and its CRLF are in this read.
                if stop + 2 <= end:
                    if buf[stop : stop + 2] != b"\r\n":
                        raise H11Error("chunk data not followed by CRLF")
                    out.append(buf[pos:stop])
                    pos = stop + 2
                    continue
                self._remaining = size
                state = 1
            elif state == 1:  # the rest of a chunk's payload
                take = min(self._remaining, end - pos)
                out.append(buf[pos : pos + take])
                pos += take
                self._remaining -= take
                if self._remaining == 0:
                    state = 2
            elif state == 2:  # the CRLF after a payload
                if end - pos < 2:
                    break
                if buf[pos : pos + 2] != b"\r\n":
                    raise H11Error("chunk data not followed by CRLF")
                pos += 2
                state = 0
            else:  # trailer lines, ending with an empty one
                nl = buf.find(b"\r\n", pos)
                if nl < 0:
                    if end - pos > _MAX_HEAD:
                        raise H11Error("chunked trailers too long")
                    break
                if nl == pos:
                    self.done = True
                    self.leftover = buf[nl + 2 :]
                    pos = end
                    break
                pos = nl + 2
        self._state = state
        if pos < end and not self.done:
            self._buffer = buf[pos:]
        if len(out) == 1:
            return out[0]
        return b"".join(out)


def _chunk_size(line: bytes) -> int:
    if line.isalnum() and line[1:2] not in (b"x", b"X"):  # the usual bare hex number
        try:
            return int(line, 16)
        except ValueError:
            raise H11Error(f"invalid chunk size line {line[:100]!r}") from None
    text = line.split(b";", 1)[0].strip()  # chunk extensions are ignored
    try:
        if not text or text.strip(b"0123456789abcdefABCDEF"):
            raise ValueError
        return int(text, 16)
    except ValueError:
        raise H11Error(f"invalid chunk size line {line[:100]!r}") from None
