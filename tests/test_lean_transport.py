"""The client's lean HTTP/1.1 transport over real sockets: keep-alive, framing, gzip, broken peers, TLS, fallbacks.

A scripted asyncio server plays the peer, so each test controls the bytes on the wire; the client is the public
``AsyncClient`` (or ``httpx.AsyncClient`` on the transport, for TLS with a local certificate).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import ssl
import subprocess
from collections.abc import Awaitable, Callable

import httpx
import pytest

import intercomkit as ik
from intercomkit._lean import LeanTransport
from intercomkit._wire import Buffers

pytestmark = pytest.mark.anyio

BODY = json.dumps({"type": "list", "data": [{"id": str(i), "name": "x" * 50} for i in range(2000)]}).encode()

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[bool]]


class Peer:
    """An HTTP/1.1 server whose ``answer(reader, writer, n)`` writes the n-th response's bytes (n counts from 0 over
    every connection) and returns whether to keep the connection open for the next request."""

    def __init__(self, answer: Handler) -> None:
        self.answer, self.connections, self.requests = answer, 0, 0
        self.heads: list[bytes] = []
        self.bodies: list[bytes] = []

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                self.heads.append(head)
                body = b""
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        body = await reader.readexactly(int(line.split(b":")[1]))
                self.bodies.append(body)
                n, self.requests = self.requests, self.requests + 1
                if not await self.answer(reader, writer, n):
                    return
        finally:
            writer.close()


def ok(body: bytes = BODY, *extra: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    return head + b"".join(h + b"\r\n" for h in extra) + b"\r\n" + body


def always(data: bytes, keep: bool = True) -> Handler:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(data)
        await writer.drain()
        return keep

    return answer


def client(url: str, **kwargs: object) -> ik.AsyncClient:
    return ik.AsyncClient(
        token="secret-token-lean", base_url=url, workspaces=ik.WorkspaceRegistry(), **kwargs
    )


async def test_requests_one_after_another_reuse_one_connection():
    async with Peer(always(ok())) as url, client(url) as c:
        for _ in range(5):
            assert await c.request_raw("GET", "/contacts") == BODY
        peer = c._transport
    assert isinstance(peer, LeanTransport)


async def test_keep_alive_counts_connections_and_sends_httpx_headers():
    server = Peer(always(ok()))
    async with server as url, client(url) as c:
        for _ in range(5):
            await c.request("GET", "/contacts", params={"per_page": 5})
        await c.request("POST", "/contacts/search", json={"query": {}})
    assert server.connections == 1 and server.requests == 6
    head = server.heads[-1].lower()
    assert head.startswith(b"post /contacts/search http/1.1\r\n")
    assert b"authorization: bearer secret-token-lean" in head and b"host: 127.0.0.1:" in head
    assert b"accept-encoding: gzip" in head and b"content-length: 12" in head
    assert server.heads[0].startswith(b"GET /contacts?per_page=5 HTTP/1.1")


async def test_concurrent_requests_stay_within_max_connections():
    async def slow(reader, writer, n):
        await asyncio.sleep(0.01)
        writer.write(ok())
        return True

    server = Peer(slow)
    async with server as url, client(url, max_connections=3) as c:
        got = await asyncio.gather(*(c.request_raw("GET", "/contacts") for _ in range(12)))
    assert got == [BODY] * 12 and server.connections <= 3


async def test_a_connection_the_server_closes_is_not_reused():
    # "Connection: close", then a silent close after an answer: the next request opens a new connection.
    async def answer(reader, writer, n):
        writer.write(ok(BODY, b"Connection: close") if n == 0 else ok())
        await writer.drain()
        return False

    server = Peer(answer)
    async with server as url, client(url, max_retries=0) as c:
        for _ in range(3):
            assert await c.request_raw("GET", "/contacts") == BODY
            await asyncio.sleep(0.05)  # lets the event loop see the server's EOF on the idle connection
    assert server.connections == 3


async def test_chunked_bodies_with_extensions_and_trailers():
    pieces = [BODY[:1000], BODY[1000:70000], BODY[70000:]]
    wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
    wire += b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\nX-Trailer: 1\r\n\r\n"
    server = Peer(always(wire))
    async with server as url, client(url) as c:
        assert await c.request_raw("GET", "/contacts") == BODY
        assert (await c.request("GET", "/contacts"))["type"] == "list"
    assert server.connections == 1


@pytest.mark.parametrize("chunked", [False, True])
async def test_gzip_bodies_are_decoded_by_httpx(chunked):
    packed = gzip.compress(BODY, 1)
    if chunked:
        wire = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
        wire += b"%x\r\n%s\r\n0\r\n\r\n" % (len(packed), packed)
    else:
        wire = ok(packed, b"Content-Encoding: gzip")
    async with Peer(always(wire)) as url, client(url) as c:
        assert await c.request_raw("GET", "/contacts") == BODY


async def test_a_body_closed_until_the_connection_ends():
    wire = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + BODY
    server = Peer(always(wire, keep=False))
    async with server as url, client(url) as c:
        assert await c.request_raw("GET", "/contacts") == BODY
        assert await c.request_raw("GET", "/contacts") == BODY
    assert server.connections == 2


async def test_a_truncated_body_is_a_named_error_and_retried():
    async def answer(reader, writer, n):
        if n == 0:
            writer.write(ok()[:-100])  # Content-Length promises 100 bytes more
            return False
        writer.write(ok())
        return True

    async with Peer(answer) as url, client(url, max_retries=0) as c:
        with pytest.raises(ik.errors.TransportError, match="peer closed connection"):
            await c.request_raw("GET", "/contacts")
    async with Peer(answer) as url, client(url, sleep=_no_wait) as c:
        assert await c.request_raw("GET", "/contacts") == BODY  # retried on a new connection


@pytest.mark.parametrize(
    "wire",
    [
        b"HTTP/1.1 20x OK\r\n\r\n",
        b"HTTP/2 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"",  # closed without a response
    ],
)
async def test_a_broken_answer_is_a_named_error_that_never_shows_the_token(wire):
    async with Peer(always(wire, keep=False)) as url, client(url, max_retries=0) as c:
        with pytest.raises(ik.errors.TransportError) as info:
            await c.request_raw("GET", "/contacts")
    assert "secret-token-lean" not in str(info.value) + repr(info.value)


async def test_a_read_timeout_is_a_named_error():
    async def silent(reader, writer, n):
        await asyncio.sleep(5)
        return False

    async with Peer(silent) as url, client(url, max_retries=0, timeout=0.2) as c:
        with pytest.raises(ik.errors.TransportError, match="ReadTimeout"):
            await c.request_raw("GET", "/contacts")


async def _refusing_url() -> str:
    """The URL of a local port that was just listening and no longer is: a connection there is refused."""
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    return f"http://127.0.0.1:{port}"


async def test_a_refused_connection_is_a_named_error_naming_the_host():
    async with client(await _refusing_url(), max_retries=0) as c:
        with pytest.raises(ik.errors.TransportError, match="ConnectError") as info:
            await c.request_raw("GET", "/contacts")
    assert "127.0.0.1" in str(info.value) and "secret-token-lean" not in str(info.value)


async def test_a_cancelled_request_closes_its_connection_and_frees_its_slot():
    sent_half = asyncio.Event()

    async def answer(reader, writer, n):
        if n == 0:
            writer.write(ok()[:-1000])
            await writer.drain()
            sent_half.set()
            await asyncio.sleep(5)
            return False
        writer.write(ok())
        return True

    server = Peer(answer)
    async with server as url, client(url, max_connections=1) as c:
        task = asyncio.ensure_future(c.request_raw("GET", "/contacts"))
        await sent_half.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The one slot is free again, and the half-read connection was not put back.
        assert await c.request_raw("GET", "/contacts") == BODY
    assert server.connections == 2


async def test_a_streaming_upload_goes_through_httpx_own_transport():
    async def chunks():
        yield b'{"a":'
        yield b"1}"

    server = Peer(always(ok()))
    async with server as url, httpx.AsyncClient(transport=LeanTransport(4)) as http:
        response = await http.post(url + "/x", content=chunks())
        assert response.content == BODY
    assert b"transfer-encoding: chunked" in server.heads[0].lower()


async def test_lean_transport_false_uses_httpx_pools():
    async with Peer(always(ok())) as url, client(url, lean_transport=False) as c:
        assert await c.request_raw("GET", "/contacts") == BODY
        assert not isinstance(c._transport, LeanTransport)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a local certificate")
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_tls_with_a_trusted_certificate_keeps_its_connection_alive(certificate):
    cert, key = certificate
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    peer = Peer(always(ok()))
    peer_server = await asyncio.start_server(peer._serve, "127.0.0.1", 0, ssl=served)
    url = f"https://localhost:{peer_server.sockets[0].getsockname()[1]}"
    try:
        async with httpx.AsyncClient(transport=LeanTransport(4, ssl_context=trusting)) as http:
            for _ in range(3):
                assert (await http.get(url + "/contacts")).content == BODY
    finally:
        peer_server.close()
    assert peer.connections == 1


async def test_tls_with_an_untrusted_certificate_is_a_named_error(certificate):
    cert, key = certificate
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    peer = Peer(always(ok()))
    peer_server = await asyncio.start_server(peer._serve, "127.0.0.1", 0, ssl=served)
    url = f"https://localhost:{peer_server.sockets[0].getsockname()[1]}"
    try:
        async with client(url, max_retries=0) as c:
            with pytest.raises(ik.errors.TransportError, match="CERTIFICATE_VERIFY_FAILED"):
                await c.request_raw("GET", "/contacts")
    finally:
        peer_server.close()
    assert peer.requests == 0


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


async def test_a_large_download_arrives_in_bounded_pieces():
    big = bytes(range(256)) * (3 * 4096 + 7)  # ~3 MB: several of the transport's 1 MiB pieces
    pieces: list[bytes] = []
    server = Peer(always(ok(big, b"Content-Type: application/octet-stream")))
    async with server as url, client(url) as c:
        assert await c.download("/download/x", pieces.append) == len(big)
        assert await c.request_raw("GET", "/contacts") == big  # the connection is reused after a whole body
    assert b"".join(pieces) == big and max(map(len, pieces)) <= 1 << 20 and len(pieces) >= 3
    assert server.connections == 1


class _Through(httpx.AsyncBaseTransport):
    """A transport the client does not know: its requests take httpx's Request/Response path through it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _calls(c: ik.AsyncClient) -> None:
    await c.request("GET", "/contacts", params={"per_page": 5, "starting_after": "a b/é"})
    await c.request("POST", "/contacts/search", json={"query": {"field": "name", "value": "Zoë"}})
    await c.request("POST", "/contacts/merge")
    await c.request("DELETE", "/contacts/1")
    await c.request_raw("PUT", "/contacts/1", json={"name": None, "n": [1, 2.5, True]})


