"""``client.reporting``: Intercom's reporting-data export jobs.

    frame = await client.reporting.datasets()                      # datasets and their attributes
    df = await client.reporting.export("conversation", start="2026-01-01", end="2026-03-31")
    await client.reporting.export("conversation", ["conversation_id"], start=..., end=...).to_file("c.csv")

An export enqueues one job per window of the range (``POST /export/reporting_data/enqueue``), polls each with a
growing interval (``GET /export/reporting_data/{job}``), downloads it (``GET /download/reporting_data/{job}`` with
``Accept: application/octet-stream``: a gzipped CSV) and appends its rows in window order. Never more than 5 jobs
are out at once: Intercom refuses a sixth pending one with 429. A job that fails, expires before its download, or
arrives unreadable is enqueued again, ``retries`` times, then reported by name (``ReportingJobFailed``,
``ReportingJobExpired``) with its job id, dataset and window.
"""

from __future__ import annotations

import os
import tempfile
import zlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .._protocol.query.values import to_unix
from .._protocol.reporting import MAX_PENDING, JobPolling, job_status, qualify, split_range
from .._protocol.since import parse_since
from ..errors import (
    ConfigurationError,
    IntercomError,
    NotFound,
    ReportingJobExpired,
    ReportingJobFailed,
    WriteFailed,
)
from ._base import Resource, listed, segment

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Reporting", "ReportingExport", "ReportingResult"]

_CHUNK = 1 << 20
_SPOOL = 8 << 20  # a job's download stays in memory up to 8 MB, then goes to a temporary file


@dataclass
class ReportingResult:
    """What ``to_file`` wrote: ``rows`` (CSV data lines), ``jobs`` (enqueued, retries included), ``retried``."""

    path: Path
    rows: int = 0
    jobs: int = 0
    retried: list[str] = field(default_factory=list)


class Reporting(Resource):
    async def datasets_raw(self) -> list[dict[str, Any]]:
        """``GET /export/reporting_data/get_datasets``: the datasets as Intercom lists them."""
        return listed(await self._client.request("GET", "/export/reporting_data/get_datasets"), "data")

    async def datasets(self) -> pd.DataFrame:
        """One row per dataset attribute: dataset_id, dataset_name, dataset_description,
        default_time_attribute_id, attribute_id, qualified_id, attribute_name."""
        from .._reporting_frames import reporting_datasets_frame

        return reporting_datasets_frame(await self.datasets_raw())

    def export(
        self,
        dataset: str,
        attributes: Sequence[str] | None = None,
        *,
        start: datetime | date | int | str,
        end: datetime | date | int | str,
        progress: bool = True,
        window_days: float = 30,
        retries: int = 2,
        polling: JobPolling | None = None,
    ) -> ReportingExport:
        """The rows of ``dataset`` whose time attribute is within ``[start, end]`` (both inclusive): ``await`` it
        for a typed DataFrame, or ``await ….to_file(path)`` to stream the CSV to disk. ``attributes``: ids or
        qualified ids (``None``: all). ``start``/``end``: datetime, date, unix seconds or text as ``--since``
        takes it. The range is split into jobs of ``window_days``; ``progress`` shows a bar of jobs and the
        state of the one being waited for."""
        if isinstance(attributes, str):
            attributes = [a.strip() for a in attributes.split(",") if a.strip()]
        now = self._client.now()
        first, last = _when(start, now, "start"), _when(end, now, "end")
        if window_days <= 0:
            raise ConfigurationError("window_days must be positive")
        windows = split_range(first, last, max(1, int(window_days * 86_400)))
        return ReportingExport(
            self,
            dataset,
            attributes,
            windows,
            progress=progress,
            retries=retries,
            polling=polling or JobPolling(),
        )


def _when(value: Any, now: float, what: str) -> int:
    if isinstance(value, str):
        return parse_since(value, now)
    try:
        return to_unix(value)
    except Exception:
        raise ConfigurationError(
            f"{what} must be a datetime, a date, unix seconds or text such as 2026-01-31, got {value!r}"
        ) from None


