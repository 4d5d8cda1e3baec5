"""``ExportResult``: what an export wrote and how it compares with Intercom's own counts (built once, by
``_run.Run.result``)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ._overlap import RECONCILE_EVERY, describe_overlap

__all__ = ["ExportResult"]


@dataclass(repr=False)
class ExportResult:
    """What an export wrote and how it compares with Intercom's own counts.

    ``expected`` is Intercom's ``total_count`` for the query, for contacts created before the run began (for
    companies: the count of companies with users, a floor, since the file also has the companies without users);
    ``missing`` is how many of those the export lacks (0 when complete; ``gaps`` says where).
    ``vanished`` counts rows (contacts, conversations, …) deleted or merged while the run was going (not an error,
    whether or not the export had fetched them already); ``created_during_run``
    counts rows skipped because they were created after the run began, or came back to search during it (an
    archived contact returning), and were not fetched (the next ``since_last`` run gets them);
    ``filtered`` counts rows the server returned only because Intercom's date filters are whole-day (a
    conversation or ticket search window also reaches a second into its neighbours': those rows are written by
    the window they belong to, and counted in neither).
    ``resumed_windows`` / ``resumed_rows``: what was kept from an interrupted run and not fetched again.
    ``added`` / ``updated`` (``since_last`` runs only): new rows, and rows replaced by a newer version; contacts
    deleted in Intercom since the last run stay in the file (Intercom lists no deleted contacts).
    ``overlap`` is the search-lag margin in seconds: contacts changed that long before the run may be in their
    previous version (Intercom's search had not caught up); the next ``since_last`` run looks back that far.
    ``reconciled`` says the run walked the whole workspace and replaced the file: ``removed`` rows had left it
    (deleted, merged, archived, or no longer matching the query), ``refreshed`` rows had tag or company columns
    that changed without ``updated_at`` moving.

    A ``conversation_parts`` export writes parts (``rows``) of the conversations its search windows list
    (``expected`` counts those conversations). Each conversation's parts are checked against
    ``statistics.count_conversation_parts`` (``parts_expected`` sums the counts): ``parts_truncated`` names the
    conversations with more parts than Intercom returns (the 500 most recent; never silent, not a gap),
    ``deleted`` the conversations that answered 404 during the run (their parts are gone; not a failure), and any
    other shortfall is a gap (``gaps``, ``missing``).
    """

    kind: str
    path: str
    format: str
    rows: int
    elapsed: float
    requests: int
    retries: int
    rate_limited: int = 0
    expected: int | None = None
    missing: int = 0
    vanished: int = 0
    created_during_run: int = 0
    filtered: int = 0
    windows: int = 0
    resumed_windows: int = 0
    gaps: list[str] = field(default_factory=list)
    started_at: float = 0.0
    updated_since: int | None = None
    peak_concurrency: int = 0
    resumed_rows: int = 0
    added: int | None = None
    updated: int | None = None
    overlap: int = 0
    reconciled: bool = False
    removed: int = 0
    refreshed: int = 0
    parts_expected: int | None = None
    parts_truncated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.missing == 0 and not self.gaps

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "complete": self.complete}

    @property
    def resume_note(self) -> str | None:
        """``resumed: 3 of 8 windows (1,250 rows) kept from the last run``, or None for a fresh run."""
        if not self.resumed_windows:
            return None
        return (
            f"resumed: {self.resumed_windows:,} of {self.windows:,} windows ({self.resumed_rows:,} rows) kept "
            "from the last run"
        )

    @property
    def since_last_note(self) -> str | None:
        """``since last run: 12 added, 30 updated; …`` for a ``since_last`` run, else None."""
        if self.added is None:
            return None
        if self.parts_expected is not None:
            return (
                f"since last run: {self.added:,} parts added, {self.updated or 0:,} replaced (every part of a "
                "conversation updated since then is fetched again)"
            )
        return (
            f"since last run: {self.added:,} added, {self.updated or 0:,} updated; deleted {self.kind} are not "
            f"removed (Intercom lists no deleted {self.kind}) until a reconciling run (--reconcile, or every "
            f"{RECONCILE_EVERY}th --since-last)"
        )

    def __repr__(self) -> str:
        # Readable in a notebook: rounded seconds and ISO times, not 1.734912 and 1764620000.0.
        shown = [
            ("kind", repr(self.kind)),
            ("path", repr(self.path)),
            ("format", repr(self.format)),
            ("rows", f"{self.rows:,}"),
            ("complete", repr(self.complete)),
            ("elapsed", f"{self.elapsed:.1f}s"),
            ("requests", f"{self.requests:,}"),
            ("retries", f"{self.retries:,}"),
            ("started_at", _iso(self.started_at)),
        ]
        if self.updated_since is not None:
            shown.append(("updated_since", _iso(self.updated_since)))
        if self.expected is not None:
            shown.append(("expected", f"{self.expected:,}"))
        for name in ("missing", "vanished", "created_during_run", "filtered", "rate_limited"):
            if getattr(self, name):
                shown.append((name, f"{getattr(self, name):,}"))
        if self.resumed_windows:
            shown.append(
                ("resumed", f"'{self.resumed_windows} of {self.windows} windows, {self.resumed_rows:,} rows'")
            )
        if self.added is not None:
            shown += [("added", f"{self.added:,}"), ("updated", f"{self.updated or 0:,}")]
        if self.parts_expected is not None:
            shown.append(("parts_expected", f"{self.parts_expected:,}"))
        if self.parts_truncated:
            shown.append(("parts_truncated", repr(self.parts_truncated)))
        if self.deleted:
            shown.append(("deleted", repr(self.deleted)))
        if self.gaps:
            shown.append(("gaps", repr(self.gaps)))
        return "ExportResult(" + ", ".join(f"{k}={v}" for k, v in shown) + ")"

    def __str__(self) -> str:
        text = (
            f"wrote {self.rows:,} {self.kind} to {self.path} in {self.elapsed:.1f}s "
            f"({self.requests:,} requests, {self.retries:,} retries"
            + (f", {self.rate_limited:,} rate-limited" if self.rate_limited else "")
            + ")"
        )
        for note in (self.resume_note, self.since_last_note):
            if note:
                text += f"; {note}"
        if self.vanished:
            text += f"; {self.vanished:,} deleted or merged during the run"
        if self.parts_truncated:
            shown = ", ".join(self.parts_truncated[:10]) + (", …" if len(self.parts_truncated) > 10 else "")
            text += (
                f"; {len(self.parts_truncated):,} conversation(s) have more parts than Intercom returns (the 500 "
                f"most recent are written): {shown}"
            )
        if self.deleted:
            text += f"; {len(self.deleted):,} conversation(s) deleted during the run (their parts are not written)"
        if self.reconciled:
            text += f"; reconciled: {self.removed:,} removed, {self.refreshed:,} refreshed"
        if self.overlap:
            margin = describe_overlap(self.overlap)
            text += (
                f"; {self.kind} changed in the {margin} before the run may be in their previous version "
                "(search lags; the next --since-last picks them up)"
            )
        if self.created_during_run:
            text += (
                f"; {self.created_during_run:,} created during the run (left for the next --since-last run)"
            )
        if not self.complete:
            text += (
                f"; INCOMPLETE: {self.missing:,} missing of {self.expected or 0:,} ("
                + "; ".join(self.gaps)
                + ")"
            )
        return text


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
