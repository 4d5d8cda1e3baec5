"""The support workspace's endpoints, bodies validated against the 2.16 spec: conversation search rules, tickets,
the workspace lists, the thin writes, and faults that reach the new routes as they reach contacts."""

from __future__ import annotations

import pytest
from fake_clock import FakeClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intercomkit.sandbox import Faults, Sandbox
from intercomkit.sandbox._search import matches
from intercomkit.sandbox._search_support import CONVERSATIONS

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def sup() -> Sandbox:
    return Sandbox(contacts=100, companies=5, conversations=80, tickets=40, seed=7)


async def _search(http, check, query, **extra):
    body = {"query": query, "pagination": {"per_page": 150}, **extra}
    r = await http.post("/conversations/search", json=body)
    assert r.status_code == 200, r.text
    return check("post", "/conversations/search", r)


async def test_conversation_search_matches_the_documented_fields(sup, make_client, check):
    docs = [sup._conversations.search_doc(sup._conversations.record(i)) for i in range(sup._conversations.n)]
    docs = [d for d in docs if d["id"] in set(sup.conversation_ids())]
    some = docs[3]
    queries = [
        {"field": "state", "operator": "=", "value": "closed"},
        {"field": "statistics.count_reopens", "operator": ">", "value": 1},
        {"field": "statistics.time_to_admin_reply", "operator": "<", "value": 3600},
        {"field": "conversation_rating.score", "operator": "IN", "value": [4, 5]},
        {"field": "ai_agent_participated", "operator": "=", "value": True},
        {"field": "ai_agent.resolution_state", "operator": "=", "value": "escalated"},
        {"field": "source.type", "operator": "=", "value": "email"},
        {"field": "source.author.id", "operator": "=", "value": some["source"]["author"]["id"]},
        # "the search will not be performed against the entire value, but instead against every element"
        {"field": "source.body", "operator": "=", "value": "support"},
        {"field": "custom_attributes.issue_type", "operator": "=", "value": "billing"},
        {"field": "contact_ids", "operator": "=", "value": some["contact_ids"][0]},
        {"field": "admin_assignee_id", "operator": "=", "value": int(sup.admin_ids[0])},
        {
            "operator": "OR",
            "value": [
                {"field": "tag_ids", "operator": "=", "value": sup.tag_ids[0]},
                {"field": "priority", "operator": "=", "value": "urgent"},
            ],
        },
    ]
    async with make_client(sup) as http:
        for q in queries:
            found = await _search(http, check, q)
            expected = [d["id"] for d in docs if matches(q, d, dialect=CONVERSATIONS)]
            assert [c["id"] for c in found["conversations"]] == expected, q
            assert found["total_count"] == len(expected)
        assert (await _search(http, check, queries[8]))["total_count"] > 0
        whole = {"field": "source.body", "operator": "=", "value": "need support"}
        assert (await _search(http, check, whole))["total_count"] == 0


async def test_greater_and_lower_include_their_bound_on_conversation_search(sup, make_client, check):
    """The Accepted Operators table: ``>`` "Greater (or equal) than", ``<`` "Lower (or equal) than"; no day rule is
    written for conversations, so a date compares as the instant it is."""
    some = sup.get_conversation(sup.conversation_ids()[10])
    t = some["created_at"]
    async with make_client(sup) as http:
        for op in (">", "<"):
            found = await _search(http, check, {"field": "created_at", "operator": op, "value": t})
            assert some["id"] in [c["id"] for c in found["conversations"]]
        after = await _search(http, check, {"field": "created_at", "operator": ">", "value": t + 1})
        assert some["id"] not in [c["id"] for c in after["conversations"]]
        for bad in (
            {"field": "created_at", "operator": ">=", "value": t},
            {"field": "created_at", "operator": ">", "value": "yesterday"},
            {"field": "state", "operator": ">", "value": 1},
            {"field": "no_such_field", "operator": "=", "value": 1},
        ):
            r = await http.post("/conversations/search", json={"query": bad})
            assert r.status_code == 400 and r.json()["errors"][0]["code"] == "query_invalid", bad


