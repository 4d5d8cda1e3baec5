"""The export plan: whole-workspace-day windows over created_at, their queries, splitting and resume coverage. Pure.

Intercom compares date filters "by calendar day", and "The day boundary uses your workspace's timezone" (2.16,
"Searching for Timestamp Fields"), so a window is a run of whole days of the workspace's timezone ``tz``,
``[first_day, first_day+days)`` (day numbers count local calendar dates from 1970-01-01, see ``_protocol.days``). On
those day boundaries the server's semantics are exact::

    created_at > start(D-1)  AND  created_at < start(D+k)      ==  created on local days D .. D+k-1

so windows never overlap and together cover the range: a contact (whose created_at never changes) belongs to
exactly one window. Windows in any other days (UTC ones on a Los Angeles workspace) would be shifted by the offset:
the last one would stop at the workspace's midnight and its recount would agree. A window cannot be split below one
day; a day denser than the split threshold is walked as one cursor chain.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

from .._protocol import days
from .._protocol.query.validate import MAX_FILTERS_PER_GROUP
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

DAY = days.DAY


def day_of(t: float, tz: tzinfo = UTC) -> int:
    """The workspace day number containing unix time ``t``."""
    return days.day_number(t, tz)


@dataclass(frozen=True, order=True)
class Window:
    """Contacts created on workspace days ``first_day .. first_day + days - 1``."""

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


def range_query(first_day: int, end_day: int, tz: tzinfo = UTC) -> list[dict[str, Any]]:
    """The two created_at filters selecting workspace days ``[first_day, end_day)`` exactly."""
    return [
        {"field": "created_at", "operator": ">", "value": days.day_start(first_day - 1, tz)},
        {"field": "created_at", "operator": "<", "value": days.day_start(end_day, tz)},
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


def window_query(window: Window, base: Mapping[str, Any] | None, tz: tzinfo = UTC) -> dict[str, Any]:
    return combine(range_query(window.first_day, window.end_day, tz), base)


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
