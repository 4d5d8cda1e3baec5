"""The support workspace's generator: deterministic, statistics that obey the shared contract, >500-part and deleted
conversations as Intercom answers them."""

from __future__ import annotations

import statistics as pystats
from collections import Counter

import pytest

from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio

PART_TYPES = {
    "comment",
    "note",
    "assignment",
    "open",
    "close",
    "snoozed",
    "unsnoozed",
    "assign_and_reopen",
    "quick_reply",
    "conversation_attribute_updated_by_admin",
}


def contract_statistics(t0: int, parts: list[dict]) -> dict:
    """The contract's "Statistics, wall-clock" rules, written out again from its text (independently of the
    sandbox's code), as the analytics metrics compute them."""
    ps = sorted(parts, key=lambda p: p["created_at"])

    def admin_reply(p):
        a = p["author"]
        return p["part_type"] == "comment" and a["type"] == "admin" and not a.get("from_ai_agent")

    def contact_reply(p):
        return p["part_type"] == "comment" and p["author"]["type"] in ("user", "lead")

    def assignment(p):
        return p["part_type"] in ("assignment", "assign_and_reopen") and p.get("assigned_to") is not None

    admin = [p["created_at"] for p in ps if admin_reply(p) and p["created_at"] >= t0]
    assigns = [p["created_at"] for p in ps if assignment(p) and p["created_at"] >= t0]
    closes = [p for p in ps if p["part_type"] == "close"]
    out: dict = {}
    out["first_admin_reply_at"] = admin[0] if admin else None
    out["time_to_admin_reply"] = admin[0] - t0 if admin else None
    out["first_assignment_at"] = assigns[0] if assigns else None
    out["last_assignment_at"] = assigns[-1] if assigns else None
    out["count_assignments"] = len(assigns)
    limit = admin[0] if admin else None
    eligible = [t for t in assigns if limit is None or t <= limit]
    out["time_to_assignment"] = eligible[-1] - t0 if eligible else None
    out["first_close_at"] = closes[0]["created_at"] if closes else None
    out["last_close_at"] = closes[-1]["created_at"] if closes else None
    out["time_to_first_close"] = closes[0]["created_at"] - t0 if closes else None
    out["time_to_last_close"] = closes[-1]["created_at"] - t0 if closes else None
    out["last_closed_by_id"] = closes[-1]["author"]["id"] if closes else None
    reopens, seen_close = 0, False
    for p in ps:
        if p["part_type"] == "close":
            seen_close = True
        elif p["part_type"] in ("open", "assign_and_reopen") and seen_close:
            reopens, seen_close = reopens + 1, False
    out["count_reopens"] = reopens
    contacts = [p["created_at"] for p in ps if contact_reply(p)]
    out["last_contact_reply_at"] = contacts[-1] if contacts else t0
    out["last_admin_reply_at"] = admin[-1] if admin else None
    later = [t for t in admin if assigns and t > assigns[-1]]
    out["last_assignment_admin_reply_at"] = later[0] if later else None
    waiting, recorded = t0, []
    for p in ps:
        if contact_reply(p) and waiting is None:
            waiting = p["created_at"]
        elif admin_reply(p) and waiting is not None:
            recorded.append(p["created_at"] - waiting)
            waiting = None
    out["median_time_to_reply"] = pystats.median_low(recorded) if recorded else None
    handling = closes[-1]["created_at"] - assigns[0] if closes and assigns else None
    out["handling_time"] = out["adjusted_handling_time"] = handling
    out["count_conversation_parts"] = len(parts)
    out["first_contact_reply_at"] = t0
    return out


@pytest.fixture(scope="module")
def support() -> Sandbox:
    return Sandbox(contacts=200, companies=10, conversations=600, tickets=20, seed=4)


def test_same_seed_same_workspace_other_seed_other_data():
    a, b = Sandbox(contacts=50, conversations=40, seed=1), Sandbox(contacts=50, conversations=40, seed=1)
    assert a.conversation_ids() == b.conversation_ids()
    for cid in a.conversation_ids()[:10]:
        assert a.get_conversation(cid) == b.get_conversation(cid)
    c = Sandbox(contacts=50, conversations=40, seed=2)
    assert [c.get_conversation(i) for i in c.conversation_ids()[:10]] != [
        a.get_conversation(i) for i in a.conversation_ids()[:10]
    ]
    # A workspace of other sizes is another workspace (an export checkpoint is bound to it)
    assert Sandbox(contacts=50, conversations=41, seed=1)._store.ws.app_id != a._store.ws.app_id


def test_statistics_obey_the_contract_on_every_conversation(support):
    for cid in support.conversation_ids():
        conv = support.get_conversation(cid, all_parts=True)
        parts = conv["conversation_parts"]["conversation_parts"]
        stats = conv["statistics"]
        expected = contract_statistics(conv["created_at"], parts)
        assert {k: stats[k] for k in expected} == expected, cid
        # "Conversations in the sandbox start with a contact's message": t0 is the source's time
        assert (
            stats["first_contact_reply_at"] == conv["created_at"] == conv["first_contact_reply"]["created_at"]
        )
        assert conv["source"]["author"]["type"] in ("user", "lead")
        assert conv["updated_at"] == max(p["created_at"] for p in parts)


