"""Calendar days in a workspace's timezone: the unit Intercom's date filters work in. Pure: no I/O, no clock.

Intercom's 2.16 description, "Searching for Timestamp Fields": timestamp fields and Date custom attributes "are matched
by calendar day" and "The day boundary uses **your workspace's timezone**". ``GET /me`` names that timezone
(``app.timezone``, an IANA name such as ``America/Los_Angeles``).

A *day number* is a calendar date counted from 1970-01-01 (day 0), so in UTC it is ``t // 86400``; a day's *start* is
the first unix second whose local date is that day (a midnight skipped by a DST change starts the day at the change).
A name Python's tz database does not know resolves to an :class:`UnknownZone`: its midnights are only known to lie
within a day of UTC's, so planners give every bound a margin and filter exactly on the client.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DAY",
    "UnknownZone",
    "date_of_day",
    "day_number",
    "day_of_date",
    "day_start",
    "is_utc",
    "zone_from_name",
    "zone_name",
]

DAY = 86_400
_EPOCH = date(1970, 1, 1).toordinal()
_UTC_NAMES = frozenset(
    {"utc", "etc/utc", "etc/uct", "uct", "etc/universal", "universal", "etc/zulu", "zulu", "gmt", "etc/gmt",
     "etc/gmt0", "etc/gmt+0", "etc/gmt-0", "gmt0", "gmt+0", "gmt-0", "etc/greenwich", "greenwich"}
)  # fmt: skip


class UnknownZone(tzinfo):
    """A workspace timezone that could not be resolved (missing, or a name the tz database lacks).

    Its offsets are unknown, so every conversion refuses: code that plans with it must not need them.
    """

    def __init__(self, name: str | None) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"UnknownZone({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnknownZone)

    def __hash__(self) -> int:
        return hash(UnknownZone)

    def utcoffset(self, dt: datetime | None) -> timedelta:
        raise ValueError(f"the offset of the unknown timezone {self.name!r} is not known")

    def dst(self, dt: datetime | None) -> timedelta:
        raise ValueError(f"the offset of the unknown timezone {self.name!r} is not known")

    def tzname(self, dt: datetime | None) -> str:
        return self.name or "unknown"


def zone_from_name(name: object) -> tzinfo:
    """The tzinfo for a workspace's ``app.timezone``: ``datetime.UTC`` for UTC's names, a ``ZoneInfo`` otherwise,
    :class:`UnknownZone` for anything missing or unknown (never an exception: an odd name must not stop a search)."""
    if not isinstance(name, str) or not name.strip():
        return UnknownZone(None)
    text = name.strip()
    if text.casefold() in _UTC_NAMES:
        return UTC
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UnknownZone(text)


def zone_name(tz: tzinfo) -> str | None:
    """A stable name for a zone (``"UTC"``, the IANA key, or ``None`` when unknown), e.g. for an export's manifest."""
    if is_utc(tz):
        return "UTC"
    if isinstance(tz, UnknownZone):
        return None
    key = getattr(tz, "key", None)
    return key if isinstance(key, str) else str(tz)


def is_utc(tz: tzinfo) -> bool:
    return tz is UTC or (isinstance(tz, ZoneInfo) and (tz.key or "").casefold() in _UTC_NAMES)


def day_number(t: float, tz: tzinfo = UTC) -> int:
    """The local calendar day (days since 1970-01-01) containing unix time ``t``."""
    if is_utc(tz):
        return math.floor(t) // DAY
    return datetime.fromtimestamp(math.floor(t), tz).date().toordinal() - _EPOCH


def day_start(day: int, tz: tzinfo = UTC) -> int:
    """The first unix second of local calendar day ``day`` (DST-correct: the day may be 23 or 25 hours long)."""
    if is_utc(tz):
        return day * DAY
    d = date.fromordinal(day + _EPOCH)
    # fold=0 reads a midnight skipped by a DST change with the offset before it, which lands at or after the change;
    # when the skipped hour began before midnight, the day really starts at the change: search back for it.
    start = math.floor(datetime(d.year, d.month, d.day, tzinfo=tz).timestamp())
    if day_number(start - 1, tz) == day:
        lo, hi = start - 6 * 3600, start  # lo lies in the day before
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if day_number(mid, tz) >= day else (mid, hi)
        start = hi
    return start


def date_of_day(day: int) -> date:
    """The calendar date of day number ``day``."""
    return date.fromordinal(day + _EPOCH)


def day_of_date(d: date) -> int:
    """The day number of a calendar date."""
    return d.toordinal() - _EPOCH
