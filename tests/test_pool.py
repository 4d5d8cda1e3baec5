"""The client's default transport: small connection pools behind one transport, over a real socket."""

from __future__ import annotations

import socket

import anyio
import httpx
import pytest

import intercomkit as ik
from intercomkit._pool import ShardedTransport
from intercomkit.sandbox import Sandbox, serve_in_thread

pytest.importorskip("uvicorn")


@pytest.fixture(scope="module")
def served():
    sb = Sandbox(contacts=40, latency=0.02)
    url, stop = serve_in_thread(sb)
    try:
        yield sb, url
    finally:
        stop()


def _connections(transport: ShardedTransport) -> list[int]:
    return [len(shard._pool.connections) if shard else 0 for shard in transport._shards]


def test_sizes_split_the_budget():
    t = ShardedTransport(10, shard_size=4)
    assert t._sizes == [4, 4, 2]
    assert ShardedTransport(1)._sizes == [1]
    with pytest.raises(ValueError):
        ShardedTransport(0)


def test_sequential_requests_reuse_one_connection(served):
    sb, url = served
    transport = ShardedTransport(100)

    async def main():
        async with ik.AsyncClient(token=sb.token, base_url=url, transport=transport) as client:
            for _ in range(5):
                await client.contacts.list(per_page=5).first_page()
            return _connections(transport)

    counts = anyio.run(main)
    assert counts[0] == 1 and sum(counts) == 1  # one warm connection in the first pool served all five
    assert transport._busy == [0] * len(transport._busy)


def test_concurrent_requests_stay_within_the_connection_budget(served):
    sb, url = served
    transport = ShardedTransport(6, shard_size=4)
    peak: list[int] = []

    async def main():
        async with ik.AsyncClient(token=sb.token, base_url=url, transport=transport) as client:

            async def one():
                await client.contacts.list(per_page=5).first_page()
                peak.append(sum(_connections(transport)))

            async with anyio.create_task_group() as tg:
                for _ in range(20):
                    tg.start_soon(one)
            counts = _connections(transport)
        return counts

    counts = anyio.run(main)
    assert counts[0] <= 4 and counts[1] <= 2
    assert transport._shards[0]._pool._ssl_context is transport._shards[1]._pool._ssl_context
    # One SSL context per process, not per client: a fleet worker makes a client for every workspace.
    other = ShardedTransport(4)
    assert other._shard(0)._pool._ssl_context is transport._shards[0]._pool._ssl_context
    assert max(peak) <= 6
    assert transport._busy == [0, 0]


def test_a_failed_request_gives_its_slot_back():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    transport = ShardedTransport(4)

    async def main():
        async with httpx.AsyncClient(transport=transport) as http:
            with pytest.raises(httpx.ConnectError):
                await http.get(f"http://127.0.0.1:{port}/")

    anyio.run(main)
    assert transport._busy == [0]


def test_the_client_falls_back_to_it():
    # The lean transport's fallback (trio, streaming uploads), and the whole transport with lean_transport=False.
    lean = ik.AsyncClient(token="t", max_connections=8)._http._transport
    assert isinstance(lean.fallback, ShardedTransport) and sum(lean.fallback._sizes) == 8
    client = ik.AsyncClient(token="t", max_connections=8, lean_transport=False)
    assert isinstance(client._http._transport, ShardedTransport)
    assert sum(client._http._transport._sizes) == 8
    with pytest.raises(ValueError):
        ik.AsyncClient(token="t", max_connections=0)
