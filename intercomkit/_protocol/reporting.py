"""Reporting-data export rules, pure: splitting a time range into jobs, the polling backoff, qualified attribute
ids, and reading a job's status. No I/O, no clock reads.

Intercom: at most 5 pending jobs per workspace ("Exceeded rate limit of 5 pending reporting dataset export jobs").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError, InvalidResponse

__all__ = ["MAX_PENDING", "JobPolling", "job_status", "qualify", "split_range"]

MAX_PENDING = 5
STATUSES = ("pending", "complete", "failed")


def split_range(start: int, end: int, max_seconds: int) -> list[tuple[int, int]]:
    """``[start, end]`` (unix seconds, both inclusive, as the enqueue takes them) as consecutive windows of at
    most ``max_seconds`` seconds that cover it exactly: no second twice, none left out."""
    if end < start:
        raise ConfigurationError(f"the export ends ({end}) before it starts ({start})")
    if max_seconds < 1:
        raise ConfigurationError("a reporting job must span at least one second")
    windows, s = [], start
    while s <= end:
        e = min(s + max_seconds - 1, end)
        windows.append((s, e))
        s = e + 1
    return windows


@dataclass(frozen=True)
class JobPolling:
    """How often a pending job is asked about: ``first`` seconds, then ×``factor`` up to ``longest``; a job
    still pending after ``give_up`` seconds counts as failed."""

    first: float = 2.0
    factor: float = 1.5
    longest: float = 30.0
    give_up: float = 6 * 3600.0

    def wait(self, attempt: int) -> float:
        """Seconds before the ``attempt``-th status check (1-based)."""
        return min(self.longest, self.first * self.factor ** max(attempt - 1, 0))


def qualify(
    datasets: Sequence[Mapping[str, Any]], dataset: str, attributes: Sequence[str] | None
) -> list[str]:
    """The qualified ids to enqueue for ``attributes`` (ids or qualified ids; ``None``: every attribute).

    qualified_id is "Required when calling the enqueue endpoint"; a plain id is "ambiguous if the same name exists
    across different attribute types", so a plain id matching two qualified ones is refused."""
    found = next((d for d in datasets if d.get("id") == dataset), None)
    if found is None:
        known = ", ".join(str(d.get("id")) for d in datasets)
        raise ConfigurationError(f"no reporting dataset {dataset!r} in this workspace (it has: {known})")
    listed = [a for a in found.get("attributes") or [] if isinstance(a, Mapping)]
    if attributes is None:
        return [str(a.get("qualified_id") or a.get("id")) for a in listed]
    by_qualified = {str(a.get("qualified_id")): a for a in listed}
    chosen = []
    for name in attributes:
        if name in by_qualified:
            chosen.append(name)
            continue
        matches = [q for q, a in by_qualified.items() if a.get("id") == name]
        if len(matches) != 1:
            what = (
                "is ambiguous: use one of " + ", ".join(matches)
                if matches
                else "is not one of its attributes"
            )
            raise ConfigurationError(f"{name!r} {what} (dataset {dataset!r})")
        chosen.append(matches[0])
    if not chosen:
        raise ConfigurationError("attributes must name at least one attribute")
    return chosen


def job_status(body: Mapping[str, Any]) -> str:
    """``pending``, ``complete`` or ``failed`` from a job-status answer; anything else is ``InvalidResponse``."""
    status = body.get("status") if isinstance(body, Mapping) else None
    if status not in STATUSES:
        raise InvalidResponse(f"a reporting job status must be one of {', '.join(STATUSES)}, got {status!r}")
    return status
