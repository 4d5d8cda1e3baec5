"""Bulk export of a whole workspace to CSV, csv.gz or Parquet: concurrent, resumable, checked for completeness.

    async with ik.AsyncClient() as client:
        result = await client.export.contacts("contacts.parquet")
    print(result)                       # rows, path, requests, retries, gaps

Intercom has no bulk endpoint, so contacts are fetched through ``POST /contacts/search`` in windows of ``created_at``
made of whole days of the workspace's timezone (Intercom's day boundaries: ``client.workspace_timezone()``), many at
once, at the workspace's rate-limit ceiling. Each finished window is committed to
``<path>.partial/`` (part file + manifest); rerunning the same call after a crash resumes from there. The final file
is deduplicated by id (newest ``updated_at`` wins) and appears by atomic rename. Companies come from one chain
(``/companies/list`` or the scroll, which Intercom runs one at a time).

Intercom's search index lags behind changes, so ``since_last`` looks back ``overlap`` (default 1 h) before the
previous run's start; every 10th incremental run (or ``reconcile=True``) walks the whole workspace instead and drops
rows that left it (deleted, merged, archived). Rows and Intercom's counts are compared at the end: ``ExportResult.missing`` / ``.gaps`` say what is short, and
``allow_gaps=False`` (the default) raises :class:`~intercomkit.errors.ExportIncomplete` after writing the file.

The checkpoint and ``<path>.export.json`` are bound to the workspace they were written for: resuming or
``since_last`` against another raises :class:`~intercomkit.errors.WorkspaceMismatch` and writes nothing. A file
that cannot be written raises :class:`~intercomkit.errors.WriteFailed`. An interrupted export (Ctrl-C, a cancelled
notebook cell) logs a warning on ``intercomkit.export``, and adds a note to the exception, saying what was kept.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .._protocol.query.values import to_unix
from .._protocol.since import parse_since
from ..errors import ConfigurationError, ExportIncomplete
from ._overlap import DEFAULT_OVERLAP, RECONCILE_EVERY, describe_overlap, parse_overlap
from ._runner import ExportOptions, detect_format, run_export

if TYPE_CHECKING:
    from .._client import AsyncClient

__all__ = ["ExportResult", "Exporter", "export_companies", "export_contacts"]


@dataclass(repr=False)
class ExportResult:
    """What an export wrote and how it compares with Intercom's own counts.

    ``expected`` is Intercom's ``total_count`` for the query, for contacts created before the run began (for
    companies: the count of companies with users, a floor, since the file also has the companies without users);
    ``missing`` is how many of those the export lacks (0 when complete; ``gaps`` says where).
    ``vanished`` counts contacts deleted or merged while the run was going (not an error); ``created_during_run``
    counts rows skipped because they were created after the run began, or came back to search during it (an
    archived contact returning), and were not fetched (the next ``since_last`` run gets them);
    ``filtered`` counts rows the server returned only because Intercom's date filters are whole-day.
    ``resumed_windows`` / ``resumed_rows``: what was kept from an interrupted run and not fetched again.
    ``added`` / ``updated`` (``since_last`` runs only): new rows, and rows replaced by a newer version; contacts
    deleted in Intercom since the last run stay in the file (Intercom lists no deleted contacts).
    ``overlap`` is the search-lag margin in seconds: contacts changed that long before the run may be in their
    previous version (Intercom's search had not caught up); the next ``since_last`` run looks back that far.
    ``reconciled`` says the run walked the whole workspace and replaced the file: ``removed`` rows had left it
    (deleted, merged, archived, or no longer matching the query), ``refreshed`` rows had tag or company columns
    that changed without ``updated_at`` moving.
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
        return (
            f"since last run: {self.added:,} added, {self.updated or 0:,} updated; deleted contacts are not "
            "removed (Intercom lists no deleted contacts) until a reconciling run (--reconcile, or every "
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
        if self.reconciled:
            text += f"; reconciled: {self.removed:,} removed, {self.refreshed:,} refreshed"
        if self.overlap:
            margin = describe_overlap(self.overlap)
            text += (
                f"; contacts changed in the {margin} before the run may be in their previous version "
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


def _since(value: datetime | date | int | float | str | None, now: float) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        return parse_since(value, now)
    if isinstance(value, float):
        value = int(value)
    return to_unix(value)


class Exporter:
    """``client.export``: ``await client.export.contacts(path)`` / ``await client.export.companies(path)``."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<Exporter of {self._client!r}>"

    async def contacts(
        self,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        fields: Sequence[str] | None = None,
        query: Any = None,
        updated_since: datetime | date | int | str | None = None,
        since_last: bool = False,
        overlap: int | float | str | timedelta = DEFAULT_OVERLAP,
        reconcile: bool | None = None,
        concurrency: int | str = "auto",
        resume: bool = True,
        progress: bool = True,
        allow_gaps: bool = False,
    ) -> ExportResult:
        """Export every contact (or those matching ``query``) to ``path``.

        ``format``: from the suffix by default (``.csv``, ``.csv.gz``, ``.parquet``). ``fields``: output columns
        (``_frames.CONTACT_COLUMNS`` names and ``custom.<attribute>``); default all, custom attributes last.
        ``query``: a ``field(...)`` expression or Intercom's JSON. ``updated_since``: only contacts updated at or
        after it (a date, datetime, unix seconds, or text: ``2024-03-05``, ``2024-03-05T14:00:00Z``,
        ``yesterday``, ``7d``, ``24h``); ``since_last=True`` takes it from the previous successful export to the same
        path and merges the changes into that file, looking back ``overlap`` (seconds, a ``timedelta`` or ``"1h"``,
        ``"30m"``; default 1 h) before that export's start because Intercom's search lags behind changes.
        ``reconcile=True`` walks the whole workspace and replaces the file, reporting rows that left it
        (``removed``) and tag/company columns that changed without ``updated_at`` moving (``refreshed``); ``None``
        (default) does so on every 10th ``since_last`` run, ``False`` never. ``concurrency``: ``"auto"`` adapts to
        the rate-limit headers (up to 32 requests
        in flight) or a fixed number. ``resume=False`` discards an unfinished run's checkpoint.
        """
        if since_last and updated_since is not None:
            raise ConfigurationError("pass either updated_since or since_last, not both")
        if reconcile and updated_since is not None:
            raise ConfigurationError("reconcile walks every contact: it cannot take updated_since")
        if reconcile not in (None, True, False):
            raise ConfigurationError(f"reconcile must be True, False or None, got {reconcile!r}")
        options = ExportOptions(
            kind="contacts",
            path=os.fspath(path),
            format=detect_format(os.fspath(path), format),
            fields=list(fields) if fields is not None else None,
            query=query,
            updated_since=_since(updated_since, self._client.now()),
            since_last=since_last,
            overlap=parse_overlap(overlap),
            reconcile=reconcile,
            concurrency=concurrency,
            resume=resume,
            progress=progress,
        )
        return _finish(await run_export(self._client, options, ExportResult), allow_gaps)

    async def companies(
        self,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        fields: Sequence[str] | None = None,
        resume: bool = True,
        progress: bool = True,
        allow_gaps: bool = False,
        concurrency: int | str = "auto",
    ) -> ExportResult:
        """Export every company to ``path`` (one chain: ``/companies/list`` up to 10 000, else the scroll)."""
        options = ExportOptions(
            kind="companies",
            path=os.fspath(path),
            format=detect_format(os.fspath(path), format),
            fields=list(fields) if fields is not None else None,
            concurrency=concurrency,
            resume=resume,
            progress=progress,
        )
        return _finish(await run_export(self._client, options, ExportResult), allow_gaps)


def _finish(result: ExportResult, allow_gaps: bool) -> ExportResult:
    if not result.complete and not allow_gaps:
        raise ExportIncomplete(
            f"the export to {result.path} is incomplete: {result.missing:,} of {result.expected or 0:,} rows "
            f"missing ({'; '.join(result.gaps)}). The file holds what was fetched; pass allow_gaps=True "
            "(--allow-gaps) to accept it.",
            result=result,
        )
    return result


def _sync(
    kind: str, path: Any, client: Any, client_kwargs: dict[str, Any], options: dict[str, Any]
) -> ExportResult:
    from .._bridge import run_sync

    async def main() -> ExportResult:
        if client is not None:
            return await getattr(client.export, kind)(path, **options)
        from .._client import AsyncClient

        async with AsyncClient(**client_kwargs) as own:
            return await getattr(own.export, kind)(path, **options)

    return run_sync(main())


def export_contacts(
    path: str | os.PathLike[str],
    *,
    client: Any = None,
    client_kwargs: dict[str, Any] | None = None,
    **options: Any,
) -> ExportResult:
    """Blocking ``client.export.contacts`` for scripts and notebook cells that cannot ``await``.

    Runs on the sync bridge; pass ``client_kwargs`` (``AsyncClient`` arguments) to let it open its own client, or a
    ``client`` created on the bridge (see ``intercomkit._bridge``).
    """
    return _sync("contacts", path, client, client_kwargs or {}, options)


def export_companies(
    path: str | os.PathLike[str],
    *,
    client: Any = None,
    client_kwargs: dict[str, Any] | None = None,
    **options: Any,
) -> ExportResult:
    """Blocking ``client.export.companies``; see :func:`export_contacts`."""
    return _sync("companies", path, client, client_kwargs or {}, options)
