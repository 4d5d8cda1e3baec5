"""Incremental exports against a sandbox whose search lags behind changes, and reconciliation of what they miss.

Intercom, Search contacts: "it will not yet be available when searching … This delay can take a few minutes."
"""

from __future__ import annotations

import json
import tempfile
from datetime import timedelta
from pathlib import Path

import anyio
import httpx
import pytest
from fake_clock import FakeClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import intercomkit
from intercomkit._frames import read_contacts_csv
from intercomkit.errors import ConfigurationError
from intercomkit.export._overlap import describe_overlap, parse_overlap
from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio

T0 = 1_790_000_000.0
LAG = 5


def _setup(
    contacts: int = 300, seed: int = 0, lag: float = LAG
) -> tuple[Sandbox, FakeClock, intercomkit.AsyncClient]:
    clock = FakeClock(start=T0)  # one clock: the sandbox's lag and new records' times, the client's run start
    sb = Sandbox(contacts=contacts, seed=seed, clock=clock, sleep=clock.sleep, search_lag=lag)
    client = intercomkit.AsyncClient(
        token=sb.token, base_url=sb.base_url, transport=sb.transport(), clock=clock, sleep=clock.sleep
    )
    return sb, clock, client


def _rows(path: Path) -> dict[str, dict]:
    frame = read_contacts_csv(path)
    assert frame["id"].is_unique, "a contact twice in the file"
    return {r["id"]: r for r in frame.to_dict("records")}


async def test_an_update_inside_the_search_lag_reaches_the_next_incremental_run(tmp_path):
    sb, clock, client = _setup()
    out = tmp_path / "c.csv"
    cid = sb.contact_ids()[7]
    async with client:
        full = await client.export.contacts(out, progress=False)
        assert full.overlap == 3600 and "previous version" in str(full)
        clock.now += 10
        await client.contacts.update(cid, name="Updated Just Now")
        clock.now += 2  # two seconds later: search has not caught up
        first = await client.export.contacts(out, progress=False, since_last=True)
        assert _rows(out)[cid]["name"] != "Updated Just Now"
        clock.now += LAG  # past the lag
        second = await client.export.contacts(out, progress=False, since_last=True)
    rows = _rows(out)
    assert rows[cid]["name"] == "Updated Just Now" and len(rows) == 300
    assert first.updated_since == int(full.started_at) - 3600
    assert second.updated_since == int(first.started_at) - 3600
    state = json.loads((tmp_path / "c.csv.export.json").read_text())
    assert state["overlap"] == 3600 and state["high_water"] == state["started_at"] - 3600


async def test_without_a_margin_the_update_is_lost(tmp_path):
    """The hole the margin closes: with overlap=0 the update is below the next run's mark for good."""
    sb, clock, client = _setup(seed=1)
    out = tmp_path / "c.csv"
    cid = sb.contact_ids()[3]
    async with client:
        await client.export.contacts(out, progress=False, overlap=0)
        clock.now += 10
        await client.contacts.update(cid, name="Lost Without Overlap")
        clock.now += 2
        await client.export.contacts(out, progress=False, since_last=True, overlap=0)
        clock.now += 60
        await client.export.contacts(out, progress=False, since_last=True, overlap=0)
    assert _rows(out)[cid]["name"] != "Lost Without Overlap"


def test_overlap_accepts_durations_and_refuses_the_rest():
    assert [parse_overlap(v) for v in ("1h", "30m", "90s", "45", " 2H ", "1d", 0, 12.5)] == [
        3600, 1800, 90, 45, 7200, 86400, 0, 12,
    ]  # fmt: skip
    assert parse_overlap(timedelta(minutes=5)) == 300
    for bad in ("-1h", "1 week", "", None, True, -5, "400d", float("nan")):
        with pytest.raises(ConfigurationError):
            parse_overlap(bad)
    assert [describe_overlap(s) for s in (3600, 1800, 90, 86400, 0)] == ["1h", "30m", "90s", "1d", "0s"]


@given(st.sampled_from(["s", "m", "h"]), st.integers(min_value=0, max_value=300))
def test_overlap_round_trips_through_its_description(unit, n):
    seconds = parse_overlap(f"{n}{unit}")
    assert parse_overlap(describe_overlap(seconds)) == seconds


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("update"), st.integers(0, 11), st.integers(0, 8)),
        st.tuples(st.just("run"), st.integers(0, 8)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS)
def test_interleaved_updates_and_incremental_runs_never_lose_a_final_version(steps):
    """Whatever the order of updates and runs under a lag, the file ends with every contact's last version."""

    async def scenario(directory: str) -> None:
        sb, clock, client = _setup(contacts=12, seed=3)
        out = Path(directory) / "c.csv"
        ids = sb.contact_ids()
        async with client:
            await client.export.contacts(out, progress=False)
            for n, step in enumerate(steps):
                if step[0] == "update":
                    await client.contacts.update(ids[step[1]], name=f"v{n}")
                else:
                    await client.export.contacts(out, progress=False, since_last=True)
                clock.now += step[-1]
            clock.now += LAG + 1
            await client.export.contacts(out, progress=False, since_last=True)
        rows = _rows(out)
        assert set(rows) == set(ids)
        for cid in ids:
            assert rows[cid]["name"] == sb.get_contact(cid)["name"], cid

    with tempfile.TemporaryDirectory() as directory:
        anyio.run(scenario, directory)


# -- reconciliation ----------------------------------------------------------------------------------------------


