"""``ShardedTransport``: many small httpx connection pools behind one transport.

httpcore's pool re-examines every one of its connections each time a request starts or a response closes; for each
idle connection that means two system calls (``getpeername`` and a readability ``poll``) and a scan of the whole
pool (encode/httpcore#928, encode/httpx#3215). With the 32 requests an export keeps in flight this became a fifth of
the exporting process's CPU time. Splitting the same connection budget over pools of a few connections each keeps
every scan short; requests go to the first pool with room, so requests one after another reuse one warm connection.
Pools are made when first needed and share the process's one SSL context: building one costs ~40 ms of CPU
(0.1–0.3 s on a busy host), and a fleet worker makes a client per workspace.
"""

from __future__ import annotations

import functools
import math
import ssl
from collections.abc import AsyncIterator

import httpx

__all__ = ["ShardedTransport"]

SHARD_SIZE = 4


class ShardedTransport(httpx.AsyncBaseTransport):
    """``max_connections`` connections in pools of ``shard_size``; each pool is an ``httpx.AsyncHTTPTransport``."""

    def __init__(self, max_connections: int = 100, *, shard_size: int = SHARD_SIZE) -> None:
        if max_connections < 1 or shard_size < 1:
            raise ValueError("max_connections and shard_size must be at least 1")
        count = math.ceil(max_connections / shard_size)
        self._sizes = [shard_size] * (count - 1) + [max_connections - shard_size * (count - 1)]
        self._shards: list[httpx.AsyncHTTPTransport | None] = [None] * count
        self._busy = [0] * count

    def _shard(self, i: int) -> httpx.AsyncHTTPTransport:
        shard = self._shards[i]
        if shard is None:
            n = self._sizes[i]
            shard = httpx.AsyncHTTPTransport(
                verify=_ssl_context(),
                trust_env=False,
                limits=httpx.Limits(max_connections=n, max_keepalive_connections=n),
            )
            self._shards[i] = shard
        return shard

    def _pick(self) -> int:
        # The first pool with room, in order: a lone request keeps reusing pool 0's warm connection, and a burst
        # spreads over as few pools as it needs. When all are full, the least busy pool queues it.
        busy, sizes = self._busy, self._sizes
        for i, n in enumerate(busy):
            if n < sizes[i]:
                return i
        return min(range(len(busy)), key=lambda i: busy[i] - sizes[i])

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        i = self._pick()
        self._busy[i] += 1
        try:
            response = await self._shard(i).handle_async_request(request)
        except BaseException:
            self._busy[i] -= 1
            raise
        response.stream = _Released(response.stream, self, i)
        return response

    def _release(self, i: int) -> None:
        self._busy[i] -= 1

    async def aclose(self) -> None:
        for shard in self._shards:
            if shard is not None:
                await shard.aclose()


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """As httpx.AsyncClient(trust_env=False) makes it (certifi's CAs, no SSL_CERT_FILE), once per process: a context
    is only read after it is built, so every client, thread and event loop may share it."""
    return httpx.create_ssl_context(trust_env=False)


class _Released(httpx.AsyncByteStream):
    """The response body; closing it gives its pool's slot back (once)."""

    def __init__(self, stream: httpx.AsyncByteStream, owner: ShardedTransport, index: int) -> None:
        self._stream = stream
        self._owner: ShardedTransport | None = owner
        self._index = index

    def __aiter__(self) -> AsyncIterator[bytes]:
        # The pool's own iterator, not a generator around it: one layer less for every chunk of every body.
        return self._stream.__aiter__()

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            owner, self._owner = self._owner, None
            if owner is not None:
                owner._release(self._index)
