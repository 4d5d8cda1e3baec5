"""Search sees contacts as they were ``search_lag`` seconds ago (sandbox clock); GET /contacts/{id} sees them now.

Intercom, Search contacts: "If a contact has recently been created, there is a possibility that it will not yet be
available when searching. This means that it may not appear in the response. This delay can take a few minutes."
The description names creation; the sandbox applies the same delay to updates (search answers the previous version,
its old field values and old ``updated_at``), the harder case for an incremental export: an update made just before
a run is invisible to that run and must still reach the next one. Only search lags: list and get answer at once.

For each contact changed within the lag the store keeps the versions search may still see, oldest first, each with
the time of the change that replaced it; search answers the version before the oldest change it cannot see yet.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from ._data import KIND_DELETED

__all__ = ["SearchLag", "Seen"]


@dataclass(frozen=True)
class Seen:
    """A contact as search sees it: its record (None when search does not see it at all), kind and updated_at."""

    record: dict | None
    kind: int
    updated: int


class SearchLag:
    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        if not seconds >= 0:  # also refuses NaN
            raise ValueError(f"search_lag must be a number of seconds >= 0, got {seconds!r}")
        self.seconds = seconds
        self.clock = clock
        self._pending: dict[int, list[tuple[float, Seen]]] = {}
        # Changes each time a lagging change becomes visible: search results cached before it are stale.
        self.generation = 0

    def created(self, idx: int) -> None:
        if self.seconds:
            self._pending.setdefault(idx, []).append((self.clock(), Seen(None, KIND_DELETED, 0)))

    def changing(self, idx: int, record: dict, kind: int, updated: int) -> None:
        """Call before a change is applied: ``record`` is the version search keeps answering for a while."""
        if self.seconds:
            before = Seen(copy.deepcopy(record), kind, updated)
            self._pending.setdefault(idx, []).append((self.clock(), before))

    def forget(self, idx: int) -> None:
        """A delete, merge or archive is not delayed: the merge's own description says search excludes it."""
        self._pending.pop(idx, None)

    def view(self) -> dict[int, Seen]:
        """Contacts whose latest change search does not see yet, and the version it sees instead."""
        if not self._pending:
            return {}
        cutoff = self.clock() - self.seconds
        out: dict[int, Seen] = {}
        for idx in list(self._pending):
            entries = [e for e in self._pending[idx] if e[0] > cutoff]
            if len(entries) != len(self._pending[idx]):
                self.generation += 1
            if entries:
                self._pending[idx] = entries
                out[idx] = entries[0][1]
            else:
                del self._pending[idx]
        return out
