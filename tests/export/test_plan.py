"""The export plan is pure: windows, splitting, resume coverage, query combination."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intercomkit.errors import InvalidQuery
from intercomkit.export._plan import (
    DAY,
    Window,
    combine,
    day_of,
    initial_windows,
    range_query,
    split,
    uncovered,
    window_query,
)


def test_window_query_is_exact_on_day_boundaries():
    q = window_query(Window(100, 3), None)
    assert q == {
        "operator": "AND",
        "value": [
            {"field": "created_at", "operator": ">", "value": 99 * DAY},
            {"field": "created_at", "operator": "<", "value": 103 * DAY},
        ],
    }


def test_combine_flattens_and_groups_and_keeps_or_groups_as_one_item():
    bounds = range_query(1, 2)
    user_and = {"operator": "AND", "value": [{"field": "role", "operator": "=", "value": "user"}]}
    assert combine(bounds, user_and)["value"] == [*bounds, user_and["value"][0]]
    user_or = {
        "operator": "OR",
        "value": [
            {"field": "role", "operator": "=", "value": "user"},
            {"field": "name", "operator": "=", "value": "x"},
        ],
    }
    assert combine(bounds, user_or)["value"] == [*bounds, user_or]


def test_combine_refuses_what_intercom_would_refuse():
    deep = {
        "operator": "OR",
        "value": [{"operator": "AND", "value": [{"field": "a", "operator": "=", "value": 1}]}],
    }
    with pytest.raises(InvalidQuery):
        combine(range_query(1, 2), deep)
    many = {
        "operator": "AND",
        "value": [{"field": "name", "operator": "=", "value": str(i)} for i in range(14)],
    }
    with pytest.raises(InvalidQuery):
        combine(range_query(1, 2), many)


def test_split_halves_and_stops_at_one_day():
    assert split(Window(10, 5)) == (Window(10, 2), Window(12, 3))
    assert split(Window(10, 1)) is None


def test_key_round_trip():
    w = Window(19_700, 12)
    assert Window.from_key(w.key) == w


def test_day_of():
    assert day_of(0) == 0
    assert day_of(DAY - 1) == 0
    assert day_of(DAY) == 1


@given(
    first=st.integers(0, 20_000),
    span=st.integers(1, 2_000),
    total=st.integers(0, 10**7),
    per_window=st.integers(1, 10_000),
)
def test_initial_windows_tile_the_range(first, span, total, per_window):
    windows = initial_windows(first, first + span, total, per_window=per_window)
    assert windows[0].first_day == first
    assert windows[-1].end_day == first + span
    for a, b in zip(windows, windows[1:], strict=False):
        assert a.end_day == b.first_day


@given(
    span=st.integers(1, 400),
    cuts=st.lists(st.tuples(st.integers(0, 399), st.integers(1, 50)), max_size=20),
    max_days=st.integers(1, 60),
)
def test_uncovered_complements_committed_windows(span, cuts, max_days):
    # Committed windows never overlap (they come from one tiling and its splits): build such a set.
    done: list[Window] = []
    taken: set[int] = set()
    for start, days in cuts:
        days = min(days, span - start) if start < span else 0
        if days <= 0 or any(d in taken for d in range(start, start + days)):
            continue
        taken.update(range(start, start + days))
        done.append(Window(start, days))
    todo = uncovered(0, span, done, max_days=max_days)
    covered = [d for w in todo for d in range(w.first_day, w.end_day)]
    assert len(covered) == len(set(covered))
    assert set(covered) | taken == set(range(span))
    assert not set(covered) & taken
    assert all(w.days <= max_days for w in todo)
