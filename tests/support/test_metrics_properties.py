"""Properties of the metrics on generated conversations and parts (any part types, in any order, ties in time)."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support_helpers import conversations, parts

import intercomkit as ik
from benchmarks.support import hand_written_statistics

KINDS = [
    ("comment", "user"),
    ("comment", "lead"),
    ("comment", "admin"),
    ("comment", "bot"),
    ("note", "admin"),
    ("assignment", "admin"),
    ("assignment", "bot"),
    ("assign_and_reopen", "admin"),
    ("open", "user"),
    ("close", "admin"),
    ("snoozed", "admin"),
    ("unsnoozed", "admin"),
    ("quick_reply", "bot"),
    ("conversation_attribute_updated_by_admin", "admin"),
]

part = st.tuples(
    st.integers(0, 5_000),  # seconds after the conversation started (ties are likely)
    st.sampled_from(KINDS),
    st.sampled_from(["a1", "a2", None]),  # assigned to (assignments only)
    st.booleans(),  # from the AI agent
)
conversation = st.fixed_dictionaries(
    {
        "created": st.integers(0, 90 * 86400),
        "state": st.sampled_from(["open", "closed", "snoozed"]),
        "admin_assignee_id": st.sampled_from(["a1", "a2", None]),
        "team_assignee_id": st.sampled_from(["t1", None]),
        "channel": st.sampled_from(["chat", "email"]),
        "rating": st.sampled_from([None, 1, 2, 3, 4, 5]),
        "ai_agent_participated": st.booleans(),
        "ai_agent_resolution_state": st.sampled_from([None, "assumed_resolution", "routed_to_team"]),
        "parts": st.lists(part, max_size=12),
    }
)


def _frames(generated: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, part_rows = [], []
    for i, c in enumerate(generated):
        cid = f"c{i}"
        rows.append({"id": cid, **{k: v for k, v in c.items() if k != "parts"}})
        for offset, (kind, author), assigned, fin in c["parts"]:
            who = "a1" if author == "admin" else "u"
            part_rows.append(
                (cid, c["created"] + offset, kind, author, who, assigned if "assign" in kind else None, fin)
            )
    return conversations(rows), parts(part_rows)


settings_ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings_
@given(st.lists(conversation, min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_wall_statistics_equal_the_contracts_walk_in_any_part_order(generated, rnd):
    convs, prts = _frames(generated)
    # Parts in any order: both sort by (conversation, created_at) and keep the list order where times tie.
    shuffled = prts.sample(frac=1, random_state=rnd.randrange(2**32))
    expected = hand_written_statistics(convs, shuffled)  # one conversation at a time, the rules as a loop
    pd.testing.assert_frame_equal(ik.support.wall_statistics(convs, shuffled), expected, check_exact=True)


@settings_
@given(st.lists(conversation, min_size=1, max_size=10))
def test_durations_are_never_negative_and_counts_add_up(generated):
    convs, prts = _frames(generated)
    wall = ik.support.wall_statistics(convs, prts)
    for column in ("time_to_assignment", "time_to_admin_reply", "time_to_first_close", "time_to_last_close"):
        assert (wall[column].dropna() >= 0).all(), column
    assert (wall["median_time_to_reply"].dropna() >= 0).all()
    assert (wall["count_reopens"] >= 0).all() and (wall["count_assignments"] >= 0).all()
    overall = ik.support.metrics(convs, prts, clock="wall").iloc[0]
    assert overall["conversations"] == len(convs)
    assert overall["closed"] == (convs["state"] == "closed").sum()
    assert overall["ratings"] == convs["rating"].notna().sum()
    assert 0 <= overall["reopened"] <= overall["conversations"]
    for rate in (
        "reopen_rate",
        "rating_rate",
        "csat",
        "ai_agent_participation_rate",
        "ai_agent_resolution_rate",
    ):
        assert pd.isna(overall[rate]) or 0 <= overall[rate] <= 1, rate


@settings_
@given(
    st.lists(conversation, min_size=1, max_size=10),
    st.sampled_from(["week", "month", "admin", "team", "channel", ["team", "channel"], ["month", "admin"]]),
)
def test_groups_partition_the_conversations(generated, by):
    convs, prts = _frames(generated)
    grouped = ik.support.metrics(convs, prts, by=by, clock="wall")
    overall = ik.support.metrics(convs, prts, clock="wall").iloc[0]
    keys = [by] if isinstance(by, str) else by
    assert not grouped.duplicated(keys).any()
    for column in ("conversations", "closed", "reopened", "ratings", "ai_agent_participated"):
        assert grouped[column].sum() == overall[column], column
    assert (grouped["conversations"] > 0).all()
    sums = ik.support.csat(convs, by=by)
    assert sums["ratings"].sum() == overall["ratings"]


@settings_
@given(st.lists(conversation, min_size=1, max_size=10))
def test_backlog_counts_every_conversation_once(generated):
    convs, prts = _frames(generated)
    convs = convs.assign(last_close_at=ik.support.wall_statistics(convs, prts)["last_close_at"])
    days = ik.support.backlog(convs, freq="D")
    assert days["opened"].sum() == len(convs)
    assert (days["open"] >= 0).all()
    closed_for_good = ((convs["state"] == "closed") & convs["last_close_at"].notna()).sum()
    assert days["open"].iloc[-1] == len(convs) - closed_for_good
