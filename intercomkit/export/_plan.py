"""The export plan: whole-workspace-day windows over created_at, their queries, splitting and resume coverage. Pure.

(The conversations and tickets searches compare to the second, bounds included: ``range_query`` with ``INCLUSIVE``
says how their windows are sent; the days are the same.)

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
from .._protocol.pages import MAX_PER_PAGE
from .._protocol.query.validate import MAX_FILTERS_PER_GROUP
from ..errors import InvalidQuery

__all__ = [
    "DAY",
    "DAYS",
    "INCLUSIVE",
    "Plan",
    "Window",
    "bounds",
    "combine",
    "day_of",
    "plan_chain",
    "plan_windows",
    "range_query",
    "split",
    "uncovered",
    "window_query",
    "window_rows",
]

DAY = days.DAY
# A search's date rule (``SearchPaging.dates``). DAYS: Intercom compares dates "by calendar day" of the workspace's
# timezone (contacts). INCLUSIVE: ``>`` "Greater (or equal) than" and ``<`` "Lower (or equal) than", to the
# second (POST /conversations/search, POST /tickets/search).
DAYS, INCLUSIVE = "days", "inclusive"


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


def range_query(
    first_day: int, end_day: int, tz: tzinfo = UTC, dates: str = DAYS, *, fetch: bool = False
) -> list[dict[str, Any]]:
    """The two created_at filters selecting workspace days ``[first_day, end_day)`` under the search's date rule.

    ``DAYS`` (contacts): exact. ``INCLUSIVE`` (conversations, tickets): counting (``fetch=False``) sends the
    instants ``[lo, hi)`` exactly as the documented rule reads (``> lo`` and ``< hi - 1``, each including its
    bound); fetching sends ``> lo - 1`` and ``< hi``, which hold ``[lo, hi)`` whether or not the server includes
    the bound: windows then overlap by a second or two at their edges, and the walk keeps only its own rows
    (``bounds``), so a conversation created on an edge second is neither lost nor written twice.
    """
    if dates == INCLUSIVE:
        lo, hi = days.day_start(first_day, tz), days.day_start(end_day, tz)
        lower, upper = (lo - 1, hi) if fetch else (lo, hi - 1)
        return [
            {"field": "created_at", "operator": ">", "value": lower},
            {"field": "created_at", "operator": "<", "value": upper},
        ]
    return [
        {"field": "created_at", "operator": ">", "value": days.day_start(first_day - 1, tz)},
        {"field": "created_at", "operator": "<", "value": days.day_start(end_day, tz)},
    ]


def bounds(window: Window, tz: tzinfo = UTC) -> tuple[int, int]:
    """The instants ``[lo, hi)`` a window owns (its rows' ``created_at``)."""
    return days.day_start(window.first_day, tz), days.day_start(window.end_day, tz)


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


def window_query(
    window: Window, base: Mapping[str, Any] | None, tz: tzinfo = UTC, dates: str = DAYS
) -> dict[str, Any]:
    """What a window's walk sends (see ``range_query``: a superset of its days under the ``INCLUSIVE`` rule)."""
    return combine(range_query(window.first_day, window.end_day, tz, dates, fetch=True), base)


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


@dataclass(frozen=True)
class Plan:
    """What a run walks, decided once at its start and kept in the checkpoint, so a resumed run walks the same days.

    ``started_at`` is the run's start ``T`` (rows created later are left for the next run); ``total`` Intercom's count
    for the query then. A ``chain`` plan walks the query whole as one cursor chain (no day bounds fit it). Otherwise
    windows of ``width`` days tile ``[first_day, end_day)``; ``today`` (the workspace day containing ``T``, None when
    the workspace's timezone is unknown) is walked on its own, being the only day still growing; ``single`` makes
    one window of the whole range; ``frozen_total`` is the count of rows created before ``today``.
    """

    started_at: int
    total: int
    chain: bool = False
    first_day: int | None = None
    end_day: int | None = None
    today: int | None = None
    width: int = 1
    single: bool = False
    frozen_total: int | None = None

    @property
    def empty(self) -> bool:
        """No day to walk (a chain plan walks no days either)."""
        return self.chain or self.first_day is None or self.end_day is None or self.first_day >= self.end_day

    def todo(self, committed: Iterable[str]) -> list[Window]:
        """The windows still to walk, given the keys of those already committed (whatever shape an earlier run
        split them into: committed days are never walked again)."""
        keys = list(committed)
        if self.chain:
            return [] if keys else [Window(0, 1)]
        if self.empty:
            return []
        assert self.first_day is not None and self.end_day is not None and self.today is not None
        done = [Window.from_key(k) for k in keys]
        first, end, today = self.first_day, self.end_day, self.today
        width = (end - first) if self.single else self.width
        frozen_end = min(end, today)
        todo = uncovered(first, frozen_end, done, max_days=width) if first < frozen_end else []
        if end > today:
            todo += uncovered(today, end, done, max_days=1)
        return todo

    def to_json(self) -> dict[str, Any]:
        """The checkpoint's form (manifest version 2: the keys earlier versions wrote, so their checkpoints resume)."""
        data: dict[str, Any] = {
            "started_at": self.started_at,
            "chain": self.chain,
            "chain_window": None,
            "total": self.total,
            "first_day": self.first_day,
            "end_day": self.end_day,
            "today": self.today,
            "width": self.width,
        }
        if not self.chain and not self.empty:
            data.update(single=self.single, frozen_total=self.frozen_total)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        return cls(
            started_at=int(data["started_at"]),
            total=int(data.get("total") or 0),
            chain=bool(data.get("chain")),
            first_day=data.get("first_day"),
            end_day=data.get("end_day"),
            today=data.get("today"),
            width=int(data.get("width") or 1),
            single=bool(data.get("single", False)),
            frozen_total=data.get("frozen_total"),
        )


def plan_chain(started_at: int, total: int, today: int | None) -> Plan:
    """The query cannot take the two day bounds (or the workspace's days are unknown): one chain."""
    return Plan(started_at=started_at, total=total, chain=True, today=today)


def window_rows(per_window: int, total: int, *, rate_limit: int | None, max_concurrency: int) -> int:
    """Rows per window: ``per_window``, or fewer when the run is latency-bound (it fits in a couple of rate-limit
    windows): about two windows per request slot keep every slot busy to the end, and since each window costs about
    half a page extra and a part file, no more than that."""
    if rate_limit is None or rate_limit * 2 >= total / MAX_PER_PAGE:
        return max(5 * MAX_PER_PAGE, min(per_window, total // (2 * max_concurrency)))
    return per_window


def plan_windows(
    started_at: int,
    today: int,
    total: int,
    *,
    first_created: int | None,
    last_created: int | None,
    frozen_total: int,
    rows_per_window: int,
    single_rows: int,
    tz: tzinfo = UTC,
) -> Plan:
    """Windows over the days from the first row's creation to the last one's (at most ``today``), about
    ``rows_per_window`` rows each if rows were spread evenly; dense windows are split later from their own count."""
    if not total or first_created is None:
        return Plan(started_at=started_at, total=0, first_day=today, end_day=today, today=today)
    first_day = day_of(first_created, tz)
    end_day = min(day_of(last_created if last_created is not None else first_created, tz), today) + 1
    span = max(min(end_day, today) - first_day, 1)
    count = max(1, math.ceil(total / rows_per_window))
    return Plan(
        started_at=started_at,
        total=total,
        first_day=first_day,
        end_day=end_day,
        today=today,
        width=max(1, math.ceil(span / count)),
        single=total <= single_rows,
        frozen_total=frozen_total,
    )