def test_parts_are_real_types_by_contacts_admins_and_bots(support):
    types, authors = Counter(), Counter()
    for cid in support.conversation_ids():
        for p in support.get_conversation(cid, all_parts=True)["conversation_parts"]["conversation_parts"]:
            types[p["part_type"]] += 1
            authors[(p["author"]["type"], p["author"]["from_ai_agent"])] += 1
            if p["author"]["from_ai_agent"]:
                assert p["author"]["type"] == "bot"
    assert set(types) == PART_TYPES
    assert {("user", False), ("admin", False), ("bot", False), ("bot", True)} <= set(authors)


def test_ratings_ai_agent_tags_and_assignees_on_some(support):
    convs = [support.get_conversation(cid) for cid in support.conversation_ids()]
    rated = [c for c in convs if c["conversation_rating"]]
    assert 0 < len(rated) < len(convs)
    # a rating is asked for at a close: "conversation_rating.created_at" is the last close
    for c in rated:
        assert 1 <= c["conversation_rating"]["rating"] <= 5
        assert c["conversation_rating"]["created_at"] == c["statistics"]["last_close_at"]
    fin = [c for c in convs if c["ai_agent_participated"]]
    assert 0 < len(fin) < len(convs) and all(c["ai_agent"]["resolution_state"] for c in fin)
    assert all(c["ai_agent"] is None for c in convs if not c["ai_agent_participated"])
    assert any(c["tags"]["tags"] for c in convs)
    assert {c["state"] for c in convs} == {"open", "closed", "snoozed"}
    assert set(str(c["admin_assignee_id"]) for c in convs if c["admin_assignee_id"]) <= set(support.admin_ids)
    assert set(str(c["team_assignee_id"]) for c in convs if c["team_assignee_id"]) <= set(support.team_ids)


async def test_big_conversations_answer_the_500_most_recent_parts(support, make_client, check):
    big = support.big_conversation_ids()
    assert big
    async with make_client(support) as http:
        for cid in big:
            got = check("get", "/conversations/{conversation_id}", await http.get(f"/conversations/{cid}"))
            every = support.get_conversation(cid, all_parts=True)["conversation_parts"]["conversation_parts"]
            shown = got["conversation_parts"]["conversation_parts"]
            assert len(shown) == 500 < got["statistics"]["count_conversation_parts"] == len(every)
            assert shown == every[-500:]


async def test_deleted_conversations_are_404_and_never_listed_or_searched(support, make_client, check):
    deleted = support.deleted_conversation_ids()
    assert deleted and not set(deleted) & set(support.conversation_ids())
    async with make_client(support) as http:
        for cid in deleted:
            r = await http.get(f"/conversations/{cid}")
            assert r.status_code == 404
            check("get", "/conversations/{conversation_id}", r)
        listed, cursor = [], None
        while True:
            params = {"per_page": 150, **({"starting_after": cursor} if cursor else {})}
            r = await http.get("/conversations", params=params)
            # validating 150 conversations a page is slow: the first page is enough (the rest are the same shape)
            page = check("get", "/conversations", r) if cursor is None else r.json()
            listed += [c["id"] for c in page["conversations"]]
            assert page["total_count"] == len(support.conversation_ids())
            cursor = (page["pages"].get("next") or {}).get("starting_after")
            if not cursor:
                break
        assert listed == support.conversation_ids()
        body = {"query": {"field": "id", "operator": "IN", "value": deleted}}
        found = check("post", "/conversations/search", await http.post("/conversations/search", json=body))
        assert found["total_count"] == 0 and found["conversations"] == []


async def test_a_large_workspace_serves_list_and_window_pages(make_client, check):
    sb = Sandbox(contacts=1000, companies=10, conversations=100_000, tickets=10, seed=0)
    async with make_client(sb) as http:
        page = (await http.get("/conversations", params={"per_page": 150})).json()
        assert len(page["conversations"]) == 150
        t = page["conversations"][-1]["updated_at"]
        window = {
            "operator": "AND",
            "value": [
                {"field": "updated_at", "operator": ">", "value": t - 86_400},
                {"field": "updated_at", "operator": "<", "value": t},
            ],
        }
        body = {
            "query": window,
            "pagination": {"per_page": 150},
            "sort": {"field": "updated_at", "order": "ascending"},
        }
        found = (await http.post("/conversations/search", json=body)).json()
        assert 0 < len(found["conversations"]) <= 150 and found["total_count"] >= len(found["conversations"])
        assert all(t - 86_400 <= c["updated_at"] <= t for c in found["conversations"])
