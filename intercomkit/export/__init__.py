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

Rows and Intercom's counts are compared at the end: ``ExportResult.missing`` / ``.gaps`` say what is short, and
``allow_gaps=False`` (the default) raises :class:`~intercomkit.errors.ExportIncomplete` after writing the file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .._protocol.query import to_unix
from ..errors import ConfigurationError, ExportIncomplete
from ._runner import ExportOptions, detect_format, run_export

if TYPE_CHECKING:
    from .._client import AsyncClient

__all__ = ["ExportResult", "Exporter", "export_companies", "export_contacts"]


@dataclass
class ExportResult:
    """What an export wrote and how it compares with Intercom's own counts.

    ``expected`` is Intercom's ``total_count`` for the query, for contacts created before the run began;
    ``missing`` is how many of those the export lacks (0 when complete; ``gaps`` says where).
    ``vanished`` counts contacts deleted or merged while the run was going (not an error); ``created_during_run``
    counts rows skipped because they were created after the run began (the next ``since_last`` run gets them);
    ``filtered`` counts rows the server returned only because Intercom's date filters are whole-day.
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

    @property
    def complete(self) -> bool:
        return self.missing == 0 and not self.gaps

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "complete": self.complete}

    def __str__(self) -> str:
        text = (
            f"wrote {self.rows:,} {self.kind} to {self.path} in {self.elapsed:.1f}s "
            f"({self.requests:,} requests, {self.retries:,} retries"
            + (f", {self.rate_limited:,} rate-limited" if self.rate_limited else "")
            + (f", resumed {self.resumed_windows:,} windows" if self.resumed_windows else "")
            + ")"
        )
        if self.vanished:
            text += f"; {self.vanished:,} deleted or merged during the run"
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


def _since(value: datetime | date | int | float | str | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigurationError(
                f"updated_since {value!r} is not an ISO date such as 2024-03-05 or 2024-03-05T14:00:00Z"
            ) from None
    if isinstance(value, float) and not isinstance(value, bool):
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
        concurrency: int | str = "auto",
        resume: bool = True,
        progress: bool = True,
        allow_gaps: bool = False,
    ) -> ExportResult:
        """Export every contact (or those matching ``query``) to ``path``.

        ``format``: from the suffix by default (``.csv``, ``.csv.gz``, ``.parquet``). ``fields``: output columns
        (``_frames.CONTACT_COLUMNS`` names and ``custom.<attribute>``); default all, custom attributes last.
        ``query``: a ``field(...)`` expression or Intercom's JSON. ``updated_since``: only contacts updated at or
        after it; ``since_last=True`` takes it from the previous successful export to the same path and merges the
        changes into that file. ``concurrency``: ``"auto"`` adapts to the rate-limit headers (up to 32 requests
        in flight) or a fixed number. ``resume=False`` discards an unfinished run's checkpoint.
        """
        if since_last and updated_since is not None:
            raise ConfigurationError("pass either updated_since or since_last, not both")
        options = ExportOptions(
            kind="contacts",
            path=os.fspath(path),
            format=detect_format(os.fspath(path), format),
            fields=list(fields) if fields is not None else None,
            query=query,
            updated_since=_since(updated_since),
            since_last=since_last,
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
