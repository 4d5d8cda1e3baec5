"""Bulk export against the in-process sandbox: exactly-once under faults, resume, completeness, formats."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import httpx
import pyarrow.parquet as pq
import pytest
from export_helpers import sandbox_client as _client
from fake_clock import FakeClock

import intercomkit
from intercomkit._frames import CONTACT_COLUMNS, read_contacts_csv
from intercomkit.errors import ExportIncomplete, ServerError
from intercomkit.export import ExportResult
from intercomkit.sandbox import Faults, RateLimitConfig, Sandbox

pytestmark = pytest.mark.anyio


def _csv_ids(path) -> list[str]:
    return read_contacts_csv(path)["id"].tolist()


class Edit(httpx.AsyncBaseTransport):
    """Delegates to the sandbox and lets a test rewrite search answers or act between requests."""

    def __init__(self, inner: httpx.AsyncBaseTransport, edit=None, before=None) -> None:
        self.inner, self.edit, self.before, self.searches = inner, edit, before, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/contacts/search"):
            self.searches += 1
            if self.before is not None:
                await self.before(self, request)
        response = await self.inner.handle_async_request(request)
        if (
            self.edit is None
            or not request.url.path.endswith("/contacts/search")
            or response.status_code != 200
        ):
            return response
        await response.aread()
        body = self.edit(self, json.loads(request.content), json.loads(response.content))
        return httpx.Response(200, headers=response.headers, content=json.dumps(body).encode())


async def test_csv_export_round_trips_with_the_frames_schema(tmp_path):
    sb = Sandbox(contacts=1200, seed=3)
    out = tmp_path / "contacts.csv"
    async with _client(sb) as client:
        result = await client.export.contacts(out, progress=False)
    assert isinstance(result, ExportResult)
    assert result.complete and result.rows == 1200 and result.expected == 1200
    frame = read_contacts_csv(out)
    assert sorted(frame["id"]) == sorted(sb.contact_ids())
    for name, dtype in CONTACT_COLUMNS.items():
        assert str(frame[name].dtype) == dtype, name
    assert any(c.startswith("custom.") for c in frame.columns)
    assert not os.path.exists(f"{out}.partial")
    assert json.loads((tmp_path / "contacts.csv.export.json").read_text())["rows"] == 1200


async def test_parquet_and_csv_gz_read_back(tmp_path):
    sb = Sandbox(contacts=700, seed=1)
    async with _client(sb) as client:
        await client.export.contacts(tmp_path / "c.parquet", progress=False)
        await client.export.contacts(
            tmp_path / "c.csv.gz", progress=False, fields=["id", "email", "created_at"]
        )
    table = pq.read_table(tmp_path / "c.parquet")
    assert table.num_rows == 700 and len(set(table.column("id").to_pylist())) == 700
    assert str(table.schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    frame = read_contacts_csv(tmp_path / "c.csv.gz")
    assert list(frame.columns) == ["id", "email", "created_at"] and len(frame) == 700
    duckdb = pytest.importorskip("duckdb")
    assert duckdb.sql(f"select count(distinct id) from '{tmp_path / 'c.parquet'}'").fetchall() == [(700,)]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_exactly_once_under_injected_faults(tmp_path, seed):
    faults = Faults(rate=0.08, seed=seed, drop_after_effect=True)
    sb = Sandbox(contacts=5000, seed=seed, faults=faults)
    out = tmp_path / "contacts.parquet"
    async with _client(sb) as client:
        result = await client.export.contacts(out, progress=False)
    ids = pq.read_table(out, columns=["id"]).column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 5000
    assert set(ids) == set(sb.contact_ids())
    assert result.complete and result.retries > 0


async def test_a_failed_run_resumes_from_committed_windows(tmp_path):
    sb = Sandbox(contacts=6000, seed=4)
    out = tmp_path / "contacts.csv"

    async def fail_late(t, request):
        if t.searches > 25:
            raise httpx.ConnectError("network gone")

    async with _client(sb, Edit(sb.transport(), before=fail_late), max_retries=1) as client:
        with pytest.raises(intercomkit.errors.TransportError):
            await client.export.contacts(out, progress=False, concurrency=1)
    manifest = json.loads((tmp_path / "contacts.csv.partial" / "manifest.json").read_text())
    assert manifest["windows"] and not out.exists()
    async with _client(sb) as client:
        result = await client.export.contacts(out, progress=False)
    assert result.resumed_windows == len(manifest["windows"]) and result.complete
    ids = _csv_ids(out)
    assert len(ids) == len(set(ids)) and set(ids) == set(sb.contact_ids())


async def test_resume_refuses_a_checkpoint_of_another_export(tmp_path):
    sb = Sandbox(contacts=400)
    out = tmp_path / "c.csv"
    partial = tmp_path / "c.csv.partial"
    partial.mkdir()
    (partial / "manifest.json").write_text(
        json.dumps({"version": 1, "signature": {"kind": "x"}, "windows": {}})
    )
    async with _client(sb) as client:
        with pytest.raises(intercomkit.errors.ConfigurationError):
            await client.export.contacts(out, progress=False)
        result = await client.export.contacts(out, progress=False, resume=False)
    assert result.rows == 400


async def test_a_short_window_is_reported_as_a_gap(tmp_path):
    sb = Sandbox(contacts=1500, seed=5)

    def lose_one(t, request, body):
        if (
            body["data"]
            and not request["pagination"].get("starting_after")
            and request["pagination"]["per_page"] > 1
        ):
            body["data"] = body["data"][1:]  # the first contact of every window silently disappears
        return body

    out = tmp_path / "c.csv"
    async with _client(sb, Edit(sb.transport(), edit=lose_one)) as client:
        with pytest.raises(ExportIncomplete) as caught:
            await client.export.contacts(out, progress=False)
        result = caught.value.result
        assert result.missing > 0 and result.gaps and not result.complete
        assert out.exists() and result.rows == 1500 - result.missing
        allowed = await client.export.contacts(tmp_path / "d.csv", progress=False, allow_gaps=True)
    assert allowed.missing == result.missing


async def test_contacts_deleted_during_the_run_are_counted_not_fatal(tmp_path):
    sb = Sandbox(contacts=4000, seed=6)
    victims = sb.contact_ids()[::97]
    auth = {"Authorization": f"Bearer {sb.token}", "Accept": "application/json"}

    async def delete_some(t, request):
        if t.searches == 6:
            for cid in victims:
                await t.inner.handle_async_request(
                    httpx.Request("DELETE", f"{sb.base_url}/contacts/{cid}", headers=auth)
                )

    out = tmp_path / "c.csv"
    async with _client(sb, Edit(sb.transport(), before=delete_some)) as client:
        result = await client.export.contacts(out, progress=False, concurrency=2)
    ids = _csv_ids(out)
    assert len(ids) == len(set(ids))
    assert set(sb.contact_ids()) <= set(ids)  # every live contact; some deleted ones were exported before
    assert result.complete
    assert result.vanished == len(victims)  # deleted while the run went on: counted, not a gap
    assert set(ids) - set(sb.contact_ids()) <= set(victims)


async def test_updated_since_and_since_last_merge(tmp_path):
    sb = Sandbox(contacts=1500, seed=7)
    cut = datetime(2025, 6, 1, tzinfo=UTC)
    out = tmp_path / "c.csv"
    async with _client(sb) as client:
        delta = await client.export.contacts(tmp_path / "delta.csv", progress=False, updated_since=cut)
        wanted = {c for c in sb.contact_ids() if sb.get_contact(c)["updated_at"] >= cut.timestamp()}
        assert set(_csv_ids(tmp_path / "delta.csv")) == wanted and delta.rows == len(wanted)

        full = await client.export.contacts(out, progress=False)
        assert full.rows == 1500
        some = sb.contact_ids()[10]
        await client.contacts.update(some, name="Changed Name")
        created = await client.contacts.create(email="new.person@example.com")
        result = await client.export.contacts(out, progress=False, since_last=True)
    frame = read_contacts_csv(out)
    assert len(frame) == 1501 and frame["id"].is_unique
    assert frame.set_index("id").loc[some, "name"] == "Changed Name"
    assert created.id in set(frame["id"])
    assert result.updated_since == int(full.started_at) - 3600  # the default search-lag margin


async def test_companies_export(tmp_path):
    sb = Sandbox(contacts=10, companies=230, seed=2)
    async with _client(sb) as client:
        result = await client.export.companies(tmp_path / "co.parquet", progress=False)
        with_users = (await client.companies.list().first_page()).total_count
    table = pq.read_table(tmp_path / "co.parquet")
    assert result.complete and table.num_rows == 230
    assert set(table.column("id").to_pylist()) == set(sb.company_ids())
    # the list "does not include companies who have no associated users": its count is a floor, not the total
    assert result.expected == with_users < 230


class _BusyWorkspace(httpx.AsyncBaseTransport):
    """Companies' users are active while the export runs: each request moves one company to the list's front."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb, self.inner, self.n = sb, sb.transport(), 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        ids = self.sb.company_ids()
        self.n += 1
        self.sb.company_activity(ids[(self.n * 37) % len(ids)], at=2_000_000_000 + self.n)
        return await self.inner.handle_async_request(request)


