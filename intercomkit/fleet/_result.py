"""What a fleet run did, per workspace (the same records as ``_fleet.json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FleetResult"]


@dataclass(repr=False)
class FleetResult:
    """``workspaces``: name → record (``status`` ``done`` / ``incomplete`` / ``failed``, ``rows``, ``expected``,
    ``missing``, ``gaps``, ``error`` {type, reason, message}, ``started_at``, ``finished_at``, ``high_water``; a
    ``conversation_parts`` record adds ``parts_expected``, ``parts_truncated`` / ``deleted`` counts and up to 100
    of those conversations' ids in ``parts_truncated_ids`` / ``deleted_ids``).
    ``skipped``: workspaces already done by an earlier run and not run again. ``dataset``: where to read it.
    ``allow_gaps``: ``incomplete`` workspaces (rows missing against Intercom's counts, rows published) do not make
    the fleet fail, as ``allow_gaps`` does for one workspace's export; they are still listed in ``failed``."""

    kind: str
    out: str
    dataset: str
    workspaces: dict[str, dict[str, Any]]
    skipped: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    allow_gaps: bool = False

    @property
    def rows(self) -> int:
        return sum(int(r.get("rows") or 0) for r in self.workspaces.values() if r.get("status") != "failed")

    @property
    def failed(self) -> dict[str, dict[str, Any]]:
        """Workspaces that did not finish complete: ``failed`` ones and ``incomplete`` ones (rows missing)."""
        return {name: r for name, r in self.workspaces.items() if r.get("status") != "done"}

    @property
    def ok(self) -> bool:
        """Every workspace done and complete (with ``allow_gaps``: every one at least ``incomplete``)."""
        accepted = ("done", "incomplete") if self.allow_gaps else ("done",)
        return all(r.get("status") in accepted for r in self.workspaces.values())

    def __repr__(self) -> str:
        return (
            f"FleetResult(kind={self.kind!r}, dataset={self.dataset!r}, workspaces={len(self.workspaces)}, "
            f"rows={self.rows:,}, skipped={len(self.skipped)}, failed={sorted(self.failed)!r}, "
            f"elapsed={self.elapsed:.1f}s)"
        )

    def __str__(self) -> str:
        done = len(self.workspaces) - len(self.failed)
        text = (
            f"fleet: {done} of {len(self.workspaces)} workspaces exported, {self.rows:,} {self.kind} in "
            f"{self.dataset} ({self.elapsed:.1f}s)"
        )
        if self.skipped:
            text += f"; {len(self.skipped)} already done (skipped)"
        for name, record in sorted(self.workspaces.items()):
            notes = [describe(record)] if record.get("status") != "done" else []
            notes += parts_notes(record)
            if notes:
                text += f"\n  {name}: {'; '.join(notes)}"
        return text


def parts_notes(record: dict[str, Any]) -> list[str]:
    """A conversation_parts workspace's accounting, never silent: conversations cut at Intercom's 500 most recent
    parts, and conversations deleted during the run (neither is a gap)."""
    notes = []
    for count, ids, what in (
        (
            "parts_truncated",
            "parts_truncated_ids",
            "have more parts than Intercom returns (the 500 most recent are written)",
        ),
        ("deleted", "deleted_ids", "were deleted during the run (their parts are not written)"),
    ):
        number = record.get(count)
        if isinstance(number, int) and number:
            named = record.get(ids) or []
            shown = ", ".join(named[:5]) + (", …" if number > min(5, len(named)) else "")
            notes.append(f"{number:,} conversation(s) {what}: {shown}")
    return notes


def describe(record: dict[str, Any]) -> str:
    if record.get("status") == "incomplete":
        # A conversation_parts run's ``expected`` counts conversations, its ``missing`` parts and conversations.
        of = "" if "parts_expected" in record else f" of {record.get('expected') or 0:,}"
        return (
            f"incomplete: {record.get('missing') or 0:,}{of} missing "
            f"({'; '.join(record.get('gaps') or [])}); its rows are published"
        )
    error = record.get("error") or {}
    if record.get("status") == "pending":
        return "not finished (rerun the same command to resume it)"
    return f"failed ({error.get('reason', '?')}): {error.get('type', 'Error')}: {error.get('message', '')}"