async def test_the_lean_transport_sends_the_bytes_httpx_would_send():
    # The lean transport writes each request's head itself (from the httpx.Request); httpx's own path is the reference.
    sent: list[list[bytes]] = []
    for transport in (None, _Through(LeanTransport(4))):
        server = Peer(always(ok()))
        async with server as url, client(url, transport=transport) as c:
            await _calls(c)
            assert (c._transport is transport) == (transport is not None)
        port = url.rsplit(":", 1)[1].encode()
        sent.append(
            [h.replace(b":" + port, b":PORT") + b for h, b in zip(server.heads, server.bodies, strict=True)]
        )
    assert sent[0] == sent[1] and len(sent[0]) == 5


async def test_bodies_of_every_size_one_after_another_arrive_whole():
    # Receive buffers are lent from one body to the next: no byte of an earlier, longer body may show through.
    bodies = [BODY, b'{"a":1}', BODY[::-1], b"", BODY[: len(BODY) // 2], bytes(range(256)) * 5000]

    async def answer(reader, writer, n):
        writer.write(ok(bodies[n % len(bodies)]))
        return True

    async with Peer(answer) as url, client(url, max_connections=2) as c:
        got = [await c.request_raw("GET", "/x") for _ in bodies]
        got += await asyncio.gather(*(c.request_raw("GET", "/x") for _ in range(len(bodies) * 2)))
    assert got[: len(bodies)] == bodies
    assert sorted(got[len(bodies) :]) == sorted(bodies * 2)


async def test_a_failed_request_is_httpx_error_with_its_request():
    async with client(await _refusing_url(), max_retries=0) as c:
        with pytest.raises(ik.errors.TransportError) as info:
            await c.request_raw("POST", "/contacts/search", json={"query": {}})
    cause = info.value.__cause__
    assert isinstance(cause, httpx.ConnectError)
    assert cause.request.method == "POST" and cause.request.url.path == "/contacts/search"


def test_receive_buffers_are_kept_within_their_bounds():
    buffers = Buffers(keep=3 << 20, largest=1 << 20)
    first = buffers.take(333_259)
    assert len(first) >= 333_259
    buffers.give(first)
    assert buffers.take(300_000) is first  # the kept one serves a body that fits
    held = [buffers.take(900_000) for _ in range(5)]
    for buffer in held:
        buffers.give(buffer)
    assert sum(map(len, buffers._free)) <= 3 << 20
    huge = buffers.take(5 << 20)
    assert len(huge) == 5 << 20
    buffers.give(huge)
    assert all(b is not huge for b in buffers._free)
