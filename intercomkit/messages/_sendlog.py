"""The bulk-send log: one JSON line per state change, appended and fsynced, so a crash never loses a send.

Every row is written ``pending`` *before* its request and ``sent`` / ``failed`` / ``unknown`` after it. The last
line for a key is that row's state. A row left ``pending`` (the process died mid-request) reads as ``unknown``.
An exclusive ``flock`` stops two runs from sharing one log; the kernel drops it when a process dies.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import SendError

try:  # POSIX only; elsewhere two runs on one log are the user's responsibility
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = ["STATUSES", "SendLog", "key_id", "plain_key"]

STATUSES = ("pending", "sent", "failed", "unknown")
_HEADER = "intercomkit_send_log"


def plain_key(key: Any) -> Any:
    """A row key as a JSON value: numpy scalars become Python ones, anything else unusual its ``str``."""
    if hasattr(key, "item") and not isinstance(key, (str, bytes)):
        try:
            key = key.item()
        except (TypeError, ValueError):
            pass
    if key is None or isinstance(key, (str, int, float, bool)):
        return key
    return str(key)


def key_id(key: Any) -> str:
    return json.dumps(plain_key(key))


class SendLog:
    """Open with ``SendLog(path)``; ``states()`` maps each key to its last record.

    Reconcile an ``unknown`` row by hand after checking Intercom (the inbox, the contact's conversations):
    ``mark_sent(key, message_id)`` if it arrived, ``mark_not_sent(key)`` if it did not (the next run sends it).
    """

    def __init__(self, path: str | os.PathLike[str], *, clock: Any = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._file: Any = None

    def __repr__(self) -> str:
        return f"SendLog({str(self.path)!r})"

    # -- lifecycle

    def open(self) -> SendLog:
        if self._file is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the run, closed in close()
        if fcntl is not None:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                raise SendError(
                    f"another run is using the send log {self.path}; wait for it to finish"
                ) from None
        self._file = f
        with open(self.path, "rb") as raw:
            size = raw.seek(0, os.SEEK_END)
            torn = size > 0 and raw.seek(size - 1) >= 0 and raw.read(1) != b"\n"
        if size == 0:
            self._write({_HEADER: 1, "at": self._clock()})
        elif torn:  # a line cut by a crash: end it so the next record starts on its own line
            f.write("\n")
        return self

    def close(self) -> None:
        if self._file is not None:
            self._file.close()  # closing releases the flock
            self._file = None

    def __enter__(self) -> SendLog:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading

    def records(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        first = True
        for line in lines:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None  # a line torn by a crash mid-write: its row reads as never logged
            if first:
                if not (isinstance(record, dict) and _HEADER in record):
                    raise SendError(f"{self.path} is not an intercomkit send log; pick another path")
                first = False
            elif isinstance(record, dict) and "status" in record:
                yield record

    def states(self) -> dict[str, dict[str, Any]]:
        """Each key's last record, keyed by ``key_id(key)``; ``pending`` is reported as ``unknown``."""
        out: dict[str, dict[str, Any]] = {}
        for record in self.records():
            out[key_id(record.get("key"))] = record
        for k, record in out.items():
            if record["status"] == "pending":
                out[k] = {**record, "status": "unknown", "error": "the run stopped while this was being sent"}
        return out

    def unknown(self) -> list[dict[str, Any]]:
        return [r for r in self.states().values() if r["status"] == "unknown"]

    # -- writing

    def record(self, key: Any, status: str, **fields: Any) -> None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        self._write({"key": plain_key(key), "status": status, "at": self._clock(), **fields})

    def mark_sent(self, key: Any, message_id: str | None = None) -> None:
        """Reconcile: this row did reach Intercom (do not send it again)."""
        self._reconcile(key, "sent", message_id=message_id, note="marked sent by hand")

    def mark_not_sent(self, key: Any) -> None:
        """Reconcile: this row did not reach Intercom (the next run sends it)."""
        self._reconcile(key, "failed", error="marked not sent by hand")

    def _reconcile(self, key: Any, status: str, **fields: Any) -> None:
        if key_id(key) not in self.states():
            raise KeyError(f"no row {key!r} in {self.path}")
        opened = self._file is None
        self.open()
        try:
            self.record(key, status, **fields)
        finally:
            if opened:
                self.close()

    def _write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            raise SendError("the send log is not open")
        self._file.write(json.dumps(record, default=str) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
