"""The export plan: whole-UTC-day windows over created_at, their queries, splitting and resume coverage. Pure.

Intercom compares date filters by whole day, so a window is a run of whole UTC days ``[first_day, first_day+days)``
(day numbers = unix seconds // 86 400). On day boundaries the server's semantics are exact::

    created_at > (D-1)*86400  AND  created_at < (D+k)*86400      ==  created on days D .. D+k-1

so windows never overlap and together cover the range: a contact (whose created_at never changes) belongs to
exactly one window. A window cannot be split below one day; a day denser than the split threshold is walked as one
cursor chain.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._protocol.query import MAX_FILTERS_PER_GROUP
from ..errors import InvalidQuery

__all__ = [
    "DAY",
    "Window",
    "combine",
    "day_of",
    "initial_windows",
    "range_query",
    "split",
    "uncovered",
    "window_query",
]

DAY = 86_400


def day_of(t: float) -> int:
    """The UTC day number containing unix time ``t``."""
    return math.floor(t) // DAY


@dataclass(frozen=True, order=True)
class Window:
    """Contacts created on UTC days ``first_day .. first_day + days - 1``."""

    first_day: int
    days: int

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("a window spans at least one day")

    @property
    def end_day(self) -> int:
        return self.first_day + self.days

    @property
    def key(self) -> str:
        return f"d{self.first_day}+{self.days}"

    @classmethod
    def from_key(cls, key: str) -> Window:
        first, _, days = key[1:].partition("+")
        return cls(int(first), int(days))


def range_query(first_day: int, end_day: int) -> list[dict[str, Any]]:
    """The two created_at filters selecting days ``[first_day, end_day)`` exactly."""
    return [
        {"field": "created_at", "operator": ">", "value": (first_day - 1) * DAY},
        {"field": "created_at", "operator": "<", "value": end_day * DAY},
    ]


def combine(bounds: list[dict[str, Any]], base: Mapping[str, Any] | None) -> dict[str, Any]:
    """AND the created_at bounds with the user's (server) query without adding a nesting level when possible.

    Raises ``InvalidQuery`` when the result would break Intercom's limits (then the caller walks one chain).
    """
    if base is None:
        items: list[Any] = []
    elif base.get("operator") == "AND" and "field" not in base:
        items = list(base["value"])
    else:
        items = [dict(base)]
    value = [*bounds, *items]
    if len(value) > MAX_FILTERS_PER_GROUP:
        raise InvalidQuery("the query has too many filters to add the export's created_at window")
    for item in items:
        if "field" not in item and any("field" not in sub for sub in item.get("value", [])):
            raise InvalidQuery("the query nests too deeply to add the export's created_at window")
    return {"operator": "AND", "value": value}


def window_query(window: Window, base: Mapping[str, Any] | None) -> dict[str, Any]:
    return combine(range_query(window.first_day, window.end_day), base)


def initial_windows(first_day: int, end_day: int, total: int, *, per_window: int) -> list[Window]:
    """Equal-width windows over ``[first_day, end_day)`` sized so that a uniform spread puts ``per_window`` contacts
    in each. Density is only an estimate: dense windows are split later from their real ``total_count``."""
    span = end_day - first_day
    if span <= 0:
        return []
    count = max(1, min(span, math.ceil(total / max(per_window, 1))))
    width = math.ceil(span / count)
    return [Window(d, min(width, end_day - d)) for d in range(first_day, end_day, width)]


def split(window: Window) -> tuple[Window, Window] | None:
    """Halve a window's day range; ``None`` for a single day (Intercom cannot filter below a day)."""
    if window.days < 2:
        return None
    half = window.days // 2
    return Window(window.first_day, half), Window(window.first_day + half, window.days - half)


def uncovered(first_day: int, end_day: int, done: Iterable[Window], *, max_days: int) -> list[Window]:
    """The windows (at most ``max_days`` wide) still needed to cover ``[first_day, end_day)`` given ``done``.

    Used on resume: committed windows are never fetched again, whatever shape the earlier run split them into.
    """
    gaps: list[tuple[int, int]] = []
    at = first_day
    for w in sorted(done):
        if w.first_day > at:
            gaps.append((at, min(w.first_day, end_day)))
        at = max(at, w.end_day)
    if at < end_day:
        gaps.append((at, end_day))
    out: list[Window] = []
    step = max(max_days, 1)
    for lo, hi in gaps:
        out.extend(Window(d, min(step, hi - d)) for d in range(lo, hi, step))
    return out
