"""Every pagination style yields every id exactly once, always sends per_page, and never loops."""

from __future__ import annotations

import json
from collections import Counter

import httpx
import pytest

import intercomkit as ik
from intercomkit import AsyncClient
from intercomkit.errors import PaginationError

pytestmark = pytest.mark.anyio


def _exactly_once(ids: list[str], expected: list[str]) -> None:
    repeated = [i for i, n in Counter(ids).items() if n > 1]
    assert not repeated, f"{len(repeated)} ids repeated, e.g. {repeated[:3]}"
    assert set(ids) == set(expected) and len(ids) == len(expected)


async def test_every_style_yields_every_id_exactly_once_with_per_page_7(big, recorded):
    contacts, companies = big.contact_ids(), big.company_ids()
    assert len(contacts) == 1000
    client, rec = recorded(big)
    async with client:
        listed = [c.id async for c in client.contacts.list(per_page=7)]
        assert listed == contacts
        searched = [
            c.id
            async for c in client.contacts.search(
                ik.field("role").isin(["user", "lead"]), sort="created_at", per_page=7
            )
        ]
        _exactly_once(searched, contacts)
        listing = client.companies.list(per_page=7)
        listed_companies = [c.id async for c in listing]
        # the list shows only companies with users; the scroll shows them all
        with_users = listing.total_count
        assert with_users is not None and 0 < with_users < len(companies)
        assert len(listed_companies) == len(set(listed_companies)) == with_users
        assert set(listed_companies) < set(companies)
        scrolled = [c.id async for c in client.companies.scroll()]
        _exactly_once(scrolled, companies)

    # 1000 / 7 pages each, every one of them carrying per_page=7 (never Intercom's defaults of 10/50/15).
    lists = rec.to("GET", "/contacts")
    assert len(lists) == 143 and all(x.params.get("per_page") == "7" for x in lists)
    searches = rec.to("POST", "/contacts/search")
    assert len(searches) == 143 and all(x.json["pagination"]["per_page"] == 7 for x in searches)
    cursors = [x.json["pagination"].get("starting_after") for x in searches]
    assert cursors[0] is None and len(set(cursors[1:])) == 142  # the official SDK re-sent page 1 forever
    company_pages = rec.to("POST", "/companies/list")
    assert [x.params["page"] for x in company_pages] == [str(n) for n in range(1, -(-with_users // 7) + 1)]
    assert all(x.params["per_page"] == "7" for x in company_pages)
    scrolls = rec.to("GET", "/companies/scroll")
    params = {x.params.get("scroll_param") for x in scrolls[1:]}
    assert "scroll_param" not in scrolls[0].params and len(params) == 1  # the same param on every page
    assert json.loads(scrolls[-1].body)["data"] == []  # stopped on an empty page


async def test_default_page_sizes_are_sent_explicitly(sb, recorded):
    client, rec = recorded(sb)
    async with client:
        await client.contacts.list()
        await client.contacts.search(ik.field("role") == "user")
        await client.companies.list()
        cid = sb.contact_ids()[0]
        await client.contacts.notes(cid)
    assert rec.to("GET", "/contacts")[0].params["per_page"] == "150"
    assert rec.to("POST", "/contacts/search")[0].json["pagination"] == {"per_page": 150}
    assert rec.to("POST", "/companies/list")[0].params["per_page"] == "50"
    assert rec.to("GET", f"/contacts/{cid}/notes")[0].params["per_page"] == "150"


def _stuck_server(kind: str):
    """A server that answers the same page whatever it is asked (the official SDK's search bug, server side)."""
    page = {
        "type": "list",
        "data": [{"type": "contact", "id": f"c{i}"} for i in range(3)],
        "total_count": 1_000_000,
        "pages": {"type": "pages", "page": 1, "per_page": 3, "next": {"page": 2, "starting_after": "abc"}},
    }
    counter = Counter()

    def handler(request: httpx.Request) -> httpx.Response:
        counter["requests"] += 1
        body = dict(page)
        if kind == "fresh-cursor":
            # a new cursor every time, but the same items
            body["pages"] = {**page["pages"], "next": {"starting_after": f"cur{counter['requests']}"}}
        if kind == "scroll":
            body = {"type": "list", "data": page["data"], "scroll_param": "same"}
        return httpx.Response(200, json=body)

    return handler, counter


@pytest.mark.parametrize("kind", ["same-cursor", "fresh-cursor"])
async def test_a_server_repeating_page_one_raises_instead_of_looping(kind):
    handler, counter = _stuck_server(kind)
    async with AsyncClient(token="t", base_url="https://x.test", transport=httpx.MockTransport(handler)) as c:
        for paginator in (
            c.contacts.list(per_page=3),
            c.contacts.search(ik.field("role") == "user", per_page=3),
        ):
            counter.clear()
            with pytest.raises(PaginationError, match="twice|repeated"):
                await paginator.to_list()
            assert counter["requests"] <= 3


async def test_a_scroll_repeating_its_page_raises():
    handler, counter = _stuck_server("scroll")
    async with AsyncClient(token="t", base_url="https://x.test", transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(PaginationError, match="twice"):
            await c.companies.scroll().to_list()
    assert counter["requests"] == 2


async def test_a_scroll_returning_an_id_twice_in_one_pass_raises():
    calls = Counter()

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        n = calls["n"]
        # overlapping windows: every page differs, but ids come back
        data = [{"type": "company", "id": f"co{k}"} for k in (n, n + 1)]
        return httpx.Response(200, json={"type": "list", "data": data, "scroll_param": "s"})

    async with AsyncClient(token="t", base_url="https://x.test", transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(PaginationError, match="twice in one pass"):
            await c.companies.scroll().to_list()
    assert calls["n"] == 2


async def test_a_runaway_count_past_total_count_raises():
    calls = Counter()

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        data = [{"type": "contact", "id": f"c{calls['n']}-{i}"} for i in range(150)]
        nxt = {"starting_after": f"cur{calls['n']}"}
        return httpx.Response(
            200, json={"type": "list", "data": data, "total_count": 300, "pages": {"next": nxt}}
        )

    async with AsyncClient(token="t", base_url="https://x.test", transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(PaginationError, match="runaway"):
            await c.contacts.list().to_list()
    assert calls["n"] < 10


async def test_odd_records_never_abort_a_walk():
    odd = [
        {"type": "contact", "id": "ok", "email": "a@b.c", "created_at": 1_700_000_000},
        {"type": "contact", "id": None, "email": None, "created_at": None, "custom_attributes": None},
        {"type": "contact", "email": 42, "created_at": "yesterday", "tags": "oops", "location": []},
        {"type": "contact", "id": 7, "role": ["user"], "created_at": -5.5, "companies": {"data": "x"}},
        {"surprise": {"nested": True}},
        "not even a dict",
        None,
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"type": "list", "data": odd, "total_count": 7, "pages": {"next": None}}
        )

    async with AsyncClient(token="t", base_url="https://x.test", transport=httpx.MockTransport(handler)) as c:
        contacts = [x async for x in c.contacts.list()]
        assert len(contacts) == 5
        for contact in contacts:
            # every typed accessor is lenient
            _ = (
                contact.id,
                contact.email,
                contact.created_at,
                contact.tag_ids,
                contact.location,
                repr(contact),
            )
        assert contacts[0].created_at is not None and contacts[2].created_at is None
        frame = await c.contacts.list().frame()
        assert len(frame) == 5 and list(frame.columns)[: len(ik.CONTACT_COLUMNS)] == list(ik.CONTACT_COLUMNS)
        assert frame["id"].tolist()[0] == "ok"


async def test_out_of_range_numbers_do_not_abort_a_frame():
    odd = [{"type": "contact", "id": "big", "created_at": 1e30, "custom_attributes": {"n": 2**70}}]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"type": "list", "data": odd, "total_count": 1, "pages": {"next": None}}
        )

    async with AsyncClient(token="t", base_url="https://x.test", transport=httpx.MockTransport(handler)) as c:
        assert (await c.contacts.list().to_list())[0].created_at is None  # the model copes
        frame = await c.contacts.list().frame()
        assert len(frame) == 1 and frame["created_at"].isna().all()


async def test_a_search_sorted_by_a_field_that_changes_drops_repeats(sb, client):
    """Sorted by updated_at, a contact updated during the walk moves behind the cursor and comes back: the walk
    drops the repeat (it is not a snapshot) instead of returning it twice or calling it a loop."""
    query = ik.field("role").isin(["user", "lead"])
    seen: list[str] = []
    async for page in client.contacts.search(query, sort="updated_at", per_page=7).pages():
        seen += [c["id"] for c in page.items]
        if page.number <= 5:
            for contact_id in seen[-7:]:  # already returned: each moves to the end of the order
                await client.contacts.update(contact_id, name="Moved")
    assert len(seen) == len(set(seen)) == len(sb.contact_ids())
    raw = [c["id"] for c in await client.contacts.search(query, sort="updated_at", per_page=7).raw()]
    assert len(raw) == len(set(raw)) == len(sb.contact_ids())


async def test_an_empty_page_ends_the_walk_even_with_a_cursor():
    """Every walk (list, search, scroll, export window) ends on a page without records: a cursor after nothing
    would at best return nothing again."""
    calls = Counter()

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        body = {"type": "list", "data": [], "total_count": 0, "pages": {"next": {"starting_after": "more"}}}
        return httpx.Response(200, json=body)

    async with AsyncClient(token="t", base_url="https://x.test", transport=httpx.MockTransport(handler)) as c:
        assert await c.contacts.list().to_list() == []
    assert calls["n"] == 1
