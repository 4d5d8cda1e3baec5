"""Issue 17 §3: what a resumed, incremental or interrupted export says it did."""

from __future__ import annotations

import logging

import anyio
import httpx
import pytest

import intercomkit
from intercomkit.errors import ConfigurationError
from intercomkit.export import ExportResult
from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio


def _client(sb: Sandbox, transport=None) -> intercomkit.AsyncClient:
    return intercomkit.AsyncClient(
        token=sb.token, base_url=sb.base_url, transport=transport or sb.transport()
    )


class CancelLate(httpx.AsyncBaseTransport):
    """Cancels ``scope`` (a notebook cell interrupted) after ``after`` searches."""

    def __init__(self, inner, scope, after: int) -> None:
        self.inner, self.scope, self.after, self.searches = inner, scope, after, 0

    async def handle_async_request(self, request):
        if request.url.path.endswith("/contacts/search"):
            self.searches += 1
            if self.searches > self.after:
                self.scope.cancel()
                await anyio.sleep(0)
        return await self.inner.handle_async_request(request)


async def test_an_interrupted_export_says_what_was_kept_and_the_rerun_says_it_resumed(tmp_path, caplog):
    sb = Sandbox(contacts=6000, seed=4)
    out = tmp_path / "contacts.csv"
    with caplog.at_level(logging.WARNING, logger="intercomkit.export"):
        with anyio.CancelScope() as scope:
            async with _client(sb, CancelLate(sb.transport(), scope, after=25)) as client:
                await client.export.contacts(out, progress=False, concurrency=1)
    assert scope.cancelled_caught
    [record] = [r for r in caplog.records if r.name == "intercomkit.export"]
    message = record.getMessage()
    assert (
        "export interrupted" in message
        and "rows) is kept in" in message
        and "run the same export again" in message
    )
    async with _client(sb) as client:
        result = await client.export.contacts(out, progress=False)
    assert 0 < result.resumed_windows < result.windows and 0 < result.resumed_rows < 6000
    note = (
        f"resumed: {result.resumed_windows} of {result.windows} windows ({result.resumed_rows:,} rows) kept"
    )
    assert note in str(result) and result.rows == 6000


async def test_an_interrupt_before_any_window_leaves_no_checkpoint(tmp_path):
    sb = Sandbox(contacts=6000, seed=4)
    with anyio.CancelScope() as scope:
        async with _client(sb, CancelLate(sb.transport(), scope, after=0)) as client:
            await client.export.contacts(tmp_path / "c.csv", progress=False)
    assert list(tmp_path.iterdir()) == []


async def test_since_last_counts_added_and_updated_and_says_deletions_stay(tmp_path):
    sb = Sandbox(contacts=800, seed=3)
    out = tmp_path / "c.parquet"
    async with _client(sb) as client:
        full = await client.export.contacts(out, progress=False)
        assert full.added is None and "since last run" not in str(full)
        ids = sb.contact_ids()
        for cid in ids[:3]:
            await client.contacts.update(cid, name="Changed")
        await client.contacts.create(email="one@example.com")
        await client.contacts.create(email="two@example.com")
        await client.contacts.delete(ids[10])
        delta = await client.export.contacts(out, progress=False, since_last=True)
    assert (delta.added, delta.updated) == (2, 3)
    assert delta.rows == 802  # the deleted contact stays: Intercom lists no deleted contacts
    assert "2 added, 3 updated" in str(delta) and "deleted contacts are not removed" in str(delta)


def test_the_repr_is_readable():
    result = ExportResult(
        kind="contacts", path="c.csv", format="csv", rows=1234, elapsed=1.734912, requests=12, retries=0,
        started_at=1764620000.0, updated_since=1764000000, windows=8, resumed_windows=3, resumed_rows=450,
    )  # fmt: skip
    text = repr(result)
    assert "elapsed=1.7s" in text and "started_at=2025-12-01T20:13:20Z" in text
    assert "updated_since=2025-11-24T16:00:00Z" in text and "rows=1,234" in text
    assert "3 of 8 windows" in text and "1.734912" not in text and "1764620000" not in text


async def test_format_contradicting_the_suffix_is_refused(tmp_path):
    async with _client(Sandbox(contacts=5)) as client:
        with pytest.raises(ConfigurationError, match="contradicts"):
            await client.export.contacts(tmp_path / "c.csv", format="parquet")
        result = await client.export.contacts(tmp_path / "c.data", format="parquet", progress=False)
    assert result.format == "parquet"
    with open(tmp_path / "c.data", "rb") as fh:
        assert fh.read(4) == b"PAR1"


async def test_a_network_failure_names_the_host_and_leaves_no_checkpoint(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    client = intercomkit.AsyncClient(token="t0k", base_url=f"http://127.0.0.1:{port}", max_retries=0)
    async with client:
        with pytest.raises(intercomkit.errors.TransportError, match=f"on 127.0.0.1:{port} failed"):
            await client.export.contacts(tmp_path / "c.csv", progress=False)
    assert list(tmp_path.iterdir()) == []
