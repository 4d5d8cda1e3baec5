"""Three conversations worked out by hand: every expected number is written out next to how it was counted."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from support_helpers import BASE, at, conversations, parts, with_wall_statistics

import intercomkit as ik
from intercomkit.errors import ConfigurationError

M, H, D = 60, 3600, 86400

# c1 (Mon 09:00, admin a1, team t1): assigned at 1 m, admin replies 5 m, contact 10 m, admin 30 m, closed 40 m.
# c2 (Mon 10:00, admin a2, team t1): a note (not a reply) at 0, Fin answers 2 m (not an admin reply), assigned 3 m,
#     admin replies 20 m, closed 25 m, the contact reopens 60 m and writes 61 m, admin replies 90 m, closed 100 m.
# c3 (Tue next week, nobody assigned): the contact writes at 5 m; Fin resolved it; still open.
PARTS = parts(
    [
        ("c1", 1 * M, "assignment", "bot", "b1", "a1"),
        ("c1", 5 * M, "comment", "admin", "a1"),
        ("c1", 10 * M, "comment", "user", "u1"),
        ("c1", 30 * M, "comment", "admin", "a1"),
        ("c1", 40 * M, "close", "admin", "a1"),
        ("c2", H + 0, "note", "admin", "a2"),
        ("c2", H + 2 * M, "comment", "bot", "fin", None, True),
        ("c2", H + 3 * M, "assignment", "admin", "a2", "a2"),
        ("c2", H + 20 * M, "comment", "admin", "a2"),
        ("c2", H + 25 * M, "close", "admin", "a2"),
        ("c2", H + 60 * M, "open", "user", "u2"),
        ("c2", H + 61 * M, "comment", "user", "u2"),
        ("c2", H + 90 * M, "comment", "admin", "a2"),
        ("c2", H + 100 * M, "close", "admin", "a3"),
        ("c3", 8 * D + 5 * M, "comment", "user", "u3"),
    ]
)
CONVERSATIONS = conversations(
    [
        {"id": "c1", "created": 0, "state": "closed", "admin_assignee_id": "a1", "team_assignee_id": "t1",
         "channel": "chat", "rating": 5, "ai_agent_participated": False},
        {"id": "c2", "created": H, "state": "closed", "admin_assignee_id": "a2", "team_assignee_id": "t1",
         "channel": "email", "rating": 2, "ai_agent_participated": True,
         "ai_agent_resolution_state": "routed_to_team"},
        {"id": "c3", "created": 8 * D, "state": "open", "channel": "chat", "ai_agent_participated": True,
         "ai_agent_resolution_state": "assumed_resolution"},
    ]
)  # fmt: skip


def test_wall_statistics_follow_the_contract_rules():
    wall = ik.support.wall_statistics(CONVERSATIONS, PARTS).set_index("id")
    c1, c2, c3 = wall.loc["c1"], wall.loc["c2"], wall.loc["c3"]
    assert c1["time_to_admin_reply"] == 5 * M
    assert c1["time_to_assignment"] == 1 * M  # the last assignment before the first admin reply
    assert (c1["time_to_first_close"], c1["time_to_last_close"]) == (40 * M, 40 * M)
    assert c1["median_time_to_reply"] == 5 * M  # waits 300 s and 1200 s: median_low is 300
    assert c1["handling_time"] == 39 * M  # last close 40 m - first assignment 1 m
    assert (c1["count_reopens"], c1["count_assignments"]) == (0, 1)
    assert c1["last_assignment_admin_reply_at"] == at(5 * M)
    assert c1["last_contact_reply_at"] == at(10 * M)

    assert c2["time_to_admin_reply"] == 20 * M  # the note and Fin do not count
    assert c2["time_to_assignment"] == 3 * M
    assert (c2["time_to_first_close"], c2["time_to_last_close"]) == (25 * M, 100 * M)
    assert c2["median_time_to_reply"] == 20 * M  # waits 1200 s (t0 → 20 m) and 1740 s (61 m → 90 m)
    assert c2["count_reopens"] == 1
    assert c2["handling_time"] == 97 * M
    assert c2["last_closed_by_id"] == "a3"
    assert c2["first_admin_reply_at"] == at(H + 20 * M)
    assert c2["last_admin_reply_at"] == at(H + 90 * M)

    assert (
        c3[["time_to_admin_reply", "time_to_assignment", "time_to_first_close", "median_time_to_reply"]]
        .isna()
        .all()
    )
    assert (c3["count_reopens"], c3["count_assignments"]) == (0, 0)
    assert c3["first_contact_reply_at"] == at(8 * D)
    assert c3["last_contact_reply_at"] == at(8 * D + 5 * M)
    assert wall["time_to_admin_reply"].dtype == "Int64"
    assert wall["first_close_at"].dtype == CONVERSATIONS["created_at"].dtype


def test_metrics_over_everything_by_hand():
    convs = with_wall_statistics(CONVERSATIONS, PARTS)
    row = ik.support.metrics(convs).iloc[0]
    assert (row["conversations"], row["closed"], row["reopened"]) == (3, 2, 1)
    assert row["reopen_rate"] == 0.5  # c2 of the two ever closed
    # quantiles interpolate linearly between the conversations that have the duration (c3 has none)
    assert (row["time_to_admin_reply_median"], row["time_to_admin_reply_p90"]) == (750, 300 + 0.9 * 900)
    assert (row["time_to_assignment_median"], row["time_to_assignment_p90"]) == (120, 60 + 0.9 * 120)
    assert (row["time_to_first_close_median"], row["time_to_first_close_p90"]) == (1950, 1500 + 0.9 * 900)
    assert (row["time_to_last_close_median"], row["time_to_last_close_p90"]) == (4200, 2400 + 0.9 * 3600)
    assert (row["time_to_reply_median"], row["time_to_reply_p90"]) == (750, 300 + 0.9 * 900)
    assert row["handling_time_median"] == (2340 + 5820) / 2
    assert (row["ratings"], row["rating_rate"], row["rating_mean"], row["csat"]) == (2, 1.0, 3.5, 0.5)
    assert row["ai_agent_participated"] == 2
    assert row["ai_agent_participation_rate"] == pytest.approx(2 / 3)
    assert row["ai_agent_resolution_rate"] == 0.5  # c3 resolved, c2 routed to the team


def test_metrics_by_admin_keep_the_unassigned_group():
    convs = with_wall_statistics(CONVERSATIONS, PARTS)
    by_admin = ik.support.metrics(convs, by="admin")
    assert by_admin["admin"].tolist()[:2] == ["a1", "a2"] and pd.isna(by_admin["admin"].iloc[2])
    assert by_admin["conversations"].tolist() == [1, 1, 1]
    assert by_admin["time_to_admin_reply_median"].tolist()[:2] == [300, 1200]
    assert math.isnan(by_admin["time_to_admin_reply_median"].iloc[2])
    assert math.isnan(by_admin["reopen_rate"].iloc[2])  # never closed: no rate, not 0


def test_metrics_by_week_and_channel():
    convs = with_wall_statistics(CONVERSATIONS, PARTS)
    weekly = ik.support.metrics(convs, by="week")
    assert weekly["week"].tolist() == [BASE.normalize(), BASE.normalize() + pd.Timedelta(days=7)]
    assert weekly["conversations"].tolist() == [2, 1]
    both = ik.support.metrics(convs, by=["team", "channel"])
    assert both[["conversations"]].sum().item() == 3
    assert len(both) == 3  # (t1, chat), (t1, email), (<NA>, chat)


def test_the_two_clocks_differ_by_office_hours():
    """Friday 17:00 → Monday 09:00 is 64 hours of wall clock; with office hours 09–17 Intercom counts 0 s."""
    friday = (4 * D) + 8 * H  # BASE is Monday 09:00
    convs = conversations(
        [{"id": "f", "created": friday, "state": "open", "time_to_admin_reply": 0,
          "first_admin_reply_at": friday + 64 * H}]
    )  # fmt: skip
    prts = parts([("f", friday + 64 * H, "comment", "admin", "a1")])
    intercom = ik.support.metrics(convs, prts, clock="intercom")
    wall = ik.support.metrics(convs, prts, clock="wall")
    assert intercom["time_to_admin_reply_median"].item() == 0
    assert wall["time_to_admin_reply_median"].item() == 64 * H


def test_csat_first_response_and_backlog():
    convs = with_wall_statistics(CONVERSATIONS, PARTS)
    by_admin = ik.support.csat(convs, by="admin")
    assert by_admin["ratings"].tolist() == [1, 1, 0]
    assert by_admin["csat"].tolist()[:2] == [1.0, 0.0]

    first = ik.support.first_response(PARTS)
    assert first["conversation_id"].tolist() == ["c1", "c2"]  # c3 was never answered
    assert first["admin_id"].tolist() == ["a1", "a2"]
    timed = ik.support.first_response(PARTS, CONVERSATIONS)
    assert timed["time_to_admin_reply"].tolist()[:2] == [300, 1200] and pd.isna(
        timed["time_to_admin_reply"][2]
    )

    days = ik.support.backlog(convs, freq="D")
    assert days["period"].iloc[0] == BASE.normalize() and len(days) == 9
    assert days["opened"].tolist() == [2] + [0] * 7 + [1]
    assert days["closed"].tolist() == [2] + [0] * 8  # both closed for good on Monday
    assert days["open"].tolist() == [0] * 8 + [1]


def test_bad_arguments_are_named_errors():
    with pytest.raises(ConfigurationError, match="clock"):
        ik.support.metrics(CONVERSATIONS, clock="office")
    with pytest.raises(ConfigurationError, match="parts"):
        ik.support.metrics(CONVERSATIONS, clock="wall")
    with pytest.raises(ConfigurationError, match="cannot group by 'planet'"):
        ik.support.metrics(CONVERSATIONS, by="planet")


def test_empty_frames_give_empty_results_with_every_column():
    convs, prts = conversations([]), parts([])
    assert ik.support.wall_statistics(convs, prts).columns.tolist() == ["id", *ik.support.STATISTIC_COLUMNS]
    for by in (None, "week", ["team", "channel"]):
        result = ik.support.metrics(convs, prts, by=by, clock="wall")
        assert result.empty and {"conversations", "csat", "handling_time_p90"} <= set(result.columns)
    assert ik.support.backlog(convs).empty and ik.support.first_response(prts).empty


def test_the_readme_defines_every_metric_as_the_code_does():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for name, definition in ik.support.DEFINITIONS.items():
        assert f"| `{name}` | {definition} |" in readme, name
    columns = set(ik.support.metrics(with_wall_statistics(CONVERSATIONS, PARTS)).columns)
    defined = {c for name in ik.support.DEFINITIONS for c in _columns_of(name)}
    assert columns == defined


def _columns_of(name: str) -> list[str]:
    return [name.replace("/_p90", ""), name.replace("_median/_p90", "_p90")] if "/_p90" in name else [name]
