"""A million contacts: cheap to build, and a created_at-window search page is fast."""

from __future__ import annotations

import pytest

from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def test_million_contacts_window_search(make_client, check):
    sb = Sandbox(contacts=1_000_000, companies=1000, seed=0)
    mid = sb.get_contact(sb._store.ws.contact_id(sb._store.created[500_000], 500_000))
    day = mid["created_at"] - mid["created_at"] % 86_400
    query = {
        "operator": "AND",
        "value": [
            {"field": "created_at", "operator": ">", "value": day - 7 * 86_400},
            {"field": "created_at", "operator": "<", "value": day},
            {"field": "role", "operator": "=", "value": "user"},
        ],
    }
    async with make_client(sb) as http:
        body = check(
            "post",
            "/contacts/search",
            await http.post("/contacts/search", json={"query": query, "pagination": {"per_page": 150}}),
        )
        assert len(body["data"]) == 150 and body["total_count"] > 150
        nxt = body["pages"]["next"]["starting_after"]
        body2 = check(
            "post",
            "/contacts/search",
            await http.post(
                "/contacts/search",
                json={"query": query, "pagination": {"per_page": 150, "starting_after": nxt}},
            ),
        )
        assert not {c["id"] for c in body["data"]} & {c["id"] for c in body2["data"]}
        assert all(c["role"] == "user" for c in body["data"] + body2["data"])
        r = await http.get("/contacts", params={"per_page": 150})
        assert r.json()["total_count"] == 1_000_000
