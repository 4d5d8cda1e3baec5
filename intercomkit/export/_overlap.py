"""How far back an incremental export looks before the previous run's start, and when it reconciles.

Intercom's search index lags behind changes ("This delay can take a few minutes", Search contacts), so a contact
changed just before a run can be invisible to it. The next ``since_last`` run therefore asks for changes since the
previous start *minus* this margin; rows seen twice are deduplicated by id (the newest ``updated_at`` wins).
"""

from __future__ import annotations

import re
from datetime import timedelta

from .._protocol.numbers import is_number
from ..errors import ConfigurationError

__all__ = ["DEFAULT_OVERLAP", "RECONCILE_EVERY", "describe_overlap", "parse_overlap"]

DEFAULT_OVERLAP = 3600  # an hour: Intercom documents "a few minutes"; an hour leaves room to spare
RECONCILE_EVERY = 10  # every 10th incremental run walks the whole workspace (see ``reconcile``)

_FORM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_overlap(value: object) -> int:
    """Seconds from ``3600``, ``timedelta(hours=1)``, ``"1h"``, ``"30m"``, ``"90s"``, ``"2d"`` or ``"45"``."""
    seconds: float | None = None
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif is_number(value):
        seconds = float(value)
    elif isinstance(value, str):
        m = _FORM.match(value)
        if m:
            seconds = float(m.group(1)) * _UNIT[m.group(2).lower()]
    if seconds is None or seconds != seconds or seconds < 0 or seconds > 366 * 86400:
        raise ConfigurationError(
            f"overlap must be a duration of 0 to 366 days such as 3600, '1h', '30m' or '90s', got {value!r}"
        )
    return int(seconds)


def describe_overlap(seconds: int) -> str:
    """``3600`` → ``'1h'``, ``90`` → ``'90s'``: the margin as the summary line shows it."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