class ReportingExport:
    """One export, not started until awaited (→ DataFrame) or written with ``to_file``."""

    def __init__(
        self,
        reporting: Reporting,
        dataset: str,
        attributes: Sequence[str] | None,
        windows: list[tuple[int, int]],
        *,
        progress: bool,
        retries: int,
        polling: JobPolling,
    ) -> None:
        self._client = reporting._client
        self._reporting = reporting
        self.dataset, self.attributes, self.windows = dataset, attributes, windows
        self.progress, self.retries, self.polling = progress, retries, polling
        self.jobs: list[str] = []
        self.retried: list[str] = []

    def __repr__(self) -> str:
        return f"<ReportingExport {self.dataset!r} {len(self.windows)} window(s)>"

    def __await__(self):
        return self.frame().__await__()

    async def frame(self) -> pd.DataFrame:
        from io import BytesIO

        from .._reporting_frames import reporting_frame

        out = BytesIO()
        await self._run(out)
        return reporting_frame(out.getvalue())

    async def to_file(self, path: str | os.PathLike[str]) -> ReportingResult:
        """Stream the rows to a CSV at ``path`` (header once), written to a temporary file beside it and renamed
        into place when every job has arrived: an interrupted export leaves no half file."""
        target = Path(path)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent or ".")
        except OSError as exc:
            raise _write_failed(target, exc) from None
        try:
            with os.fdopen(fd, "wb") as out:
                rows = await self._run(out)
            os.replace(tmp, target)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            # A full disk or a directory at the target is the file's fault, not Intercom's: name the path.
            if isinstance(exc, OSError) and not isinstance(exc, IntercomError):
                raise _write_failed(target, exc) from None
            raise
        return ReportingResult(target, rows, len(self.jobs), list(self.retried))

    # -- the job loop -------------------------------------------------------------------------------------------

    async def _run(self, out: IO[bytes]) -> int:
        attribute_ids = qualify(await self._reporting.datasets_raw(), self.dataset, self.attributes)
        app = await self._client.workspace()
        self._app_id = str(app.get("id_code")) if app else None
        bar = _bar(len(self.windows), self.dataset) if self.progress else None
        writer = _CsvAppender(out)
        waiting: deque[list[Any]] = deque()  # [window, job id, tries]; at most MAX_PENDING out at once
        upcoming = iter(self.windows)
        try:
            while True:
                while len(waiting) < MAX_PENDING:
                    window = next(upcoming, None)
                    if window is None:
                        break
                    waiting.append([window, await self._enqueue(attribute_ids, window), 1])
                if not waiting:
                    return writer.rows
                entry = waiting[0]
                window, job, tries = entry
                problem = await self._fetch(job, writer, bar)
                if problem is None:
                    waiting.popleft()
                    if bar is not None:
                        bar.update(1)
                    continue
                if tries > self.retries:
                    cls = ReportingJobFailed if problem.startswith("failed") else ReportingJobExpired
                    raise cls(
                        f"reporting job {job} ({self.dataset}, {window[0]}..{window[1]}) {problem}"
                        f" after {tries} tries",
                        job=job,
                        dataset=self.dataset,
                        window=window,
                    )
                self.retried.append(job)
                entry[1], entry[2] = await self._enqueue(attribute_ids, window), tries + 1
        finally:
            if bar is not None:
                bar.close()

    async def _enqueue(self, attribute_ids: list[str], window: tuple[int, int]) -> str:
        # Sent again if its answer is lost: at worst one extra job, which completes on its own.
        body = {
            "dataset_id": self.dataset,
            "attribute_ids": attribute_ids,
            "start_time": window[0],
            "end_time": window[1],
        }
        answer = await self._client.request(
            "POST", "/export/reporting_data/enqueue", json=body, repeatable=True
        )
        job = answer.get("job_identifier")
        if not isinstance(job, str) or not job:
            from ..errors import InvalidResponse

            raise InvalidResponse(f"the enqueue answer has no job_identifier: {answer!r}"[:300])
        self.jobs.append(job)
        return job

    def _params(self, job: str) -> dict[str, str]:
        # app_id and job_identifier are required query parameters of both GETs (client_id too, but a token has none).
        return {"job_identifier": job, **({"app_id": self._app_id} if self._app_id else {})}

    async def _fetch(self, job: str, writer: _CsvAppender, bar: Any) -> str | None:
        """Wait for ``job`` and append its rows; None when done, else what went wrong (to retry or report)."""
        waited, attempt = 0.0, 0
        while True:
            if attempt:  # the first look is at once: a small job (or a later one in the queue) may be done
                pause = self.polling.wait(attempt)
                await self._client.sleep(pause)
                waited += pause
            attempt += 1
            try:
                answer = await self._client.request(
                    "GET",
                    f"/export/reporting_data/{segment(job, 'job_identifier')}",
                    params=self._params(job),
                )
            except NotFound:  # "Export job not found for identifier": forgotten, as an expired job is
                return "expired: Intercom no longer knows it"
            status = job_status(answer)
            if bar is not None:
                bar.set_postfix_str(f"{job} {status}", refresh=False)
            if status == "failed":
                return "failed"
            if status == "complete":
                break
            if waited >= self.polling.give_up:
                return f"failed: still pending after {waited:.0f} s"
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL) as raw:
            try:
                await self._client.download(
                    f"/download/reporting_data/{segment(job, 'job_identifier')}",
                    raw.write,
                    params=self._params(job),
                    restart=lambda: (raw.seek(0), raw.truncate()),
                )
            except NotFound:
                return "expired before its download"
            raw.seek(0)
            if not writer.append(raw):
                return "arrived unreadable (truncated or not a CSV)"
        return None


class _CsvAppender:
    """Appends each job's CSV (gzipped or not) to ``out``: the header once, a job's rows only once it decoded
    whole, so a truncated download adds nothing."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.header: bytes | None = None
        self.rows = 0

    def append(self, raw: IO[bytes]) -> bool:
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL) as text:
            head = raw.read(2)
            raw.seek(0)
            inflate = zlib.decompressobj(wbits=31) if head == b"\x1f\x8b" else None
            try:
                while chunk := raw.read(_CHUNK):
                    text.write(inflate.decompress(chunk) if inflate else chunk)
            except zlib.error:
                return False
            if inflate is not None and not inflate.eof:
                return False
            text.seek(0)
            header = text.readline()
            if not header.endswith(b"\n"):
                header += b"\n"
            if self.header is None:
                self.header = header
                self.out.write(header)
            elif header.strip() != self.header.strip():
                return False
            last = b"\n"
            while chunk := text.read(_CHUNK):
                self.rows += chunk.count(b"\n")
                self.out.write(chunk)
                last = chunk[-1:]
            if last != b"\n":
                self.out.write(b"\n")
                self.rows += 1
        return True


def _bar(total: int, dataset: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"reporting {dataset}", unit="job")


def _write_failed(target: Path, exc: OSError) -> WriteFailed:
    reason = exc.strerror or str(exc)
    return WriteFailed(f"cannot write {target}: {reason}", path=str(target), reason=reason)