async def test_reconcile_drops_deleted_merged_archived_rows_and_refreshes_tags(tmp_path):
    sb, clock, client = _setup(contacts=200, seed=4, lag=0)
    out = tmp_path / "c.csv"
    contacts = [sb.get_contact(c) for c in sb.contact_ids()]
    deleted = contacts[1]["id"]
    lead = next(c for c in contacts[2:] if c["role"] == "lead")["id"]
    user = next(c for c in contacts[2:] if c["role"] == "user")["id"]
    archived = next(c for c in contacts[2:] if c["id"] not in (lead, user))["id"]
    tagged = contacts[0]
    tag = next(t for t in sb._store.ws.tags if t["id"] not in {x["id"] for x in tagged["tags"]["data"]})
    async with client:
        await client.export.contacts(out, progress=False)
        clock.now += 60
        await client.contacts.delete(deleted)
        await client.contacts.archive(archived)
        body = {"from": lead, "into": user, "skip_duplicate_validation": True}
        await client.request("POST", "/contacts/merge", json=body)
        await client.request("POST", f"/contacts/{tagged['id']}/tags", json={"id": tag["id"]})
        clock.now += 60
        incremental = await client.export.contacts(out, progress=False, since_last=True)
        rows = _rows(out)
        # What an incremental run cannot see: the vanished rows stay, the new tag is missing.
        assert not incremental.reconciled and {deleted, lead, archived} <= set(rows)
        assert tag["id"] not in rows[tagged["id"]]["tags.ids"]
        clock.now += 60
        result = await client.export.contacts(out, progress=False, since_last=True, reconcile=True)
        rows = _rows(out)
        assert result.reconciled and result.complete
        assert result.removed == 3 and result.refreshed == 1
        assert "reconciled: 3 removed, 1 refreshed" in str(result)
        assert set(rows) == set(sb.contact_ids()) - {archived}
        assert tag["id"] in rows[tagged["id"]]["tags.ids"]
        # The archived contact comes back (Intercom unarchives returning users): the next run picks it up.
        clock.now += 60
        await client.contacts.unarchive(archived)
        clock.now += 60
        back = await client.export.contacts(out, progress=False, since_last=True)
    assert back.complete and not back.gaps and archived in _rows(out)
    assert set(_rows(out)) == set(sb.contact_ids())


async def test_every_tenth_incremental_run_reconciles(tmp_path):
    sb, clock, client = _setup(contacts=40, seed=5, lag=0)
    out = tmp_path / "c.parquet"
    state = tmp_path / "c.parquet.export.json"
    async with client:
        await client.export.contacts(out, progress=False)
        gone = sb.contact_ids()[0]
        await client.contacts.delete(gone)
        seen = []
        for _ in range(10):
            clock.now += 30
            result = await client.export.contacts(out, progress=False, since_last=True)
            seen.append((result.reconciled, json.loads(state.read_text())["incremental_runs"]))
        assert seen[:9] == [(False, n) for n in range(1, 10)]
        assert seen[9] == (True, 0) and result.removed == 1
        clock.now += 30
        never = await client.export.contacts(out, progress=False, since_last=True, reconcile=False)
    assert not never.reconciled


async def test_reconcile_refuses_updated_since(tmp_path):
    sb, _, client = _setup(contacts=5, lag=0)
    async with client:
        with pytest.raises(ConfigurationError):
            await client.export.contacts(tmp_path / "c.csv", reconcile=True, updated_since="2025-01-01")
        with pytest.raises(ConfigurationError):
            await client.export.contacts(tmp_path / "c.csv", overlap="soon")


class _CatchUpBeforeTheRecount(httpx.AsyncBaseTransport):
    """Search catches up (the clock passes the lag) after the windows were walked, before the final recount."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: FakeClock, jump: float) -> None:
        self.inner, self.clock, self.jump, self.walked = inner, clock, jump, False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/contacts/search"):
            per_page = json.loads(request.content).get("pagination", {}).get("per_page")
            if per_page == 150:
                self.walked = True
            elif self.walked and per_page == 1 and self.jump:
                self.clock.now += self.jump
                self.jump = 0
        return await self.inner.handle_async_request(request)


async def test_a_change_search_shows_only_mid_run_is_left_for_the_next_run_not_a_gap(tmp_path):
    # A contact updated just before an incremental run is invisible to its windows and visible to its recount:
    # the count is one higher than the rows, yet nothing is lost, since the next run looks back the margin.
    sb, clock, _ = _setup(contacts=900)
    out = tmp_path / "c.csv"
    by_age = sorted(sb.contact_ids(), key=lambda i: sb.get_contact(i)["created_at"])
    oldest, cid, newest = by_age[0], by_age[450], by_age[-1]
    transport = _CatchUpBeforeTheRecount(sb.transport(), clock, jump=LAG * 2)
    async with intercomkit.AsyncClient(
        token=sb.token, base_url=sb.base_url, transport=transport, clock=clock, sleep=clock.sleep
    ) as client:
        transport.jump = 0
        await client.export.contacts(out, progress=False)
        clock.now += 10
        for seen in (oldest, newest):  # changes search shows by the run: the run's windows span both
            await client.contacts.update(seen, name="Updated Earlier")
        clock.now += LAG + 1
        await client.contacts.update(cid, name="Updated Just Now")
        clock.now += 1
        transport.jump, transport.walked = LAG * 2, False
        run = await client.export.contacts(out, progress=False, since_last=True)
        assert run.complete and run.created_during_run == 1 and not run.gaps
        clock.now += 1
        await client.export.contacts(out, progress=False, since_last=True)
    assert _rows(out)[cid]["name"] == "Updated Just Now"
