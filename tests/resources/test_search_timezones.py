"""Searches and frames on workspaces west of UTC, east of it and in UTC, with contacts created in the last local day.

Intercom's 2.16 description, "Searching for Timestamp Fields": timestamp fields and Date custom attributes "are matched
by calendar day" and "The day boundary uses **your workspace's timezone**". The sandbox models that; the client must
plan every bound in the workspace's days (``GET /me`` ``app.timezone``) and still return exactly what was asked. The
oracle is a brute-force filter over the sandbox's own records: exact instants, and a ``date`` as a whole UTC day.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import anyio
import httpx
import pytest
from fake_clock import FakeClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import intercomkit as ik
from intercomkit._protocol import days
from intercomkit.errors import ConfigurationError
from intercomkit.sandbox import Sandbox

ZONES = ["Etc/UTC", "America/Los_Angeles", "Pacific/Auckland"]
NOW = 1_768_075_200  # 2026-01-10 20:00 UTC: noon in Los Angeles, 09:00 on 11 January in Auckland
STEP = 1_931  # seconds between sign-ups: they land on every minute of the clock over the last ~33 hours


def _workspace(zone: str) -> tuple[Sandbox, FakeClock]:
    clock = FakeClock(NOW - 62 * STEP)
    sb = Sandbox(contacts=60, companies=3, seed=11, timezone=zone, clock=clock)

    async def sign_ups() -> None:
        async with sb.client() as client:
            for k in range(62):
                custom = {"trial_ends_at": NOW - 20 * STEP + 3 * k * STEP} if k % 2 else {}
                await client.contacts.create(email=f"recent{k}@example.com", custom_attributes=custom)
                clock.now += STEP

    anyio.run(sign_ups)
    return sb, clock


WORKSPACES = {zone: _workspace(zone) for zone in ZONES}
RECORDS = {zone: [sb.get_contact(i) for i in sb.contact_ids()] for zone, (sb, _) in WORKSPACES.items()}


def _value(record: dict[str, Any], name: str) -> Any:
    if name.startswith("custom_attributes."):
        return record["custom_attributes"].get(name.split(".", 1)[1])
    return record.get(name)


def _meant(record: dict[str, Any], name: str, op: str, v: Any) -> bool:
    x = _value(record, name)
    if not isinstance(x, int):
        return False
    if isinstance(v, date) and not isinstance(v, datetime):
        x, v = datetime.fromtimestamp(x, UTC).date(), v
    elif isinstance(v, datetime):
        v = int(v.timestamp())
    return {"=": x == v, "<": x < v, ">": x > v, "<=": x <= v, ">=": x >= v}[op]


async def _ids(zone: str, query: Any, *, frame: bool = False, **client_kw: Any) -> list[str]:
    sb, _ = WORKSPACES[zone]
    async with sb.client(**client_kw) as client:
        search = client.contacts.search(query)
        if frame:
            return (await search.frame())["id"].tolist()
        return [c.id async for c in search]


@st.composite
def bounds(draw) -> tuple[str, str, Any]:
    name = draw(st.sampled_from(["created_at", "updated_at", "custom_attributes.trial_ends_at"]))
    op = draw(st.sampled_from(["=", "<", ">", "<=", ">="]))
    zone = days.zone_from_name(draw(st.sampled_from(ZONES)))
    anchor = draw(
        st.one_of(
            st.integers(NOW - 40 * 3600, NOW + 30 * 3600),  # any instant around the last local day
            st.integers(-40, 40).map(lambda k: NOW + k * STEP),  # a sign-up's second
            st.sampled_from(
                [days.day_start(days.day_number(NOW, zone) + k, zone) for k in (-1, 0, 1)]
            ),  # a midnight
        )
    )
    t = anchor + draw(st.sampled_from([0, 0, -1, 1]))
    kind = draw(st.sampled_from(["int", "datetime", "date"]))
    if kind == "date":
        return name, op, datetime.fromtimestamp(t, UTC).date()
    if kind == "datetime":
        return name, op, datetime.fromtimestamp(t, UTC)
    return name, op, t


@pytest.mark.parametrize("zone", ZONES)
@given(leaf=bounds(), other=st.one_of(st.none(), bounds()), joiner=st.sampled_from(["AND", "OR"]))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_exact_bounds_return_exactly_the_right_contacts(zone, leaf, other, joiner):
    name, op, v = leaf
    if name.startswith("custom_attributes.") and isinstance(v, int):
        v = datetime.fromtimestamp(
            v, UTC
        )  # an int on a custom attribute is a number: a date needs a date value
    query = ik.Filter(name, op, v)
    leaves = [(name, op, v)]
    if other is not None:
        o_name, o_op, o_v = other
        if o_name.startswith("custom_attributes.") and isinstance(o_v, int):
            o_v = datetime.fromtimestamp(o_v, UTC)
        query = (
            query & ik.Filter(o_name, o_op, o_v) if joiner == "AND" else query | ik.Filter(o_name, o_op, o_v)
        )
        leaves.append((o_name, o_op, o_v))
    combine = all if other is None or joiner == "AND" else any
    expected = {r["id"] for r in RECORDS[zone] if combine(_meant(r, *leaf) for leaf in leaves)}
    got = anyio.run(_ids, zone, query)
    assert len(got) == len(set(got)) and set(got) == expected


@pytest.mark.parametrize("zone", ZONES)
def test_frames_of_the_last_local_day(zone):
    tz = days.zone_from_name(zone)
    midnight = days.day_start(days.day_number(NOW, tz), tz)  # the workspace's last midnight
    since = datetime.fromtimestamp(midnight, UTC)
    frame_ids = anyio.run(lambda: _ids(zone, ik.field("created_at") >= since, frame=True))
    expected = {r["id"] for r in RECORDS[zone] if r["created_at"] >= midnight}
    assert set(frame_ids) == expected and len(frame_ids) == len(expected) > 10


def test_planning_in_utc_days_on_a_los_angeles_workspace_loses_contacts():
    # What the client did before it learnt the workspace's timezone: the sandbox must be able to catch it.
    # "< 18:00 UTC" planned in UTC days asks for "< 11 January" -- 16:00 on 10 January in Los Angeles, which
    # Intercom truncates to that local midnight: everyone who signed up since 08:00 UTC is lost.
    query = ik.field("created_at") < datetime.fromtimestamp(NOW - 2 * 3600, UTC)
    expected = {r["id"] for r in RECORDS["America/Los_Angeles"] if r["created_at"] < NOW - 2 * 3600}
    wrong = anyio.run(lambda: _ids("America/Los_Angeles", query, workspace_timezone="UTC"))
    right = anyio.run(lambda: _ids("America/Los_Angeles", query))
    assert set(right) == expected and set(wrong) < expected


class Rename(httpx.AsyncBaseTransport):
    """Delegates to the sandbox, answering ``GET /me`` with another ``app.timezone`` and counting the calls."""

    def __init__(self, inner: httpx.AsyncBaseTransport, timezone: Any) -> None:
        self.inner, self.timezone, self.me = inner, timezone, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path != "/me":
            return response
        self.me += 1
        body = json.loads(await response.aread())
        body["app"]["timezone"] = self.timezone
        return httpx.Response(
            200, headers={"content-type": "application/json"}, content=json.dumps(body).encode()
        )


@pytest.mark.parametrize("reported", ["Mars/Olympus_Mons", None, ""])
def test_an_unknown_timezone_from_me_loses_no_contact(reported):
    sb, _ = WORKSPACES["Pacific/Auckland"]
    query = (ik.field("created_at") > datetime.fromtimestamp(NOW - 9 * 3600, UTC)) & (
        ik.field("created_at") <= date(2026, 1, 10)
    )
    expected = {r["id"] for r in RECORDS["Pacific/Auckland"] if _meant(r, "created_at", ">", NOW - 9 * 3600)}
    expected &= {
        r["id"] for r in RECORDS["Pacific/Auckland"] if _meant(r, "created_at", "<=", date(2026, 1, 10))
    }

    async def run() -> tuple[set[str], int]:
        transport = Rename(sb.transport(), reported)
        async with ik.AsyncClient(token=sb.token, base_url=sb.base_url, transport=transport) as client:
            assert isinstance(await client.workspace_timezone(), days.UnknownZone)
            got = {c.id async for c in client.contacts.search(query)}
            return got, transport.me

    got, me_calls = anyio.run(run)
    assert got == expected and expected and me_calls == 1  # asked once, cached


def test_the_timezone_is_asked_once_and_only_for_dated_searches():
    sb, _ = WORKSPACES["America/Los_Angeles"]

    async def run() -> list[int]:
        transport = Rename(sb.transport(), "America/Los_Angeles")
        async with ik.AsyncClient(token=sb.token, base_url=sb.base_url, transport=transport) as client:
            await client.contacts.search(ik.field("role") == "user").to_list(limit=1)
            calls = [transport.me]
            for _ in range(2):
                await client.contacts.search(ik.field("created_at") > date(2026, 1, 1)).to_list(limit=1)
            calls.append(transport.me)
            assert str(await client.workspace_timezone()) == "America/Los_Angeles"
            return calls

    assert anyio.run(run) == [0, 1]


def test_an_explicit_timezone_needs_no_request_and_a_bad_one_is_named():
    client = ik.AsyncClient(token="t", base_url="https://x.test", workspace_timezone="Asia/Tokyo")
    assert str(anyio.run(client.workspace_timezone)) == "Asia/Tokyo"
    with pytest.raises(ConfigurationError, match="IANA name"):
        ik.AsyncClient(token="t", base_url="https://x.test", workspace_timezone="Mars/Olympus_Mons")


class NoMe(httpx.AsyncBaseTransport):
    """The sandbox, refusing ``GET /me`` to this token (403)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/me":
            body = {"type": "error.list", "errors": [{"code": "forbidden", "message": "no"}]}
            return httpx.Response(403, json=body)
        return await self.inner.handle_async_request(request)


def test_a_token_that_may_not_read_me_still_gets_exact_answers():
    sb, _ = WORKSPACES["America/Los_Angeles"]
    cut = NOW - 2 * 3600
    query = ik.field("created_at") < datetime.fromtimestamp(cut, UTC)

    async def run() -> set[str]:
        async with ik.AsyncClient(
            token=sb.token, base_url=sb.base_url, transport=NoMe(sb.transport())
        ) as client:
            return {c.id async for c in client.contacts.search(query)}

    assert anyio.run(run) == {r["id"] for r in RECORDS["America/Los_Angeles"] if r["created_at"] < cut}
