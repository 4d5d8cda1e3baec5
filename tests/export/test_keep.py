"""Which rows of a page a window writes (``_runner._keep``): its shortcut for the usual page (every row the window's
own, created before the run) must answer exactly as the rules per row do, whatever the page holds."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from intercomkit.export._runner import _keep, _keep_by_rule

LOW, HIGH, FROZEN = 1_600_000_000, 1_600_000_020, 1_600_000_015  # a window, its end, the run's start


TIMES = st.one_of(
    st.integers(LOW - 5, HIGH + 5),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
)


@st.composite
def pages(draw: Any) -> tuple[Any, ...]:
    n = draw(st.integers(0, 12))
    # Half the pages hold only ints near the window (the shortcut's case when none is a neighbour's or late).
    usual = draw(st.booleans())
    when = st.integers(LOW - 3, HIGH + 3) if usual else TIMES
    created = draw(st.lists(when, min_size=n, max_size=n))
    updated = draw(st.lists(st.integers(-5, 5) | TIMES, min_size=n, max_size=n))
    passes = draw(st.none() | st.lists(st.booleans(), min_size=n, max_size=n))
    owned = draw(st.none() | st.just((LOW, HIGH)))
    fresh = (
        range(n)
        if draw(st.booleans())
        else sorted(draw(st.sets(st.integers(0, max(n - 1, 0)))) & set(range(n)))
    )
    return fresh, created, updated, passes, owned, FROZEN


@given(pages())
def test_the_usual_page_shortcut_keeps_what_the_rules_keep(page):
    keep, edge, late, top = _keep(*page)
    assert (list(keep), edge, late, top) == _keep_by_rule(*page)
