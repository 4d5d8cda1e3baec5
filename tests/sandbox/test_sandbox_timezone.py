"""The sandbox's workspace timezone: Intercom's 2.16 description, "Searching for Timestamp Fields" -- timestamp fields
and Date custom attributes "are matched by calendar day", and "The day boundary uses **your workspace's timezone**"."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from intercomkit.sandbox import Sandbox, matches

pytestmark = pytest.mark.anyio

F = lambda field, op, value: {"field": field, "operator": op, "value": value}  # noqa: E731
LA = ZoneInfo("America/Los_Angeles")
NOW = int(datetime(2026, 1, 10, 12, tzinfo=LA).timestamp())  # noon in Los Angeles, 20:00 UTC
LA_MIDNIGHT = int(datetime(2026, 1, 10, tzinfo=LA).timestamp())  # 08:00 UTC


async def _ids(http, check, query) -> list[str]:
    response = await http.post("/contacts/search", json={"query": query, "pagination": {"per_page": 150}})
    return [c["id"] for c in check("post", "/contacts/search", response)["data"]]


async def test_me_reports_the_timezone_and_days_start_at_its_midnight(check, make_client):
    now = [LA_MIDNIGHT - 3600]
    sb = Sandbox(contacts=20, companies=2, timezone="America/Los_Angeles", clock=lambda: now[0])
    async with make_client(sb) as http:
        me = check("get", "/me", await http.get("/me"))
        assert me["app"]["timezone"] == "America/Los_Angeles"
        before = await http.post("/contacts", json={"email": "late.night@example.com"})  # 23:00 on 9 January
        now[0] = LA_MIDNIGHT + 60
        after = await http.post("/contacts", json={"email": "early.bird@example.com"})  # 00:01 on 10 January
        before_id, after_id = before.json()["id"], after.json()["id"]
        # "=" a second of 10 January (local) matches that local day only; UTC would put both on 10 January.
        on_the_day = await _ids(http, check, F("created_at", "=", NOW))
        assert after_id in on_the_day and before_id not in on_the_day
        # "<" matches before the start of the value's local day; ">" from the start of the next one.
        assert before_id in await _ids(http, check, F("created_at", "<", NOW))
        assert after_id not in await _ids(http, check, F("created_at", "<", NOW))
        assert after_id in await _ids(http, check, F("created_at", ">", LA_MIDNIGHT - 1))
        assert before_id not in await _ids(http, check, F("created_at", ">", LA_MIDNIGHT - 1))


def test_matches_truncates_in_the_given_timezone():
    c = {"created_at": LA_MIDNIGHT + 60, "custom_attributes": {"trial_ends_at": LA_MIDNIGHT - 60}}
    assert matches(F("created_at", "=", NOW), c, LA) and not matches(
        F("created_at", "=", NOW - 86_400), c, LA
    )
    # In UTC both instants are on 10 January.
    assert matches(F("custom_attributes.trial_ends_at", "=", NOW), c)
    assert not matches(F("custom_attributes.trial_ends_at", "=", NOW), c, ZoneInfo("America/Los_Angeles"))
    tokyo = ZoneInfo("Asia/Tokyo")  # 10 January 17:00 and 16:58 local: the same day
    assert matches(F("custom_attributes.trial_ends_at", "=", LA_MIDNIGHT), c, tokyo)


@pytest.mark.parametrize("op", ["!=", ">=", "<=", "IN", "NIN"])
async def test_date_custom_attributes_refuse_what_intercom_refuses(op, check, make_client):
    # "The !=, >=, <=, IN and NIN operators are not supported on Date fields and return an error."
    sb = Sandbox(contacts=5, companies=1)
    value = [NOW] if op in ("IN", "NIN") else NOW
    async with make_client(sb) as http:
        r = await http.post(
            "/contacts/search", json={"query": F("custom_attributes.trial_ends_at", op, value)}
        )
        assert (
            r.status_code == 400
            and check("post", "/contacts/search", r)["errors"][0]["code"] == "query_invalid"
        )
        # An attribute of another type keeps the number operators.
        ok = await http.post("/contacts/search", json={"query": F("custom_attributes.seats", ">=", 3)})
        assert ok.status_code == 200


async def test_date_custom_attributes_match_by_workspace_day(check, make_client):
    sb = Sandbox(contacts=5, companies=1, timezone="Pacific/Auckland")
    nz = ZoneInfo("Pacific/Auckland")
    late = int(datetime(2026, 1, 10, 23, 30, tzinfo=nz).timestamp())
    async with make_client(sb) as http:
        made = await http.post(
            "/contacts", json={"email": "t@example.com", "custom_attributes": {"trial_ends_at": late}}
        )
        cid = made.json()["id"]
        assert cid in await _ids(http, check, F("custom_attributes.trial_ends_at", "=", late - 23 * 3600))
        assert cid not in await _ids(http, check, F("custom_attributes.trial_ends_at", "=", late + 3600))
        assert cid in await _ids(http, check, F("custom_attributes.trial_ends_at", "<", late + 3600))


def test_an_unknown_timezone_is_refused():
    with pytest.raises(ValueError, match="unknown timezone"):
        Sandbox(contacts=1, timezone="Mars/Olympus_Mons")
    assert Sandbox(contacts=1).timezone == "Etc/UTC"  # the default stays UTC


def test_serve_refuses_an_unknown_timezone_by_name():
    done = subprocess.run(
        [sys.executable, "-m", "intercomkit.cli", "sandbox", "serve", "--timezone", "Mars/Olympus_Mons"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "unknown timezone 'Mars/Olympus_Mons'" in done.stderr
