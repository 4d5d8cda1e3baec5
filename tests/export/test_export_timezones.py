"""Exports on workspaces west of UTC, east of it and in UTC, with contacts created since the workspace's midnight.

Intercom's 2.16 description, "Searching for Timestamp Fields": dates "are matched by calendar day" and "The day
boundary uses **your workspace's timezone**". Windows in UTC days on a Los Angeles workspace stop at the local
midnight: everyone who signed up since then is missing, and the recount (same bounds) agrees, so no gap is reported.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from fake_clock import FakeClock

import intercomkit as ik
from intercomkit._frames import read_contacts_csv
from intercomkit._protocol import days
from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio

NOW = 1_768_075_200  # 2026-01-10 20:00 UTC: noon in Los Angeles, 09:00 on 11 January in Auckland
STEP = 1_931


async def _no_wait(seconds: float) -> None:
    pass


def _client(
    sb: Sandbox, clock: FakeClock, transport: httpx.AsyncBaseTransport | None = None
) -> ik.AsyncClient:
    return ik.AsyncClient(
        token=sb.token,
        base_url=sb.base_url,
        transport=transport or sb.transport(),
        sleep=_no_wait,
        clock=clock,
    )


async def _sign_ups(client: ik.AsyncClient, clock: FakeClock, n: int, prefix: str) -> set[str]:
    made = set()
    for k in range(n):
        made.add((await client.contacts.create(email=f"{prefix}{k}@example.com")).id)
        clock.now += STEP
    return made


def _ids(path) -> list[str]:
    return read_contacts_csv(path)["id"].tolist()


@pytest.mark.parametrize("zone", ["Etc/UTC", "America/Los_Angeles", "Pacific/Auckland"])
async def test_contacts_created_since_the_workspace_midnight_are_exported(tmp_path, zone):
    clock = FakeClock(NOW - 62 * STEP)
    sb = Sandbox(contacts=1500, seed=3, timezone=zone, clock=clock)
    out = tmp_path / "c.csv"
    async with _client(sb, clock) as client:
        recent = await _sign_ups(client, clock, 62, "recent")  # the last ~33 hours, up to NOW
        tz = await client.workspace_timezone()
        midnight = days.day_start(days.day_number(clock.now, tz), tz)
        assert sum(sb.get_contact(i)["created_at"] >= midnight for i in recent) > 5
        result = await client.export.contacts(out, progress=False)
        assert result.missing == 0 and result.gaps == [] and result.windows > 2
        assert set(_ids(out)) == set(sb.contact_ids()) and result.rows == 1562

        # The next incremental run picks up what came later, and nothing is lost at the next midnight either.
        clock.now += 6 * 3600
        later = await _sign_ups(client, clock, 20, "later")
        again = await client.export.contacts(out, progress=False, since_last=True)
    frame = read_contacts_csv(out)
    assert again.missing == 0 and frame["id"].is_unique
    assert set(frame["id"]) == set(sb.contact_ids()) and later <= set(frame["id"])


async def test_a_dated_export_query_is_exact_in_the_workspace_days(tmp_path):
    clock = FakeClock(NOW - 62 * STEP)
    sb = Sandbox(contacts=300, seed=4, timezone="America/Los_Angeles", clock=clock)
    cut = NOW - 7 * 3600 - 17  # 05:00 in Los Angeles, 13:00 UTC
    async with _client(sb, clock) as client:
        await _sign_ups(client, clock, 62, "recent")
        query = ik.field("created_at") <= datetime.fromtimestamp(cut, UTC)
        result = await client.export.contacts(tmp_path / "q.csv", progress=False, query=query)
    expected = {i for i in sb.contact_ids() if sb.get_contact(i)["created_at"] <= cut}
    assert set(_ids(tmp_path / "q.csv")) == expected and result.missing == 0


class Rename(httpx.AsyncBaseTransport):
    """The sandbox, with ``GET /me`` naming a timezone the tz database does not know."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path != "/me":
            return response
        body = json.loads(await response.aread())
        body["app"]["timezone"] = "Mars/Olympus_Mons"
        return httpx.Response(
            200, headers={"content-type": "application/json"}, content=json.dumps(body).encode()
        )


async def test_an_unknown_workspace_timezone_exports_everything_in_one_chain(tmp_path):
    clock = FakeClock(NOW - 62 * STEP)
    sb = Sandbox(contacts=400, seed=5, timezone="Asia/Tokyo", clock=clock)
    async with _client(sb, clock, Rename(sb.transport())) as client:
        await _sign_ups(client, clock, 62, "recent")
        result = await client.export.contacts(tmp_path / "c.csv", progress=False)
    assert result.missing == 0 and result.windows == 1
    assert sorted(_ids(tmp_path / "c.csv")) == sorted(sb.contact_ids())


class FailLate(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.searches = inner, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/contacts/search"):
            self.searches += 1
            if self.searches > 12:
                raise httpx.ConnectError("network gone")
        return await self.inner.handle_async_request(request)


async def test_a_checkpoint_planned_in_other_days_is_not_resumed(tmp_path):
    sb = Sandbox(contacts=3000, seed=4, timezone="America/Los_Angeles")
    out = tmp_path / "c.csv"
    la = {"workspace_timezone": "America/Los_Angeles", "sleep": _no_wait, "max_retries": 1}
    failing = ik.AsyncClient(token=sb.token, base_url=sb.base_url, transport=FailLate(sb.transport()), **la)
    async with failing as client:
        with pytest.raises(ik.errors.TransportError):
            await client.export.contacts(out, progress=False, concurrency=1)
    async with sb.client(workspace_timezone="Asia/Tokyo") as client:
        with pytest.raises(ik.errors.ConfigurationError, match="timezone"):
            await client.export.contacts(out, progress=False)
    async with sb.client(**la) as client:
        result = await client.export.contacts(out, progress=False)
    assert result.resumed_windows > 0 and set(_ids(out)) == set(sb.contact_ids())
