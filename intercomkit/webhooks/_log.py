"""The record of received notifications: an append-only JSONL file, or the same records kept in memory.

Two kinds of line, both JSON objects:

- ``{"type": "received", "received_at", "id", "topic", "status": "received" | "duplicate", "body"}`` — written
  (and fsynced) before the receiver answers 200, so an acknowledged event is never lost.
- ``{"type": "outcome", "at", "id", "topic", "status": "handled" | "failed", "handler", "error"}`` — one per
  handler run, including replays.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = [
    "EventLog",
    "EventState",
    "MemoryLog",
    "outcome_record",
    "read_log",
    "received_record",
    "summarize",
]

logger = logging.getLogger("intercomkit.webhooks")


def received_record(
    *, event_id: str | None, topic: str | None, body: dict[str, Any], status: str, now: datetime
) -> dict[str, Any]:
    return {
        "type": "received",
        "received_at": now.isoformat(),
        "id": event_id,
        "topic": topic,
        "status": status,
        "body": body,
    }


def outcome_record(
    *, event_id: str | None, topic: str | None, status: str, handler: str, error: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "type": "outcome",
        "at": now.isoformat(),
        "id": event_id,
        "topic": topic,
        "status": status,
        "handler": handler,
        "error": error,
    }


class MemoryLog:
    """Records kept in memory (the newest ``max_records``) when no log file is configured."""

    def __init__(self, max_records: int = 100_000) -> None:
        self._records: deque[dict[str, Any]] = deque(maxlen=max_records)
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._records.append(record)

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._records)

    def __repr__(self) -> str:
        return f"MemoryLog({len(self._records)} records)"


class EventLog:
    """An append-only JSONL file. Each line is flushed and (by default) fsynced before ``append`` returns."""

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                if self.fsync:
                    os.fsync(f.fileno())

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return read_log(self.path) if self.path.exists() else []

    def __repr__(self) -> str:
        return f"EventLog({str(self.path)!r})"


def read_log(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every record in a JSONL event log. A line cut short by a crash is skipped with a warning."""
    records: list[dict[str, Any]] = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                logger.warning("skipping unreadable line %d of webhook log %s", number, path)
                continue
            if isinstance(record, dict):
                records.append(record)
    return records


@dataclass
class EventState:
    """What the log says about one notification id."""

    received: dict[str, Any]
    status: str = "received"
    failed_handlers: set[str] = field(default_factory=set)


def summarize(records: list[dict[str, Any]]) -> dict[str, EventState]:
    """Fold log records into one state per notification id (first receipt; latest outcome per handler)."""
    states: dict[str, EventState] = {}
    for record in records:
        event_id = record.get("id")
        if not isinstance(event_id, str):
            continue
        if record.get("type") == "received":
            if record.get("status") != "duplicate" and event_id not in states:
                states[event_id] = EventState(received=record)
        elif record.get("type") == "outcome" and event_id in states:
            state = states[event_id]
            handler = str(record.get("handler"))
            if record.get("status") == "failed":
                state.failed_handlers.add(handler)
            else:
                state.failed_handlers.discard(handler)
            state.status = "failed" if state.failed_handlers else "handled"
    return states
