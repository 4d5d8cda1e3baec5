"""What a fleet run did, per workspace (the same records as ``_fleet.json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FleetResult"]


@dataclass(repr=False)
class FleetResult:
    """``workspaces``: name → record (``status`` ``done`` / ``incomplete`` / ``failed``, ``rows``, ``expected``,
    ``missing``, ``gaps``, ``error`` {type, reason, message}, ``started_at``, ``finished_at``, ``high_water``).
    ``skipped``: workspaces already done by an earlier run and not run again. ``dataset``: where to read it."""

    kind: str
    out: str
    dataset: str
    workspaces: dict[str, dict[str, Any]]
    skipped: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def rows(self) -> int:
        return sum(int(r.get("rows") or 0) for r in self.workspaces.values() if r.get("status") != "failed")

    @property
    def failed(self) -> dict[str, dict[str, Any]]:
        """Workspaces that did not finish complete: ``failed`` ones and ``incomplete`` ones (rows missing)."""
        return {name: r for name, r in self.workspaces.items() if r.get("status") != "done"}

    @property
    def ok(self) -> bool:
        return not self.failed

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
        for name, record in sorted(self.failed.items()):
            text += f"\n  {name}: {describe(record)}"
        return text


def describe(record: dict[str, Any]) -> str:
    if record.get("status") == "incomplete":
        return (
            f"incomplete: {record.get('missing') or 0:,} of {record.get('expected') or 0:,} missing "
            f"({'; '.join(record.get('gaps') or [])}); its rows are published"
        )
    error = record.get("error") or {}
    if record.get("status") == "pending":
        return "not finished (rerun the same command to resume it)"
    return f"failed ({error.get('reason', '?')}): {error.get('type', 'Error')}: {error.get('message', '')}"
