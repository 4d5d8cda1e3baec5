"""Walking every list shape: cursor pages, search pages, page-based company lists, the scroll."""

from __future__ import annotations

import pytest

from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def walk_contacts(http, check, per_page=None):
    ids, cursor, pages = [], None, 0
    while True:
        params = {
            **({"per_page": per_page} if per_page else {}),
            **({"starting_after": cursor} if cursor else {}),
        }
        r = await http.get("/contacts", params=params)
        # schema-check the first page; the rest are the same shape and validation is the slow part
        body = check("get", "/contacts", r) if not ids else r.json()
        ids += [c["id"] for c in body["data"]]
        pages += 1
        cursor = (body["pages"].get("next") or {}).get("starting_after")
        if not cursor:
            return ids, pages, body


async def walk_search(http, check, query, per_page=None, sort=None):
    ids, cursor, total = [], None, None
    while True:
        pagination = {
            **({"per_page": per_page} if per_page else {}),
            **({"starting_after": cursor} if cursor else {}),
        }
        payload = {"query": query, "pagination": pagination, **({"sort": sort} if sort else {})}
        r = await http.post("/contacts/search", json=payload)
        body = check("post", "/contacts/search", r) if not ids else r.json()
        total = body["total_count"]
        ids += [c["id"] for c in body["data"]]
        cursor = (body["pages"].get("next") or {}).get("starting_after")
        if not cursor:
            return ids, total


async def test_contacts_list_page_sizes(sb, http, check):
    ids, pages, last = await walk_contacts(http, check, per_page=150)
    assert pages == 2 and ids == sb.contact_ids()
    assert last["pages"]["page"] == 2 and last["pages"]["total_pages"] == 2 and "next" not in last["pages"]
    first = check("get", "/contacts", await http.get("/contacts"))
    assert len(first["data"]) == 10 and first["pages"]["per_page"] == 10 and first["total_count"] == 300
    capped = check("get", "/contacts", await http.get("/contacts", params={"per_page": 1000}))
    assert len(capped["data"]) == 150
    search = check(
        "post",
        "/contacts/search",
        await http.post(
            "/contacts/search", json={"query": {"field": "role", "operator": "IN", "value": ["user", "lead"]}}
        ),
    )
    assert len(search["data"]) == 50 and search["total_count"] == 300
    assert (await http.get("/contacts", params={"starting_after": "garbage"})).status_code == 400


@pytest.fixture
def sb1000() -> Sandbox:
    return Sandbox(contacts=1000, companies=100, seed=3)


async def test_every_walk_yields_each_id_once(sb1000, make_client, check):
    sb = sb1000
    async with make_client(sb) as http:
        ids, _, _ = await walk_contacts(http, check, per_page=7)
        assert ids == sb.contact_ids()
        # fast path (created_at window), general path (OR), sorted general path
        for query, sort in (
            ({"field": "created_at", "operator": ">", "value": 0}, None),
            (
                {"field": "created_at", "operator": ">", "value": 0},
                {"field": "created_at", "order": "descending"},
            ),
            (
                {
                    "operator": "OR",
                    "value": [
                        {"field": "role", "operator": "=", "value": "user"},
                        {"field": "role", "operator": "=", "value": "lead"},
                    ],
                },
                None,
            ),
            ({"field": "email", "operator": "~", "value": "@"}, {"field": "email", "order": "ascending"}),
            (
                {"field": "email", "operator": "~", "value": "@"},
                {"field": "last_seen_at", "order": "descending"},
            ),
        ):
            found, total = await walk_search(http, check, query, per_page=7, sort=sort)
            assert total == 1000 and len(found) == 1000 and set(found) == set(ids), (query, sort)
        companies, page = [], 1
        while True:
            body = check(
                "post",
                "/companies/list",
                await http.post("/companies/list", params={"page": page, "per_page": 7}),
            )
            companies += [c["id"] for c in body["data"]]
            if page >= body["pages"]["total_pages"]:
                break
            page += 1
        # the list shows the companies that have users ("does not include companies who have no associated
        # users"); the scroll shows every company
        with_users = [
            c
            for c in sb.company_ids()
            if (await http.get(f"/companies/{c}/contacts", params={"per_page": 1})).json()["total_count"]
        ]
        assert sorted(companies) == sorted(with_users) and len(companies) == len(set(companies)) < 100
        scrolled, param = [], None
        while True:
            r = await http.get("/companies/scroll", params={"scroll_param": param} if param else {})
            body = check("get", "/companies/scroll", r)
            assert param is None or body["scroll_param"] == param
            param = body["scroll_param"]
            if not body["data"]:
                break
            scrolled += [c["id"] for c in body["data"]]
        assert scrolled == sb.company_ids()


