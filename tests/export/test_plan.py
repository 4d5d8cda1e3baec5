"""The export plan is pure: windows, splitting, resume coverage, query combination."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intercomkit._protocol.days import zone_from_name
from intercomkit.errors import InvalidQuery
from intercomkit.export import _plan
from intercomkit.export._plan import (
    DAY,
    Plan,
    Window,
    combine,
    day_of,
    plan_chain,
    plan_windows,
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
    first=st.integers(1, 20_000),
    span=st.integers(0, 2_000),
    past_today=st.booleans(),
    total=st.integers(1, 10**7),
    rows_per_window=st.integers(1, 10_000),
    split_at=st.integers(0, 30),
)
def test_a_plan_tiles_its_days_and_resumes_around_committed_windows(
    first, span, past_today, total, rows_per_window, split_at
):
    today = first + span
    last = (today if past_today else max(first, today - 1)) * DAY + 5
    plan = plan_windows(
        today * DAY + 7, today, total, first_created=first * DAY + 3, last_created=last,
        frozen_total=total, rows_per_window=rows_per_window, single_rows=0,
    )  # fmt: skip
    assert Plan.from_json(plan.to_json()) == plan  # the checkpoint's form
    todo = plan.todo([])
    assert todo[0].first_day == first and todo[-1].end_day == plan.end_day
    for a, b in zip(todo, todo[1:], strict=False):
        assert a.end_day == b.first_day
    # Today's window (still growing) is walked on its own.
    assert (todo[-1] == Window(today, 1)) is (plan.end_day > today)
    # A resumed run walks exactly the days not committed, whatever shape they were committed in.
    committed = todo[: split_at % len(todo)]
    rest = plan.todo(w.key for w in committed)
    assert sorted(committed + rest) == sorted(committed + rest, key=lambda w: w.first_day)
    days = [d for w in committed + rest for d in range(w.first_day, w.end_day)]
    assert sorted(days) == list(range(first, plan.end_day))


def test_a_plan_written_by_an_earlier_version_still_resumes():
    # The manifest (version 2) holds the plan as this JSON; checkpoints written before Plan existed must resume.
    windowed = {"started_at": 100 * DAY, "chain": False, "chain_window": None, "total": 900, "first_day": 90,
                "end_day": 101, "today": 100, "width": 4, "single": False, "frozen_total": 880}  # fmt: skip
    chain = {"started_at": 100 * DAY, "chain": True, "chain_window": None, "total": 5, "first_day": None,
             "end_day": None, "today": 100, "width": 1}  # fmt: skip
    assert Plan.from_json(windowed).to_json() == windowed
    assert Plan.from_json(chain) == plan_chain(100 * DAY, 5, 100)
    assert Plan.from_json(chain).to_json() == chain
    assert Plan.from_json(chain).todo([]) == [Window(0, 1)] and Plan.from_json(chain).todo(["chain"]) == []


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


def test_inclusive_windows_fetch_a_superset_either_way_and_count_exactly():
    """Conversation and ticket search: ">" "Greater (or equal) than", "<" "Lower (or equal) than" (2.16)."""
    tz = zone_from_name("America/Los_Angeles")
    lo, hi = _plan.bounds(_plan.Window(20_000, 3), tz)
    fetch = _plan.range_query(20_000, 20_003, tz, _plan.INCLUSIVE, fetch=True)
    count = _plan.range_query(20_000, 20_003, tz, _plan.INCLUSIVE)
    assert [f["operator"] for f in fetch] == [">", "<"] == [f["operator"] for f in count]
    (f_lo, f_hi), (c_lo, c_hi) = ([f["value"] for f in q] for q in (fetch, count))
    inclusive = set(range(f_lo, f_hi + 1))  # what the bounds select if they include themselves
    strict = set(range(f_lo + 1, f_hi))  # and if they don't
    owned = set(range(lo, hi))
    assert owned <= strict <= inclusive and len(inclusive - owned) == 2
    assert set(range(c_lo, c_hi + 1)) == owned  # the documented (inclusive) reading counts exactly the window
    # Contacts keep their whole-day bounds, whichever way they are asked for.
    assert _plan.range_query(20_000, 20_003, tz, fetch=True) == _plan.range_query(20_000, 20_003, tz)