async def test_search_pages_walk_in_order_with_cursors(sup, make_client, check):
    q = {"field": "updated_at", "operator": ">", "value": 0}
    sort = {"field": "updated_at", "order": "descending"}
    seen, cursor = [], None
    async with make_client(sup) as http:
        while True:
            pagination = {"per_page": 40, **({"starting_after": cursor} if cursor else {})}
            r = await http.post(
                "/conversations/search", json={"query": q, "sort": sort, "pagination": pagination}
            )
            page = check("post", "/conversations/search", r)
            seen += [(c["updated_at"], c["id"]) for c in page["conversations"]]
            cursor = (page["pages"].get("next") or {}).get("starting_after")
            if not cursor:
                break
    assert len(seen) == len(sup.conversation_ids()) == page["total_count"]
    assert [u for u, _ in seen] == sorted((u for u, _ in seen), reverse=True)


async def test_tickets_search_get_and_types(sup, make_client, check):
    async with make_client(sup) as http:
        types = check("get", "/ticket_types", await http.get("/ticket_types"))
        assert {t["category"] for t in types["data"]} == {"Customer", "Back-office", "Tracker"}
        every = check(
            "post",
            "/tickets/search",
            await http.post(
                "/tickets/search", json={"query": {"field": "created_at", "operator": ">", "value": 0}}
            ),
        )
        assert every["total_count"] == len(sup.ticket_ids())
        # "For Customer category tickets, use the term `request`"
        q = {"field": "category", "operator": "=", "value": "request"}
        r = await http.post("/tickets/search", json={"query": q, "pagination": {"per_page": 150}})
        customer = check("post", "/tickets/search", r)
        assert customer["tickets"] and all(t["category"] == "Customer" for t in customer["tickets"])
        # "You may use the `<=` or `>=` operators to search by `created_at`" (and nowhere else)
        since = {"field": "created_at", "operator": ">=", "value": 0}
        r = await http.post("/tickets/search", json={"query": since})
        assert check("post", "/tickets/search", r)["total_count"] == len(sup.ticket_ids())
        r = await http.post("/tickets/search", json={"query": {**since, "field": "updated_at"}})
        assert r.status_code == 400
        ticket = check("get", "/tickets/{ticket_id}", await http.get(f"/tickets/{sup.ticket_ids()[0]}"))
        assert ticket["ticket_state"]["id"] in {
            s["id"] for s in ticket["ticket_type"]["ticket_states"]["data"]
        }
        assert (await http.get("/tickets/42")).status_code == 404


async def test_workspace_lists(sup, make_client, check):
    async with make_client(sup) as http:
        tags = check("get", "/tags", await http.get("/tags"))
        assert [t["id"] for t in tags["data"]] == sup.tag_ids
        check("get", "/segments", await http.get("/segments"))
        teams = check("get", "/teams", await http.get("/teams"))
        assert [t["id"] for t in teams["teams"]] == sup.team_ids
        admins = check("get", "/admins", await http.get("/admins"))
        for admin in admins["admins"]:
            for team_id in admin["team_ids"]:
                team = next(t for t in teams["teams"] if t["id"] == str(team_id))
                assert int(admin["id"]) in team["admin_ids"]
        attrs = check("get", "/conversations/attributes", await http.get("/conversations/attributes"))
        assert {a["name"] for a in attrs["data"]} >= {"issue_type", "order_value"}
        # "model=conversation returns a 422 error. Use GET /conversations/attributes instead."
        r = await http.get("/data_attributes", params={"model": "conversation"})
        assert r.status_code == 422
        check("get", "/data_attributes", r)


