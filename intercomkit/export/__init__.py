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

import inspect
import os
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .._protocol.query.values import to_unix
from .._protocol.since import parse_since
from ..errors import ConfigurationError, ExportIncomplete
from ._engine import export
from ._options import ExportOptions, detect_format
from ._overlap import DEFAULT_OVERLAP, parse_overlap
from ._result import ExportResult

if TYPE_CHECKING:
    from .._client import AsyncClient

__all__ = ["ExportResult", "Exporter"]


def _since(value: datetime | date | int | float | str | None, now: float) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        return parse_since(value, now)
    if isinstance(value, float):
        value = int(value)
    return to_unix(value)


_DOC_CONTACTS = """Export every contact (or those matching ``query``) to ``path``.

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

_DOC_CONVERSATIONS = """Export every conversation (or those matching ``query``) to ``path``: one row each, the columns of
        ``conversations_frame`` (``statistics`` flattened, tags, rating, AI agent) then ``custom.<attribute>``.

        The options are ``contacts()``'s. Conversations are fetched through ``POST /conversations/search`` in
        windows of ``created_at``; that search's ``>``/``<`` include their bound, so windows overlap by a second at
        their edges and each conversation is written once. ``since_last=True`` merges the conversations updated
        since the last run into the file, replacing their rows (a conversation closed since is never left open).
        Conversations deleted during the run are counted in ``vanished``, not a gap.
        """

_DOC_TICKETS = """Export every ticket (or those matching ``query``) to ``path``: the columns of ``tickets_frame``, then
        ``attr.<name>`` for each of its ``ticket_attributes``. Through ``POST /tickets/search``; the options and
        guarantees are ``conversations()``'s."""

_DOC_PARTS = """Export the parts of every conversation (or of those matching ``query``, a conversation search) to
        ``path``: one row per part, the columns of ``parts_frame``.

        The conversations are windowed and paged as ``conversations()`` does; each one's parts are its
        ``GET /conversations/{id}``, fetched concurrently under the run's request limiter (the workspace's rate
        budget), never one at a time. Every conversation's parts are checked against its
        ``statistics.count_conversation_parts``: those with more than Intercom returns (the 500 most recent) are
        named in ``result.parts_truncated``, those deleted during the run (404) in ``result.deleted`` (neither is a
        gap); any other shortfall is a gap (``ExportIncomplete`` unless ``allow_gaps``). ``since_last=True``
        replaces all the parts of each conversation updated since the last run (and drops those of conversations
        deleted meanwhile); parts of the others stay. The options are ``contacts()``'s.
        """


def _search_export(kind: str, doc: str) -> Callable[..., Awaitable[ExportResult]]:
    """``Exporter.<kind>``: the export of a search-paged resource (``_resources.SearchPaging``); one signature."""

    async def method(
        self: Exporter,
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
        if since_last and updated_since is not None:
            raise ConfigurationError("pass either updated_since or since_last, not both")
        if reconcile and updated_since is not None:
            raise ConfigurationError(f"reconcile walks every {kind[:-1]}: it cannot take updated_since")
        if reconcile not in (None, True, False):
            raise ConfigurationError(f"reconcile must be True, False or None, got {reconcile!r}")
        options = ExportOptions(
            kind=kind,
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
        return _finish(await export(self._client, options), allow_gaps)

    method.__name__ = kind
    method.__qualname__ = f"Exporter.{kind}"
    method.__doc__ = inspect.cleandoc(doc)
    return method


class Exporter:
    """``client.export``: ``await client.export.contacts(path)``, ``.companies(path)``, ``.conversations(path)``,
    ``.conversation_parts(path)``, ``.tickets(path)``."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<Exporter of {self._client!r}>"

    contacts = _search_export("contacts", _DOC_CONTACTS)
    conversations = _search_export("conversations", _DOC_CONVERSATIONS)
    tickets = _search_export("tickets", _DOC_TICKETS)
    conversation_parts = _search_export("conversation_parts", _DOC_PARTS)

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
        return _finish(await export(self._client, options), allow_gaps)


def _finish(result: ExportResult, allow_gaps: bool) -> ExportResult:
    if not result.complete and not allow_gaps:
        raise ExportIncomplete(
            f"the export to {result.path} is incomplete: {result.missing:,} of {result.expected or 0:,} rows "
            f"missing ({'; '.join(result.gaps)}). The file holds what was fetched; pass allow_gaps=True "
            "(--allow-gaps) to accept it.",
            result=result,
        )
    return result
