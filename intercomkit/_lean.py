"""``LeanTransport``: the client's default transport, HTTP/1.1 keep-alive straight on asyncio.

Why: a 333 KB search page cost 3.5–4.3 ms of CPU through httpx's own transport (httpcore's pool and its 64 KB reads,
h11's receive buffer, anyio's stream and a cancel scope per read); here ~1.5 ms, a bare asyncio client ~0.7 ms.
httpx stays the client: this is an ``httpx.AsyncBaseTransport`` returning a streaming ``httpx.Response``, so httpx
still decodes gzip and every caller sees httpx's errors (``ConnectError``, ``ReadTimeout``, ``RemoteProtocolError``).

It serves a request only where it is safe: on asyncio, for ``http``/``https`` URLs, with a body already in memory.
Anything else (trio, a streaming upload) goes to ``fallback``, the ``ShardedTransport`` it replaces. The client
uses it only when no ``transport=`` is given and ``lean_transport`` is left on; there is no proxy or HTTP/2 to
honour (the client builds httpx with ``trust_env=False`` and HTTP/1.1 only).

The message syntax lives in ``_protocol.http11`` and a connection's bytes in ``_wire.Wire``; this module does the
rest: connections kept per origin (LIFO, so requests one after another reuse one warm connection), at most
``max_connections`` requests at once, httpx's timeouts (connect, write, pool, and read: no byte for that long), an
idle connection dropped after 5 s (httpx's keep-alive expiry) or when its peer has closed it, and a connection
whose answer was not read to its end, or that saw an error or a cancellation, closed rather than reused.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import TypeVar

import httpx

from ._pool import ShardedTransport, _ssl_context
from ._protocol.http11 import (
    MAX_HEAD,
    Framing,
    Head,
    MessageError,
    chunk_size,
    framing,
    parse_head,
    request_head,
)
from ._wire import Buffers, PeerClosed, Wire

__all__ = ["LeanTransport"]

T = TypeVar("T")

KEEPALIVE_EXPIRY = 5.0  # s, httpx's default
# Largest piece of a body read at once: a search page (~333 KB) arrives in one or a few, a download in bounded pieces.
READ_SIZE = 1 << 20
_PORTS = {b"http": 80, b"https": 443}


class LeanTransport(httpx.AsyncBaseTransport):
    """``ssl_context``: the process's one context by default (certifi's CAs, as ``ShardedTransport`` uses)."""

    def __init__(
        self,
        max_connections: int = 100,
        *,
        fallback: httpx.AsyncBaseTransport | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._max = max_connections
        self._ssl = ssl_context
        self.fallback = fallback or ShardedTransport(max_connections)
        self._idle: dict[tuple[bytes, bytes, int], list[Wire]] = {}
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._buffers = Buffers()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            loop = asyncio.get_running_loop()
            body = request.content
        except (RuntimeError, httpx.RequestNotRead):  # not asyncio (trio), or a streaming upload
            return await self.fallback.handle_async_request(request)
        url = request.url
        if url.raw_scheme not in _PORTS or self._loop not in (None, loop):
            return await self.fallback.handle_async_request(request)
        try:
            head = request_head(request.method.encode("ascii"), url.raw_path, request.headers.raw)
        except MessageError as exc:
            raise httpx.LocalProtocolError(str(exc), request=request) from None
        method = request.method.encode("ascii")
        timeout = request.extensions.get("timeout", {})
        parsed, stream = await self._open(loop, url, method, head + body if body else head, timeout, request)
        return httpx.Response(
            parsed.status,
            headers=parsed.headers,
            stream=stream,
            extensions={"http_version": parsed.http_version, "reason_phrase": parsed.reason},
        )

    async def _open(
        self,
        loop: asyncio.AbstractEventLoop,
        url: httpx.URL,
        method: bytes,
        data: bytes,
        timeout: Mapping[str, float | None],
        request: httpx.Request,
    ) -> tuple[Head, _Body]:
        """Send ``data`` (a request's head and body) on a connection to ``url``'s origin and read the answer's head;
        its body is the returned stream's, which holds the connection and the slot until closed."""
        if self._closed:
            raise RuntimeError("Cannot send a request, as the transport has been closed.")
        if self._slots is None:
            self._loop, self._slots = loop, asyncio.Semaphore(self._max)
        await _acquire(self._slots, timeout.get("pool"), request)
        try:
            scheme = url.raw_scheme
            origin = (scheme, url.raw_host, url.port or _PORTS[scheme])
            conn = self._reuse(origin, loop.time())
            if conn is None:
                conn = await _connect(origin, self._ssl, self._buffers, timeout.get("connect"), request)
            try:
                await _io(_send(conn, data, timeout.get("write")), request, write=True)
                parsed, frame = await _read_head(conn, method, timeout.get("read"), request)
            except BaseException:
                conn.close()
                raise
        except BaseException:
            self._slots.release()
            raise
        return parsed, _Body(self, origin, conn, frame, timeout.get("read"), request)

    def _reuse(self, origin: tuple[bytes, bytes, int], now: float) -> Wire | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            # A peer that closed an idle connection has been seen by the event loop (EOF); one idle past httpx's
            # expiry may be closed by the server as we write (uvicorn and many proxies use 5 s).
            if not conn.reusable or now - conn.idle_since > KEEPALIVE_EXPIRY:
                conn.close()
                continue
            return conn
        return None

    def _done(self, origin: tuple[bytes, bytes, int], conn: Wire | None) -> None:
        """A response finished: its connection back to the idle list (``None``: it was closed), its slot free."""
        if conn is not None:
            if self._closed or self._loop is None:
                conn.close()
            else:
                conn.idle_since = self._loop.time()
                self._idle.setdefault(origin, []).append(conn)
        if self._slots is not None:
            self._slots.release()

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
        await self.fallback.aclose()


class _Body(httpx.AsyncByteStream):
    """A response body read from its connection as the caller iterates; closing it settles the connection once."""

    def __init__(
        self,
        owner: LeanTransport,
        origin: tuple[bytes, bytes, int],
        conn: Wire,
        frame: Framing,
        read_timeout: float | None,
        request: httpx.Request,
    ) -> None:
        self._owner: LeanTransport | None = owner
        self._origin, self._conn, self._frame = origin, conn, frame
        self._timeout, self._request = read_timeout, request
        self._complete = frame.empty

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._complete:
            return
        frame, conn, timeout, request = self._frame, self._conn, self._timeout, self._request
        if frame.chunked:
            async for piece in self._chunks():
                yield piece
        elif frame.length is not None:
            remaining = frame.length
            while remaining:
                piece = await _io(conn.read_exactly(min(remaining, READ_SIZE), timeout), request)
                remaining -= len(piece)
                yield piece
        else:
            while piece := await _io(conn.read_some(READ_SIZE, timeout), request):
                yield piece
        self._complete = True

    async def _chunks(self) -> AsyncIterator[bytes]:
        conn, timeout, request = self._conn, self._timeout, self._request
        while True:
            try:
                size = chunk_size(await _io(conn.read_until(b"\r\n", MAX_HEAD, timeout), request))
            except MessageError as exc:
                raise httpx.RemoteProtocolError(str(exc), request=request) from None
            if size == 0:
                while await _io(conn.read_until(b"\r\n", MAX_HEAD, timeout), request) != b"\r\n":
                    pass  # trailer fields, not used
                return
            while size:
                piece = await _io(conn.read_exactly(min(size, READ_SIZE), timeout), request)
                size -= len(piece)
                yield piece
            if await _io(conn.read_exactly(2, timeout), request) != b"\r\n":
                raise httpx.RemoteProtocolError("chunk not followed by CRLF", request=request)

    async def aclose(self) -> None:
        owner, self._owner = self._owner, None
        if owner is None:
            return
        conn: Wire | None = self._conn
        if not (self._complete and self._frame.keep_alive):
            self._conn.close()
            conn = None
        owner._done(self._origin, conn)


async def _acquire(slots: asyncio.Semaphore, timeout: float | None, request: httpx.Request) -> None:
    if not slots.locked():
        await slots.acquire()
        return
    try:
        async with asyncio.timeout(timeout):
            await slots.acquire()
    except TimeoutError:
        raise httpx.PoolTimeout("timed out waiting for a connection", request=request) from None


async def _connect(
    origin: tuple[bytes, bytes, int],
    context: ssl.SSLContext | None,
    buffers: Buffers,
    timeout: float | None,
    request: httpx.Request,
) -> Wire:
    scheme, host, port = origin
    name = host.decode("ascii")
    tls = (context or _ssl_context()) if scheme == b"https" else None
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            _, wire = await loop.create_connection(
                lambda: Wire(READ_SIZE, buffers), name, port, ssl=tls, server_hostname=name if tls else None
            )
    except TimeoutError:
        raise httpx.ConnectTimeout(f"connecting to {name}:{port} timed out", request=request) from None
    except OSError as exc:  # refused, unreachable, DNS, and TLS failures (ssl.SSLError is an OSError)
        raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
    return wire


async def _send(conn: Wire, data: bytes, timeout: float | None) -> None:
    conn.write(data)
    await conn.drain(timeout)


async def _read_head(
    conn: Wire, method: bytes, timeout: float | None, request: httpx.Request
) -> tuple[Head, Framing]:
    while True:
        try:
            head = parse_head(await _io(conn.read_until(b"\r\n\r\n", MAX_HEAD, timeout), request, head=True))
            if head.status == 101:
                raise MessageError("unexpected protocol switch (101)")
            frame = framing(head, method)
        except MessageError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from None
        if head.status >= 200:
            return head, frame
        # 1xx informational answers come before the final one; none has a body.


async def _io(
    awaitable: Awaitable[T], request: httpx.Request, *, write: bool = False, head: bool = False
) -> T:
    """Await one read or write of a ``Wire``, with its errors as httpx's (h11's messages where it has one)."""
    try:
        return await awaitable
    except TimeoutError:
        raise (httpx.WriteTimeout if write else httpx.ReadTimeout)("timed out", request=request) from None
    except PeerClosed as exc:
        message = (
            "Server disconnected without sending a response."
            if head and not exc.got
            else "peer closed connection without sending complete message body"
        )
        raise httpx.RemoteProtocolError(message, request=request) from None
    except ValueError as exc:  # a head or chunk line past MAX_HEAD
        raise httpx.RemoteProtocolError(str(exc), request=request) from None
    except OSError as exc:
        raise (httpx.WriteError if write else httpx.ReadError)(
            str(exc) or type(exc).__name__, request=request
        ) from exc