async def test_writes_append_parts_and_reach_search_after_the_lag(make_client, check):
    clock = FakeClock(2_000_000_000)
    sb = Sandbox(contacts=50, conversations=30, tickets=0, seed=1, clock=clock, search_lag=60)
    cid = sb.conversation_ids()[4]
    before = sb.get_conversation(cid)
    admin = sb.admin_ids[1]
    async with make_client(sb) as http:
        r = await http.post(
            f"/conversations/{cid}/reply",
            json={"message_type": "comment", "type": "admin", "admin_id": admin, "body": "<p>On it</p>"},
        )
        replied = check("post", "/conversations/{conversation_id}/reply", r)
        assert replied["conversation_parts"]["conversation_parts"][-1]["body"] == "<p>On it</p>"
        assert replied["updated_at"] == 2_000_000_000 > before["updated_at"]
        r = await http.post(
            f"/conversations/{cid}/parts",
            json={
                "message_type": "assignment",
                "type": "team",
                "admin_id": admin,
                "assignee_id": sb.team_ids[2],
            },
        )
        assigned = check("post", "/conversations/{conversation_id}/parts", r)
        assert assigned["team_assignee_id"] == int(sb.team_ids[2])
        r = await http.post(
            f"/conversations/{cid}/parts", json={"message_type": "close", "type": "admin", "admin_id": admin}
        )
        closed = check("post", "/conversations/{conversation_id}/parts", r)
        assert closed["state"] == "closed" and closed["statistics"]["last_closed_by_id"] == admin
        parts = closed["statistics"]["count_conversation_parts"]
        assert parts == before["statistics"]["count_conversation_parts"] + 3
        r = await http.post(f"/conversations/{cid}/tags", json={"id": sb.tag_ids[5], "admin_id": admin})
        assert check("post", "/conversations/{conversation_id}/tags", r)["id"] == sb.tag_ids[5]
        r = await http.post(f"/conversations/{cid}/parts", json={"message_type": "close", "admin_id": "1"})
        assert r.status_code == 404
        q = {"field": "id", "operator": "=", "value": cid}
        lagging = await _search(http, check, q)
        assert (
            lagging["conversations"][0]["updated_at"] == before["updated_at"]
        )  # "This delay can take a few minutes"
        clock.now += 61
        now = await _search(http, check, q)
        assert now["conversations"][0]["state"] == "closed"
        assert now["conversations"][0]["updated_at"] == 2_000_000_000
        # "Deleting a conversation is permanent": gone from get, list and search at once
        gone = check("delete", "/conversations/{conversation_id}", await http.delete(f"/conversations/{cid}"))
        assert gone == {"id": cid, "object": "conversation", "deleted": True}
        assert (await http.get(f"/conversations/{cid}")).status_code == 404
        assert (await _search(http, check, q))["total_count"] == 0
        assert cid not in sb.conversation_ids() and cid in sb.deleted_conversation_ids()
        sb.delete_conversation(sb.conversation_ids()[0])
        listed = (await http.get("/conversations", params={"per_page": 150})).json()
        assert [c["id"] for c in listed["conversations"]] == sb.conversation_ids()


async def test_faults_and_rate_limits_reach_the_support_routes(make_client):
    # a still clock: the 40 requests fall in one rate-limit window
    clock = FakeClock(2_000_000_000)
    faults = Faults(rate=0.5, seed=3)
    sb = Sandbox(contacts=20, conversations=20, tickets=5, seed=0, faults=faults, rate_limit=30, clock=clock)
    statuses = set()
    async with make_client(sb) as http:
        for _ in range(40):
            try:
                statuses.add((await http.get("/conversations")).status_code)
            except Exception:  # a dropped connection is one of the faults
                statuses.add("dropped")
    assert 200 in statuses and 429 in statuses and statuses & {500, 502, 503, "dropped"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    bounds=st.lists(
        st.tuples(
            st.sampled_from(["created_at", "updated_at"]),
            st.sampled_from([">", "<", "="]),
            st.integers(min_value=0, max_value=1000),
        ),
        min_size=1,
        max_size=3,
    ),
    state=st.sampled_from([None, "open", "closed"]),
    pick=st.integers(min_value=0, max_value=10_000),
)
async def test_date_windows_agree_with_the_pure_matcher(sup, make_client, bounds, state, pick):
    """The numpy date-bound path of search against ``matches`` over every conversation (bounds drawn from the
    conversations' own times, so ``=`` and the inclusive edges are hit)."""
    ids = sup.conversation_ids()
    convs = sup._conversations
    docs = [convs.search_doc(convs.record(convs.index(cid))) for cid in ids]
    filters = []
    for field, op, k in bounds:
        value = docs[(pick + k) % len(docs)][field]
        filters.append({"field": field, "operator": op, "value": value})
    if state:
        filters.append({"field": "state", "operator": "=", "value": state})
    query = {"operator": "AND", "value": filters}
    expected = [d["id"] for d in docs if matches(query, d, dialect=CONVERSATIONS)]
    async with make_client(sup) as http:
        body = {"query": query, "pagination": {"per_page": 150}}
        found = (await http.post("/conversations/search", json=body)).json()
    assert [c["id"] for c in found["conversations"]] == expected
    assert found["total_count"] == len(expected)
