"""HTTP/1.1 message rules for the client's lean transport (RFC 9112), as plain functions on bytes: no I/O.

``request_head`` writes a request's start line and headers; ``parse_head`` reads a response's status line and
headers; ``framing`` decides how its body is delimited ("Content-Length", "chunked", until the connection closes, or
none) and whether the connection may carry another request; ``chunk_size`` reads a chunk-size line. A malformed
message raises ``MessageError``, which the transport turns into httpx's ``RemoteProtocolError`` (or
``LocalProtocolError`` for a request it refuses to write), as h11 does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "MAX_HEAD",
    "Framing",
    "Head",
    "MessageError",
    "chunk_size",
    "framing",
    "parse_head",
    "request_head",
]

# A response head longer than this is refused (h11's max_incomplete_event_size is 16 KiB; Intercom's heads are ~1 KiB).
MAX_HEAD = 64 * 1024

_FORBIDDEN = (b"\r", b"\n", b"\0")
_WHITESPACE = b" \t"


class MessageError(ValueError):
    """A message that breaks HTTP/1.1's syntax (the peer's, or a header this client would send)."""


@dataclass(frozen=True, slots=True)
class Head:
    status: int
    reason: bytes
    http_version: bytes
    headers: list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Framing:
    """How the body ends: ``length`` bytes, ``chunked``, or (both unset) when the peer closes; ``empty``: no body."""

    length: int | None
    chunked: bool
    empty: bool
    keep_alive: bool


def request_head(method: bytes, target: bytes, headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """``METHOD target HTTP/1.1`` and the headers, ending with the blank line. A CR, LF or NUL in any part would
    let a value start a header or a request of its own (RFC 9110 §5.5): refused, as h11 refuses it."""
    headers = list(headers)
    lines = [method, b" ", target, b" HTTP/1.1\r\n"]
    for name, value in headers:
        lines += (name, b": ", value, b"\r\n")
    lines.append(b"\r\n")
    head = b"".join(lines)
    # Every CR is followed by LF and each LF ends one of the lines written above, so any other one came from a value.
    if head.count(b"\n") != len(lines) // 4 + 1 or head.count(b"\r") != head.count(b"\n") or b"\0" in head:
        raise MessageError("a request header, method or target holds a CR, LF or NUL")
    for name, _ in headers:
        if not name or b":" in name or any(c in name for c in (b" ", b"\t")):
            raise MessageError(f"invalid request header name {name!r}")
    return head


def parse_head(data: bytes) -> Head:
    """A response's status line and headers; ``data`` ends with the blank line (CRLF CRLF)."""
    lines = data[:-4].split(b"\r\n")
    version, _, rest = lines[0].partition(b" ")
    code, _, reason = rest.partition(b" ")
    if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit():
        raise MessageError(f"invalid status line {lines[0][:100]!r}")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        # Obsolete line folding (a line starting with whitespace) is refused, as RFC 9112 §5.2 allows and h11 does.
        if not sep or not name or name[-1:] in (b" ", b"\t") or name[:1] in (b" ", b"\t") or b"\n" in line:
            raise MessageError(f"invalid response header line {line[:100]!r}")
        headers.append((name, value.strip(_WHITESPACE)))
    return Head(int(code), reason, version, headers)


def framing(head: Head, method: bytes) -> Framing:
    """RFC 9112 §6.3: how the response to ``method`` is delimited, and whether its connection can be reused."""
    length: int | None = None
    chunked = False
    close = head.http_version != b"HTTP/1.1"
    for name, value in head.headers:
        key = name.lower()
        if key == b"content-length":
            if not value.isdigit() or (length is not None and int(value) != length):
                raise MessageError(f"invalid Content-Length {value[:50]!r}")
            length = int(value)
        elif key == b"transfer-encoding":
            codings = [c.strip(_WHITESPACE).lower() for c in value.split(b",")]
            if codings[-1] != b"chunked":
                raise MessageError(f"unsupported Transfer-Encoding {value[:50]!r}")
            chunked = True
        elif key == b"connection":
            tokens = {t.strip(_WHITESPACE).lower() for t in value.split(b",")}
            if b"close" in tokens:
                close = True
            elif b"keep-alive" in tokens and head.http_version == b"HTTP/1.0":
                close = False
    if method == b"HEAD" or head.status in (204, 304) or head.status < 200:
        return Framing(0, False, True, not close)
    if chunked:
        # "Transfer-Encoding overrides the Content-Length" (RFC 9112 §6.3): ignore the length, and never reuse a
        # connection whose framing was ambiguous.
        return Framing(None, True, False, not close and length is None)
    if length is not None:
        return Framing(length, False, length == 0, not close)
    return Framing(None, False, False, False)


def chunk_size(line: bytes) -> int:
    """The size in a chunk-size line (``1a2b;ext=1\\r\\n``), extensions ignored."""
    size = line.partition(b";")[0].strip(_WHITESPACE + b"\r\n")
    if not size or len(size) > 16 or any(c not in b"0123456789abcdefABCDEF" for c in size):
        raise MessageError(f"invalid chunk size line {line[:50]!r}")
    return int(size, 16)
