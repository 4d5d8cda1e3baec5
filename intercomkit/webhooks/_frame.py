"""``events_frame``: received webhook events as a DataFrame.

The rows are folded here from the log; the typed frame is built by ``intercomkit._frames`` (the one module that
imports pandas), loaded on first call so importing ``intercomkit.webhooks`` never loads pandas.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ._events import parse_event
from ._log import read_log, summarize

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EVENT_COLUMNS", "events_frame"]

EVENT_COLUMNS = [
    "id",
    "topic",
    "received_at",
    "created_at",
    "item_type",
    "item_id",
    "delivery_attempts",
    "status",
]


def events_frame(log: str | os.PathLike[str] | list[dict[str, Any]] | Any) -> pd.DataFrame:
    """One row per received notification (duplicates folded in), oldest first.

    ``log`` is a JSONL log path, a list of log records, or a ``Router``. ``status`` is ``received`` (no handler
    has run yet, or none matched), ``handled`` or ``failed`` (latest run of some handler failed).
    """
    if isinstance(log, str | os.PathLike):
        records = read_log(log)
    elif isinstance(log, list):
        records = log
    else:
        records = log.records()
    rows = []
    for key, state in summarize(records).items():
        event = parse_event(state.received.get("body") or {})
        rows.append(
            {
                "id": key,
                "topic": state.received.get("topic"),
                "received_at": state.received.get("received_at"),
                "created_at": event.created_at,
                "item_type": event.item_type,
                "item_id": event.item_id,
                "delivery_attempts": event.delivery_attempts,
                "status": state.status,
            }
        )
    from .._frames import typed_records_frame

    return typed_records_frame(
        rows,
        strings=("id", "topic", "item_type", "item_id", "status"),
        datetimes=("received_at", "created_at"),
        integers=("delivery_attempts",),
        columns=EVENT_COLUMNS,
    )