async def test_companies_export_on_a_busy_workspace_is_complete(tmp_path):
    # "The company list is sorted by the `last_request_at` field": a walk of the list would repeat and miss
    # companies here; the scroll does not move.
    sb = Sandbox(contacts=2000, companies=200, seed=4)
    async with _client(sb, _BusyWorkspace(sb)) as client:
        result = await client.export.companies(tmp_path / "co.parquet", progress=False)
    ids = pq.read_table(tmp_path / "co.parquet").column("id").to_pylist()
    assert result.complete and not result.gaps and len(ids) == len(set(ids)) == 200
    assert set(ids) == set(sb.company_ids())


async def test_bad_options_are_named_errors(tmp_path):
    sb = Sandbox(contacts=10)
    async with _client(sb) as client:
        with pytest.raises(intercomkit.errors.ConfigurationError):
            await client.export.contacts(tmp_path / "c.xlsx")
        with pytest.raises(intercomkit.errors.ConfigurationError):
            await client.export.contacts(tmp_path / "c.csv", fields=["nope"])
        with pytest.raises(ValueError):
            await client.export.contacts(tmp_path / "c.csv", concurrency=0, progress=False)


async def test_rate_limited_run_waits_for_the_reset_and_finishes(tmp_path):
    clock = FakeClock(1_790_000_000.0)
    sb = Sandbox(
        contacts=3000,
        seed=8,
        rate_limit=RateLimitConfig(limit=5, window=10.0),
        faults=Faults(rate=0.1, seed=3, kinds=("429burst",)),
        clock=clock,
    )
    client = intercomkit.AsyncClient(
        token=sb.token, base_url=sb.base_url, transport=sb.transport(), clock=clock, sleep=clock.sleep
    )
    async with client:
        result = await client.export.contacts(tmp_path / "c.csv", progress=False)
    assert result.complete and result.rate_limited > 0
    # 5 requests per 10 s: the run took (fake) time for its windows, and 429s stayed the exception.
    assert sum(clock.slept) >= 10 * (result.requests // 5 - 1)
    assert result.rate_limited < result.requests // 2
    ids = _csv_ids(tmp_path / "c.csv")
    assert len(ids) == len(set(ids)) == 3000


def test_server_errors_are_retryable_by_the_window():
    assert issubclass(ServerError, intercomkit.errors.APIError)


async def test_a_contact_unarchived_during_the_run_is_left_for_since_last_not_a_gap(tmp_path):
    """Archived contacts are not in search; one that returns mid-run (Intercom unarchives returning users) after
    its window was walked raises Intercom's count for those days: that is not a gap."""
    sb = Sandbox(contacts=4000, seed=11)
    returning = sb.contact_ids()[40]  # inside the first window, not before it
    first_day = sb.get_contact(returning)["created_at"] // 86400
    auth = {"Authorization": f"Bearer {sb.token}", "Accept": "application/json"}
    async with _client(sb) as client:
        await client.contacts.archive(returning)

        async def unarchive_later(t, request):
            lower = [f["value"] for f in json.loads(request.content)["query"].get("value", [])
                     if f.get("field") == "created_at" and f.get("operator") == ">"]  # fmt: skip
            if lower and lower[0] // 86400 > first_day + 1 and returning in sb.archived_contact_ids():
                await t.inner.handle_async_request(
                    httpx.Request("POST", f"{sb.base_url}/contacts/{returning}/unarchive", headers=auth)
                )

        out = tmp_path / "c.csv"
        edit = Edit(sb.transport(), before=unarchive_later)
        async with _client(sb, edit) as walking:
            result = await walking.export.contacts(out, progress=False, concurrency=1)
        assert returning not in sb.archived_contact_ids(), "the run never moved past the first window"
        assert result.complete and result.created_during_run == 1
        assert returning not in set(_csv_ids(out))
        again = await client.export.contacts(out, progress=False, since_last=True)
    assert again.complete and returning in set(_csv_ids(out))
