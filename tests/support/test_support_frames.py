"""The support frames without a server: empty inputs keep the full schema, bodies lose their HTML (kept raw beside),
odd records never abort a frame, data attributes type custom columns."""

from __future__ import annotations

import pandas as pd
import pytest
from fake_support import conversation, ticket
from hypothesis import given, settings
from hypothesis import strategies as st

import intercomkit as ik
from intercomkit._support_rows import CONVERSATION_SPEC, PART_SPEC, TICKET_SPEC, html_text


@pytest.mark.parametrize(
    "build, spec",
    [
        (ik.conversations_frame, CONVERSATION_SPEC),
        (ik.parts_frame, PART_SPEC),
        (ik.tickets_frame, TICKET_SPEC),
    ],
)
def test_empty_input_is_an_empty_frame_with_the_full_schema(build, spec):
    empty = build([])
    assert list(empty.columns) == [name for name, _ in spec] and len(empty) == 0
    typed = build([conversation(0)] if build is not ik.tickets_frame else [ticket(0)])
    assert [str(t) for t in empty.dtypes] == [str(t) for t in typed.dtypes[: len(spec)]]


def test_conversation_columns_flatten_statistics_rating_source_and_tags():
    frame = ik.conversations_frame([conversation(0), conversation(1)])
    row = frame.iloc[0]
    assert row["contact_ids"] == ["c0"] and row["contact_id"] == "c0" and row["tag_names"] == ["billing"]
    assert row["source_author_type"] == "user" and row["channel"] == "conversation" and row["rating"] == 4
    assert row["time_to_admin_reply"] == 60 and str(frame["time_to_admin_reply"].dtype) == "Int64"
    assert row["first_admin_reply_at"] == pd.Timestamp(conversation(0)["created_at"] + 60, unit="s", tz="UTC")
    assert pd.isna(frame.iloc[1]["rating"]) and frame["admin_assignee_id"].tolist() == ["7", "7"]
    assert list(frame.columns[-2:]) == ["custom.Plan", "custom.Seats"]


def test_custom_columns_take_the_workspaces_types():
    attributes = [
        {"name": "Seats", "data_type": "float", "custom": True},
        {"name": "Plan", "data_type": "string"},
    ]
    frame = ik.conversations_frame([conversation(0), conversation(1)], attributes=attributes)
    assert str(frame["custom.Seats"].dtype) == "Float64" and str(frame["custom.Plan"].dtype) == "string"
    arrow = ik.conversations_frame([conversation(0)], dtype_backend="pyarrow")
    assert "timestamp" in str(arrow["created_at"].dtype)


def test_parts_keep_raw_html_and_strip_it_for_text():
    frame = ik.parts_frame([conversation(3, parts=3)])
    assert frame["body"].tolist()[:2] == ["Hello & thanks 0", "Hello & thanks 1"]
    assert frame["body_html"][0] == "<p>Hello &amp; <b>thanks</b> 0</p>" and pd.isna(frame["body"][2])
    assert frame["attachment_count"].tolist() == [1, 0, 0] and frame["conversation_id"].tolist() == ["3"] * 3


def test_html_text():
    assert html_text("<p>a</p><p>b<br>c</p>") == "a\nb\nc"
    assert html_text("<script>x()</script>hi &lt;3") == "hi <3"
    assert html_text("plain &amp; simple") == "plain & simple" and html_text(" x ") == "x"
    assert html_text('<a href="u">link</a>&nbsp;here') == "link here"


odd = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=30, deadline=None)  # each example builds three frames
@given(st.lists(st.dictionaries(st.sampled_from(sorted(conversation(0))), odd, max_size=8), max_size=4))
def test_odd_records_never_abort_a_frame(records):
    assert len(ik.conversations_frame(records)) == len(records)
    ik.parts_frame(records)
    assert len(ik.tickets_frame(records)) == len(records)


def test_assignee_names_from_admins_and_teams_frames():
    admins = ik.admins_frame([{"id": "7", "name": "Ada"}])
    teams = pd.DataFrame({"id": ["11"], "name": ["Support"]})
    frame = ik.conversations_frame([conversation(0), conversation(1)], admins=admins, teams=teams)
    columns = list(frame.columns)
    assert columns[columns.index("team_assignee_id") + 1 : columns.index("team_assignee_id") + 3] == [
        "admin_assignee_name",
        "team_assignee_name",
    ]
    assert frame["admin_assignee_name"].tolist() == ["Ada", "Ada"]
    assert pd.isna(frame["team_assignee_name"][0]) and frame["team_assignee_name"][1] == "Support"
