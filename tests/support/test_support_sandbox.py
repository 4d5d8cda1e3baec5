"""The support resources end to end against the sandbox, through the public API: listings and searches agree with
the sandbox's own conversations, bounds mean what they say under Intercom's inclusive ``>``/``<``, parts come back
complete or named (500-part truncation, deleted conversations), frames keep the contract's schema, and the thin
actions change the conversation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import intercomkit as ik
from intercomkit._support_rows import CONVERSATION_SPEC, PART_SPEC, TICKET_SPEC
from intercomkit.errors import InvalidQuery, NotFound
from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio

_DTYPE = {
    "string": "string",
    "timestamp": "datetime64[us, UTC]",
    "int": "Int64",
    "bool": "boolean",
    "list": "object",
}


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(contacts=60, conversations=120, tickets=12, seed=3)


@pytest.fixture(scope="module")
def every(sandbox) -> list[dict]:
    """Every live conversation as GET answers it (all parts, for the 500-part ones too)."""
    return [sandbox.get_conversation(i, all_parts=True) for i in sandbox.conversation_ids()]


async def test_list_and_frame_return_every_live_conversation_with_the_contract_schema(sandbox, every):
    async with sandbox.client() as client:
        frame = await client.conversations.frame()
        empty = await client.conversations.frame(ik.field("id") == "no-such-id")
    assert sorted(frame["id"]) == sorted(sandbox.conversation_ids())
    assert not set(frame["id"]) & set(sandbox.deleted_conversation_ids())
    fixed = [name for name, _ in CONVERSATION_SPEC]
    assert list(frame.columns[: len(fixed)]) == fixed
    assert list(frame.columns[len(fixed) :]) == sorted(frame.columns[len(fixed) :])
    assert all(c.startswith("custom.") for c in frame.columns[len(fixed) :])
    for name, kind in CONVERSATION_SPEC:
        assert str(frame[name].dtype) == _DTYPE[kind], name
        assert str(empty[name].dtype) == _DTYPE[kind], name
    assert len(empty) == 0
    # The workspace types its custom attributes: order_value is an integer attribute.
    assert str(frame["custom.order_value"].dtype) == "Int64"
    assert (frame["count_conversation_parts"] >= 0).all()
    channels = dict(zip(frame["id"], frame["channel"], strict=True))
    for conv in every:
        current = (conv.get("channel") or {}).get("current")
        assert channels[conv["id"]] == (current if current is not None else conv["source"]["type"])


async def test_names_come_from_the_workspaces_admins_and_teams(sandbox):
    async with sandbox.client() as client:
        frame = await client.conversations.frame(names=True, limit=40)
        admins, teams = await client.admins.frame(), await client.teams.frame()
    names = dict(zip(admins["id"], admins["name"], strict=True))
    assigned = frame[frame["admin_assignee_id"].notna()]
    assert (
        len(assigned) and (assigned["admin_assignee_name"] == assigned["admin_assignee_id"].map(names)).all()
    )
    team_names = dict(zip(teams["id"], teams["name"], strict=True))
    teamed = frame[frame["team_assignee_id"].notna()]
    assert (teamed["team_assignee_name"] == teamed["team_assignee_id"].map(team_names)).all()


_OPS = {
    ">": lambda x, t: x > t,
    ">=": lambda x, t: x >= t,
    "<": lambda x, t: x < t,
    "<=": lambda x, t: x <= t,
}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pick=st.integers(0, 10_000), shift=st.sampled_from([-1, 0, 1]), op=st.sampled_from(sorted(_OPS)))
async def test_a_created_at_bound_means_what_it_says(sandbox, every, pick, shift, op):
    # Bounds on and next to real created_at values: where Intercom's inclusive ">"/"<" differ from the user's.
    t = every[pick % len(every)]["created_at"] + shift
    bound = ik.field("created_at")
    query = {">": bound > t, ">=": bound >= t, "<": bound < t, "<=": bound <= t}[op]
    async with sandbox.client() as client:
        found = await client.conversations.search(query).raw()
    expected = {c["id"] for c in every if _OPS[op](c["created_at"], t)}
    assert {c["id"] for c in found} == expected


async def test_a_date_is_the_whole_utc_day_and_integers_are_exact(sandbox, every):
    day = datetime.fromtimestamp(every[0]["created_at"], UTC).date()
    async with sandbox.client() as client:
        on_day = await client.conversations.search(ik.field("created_at") == day).raw()
        after_day = await client.conversations.search(ik.field("created_at") > day).raw()
        replied = await client.conversations.search(ik.field("statistics.count_reopens") > 0).raw()
        open_ = await client.conversations.search(ik.field("state") == "open", sort="created_at").raw()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + timedelta(days=1)

    def when(c):
        return datetime.fromtimestamp(c["created_at"], UTC)

    assert {c["id"] for c in on_day} == {c["id"] for c in every if start <= when(c) < end}
    assert {c["id"] for c in after_day} == {c["id"] for c in every if when(c) >= end}
    assert {c["id"] for c in replied} == {c["id"] for c in every if c["statistics"]["count_reopens"] > 0}
    assert [c["id"] for c in open_] == [
        c["id"] for c in sorted(every, key=lambda c: c["created_at"]) if c["state"] == "open"
    ]


async def test_invalid_queries_are_refused_before_the_sandbox_sees_them(sandbox):
    async with sandbox.client() as client:
        with pytest.raises(InvalidQuery, match="unknown conversations search field 'email'"):
            client.conversations.search(ik.field("email") == "a@b.test")
        with pytest.raises(InvalidQuery, match="boolean field"):
            client.conversations.search(ik.field("ai_agent_participated") == 1)
        with pytest.raises(InvalidQuery, match="not valid on integer field"):
            client.conversations.search(ik.field("statistics.count_reopens").startswith("1"))


async def test_get_has_the_parts_and_names_truncation_and_unknown_ids_are_not_found(sandbox):
    big = sandbox.big_conversation_ids()
    assert big
    async with sandbox.client() as client:
        small = await client.conversations.get(sandbox.conversation_ids()[0])
        huge = await client.conversations.get(big[0])
        with pytest.raises(NotFound, match="conversation"):
            await client.conversations.get(sandbox.deleted_conversation_ids()[0])
        with pytest.raises(NotFound):
            await client.conversations.get("123456789012")
    assert small.parts and not small.parts_truncated and small.parts_count == len(small.parts)
    assert huge.parts_truncated and len(huge.parts) == 500 and huge.parts_count > 500


async def test_parts_frame_of_every_conversation_skips_one_deleted_meanwhile(every):
    sandbox = Sandbox(contacts=60, conversations=120, tickets=0, seed=3)
    ids = sandbox.conversation_ids()
    sandbox.delete_conversation(ids[7])  # listed, then deleted before its parts are fetched
    async with sandbox.client() as client:
        parts = await client.conversations.parts_frame(ids=ids, concurrency=6)
        none = await client.conversations.parts_frame(ik.field("id") == "nothing")
    assert parts.attrs["missing"] == [ids[7]]
    assert sorted(parts.attrs["parts_truncated"]) == sorted(set(sandbox.big_conversation_ids()) - {ids[7]})
    expected = {c["id"]: c for c in every if c["id"] != ids[7]}
    per_conversation = parts.groupby("conversation_id").size()
    for cid, conv in expected.items():
        # Every part Intercom returns: all of them, or the 500 most recent.
        assert per_conversation.get(cid, 0) == min(
            len(conv["conversation_parts"]["conversation_parts"]), 500
        ), cid
    assert list(parts.columns) == [name for name, _ in PART_SPEC] == list(none.columns)
    for name, kind in PART_SPEC:
        assert str(parts[name].dtype) == _DTYPE[kind] == str(none[name].dtype), name
    comments = parts[parts["body_html"].notna()]
    assert not comments["body"].str.contains("<p>").any() and comments["body_html"].str.contains("<").all()
    assert set(parts["author_type"].dropna()) <= {"user", "lead", "admin", "bot", "team"}


async def test_tickets_frame_types_and_states(sandbox):
    async with sandbox.client() as client:
        frame = await client.tickets.frame()
        one = await client.tickets.get(frame["id"][0])
        states = await client.tickets.states_frame()
        types = await client.tickets.types_frame()
        resolved = await client.tickets.search(ik.field("created_at") >= 0).frame()
    assert sorted(frame["id"]) == sorted(sandbox.ticket_ids()) and len(resolved) == len(frame)
    assert list(frame.columns[: len(TICKET_SPEC)]) == [name for name, _ in TICKET_SPEC]
    assert str(frame["attr.severity"].dtype) == "Int64"
    assert one.ticket_state["category"] in set(states["category"])
    assert set(frame["ticket_type_name"]) <= set(types["name"])


async def test_workspace_lists(sandbox):
    async with sandbox.client() as client:
        tags, segments, teams = (
            await client.tags.frame(),
            await client.segments.frame(),
            await client.teams.frame(),
        )
        attributes = await client.data_attributes.frame(model="conversation")
        contact_attributes = await client.data_attributes.list(model="contact")
        frame = await client.conversations.frame(limit=30)
    assert set().union(*frame["tag_ids"]) <= set(tags["id"])
    assert set(frame["team_assignee_id"].dropna()) <= set(teams["id"])
    assert len(segments) and "order_value" in set(attributes["name"]) and contact_attributes


async def test_reply_close_assign_and_tag_change_the_conversation():
    sandbox = Sandbox(contacts=20, conversations=10, tickets=0, seed=5)
    cid = sandbox.conversation_ids()[0]
    admin = sandbox.admin_ids[0]
    async with sandbox.client() as client:
        tag = (await client.tags.list())[0]
        await client.conversations.reply(cid, "<p>On it</p>", admin=admin)
        await client.conversations.reply(cid, "internal", admin=admin, note=True)
        await client.conversations.assign(cid, admin=admin, to_team=sandbox.team_ids[0])
        await client.conversations.close(cid, admin=admin)
        await client.conversations.tag(cid, tag.id, admin=admin)
        after = await client.conversations.get(cid)
        with pytest.raises(NotFound):
            await client.conversations.close("404404404", admin=admin)
    kinds = [p.part_type for p in after.parts[-4:]]
    assert kinds == ["comment", "note", "assignment", "close"]
    assert (
        after.state == "closed" and tag.id in after.tag_ids and after.team_assignee_id == sandbox.team_ids[0]
    )


def test_sync_facade_against_the_sandbox(sandbox):
    client = sandbox.client()
    try:
        frame = client.sync.conversations.frame(ik.field("state") == "closed")
        parts = client.sync.conversations.parts_frame(ids=list(frame["id"][:3]))
    finally:
        client.sync.close()
    assert (frame["state"] == "closed").all() and set(parts["conversation_id"]) == set(frame["id"][:3])


async def test_parts_frame_under_a_rate_limit_and_faults_returns_exactly_the_sandboxs_parts():
    from fake_clock import FakeClock

    from intercomkit.sandbox import Faults

    clock = FakeClock()
    kinds = ("500", "503", "429burst", "drop", "truncate")
    sandbox = Sandbox(
        contacts=30, conversations=60, tickets=0, seed=8, clock=clock, sleep=clock.sleep, rate_limit=10,
        faults=Faults(rate=0.15, seed=4, kinds=kinds),
    )  # fmt: skip
    ids = sandbox.conversation_ids()
    async with sandbox.client(clock=clock, sleep=clock.sleep) as client:
        parts = await client.conversations.parts_frame(ids=ids, concurrency=8)
        stats = client.stats
    expected = []
    for cid in ids:
        conv = sandbox.get_conversation(cid)
        expected += [(cid, p["id"]) for p in conv["conversation_parts"]["conversation_parts"]]
    assert sorted(zip(parts["conversation_id"], parts["id"], strict=True)) == sorted(expected)
    assert parts.attrs["missing"] == [] and stats.retries > 0 and stats.rate_limited > 0


async def test_parts_are_fetched_under_the_workspaces_shared_budget():
    """get_many / parts_frame wait for the budget an export of the same workspace spent (one budget per
    workspace), and teach it what the answers say."""
    from fake_clock import FakeClock

    from intercomkit._protocol.ratelimit import RateLimit

    clock = FakeClock()
    sandbox = Sandbox(contacts=20, conversations=40, tickets=0, seed=5, clock=clock, sleep=clock.sleep)
    ids = sandbox.conversation_ids()
    async with sandbox.client(clock=clock, sleep=clock.sleep) as client:
        budget = client.workspaces.budget(client.workspace_key)  # held: the budget another export is using
        budget.observe(RateLimit(limit=50, remaining=0, reset_at=clock() + 7), clock())
        start = clock()
        fetched = await client.conversations.get_many(ids, concurrency=6)
    assert [c.id for c in fetched.conversations] == ids and fetched.missing == []
    assert clock.slept and clock.slept[0] >= 7 - 0.01 and clock() >= start + 7  # waited for the reset first
    assert (
        budget.reset_at is not None and budget.reset_at > start + 7
    )  # a later window, learnt from the answers
