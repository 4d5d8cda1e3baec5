"""HTTP/1.1 message rules of the lean transport (``_protocol.http11``), without a socket."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intercomkit._protocol.http11 import Head, MessageError, chunk_size, framing, parse_head, request_head

TOKEN = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20).map(str.encode)
VALUE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40).map(str.encode)
HEADERS = st.lists(st.tuples(TOKEN, VALUE), max_size=10)


@given(st.integers(100, 599), TOKEN, HEADERS)
def test_a_response_head_reads_back(status, reason, headers):
    wire = b"HTTP/1.1 %d %s\r\n" % (status, reason) + b"".join(b"%s: %s\r\n" % h for h in headers) + b"\r\n"
    head = parse_head(wire)
    assert (head.status, head.reason, head.http_version, head.headers) == (
        status,
        reason,
        b"HTTP/1.1",
        headers,
    )


@given(HEADERS)
def test_a_request_head_is_its_lines(headers):
    wire = request_head(b"GET", b"/contacts?a=1", headers)
    lines = wire.split(b"\r\n")
    assert lines[0] == b"GET /contacts?a=1 HTTP/1.1" and lines[-2:] == [b"", b""]
    assert lines[1:-2] == [b"%s: %s" % h for h in headers]


@given(HEADERS, st.sampled_from([b"\r", b"\n", b"\r\n", b"\0", b"\r\nX-Evil: 1"]), st.integers(0, 10))
def test_a_request_header_cannot_start_another(headers, bad, at):
    headers = [*headers, (b"x-value", b"ok")]
    name, value = headers[at % len(headers)]
    headers[at % len(headers)] = (name, value + bad)
    with pytest.raises(MessageError):
        request_head(b"GET", b"/", headers)


@pytest.mark.parametrize("name", [b"", b"a b", b"a:b", b"a\tb"])
def test_a_request_header_name_must_be_a_token(name):
    with pytest.raises(MessageError):
        request_head(b"GET", b"/", [(name, b"v")])


@pytest.mark.parametrize(
    "wire",
    [
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/2 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n folded\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nName : v\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n: v\r\n\r\n",
        b"garbage\r\n\r\n",
    ],
)
def test_malformed_heads_are_refused(wire):
    with pytest.raises(MessageError):
        parse_head(wire)


def _head(*headers: tuple[bytes, bytes], status: int = 200, version: bytes = b"HTTP/1.1") -> Head:
    return Head(status, b"OK", version, list(headers))


def test_framing():
    cl = (b"Content-Length", b"10")
    f = framing(_head(cl), b"GET")
    assert (f.length, f.chunked, f.empty, f.keep_alive) == (10, False, False, True)
    f = framing(_head((b"Transfer-Encoding", b"gzip, chunked")), b"GET")
    assert f.chunked and f.keep_alive
    # Both: Transfer-Encoding wins and the connection is not reused (RFC 9112 §6.3).
    f = framing(_head(cl, (b"transfer-encoding", b"chunked")), b"GET")
    assert f.chunked and not f.keep_alive
    f = framing(_head(), b"GET")  # neither: the body ends when the connection does
    assert (f.length, f.chunked, f.empty, f.keep_alive) == (None, False, False, False)
    assert not framing(_head(cl, (b"Connection", b"Close")), b"GET").keep_alive
    assert not framing(_head(cl, version=b"HTTP/1.0"), b"GET").keep_alive
    assert framing(_head(cl, (b"Connection", b"keep-alive"), version=b"HTTP/1.0"), b"GET").keep_alive
    for empty in (
        framing(_head(cl), b"HEAD"),
        framing(_head(status=204), b"GET"),
        framing(_head(status=304), b"GET"),
    ):
        assert empty.empty and empty.keep_alive
    assert framing(_head((b"Content-Length", b"0")), b"GET").empty
    for bad in ((b"Content-Length", b"-1"), (b"Content-Length", b"1x"), (b"Transfer-Encoding", b"gzip")):
        with pytest.raises(MessageError):
            framing(_head(bad), b"GET")
    with pytest.raises(MessageError):
        framing(_head(cl, (b"Content-Length", b"11")), b"GET")
    assert framing(_head(cl, cl), b"GET").length == 10


@given(st.integers(0, 2**63), st.sampled_from([b"", b";ext=1", b" "]), st.booleans())
def test_chunk_sizes(n, ext, upper):
    digits = b"%X" % n if upper else b"%x" % n
    assert chunk_size(digits + ext + b"\r\n") == n


@pytest.mark.parametrize("line", [b"\r\n", b"zz\r\n", b"-1\r\n", b"0x10\r\n", b"1" * 17 + b"\r\n"])
def test_bad_chunk_sizes(line):
    with pytest.raises(MessageError):
        chunk_size(line)
