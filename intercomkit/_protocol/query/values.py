"""Filter values: dates and datetimes as unix seconds, and the marks that remember what a value was written as."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

from ...errors import InvalidQuery
from ..numbers import is_int

__all__ = ["DATE_VALUE", "WHOLE_DAY", "convert", "is_datelike", "to_unix"]

# Marks a date filter whose value was a ``datetime.date`` (a whole day) in the queries plan_search/evaluate see.
# Never sent to Intercom: build_query and SearchPlan.server_query carry plain filters only.
WHOLE_DAY = "whole_day"
# Marks a custom-attribute filter whose value was a ``datetime``/``date``: a Date custom attribute, which Intercom
# matches by calendar day like ``created_at``. Never sent to Intercom either.
DATE_VALUE = "date_value"


def to_unix(value: datetime | date | int) -> int:
    """Unix seconds for a datetime (naive = UTC), a date (its midnight UTC) or an int (unchanged).

    Sub-second precision is truncated (floored) to the second.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return math.floor(value.timestamp())
    if isinstance(value, date):
        return math.floor(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    if is_int(value):
        return value
    raise InvalidQuery(f"expected a datetime, date or unix seconds, got {type(value).__name__}")


def is_datelike(value: Any) -> bool:
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(is_datelike(v) for v in value)
    return isinstance(value, (datetime, date))


def convert(value: Any) -> Any:
    """``value`` with every date and datetime as unix seconds (collections become lists)."""
    if isinstance(value, (datetime, date)):
        return to_unix(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [convert(v) for v in value]
    return value
