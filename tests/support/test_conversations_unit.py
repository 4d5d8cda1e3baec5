"""client.conversations, tickets and the workspace lists against a small fake (httpx.MockTransport): the requests
sent, models, frames, concurrency and the 404-skip rule. The end-to-end tests against the sandbox are in
test_support_sandbox.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from fake_support import T0, FakeSupport, conversation, ticket

import intercomkit as ik
from intercomkit.errors import InvalidQuery, NotFound

pytestmark = pytest.mark.anyio


def fake(n: int = 5, **kw) -> FakeSupport:
    return FakeSupport(
        [conversation(i, parts=i % 4 + 1) for i in range(n)], [ticket(i) for i in range(3)], **kw
    )


async def test_list_walks_every_page_with_per_page_150_and_wraps_models():
    f = fake(7)
    async with ik.AsyncClient(**f.client_kwargs()) as client:
        convs = await client.conversations.list(per_page=3).to_list()
        await client.conversations.list().first_page()
    assert [c.id for c in convs] == [str(i) for i in range(7)]
    assert (
        isinstance(convs[0], ik.Conversation) and convs[0].contact_ids == ["c0"] and convs[0].tag_ids == ["5"]
    )
    assert [r[2].get("per_page") for r in f.requests if r[1] == "/conversations"] == ["3", "3", "3", "150"]


async def test_search_sends_inclusive_bounds_so_the_users_bound_means_what_it_says():
    f = fake(6)
    t2 = T0 + 2 * 3600  # conversation 2's created_at
    async with ik.AsyncClient(**f.client_kwargs()) as client:
        after = await client.conversations.search(
            ik.field("created_at") > datetime.fromtimestamp(t2, UTC)
        ).raw()
        from_ = await client.conversations.search(ik.field("created_at") >= t2).raw()
        before = await client.conversations.search(ik.field("created_at") < t2, sort="created_at").raw()
        through = await client.conversations.search(ik.field("created_at") <= t2).raw()
    assert [c["id"] for c in after] == ["3", "4", "5"]
    assert [c["id"] for c in from_] == ["2", "3", "4", "5"]
    assert [c["id"] for c in before] == ["0", "1"]
    assert [c["id"] for c in through] == ["0", "1", "2"]
    sent = [r[3] for r in f.requests if r[1] == "/conversations/search"]
    assert sent[0]["query"] == {"field": "created_at", "operator": ">", "value": t2 + 1}
    assert sent[0]["pagination"] == {"per_page": 150}
    assert sent[2]["sort"] == {"field": "created_at", "order": "ascending"}


async def test_search_by_a_whole_utc_day_and_by_integers():
    day = datetime.fromtimestamp(T0, UTC).date()
    f = FakeSupport([conversation(i) for i in range(30)])  # one an hour from T0
    async with ik.AsyncClient(**f.client_kwargs()) as client:
        on_day = await client.conversations.search(ik.field("created_at") == day).raw()
        parts = ik.field("statistics.count_conversation_parts")
        over = await client.conversations.search(parts > 3).raw()
        at_least = await client.conversations.search(parts >= 3).raw()
    expected = [
        c for c in f.conversations.values() if datetime.fromtimestamp(c["created_at"], UTC).date() == day
    ]
    assert {c["id"] for c in on_day} == {c["id"] for c in expected} and expected
    # Every conversation has exactly 3 parts: "> 3" sent as is would be Intercom's ">= 3", every one of them.
    assert over == [] and len(at_least) == 30
    sent = [r[3]["query"] for r in f.requests if r[1] == "/conversations/search"]
    assert sent[1] == {"field": "statistics.count_conversation_parts", "operator": ">", "value": 4}


@pytest.mark.parametrize(
    "query, message",
    [
        (ik.field("nope") == "x", "unknown conversations search field"),
        (ik.field("stat") == "x", "did you mean 'state'"),
        (ik.field("state") > "open", "not valid on string field"),
        (ik.field("open") == "yes", "boolean field"),
        (ik.field("created_at") == "yesterday", "date field"),
        (ik.field("created_at") != date(2024, 1, 1), "whole day"),
        (ik.field("created_at").isin([date(2024, 1, 1)]), "whole day"),
        (ik.field("admin_assignee_id") == datetime(2024, 1, 1), "not a date field"),
        (ik.field("admin_assignee_id").contains("7"), "not valid on integer field"),
    ],
)
async def test_bad_queries_raise_invalid_query_before_any_request(query, message):
    f = fake(1)
    async with ik.AsyncClient(**f.client_kwargs()) as client:
        with pytest.raises(InvalidQuery, match=message):
            client.conversations.search(query)
        with pytest.raises(InvalidQuery, match="unknown conversations search field"):
            client.conversations.search(ik.field("state") == "open", sort="email")
    assert f.requests == []


async def test_get_returns_the_conversation_with_its_parts_and_an_unknown_id_is_not_found():
    f = fake(3)
    async with ik.AsyncClient(**f.client_kwargs()) as client:
        conv = await client.conversations.get("2")
        with pytest.raises(NotFound, match="conversation '999' not found"):
            await client.conversations.get("999")
    assert isinstance(conv, ik.Conversation) and conv.state == "open" and conv.admin_assignee_id == "7"
    assert [p.part_type for p in conv.parts] == ["comment", "note", "close"]
    assert conv.parts[0].author["type"] == "admin" and not conv.parts_truncated
    assert conv.created_at == datetime.fromtimestamp(T0 + 2 * 3600, UTC)


async def test_parts_frame_fetches_concurrently_skips_deleted_names_truncated_and_reports_gaps():
    convs = [conversation(i, parts=2) for i in range(40)]
    convs[5] = conversation(5, parts=500)
    convs[5]["statistics"]["count_conversation_parts"] = 600  # Intercom returned only the 500 most recent
    convs[6]["statistics"]["count_conversation_parts"] = 3  # 2 of 3 parts, under 500: a gap, not truncation
    f = FakeSupport(convs)
    in_flight = peak = 0
    inner = f.handler

    async def slow(request):
        nonlocal in_flight, peak
        import anyio

        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0)
        await anyio.sleep(0)
        in_flight -= 1
        return inner(request)

    import httpx

    kwargs = f.client_kwargs() | {"transport": httpx.MockTransport(slow)}
    async with ik.AsyncClient(**kwargs) as client:
        ids = [str(i) for i in range(40)] + ["gone"]
        frame = await client.conversations.parts_frame(ids=ids, concurrency=8)
    assert len(frame) == 78 + 500 and list(frame["conversation_id"].unique()) == [str(i) for i in range(40)]
    assert frame.attrs["missing"] == ["gone"] and frame.attrs["parts_truncated"] == ["5"]
    assert frame.attrs["gaps"] == ["conversation 6: Intercom counts 3 parts, the answer held 2"]
    assert 1 < peak <= 8


async def test_parts_frame_of_a_query_and_of_nothing():
    f = fake(4)
    async with ik.AsyncClient(**f.client_kwargs()) as client:
        closed = await client.conversations.parts_frame(ik.field("state") == "closed")
        empty = await client.conversations.parts_frame(ids=[])
        with pytest.raises(TypeError):
            await client.conversations.parts_frame(ik.field("state") == "closed", ids=["1"])
    assert set(closed["conversation_id"]) == {"1", "3"}
    assert len(empty) == 0 and list(empty.columns) == list(ik.parts_frame([]).columns)
    assert str(empty["created_at"].dtype) == "datetime64[us, UTC]"


async def test_conversations_frame_types_custom_columns_from_data_attributes_and_adds_names():
    f = fake(4)
    async with ik.AsyncClient(**f.client_kwargs()) as client:
        frame = await client.conversations.frame(names=True)
        f.attributes_status = 403
        inferred = await client.conversations.frame(limit=2)
    assert str(frame["custom.Seats"].dtype) == "Float64"  # the workspace says float, values are ints
    assert str(inferred["custom.Seats"].dtype) == "Int64"
    assert list(frame["admin_assignee_name"]) == ["Ada"] * 4
    assert list(
        frame["team_assignee_name"].astype(object).where(frame["team_assignee_name"].notna(), None)
    ) == [
        None,
        "Support",
        "Support",
        None,
    ]
    models = [r[2].get("model") for r in f.requests if r[1] == "/data_attributes"]
    assert models == ["conversation", "conversation"]


async def test_tickets_search_get_frame_types_and_states():
    f = fake(1)
    async with ik.AsyncClient(**f.client_kwargs()) as client:
        found = await client.tickets.search(ik.field("created_at") > T0).to_list()
        one = await client.tickets.get("101")
        frame = await client.tickets.frame()
        types, states = await client.tickets.types_frame(), await client.tickets.states_frame()
        with pytest.raises(InvalidQuery, match="ticket attributes are searched as 'ticket_attribute.<name>'"):
            client.tickets.search(ik.field("urgency") == 1)
        with pytest.raises(NotFound):
            await client.tickets.get("nope")
    assert [t.id for t in found] == ["101", "102"] and one.ticket_state["category"] == "submitted"
    assert list(frame["id"]) == ["100", "101", "102"] and str(frame["attr.Urgency"].dtype) == "Int64"
    assert list(frame["ticket_state"]) == ["submitted"] * 3 and list(frame["ticket_type_name"]) == ["Bug"] * 3
    assert list(types["name"]) == ["Bug"] and list(states["category"]) == ["submitted"]


async def test_workspace_lists_and_their_frames():
    f = fake(1)
    async with ik.AsyncClient(**f.client_kwargs()) as client:
        tags = await client.tags.list()
        frames = [
            await client.tags.frame(),
            await client.segments.frame(),
            await client.teams.frame(),
            await client.admins.frame(),
            await client.data_attributes.frame(model="conversation"),
        ]
        with pytest.raises(ValueError, match="model must be one of"):
            await client.data_attributes.list(model="ticket")
    assert [t.name for t in tags] == ["billing"]
    assert [len(x) for x in frames] == [1, 1, 1, 1, 2]
    assert frames[2]["admin_ids"][0] == ["7"] and str(frames[1]["created_at"].dtype) == "datetime64[us, UTC]"


def test_the_sync_facade_covers_the_support_resources():
    f = fake(3)
    client = ik.AsyncClient(**f.client_kwargs())
    try:
        assert client.sync.conversations.get("1").id == "1"
        assert len(client.sync.conversations.list().to_list()) == 3
        assert isinstance(client.sync.conversations.frame(), pd.DataFrame)
        assert len(client.sync.conversations.parts_frame(ids=["0", "1"])) == 3
        assert len(client.sync.tickets.frame()) == 3
        assert [t.name for t in client.sync.tags.list()] == ["billing"]
    finally:
        client.sync.close()
