"""What search cannot see: the index lag after a change, archived and merged contacts, tag changes.

Intercom, Search contacts: "there is a possibility that it will not yet be available when searching … This delay
can take a few minutes." Merge: the lead "will not appear in search results … GET /contacts/{id} … 404".
"""

from __future__ import annotations

import pytest
from fake_clock import FakeClock

from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio

T0 = 1_790_000_000.0


def _by_id(cid: str) -> dict:
    return {
        "query": {"field": "id", "operator": "=", "value": cid},
        "pagination": {"per_page": 150},
    }


async def _search_all(http, query: dict) -> tuple[int, dict[str, dict]]:
    body = {
        "query": query,
        "pagination": {"per_page": 150},
        "sort": {"field": "created_at", "order": "ascending"},
    }
    found: dict[str, dict] = {}
    total = None
    while True:
        page = (await http.post("/contacts/search", json=body)).json()
        total = page["total_count"] if total is None else total
        found.update((c["id"], c) for c in page["data"])
        nxt = (page.get("pages") or {}).get("next")
        if not nxt:
            return total, found
        body["pagination"]["starting_after"] = nxt["starting_after"]


EVERYONE = {"field": "created_at", "operator": ">", "value": 0}


async def test_search_sees_a_create_and_an_update_only_after_the_lag(make_client, check):
    clock = FakeClock(start=T0)
    sb = Sandbox(contacts=200, seed=1, clock=clock, search_lag=5)
    async with make_client(sb) as http:
        cid = sb.contact_ids()[3]
        before = sb.get_contact(cid)
        clock.now += 1
        await http.put(f"/contacts/{cid}", json={"name": "New Name"})
        created = (await http.post("/contacts", json={"email": "late@example.com"})).json()
        clock.now += 2  # two seconds later: search still answers the previous version, and no new contact
        total, found = await _search_all(http, EVERYONE)
        assert total == 200 and created["id"] not in found
        assert found[cid]["name"] == before["name"] and found[cid]["updated_at"] == before["updated_at"]
        by_id = check("post", "/contacts/search", await http.post("/contacts/search", json=_by_id(cid)))
        assert by_id["data"][0]["name"] == before["name"]
        # get and list see the change at once: only search is documented as delayed
        assert (await http.get(f"/contacts/{cid}")).json()["name"] == "New Name"
        listed = (await http.get("/contacts", params={"per_page": 150})).json()
        assert listed["total_count"] == 201
        clock.now += 3  # past the lag
        total, found = await _search_all(http, EVERYONE)
        assert total == 201 and created["id"] in found
        assert found[cid]["name"] == "New Name" and found[cid]["updated_at"] == int(T0 + 1)


async def test_two_updates_within_the_lag_become_visible_one_after_the_other(make_client):
    clock = FakeClock(start=T0)
    sb = Sandbox(contacts=50, seed=2, clock=clock, search_lag=10)
    cid = sb.contact_ids()[0]
    async with make_client(sb) as http:
        await http.put(f"/contacts/{cid}", json={"name": "First"})
        clock.now += 6
        await http.put(f"/contacts/{cid}", json={"name": "Second"})
        names = []
        for step in (0, 5, 6):
            clock.now += step
            names.append((await http.post("/contacts/search", json=_by_id(cid))).json()["data"][0]["name"])
        assert names[1:] == ["First", "Second"]
        assert names[0] not in ("First", "Second")


async def test_archived_contacts_leave_list_and_search_and_come_back_changed(make_client, check):
    clock = FakeClock(start=T0)
    sb = Sandbox(contacts=40, seed=3, clock=clock)
    cid = sb.contact_ids()[5]
    async with make_client(sb) as http:
        check("post", "/contacts/{contact_id}/archive", await http.post(f"/contacts/{cid}/archive"))
        total, found = await _search_all(http, EVERYONE)
        listed = (await http.get("/contacts", params={"per_page": 150})).json()
        assert total == 39 and cid not in found
        assert listed["total_count"] == 39 and cid not in {c["id"] for c in listed["data"]}
        clock.now += 60
        check("post", "/contacts/{contact_id}/unarchive", await http.post(f"/contacts/{cid}/unarchive"))
        total, found = await _search_all(http, EVERYONE)
        assert total == 40 and found[cid]["updated_at"] == int(clock.now)


async def test_merge_removes_the_lead_everywhere(make_client, check):
    sb = Sandbox(contacts=60, seed=4)
    async with make_client(sb) as http:
        contacts = [sb.get_contact(c) for c in sb.contact_ids()]
        lead = next(c for c in contacts if c["role"] == "lead")
        user = next(c for c in contacts if c["role"] == "user")
        refused = await http.post("/contacts/merge", json={"from": lead["id"], "into": user["id"]})
        assert check("post", "/contacts/merge", refused)["errors"][0]["code"] == "invalid_merge"
        wrong = await http.post("/contacts/merge", json={"from": user["id"], "into": lead["id"]})
        assert wrong.status_code == 400
        merged = await http.post(
            "/contacts/merge",
            json={"from": lead["id"], "into": user["id"], "skip_duplicate_validation": True},
        )
        assert check("post", "/contacts/merge", merged)["id"] == user["id"]
        assert (await http.get(f"/contacts/{lead['id']}")).status_code == 404
        total, found = await _search_all(http, EVERYONE)
        assert total == 59 and lead["id"] not in found and user["id"] in found
        assert set(lead["tags"]["data"] and [t["id"] for t in lead["tags"]["data"]]) <= {
            t["id"] for t in (await http.get(f"/contacts/{user['id']}/tags")).json()["data"]
        }


async def test_tagging_does_not_move_updated_at(make_client, check):
    sb = Sandbox(contacts=20, seed=5)
    cid = sb.contact_ids()[1]
    tag = next(
        t for t in sb._store.ws.tags if t["id"] not in {x["id"] for x in sb.get_contact(cid)["tags"]["data"]}
    )
    async with make_client(sb) as http:
        before = sb.get_contact(cid)["updated_at"]
        added = await http.post(f"/contacts/{cid}/tags", json={"id": tag["id"]})
        assert check("post", "/contacts/{contact_id}/tags", added)["id"] == tag["id"]
        after = (await http.get(f"/contacts/{cid}")).json()
        assert tag["id"] in {t["id"] for t in after["tags"]["data"]} or after["tags"]["has_more"]
        assert after["updated_at"] == before
        removed = await http.delete(f"/contacts/{cid}/tags/{tag['id']}")
        assert check("delete", "/contacts/{contact_id}/tags/{tag_id}", removed)["id"] == tag["id"]
        assert (await http.post(f"/contacts/{cid}/tags", json={"id": "nope"})).status_code == 404


def test_a_negative_lag_is_refused():
    with pytest.raises(ValueError):
        Sandbox(contacts=1, search_lag=-1)