async def test_search_pages_stable_while_contacts_change(sb, http, check):
    query = {"field": "created_at", "operator": ">", "value": 0}
    first = check(
        "post",
        "/contacts/search",
        await http.post("/contacts/search", json={"query": query, "pagination": {"per_page": 100}}),
    )
    ids = [c["id"] for c in first["data"]]
    # updates only move updated_at; creates land at the end
    await http.put(f"/contacts/{ids[0]}", json={"name": "moved"})
    await http.put(f"/contacts/{sb.contact_ids()[150]}", json={"name": "moved"})
    new = (await http.post("/contacts", json={"email": "late@example.com"})).json()["id"]
    cursor = first["pages"]["next"]["starting_after"]
    while cursor:
        body = check(
            "post",
            "/contacts/search",
            await http.post(
                "/contacts/search",
                json={"query": query, "pagination": {"per_page": 100, "starting_after": cursor}},
            ),
        )
        ids += [c["id"] for c in body["data"]]
        cursor = (body["pages"].get("next") or {}).get("starting_after")
    assert len(ids) == len(set(ids)) == 301 and ids[-1] == new


async def test_companies_list_page_limit(make_client, check):
    sb = Sandbox(contacts=111_000, companies=11_100, seed=2)  # 10 012 companies with users
    async with make_client(sb) as http:
        ok = check(
            "post",
            "/companies/list",
            await http.post("/companies/list", params={"page": 200, "per_page": 50}),
        )
        assert len(ok["data"]) == 50 and ok["total_count"] == 10_012 and ok["pages"]["total_pages"] == 201
        r = await http.post("/companies/list", params={"page": 201, "per_page": 50})
        assert r.status_code == 400
        err = check("post", "/companies/list", r)["errors"][0]
        assert err["code"] == "parameter_invalid" and "page limit reached" in err["message"]
        default = check("post", "/companies/list", await http.post("/companies/list"))
        assert len(default["data"]) == 15 and default["pages"]["page"] == 1
        asc = check(
            "post",
            "/companies/list",
            await http.post("/companies/list", params={"order": "asc", "per_page": 60}),
        )
        desc = check("post", "/companies/list", await http.post("/companies/list", params={"per_page": 60}))
        # "sorted by the `last_request_at` field and by default is ordered descending"
        stamps = [c["last_request_at"] for c in desc["data"]]
        assert stamps == sorted(stamps, reverse=True)
        stamps = [c["last_request_at"] for c in asc["data"]]
        assert stamps == sorted(stamps) and stamps[-1] < desc["data"][-1]["last_request_at"]
        scrolled, param = 0, None
        while True:
            body = (
                await http.get("/companies/scroll", params={"scroll_param": param} if param else {})
            ).json()
            param = body["scroll_param"]
            if not body["data"]:
                break
            scrolled += len(body["data"])
        assert scrolled == 11_100


async def test_scroll_quirks(make_client):
    now = [1_000.0]
    sb = Sandbox(contacts=5, companies=40, clock=lambda: now[0])
    async with make_client(sb) as http:
        first = (await http.get("/companies/scroll")).json()
        param = first["scroll_param"]
        r = await http.get("/companies/scroll")
        assert r.status_code == 400 and r.json()["errors"][0]["code"] == "scroll_exists"
        now[0] += 59
        assert (await http.get("/companies/scroll", params={"scroll_param": param})).status_code == 200
        now[0] += 61  # idle for more than a minute: expired
        r = await http.get("/companies/scroll", params={"scroll_param": param})
        assert r.status_code == 404 and "expired" in r.json()["errors"][0]["message"]
        again = await http.get("/companies/scroll")
        assert again.status_code == 200 and again.json()["scroll_param"] != param
        p2 = again.json()["scroll_param"]
        while (await http.get("/companies/scroll", params={"scroll_param": p2})).json()["data"]:
            pass
        # the end closes the scroll: its param is gone and a new scroll may start at once
        assert (await http.get("/companies/scroll", params={"scroll_param": p2})).status_code == 404
        assert (await http.get("/companies/scroll")).status_code == 200
