"""One export run: plan → concurrent window walks (anyio task group) → completeness check → merge → rename.

Run start ``T`` is frozen: windows (whole days of the workspace's timezone, the days Intercom's date filters use) end
with the workspace day containing ``T`` and rows created after ``T`` are skipped
(counted in ``created_during_run``); the next ``since_last`` run picks them up. Windows are fetched by a pool of
workers reading one queue; a window that turns out denser than ``split_rows`` is halved and both halves queued.
"""

from __future__ import annotations

import errno
import functools
import json
import logging
import math
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING, Any

import anyio

from .._pagination import Paginator
from .._protocol.days import UnknownZone, date_of_day, zone_name
from .._protocol.numbers import is_int
from .._protocol.pages import MAX_PER_PAGE, RAISE, PageRequest, Search, total_count
from .._protocol.query.builder import to_json
from .._protocol.query.plan import plan_search
from .._protocol.responses import excerpt
from .._walk import RETRY, Walk
from ..errors import (
    BadRequest,
    ConfigurationError,
    InvalidQuery,
    InvalidResponse,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    WorkspaceMismatch,
    WriteFailed,
)
from . import _plan
from ._fields import check_custom_fields, unknown_field
from ._limiter import RequestLimiter
from ._manifest import Manifest, StateFile, check_workspace, describe_kept, describe_workspace
from ._merge import merge_parts
from ._overlap import DEFAULT_OVERLAP, RECONCILE_EVERY
from ._page import Page, read_page
from ._reconcile import diff, snapshot
from ._sinks import (
    PartWriter,
    Shape,
    base_columns,
    custom_kind,
    items_table,
    observe_attrs,
    observe_custom,
    render_part,
    shape_of,
)

if TYPE_CHECKING:
    from .._client import AsyncClient
    from . import ExportResult

__all__ = ["ExportOptions", "run_export"]

logger = logging.getLogger("intercomkit.export")

_SORT = {"field": "created_at", "order": "ascending"}
_EVERYONE = {"field": "role", "operator": "IN", "value": ["user", "lead"]}
_WINDOW_RETRIES = 3  # window-level retries after the client's own retries gave up (continues from the cursor)
_RETRYABLE = (TransportError, ServerError, InvalidResponse, RateLimited)
# Each part file names the workspace its rows came from (Parquet metadata): the merge refuses a part of another.
_PART_WORKSPACE = b"intercomkit.workspace"


@dataclass
class ExportOptions:
    kind: str  # "contacts" | "companies"
    path: str
    format: str  # "csv" | "csv.gz" | "parquet"
    fields: list[str] | None = None
    query: Any = None
    updated_since: int | None = None
    since_last: bool = False
    overlap: int = DEFAULT_OVERLAP  # seconds the next since_last run looks back before this run's start
    reconcile: bool | None = None  # None: every RECONCILE_EVERY-th since_last run
    concurrency: int | str = "auto"
    resume: bool = True
    progress: bool = True
    per_window: int = 20 * MAX_PER_PAGE  # target rows per window
    split_rows: int = 40 * MAX_PER_PAGE  # a window past this many rows (and > 1 day) is halved
    single_chain_rows: int = 3 * MAX_PER_PAGE  # tiny workspace: one cursor chain
    clock: Callable[[], float] | None = None


@dataclass
class _Tally:
    received: int = 0
    written: int = 0
    late: int = 0
    vanished: int = 0
    gaps: list[str] = field(default_factory=list)
    missing: int = 0
    resumed: int = 0
    resumed_rows: int = 0
    windows: int = 0
    splits: int = 0
    restarts: int = 0


def _counted(body: dict[str, Any]) -> dict[str, Any]:
    """A count/plan search answer the planner can trust: a ``total_count`` and contacts with ``created_at``."""
    data = body.get("data", [])
    usable = (
        total_count(body) is not None
        and isinstance(data, list)
        and all(isinstance(i, dict) and is_int(i.get("created_at")) for i in data)
    )
    if not usable:
        text = excerpt(json.dumps(body, default=str).encode())
        raise InvalidResponse(
            f"a contacts search answer without a total_count or with contacts lacking created_at: {text!r}",
            excerpt=text,
        )
    return body


def detect_format(path: str, fmt: str | None) -> str:
    """The format named by ``path``'s suffix, or ``fmt``; a ``fmt`` the suffix contradicts is refused (Parquet
    bytes in a ``.csv`` file help no one). ``fmt`` is for paths without a known suffix."""
    if fmt is not None and fmt not in ("csv", "csv.gz", "parquet"):
        raise ConfigurationError(f"format must be 'csv', 'csv.gz' or 'parquet', got {fmt!r}")
    lower = path.lower()
    for suffix, name in ((".csv.gz", "csv.gz"), (".csv", "csv"), (".parquet", "parquet"), (".pq", "parquet")):
        if lower.endswith(suffix):
            if fmt is not None and fmt != name:
                raise ConfigurationError(
                    f"format {fmt!r} contradicts the suffix of {path!r} ({name}): drop format= (--format) or "
                    f"name the file for {fmt}"
                )
            return name
    if fmt is not None:
        return fmt
    raise ConfigurationError(
        f"cannot tell the format of {path!r} from its suffix: use .csv, .csv.gz or .parquet, or pass format="
    )


def _selected(kind: str, fields: list[str] | None) -> tuple[list[str], list[str] | None]:
    """(part columns, output columns or None for "all"). Parts always keep id and updated_at for the dedupe."""
    base = base_columns(kind)
    if fields is None:
        return base, None
    if isinstance(fields, str) or not all(isinstance(f, str) for f in fields):
        raise ConfigurationError(
            "fields must be a list of column names such as ['id', 'email', 'custom.plan']"
        )
    unknown = [f for f in fields if f not in base and not (f.startswith("custom.") and len(f) > 7)]
    if unknown:
        raise unknown_field(kind, unknown[0], base, "columns (and custom.<attribute>)")
    part = [c for c in base if c in fields or c in ("id", "updated_at")]
    return part, list(dict.fromkeys(fields))


class _Run:
    def __init__(self, client: AsyncClient, options: ExportOptions, result_cls: type[ExportResult]) -> None:
        self.client = client
        self.o = options
        self.result_cls = result_cls
        self.clock = options.clock or client.now
        self.limiter = RequestLimiter(client, options.concurrency)
        self.part_columns, self.out_columns = _selected(options.kind, options.fields)
        self.part_schema = items_table(options.kind, [], self.part_columns).schema
        self.tally = _Tally()
        self.bar: Any = None
        self.rng = random.Random()
        self.state = StateFile(options.path)
        self.zone: tzinfo = UTC  # the workspace's timezone, asked for when a contacts export starts
        # Part files are encoded and fsynced off the event loop, one at a time (see PartWriter.awrite).
        self.disk = anyio.CapacityLimiter(1)
        # Pages are read in worker threads (see _page): pyarrow parses without the GIL, so up to a core each.
        self.readers = anyio.CapacityLimiter(max(2, os.cpu_count() or 1))
        # A committed window whose lines were not final (see PartWriter's lines) is rendered again from its part
        # (render_part) in the background, apart from the disk thread: part writes must not queue behind it.
        self.renderers = anyio.CapacityLimiter(1)
        self._background: Any = None  # the window pool's task group while it runs
        # CSV lines are rendered per window as its row groups are written (PartWriter(lines=True)); an incremental
        # run merges into the previous file, whose columns are only known at the end, so it renders at the merge.
        self.prerender = options.format in ("csv", "csv.gz") and not options.since_last
        self.previous: dict[str, Any] | None = None  # the state file of the last successful export
        self.reconciling = False

    # -- setup -------------------------------------------------------------------------------------------------

    def _signature(self, updated_since: int | None, server_query: Any) -> dict[str, Any]:
        return {
            "kind": self.o.kind,
            "format": self.o.format,
            "fields": self.o.fields,
            "query": server_query,
            "updated_since": updated_since,
            "output": os.path.abspath(self.o.path),
            # Windows are days of this timezone: a checkpoint planned in other days must not be resumed.
            "timezone": zone_name(self.zone) if self.o.kind == "contacts" else None,
        }

    async def _identify(self) -> dict[str, Any]:
        """The workspace this run reads (``GET /me``): the checkpoint, the parts and the state file record it."""
        app = await self.client.workspace()
        if app is None:
            # A token that may not read /me: the host is all that identifies the workspace.
            logger.warning("the workspace is unknown: the checkpoint names the API host only")
            app = {}
        workspace = {"api": self.client.base_url, "id_code": app.get("id_code"), "name": app.get("name")}
        self.workspace = workspace
        self.part_schema = self.part_schema.with_metadata({_PART_WORKSPACE: _workspace_key(workspace)})
        return workspace

    def _open_manifest(self, signature: dict[str, Any]) -> Manifest:
        self.manifest = Manifest.open(self.o.path, signature, resume=self.o.resume, workspace=self.workspace)
        return self.manifest

    def forget_if_empty(self) -> tuple[int, int]:
        """After a failure: (windows, rows) the checkpoint keeps; a checkpoint that keeps nothing is removed, so a
        run that committed nothing leaves no ``.partial`` directory behind."""
        manifest: Manifest | None = getattr(self, "manifest", None)
        if manifest is None:
            return 0, 0
        windows = manifest.windows
        if not windows:
            manifest.remove()
        return len(windows), sum(info["rows"] for info in windows.values())

    def _user_query(self) -> tuple[Any, Callable[[Mapping[str, Any]], bool] | None, int | None]:
        """(server query or None, exact post filter or None, updated_since)."""
        updated_since = self.o.updated_since
        previous = self.state.read() if self.o.since_last or self.o.reconcile else None
        if previous is not None and previous.get("kind") != self.o.kind:
            previous = None
        if self.o.since_last and previous is None:
            raise ConfigurationError(
                f"since_last needs a previous successful {self.o.kind} export to {self.o.path} "
                f"(its state file {self.state.path} is missing): run a full export first"
            )
        self.previous = previous
        runs = int(previous.get("incremental_runs", 0)) if previous is not None else 0
        self.reconciling = bool(self.o.reconcile) or (
            self.o.reconcile is None and self.o.since_last and runs + 1 >= RECONCILE_EVERY
        )
        if self.o.since_last and not self.reconciling:
            assert previous is not None
            # Search lags behind changes: look back `overlap` before the previous start (older state files hold
            # only high_water, which was that start).
            started = int(previous.get("started_at", previous["high_water"]))
            updated_since = min(int(previous["high_water"]), started - self.o.overlap)
        if self.o.since_last:
            assert previous is not None
            check_workspace(
                previous.get("workspace"),
                self.workspace,
                where=f"{self.o.path} (its state file {self.state.path})",
                fix="run a full export (without since_last / --since-last) to replace it, or export to "
                "another path (--out)",
            )
        user = self.o.query
        if user is None and updated_since is None:
            return None, None, None
        if updated_since is not None:
            since = {"field": "updated_at", "operator": ">=", "value": int(updated_since)}
            if user is None:
                user = since
            else:
                user = to_json(user, annotate=True)
                head = (
                    list(user["value"]) if user.get("operator") == "AND" and "field" not in user else [user]
                )
                user = {"operator": "AND", "value": [*head, since]}
        plan = plan_search(user, resource="contacts", tz=self.zone)
        return plan.server_query, plan.post_filter, updated_since

    # -- progress ----------------------------------------------------------------------------------------------

    def _open_bar(self, total: int | None, initial: int) -> None:
        if not self.o.progress:
            return
        from tqdm.auto import tqdm

        self.bar = tqdm(
            total=total,
            initial=initial,
            unit=" rows",
            unit_scale=True,
            # A resumed run starts at the rows it kept, and says so.
            desc=f"export {self.o.kind}" + (" (resumed)" if initial else ""),
            leave=True,
        )

    def _advance(self, n: int) -> None:
        if self.bar is not None and n:
            self.bar.update(n)

    # -- requests ----------------------------------------------------------------------------------------------

    async def _search(
        self, query: dict[str, Any], per_page: int, *, descending: bool = False
    ) -> dict[str, Any]:
        body = {
            "query": query,
            "pagination": {"per_page": per_page},
            "sort": {"field": "created_at", "order": "descending" if descending else "ascending"},
        }
        return _counted(await self.limiter.request("POST", "/contacts/search", json=body))

    # -- contacts ----------------------------------------------------------------------------------------------

    async def contacts(self) -> ExportResult:
        started = time.perf_counter()
        requests0, retries0, limited0 = (
            self.client.stats.requests,
            self.client.stats.retries,
            self.client.stats.rate_limited,
        )
        await self._identify()
        self.zone = await self.client.workspace_timezone()
        server_query, post_filter, updated_since = self._user_query()
        self.post_filter = post_filter
        await check_custom_fields(self.client, "contacts", self.out_columns)
        manifest = self._open_manifest(self._signature(updated_since, server_query))
        try:
            _plan.combine([], server_query)
            # Without the workspace's day boundaries no window can be exact: walk one chain, which needs none.
            windowed = not isinstance(self.zone, UnknownZone)
        except InvalidQuery:
            windowed = False
        if not windowed and server_query is None:
            server_query = _EVERYONE  # a chain still needs a query; this one has no day bounds
        plan = manifest.plan
        if plan is None:
            plan = await self._make_plan(server_query, windowed)
            manifest.set_plan(plan)
        self.frozen_at = plan["started_at"]
        self.base = server_query
        done = [_plan.Window.from_key(k) for k in manifest.windows]
        self.tally.resumed = len(done)
        self.tally.resumed_rows = sum(info["rows"] for info in manifest.windows.values())
        for info in manifest.windows.values():
            self.tally.received += info["received"]
            self.tally.written += info["rows"]
            self.tally.late += info["late"]
            self.tally.vanished += info["vanished"]
        todo = self._todo(plan, done)
        self._open_bar(plan["total"], self.tally.received)
        try:
            if plan["chain"] and todo:
                await self._walk(plan["chain_window"], chain=True)
            elif todo:
                await self._pool(todo)
            missing, expected = await self._check(plan)
        finally:
            if self.bar is not None:
                self.bar.close()
        before = snapshot(self.o.path, self.o.format) if self.reconciling else None
        rows = self._merge(manifest)
        removed, refreshed = diff(before, snapshot(self.o.path, self.o.format) or {}) if before else (0, 0)
        if self.tally.missing == 0:
            incremental = self.o.since_last and not self.reconciling
            runs = int((self.previous or {}).get("incremental_runs", 0)) + 1 if incremental else 0
            self.state.write(
                {
                    "kind": self.o.kind,
                    "started_at": int(self.frozen_at),
                    # The next since_last run asks for changes from here: the margin covers the search lag.
                    "overlap": self.o.overlap,
                    "high_water": int(self.frozen_at) - self.o.overlap,
                    "incremental_runs": runs,  # since the last full or reconciling run
                    "rows": rows,
                    "format": self.o.format,
                    "query": server_query,
                    "workspace": self.workspace,
                }
            )
        manifest.remove()
        return self.result_cls(
            kind="contacts",
            path=self.o.path,
            format=self.o.format,
            rows=rows,
            elapsed=time.perf_counter() - started,
            requests=self.client.stats.requests - requests0,
            retries=self.client.stats.retries - retries0,
            rate_limited=self.client.stats.rate_limited - limited0,
            expected=expected,
            missing=missing,
            vanished=self.tally.vanished,
            created_during_run=self.tally.late,
            filtered=self.tally.received - self.tally.written - self.tally.late,
            windows=len(manifest.windows),
            resumed_windows=self.tally.resumed,
            resumed_rows=self.tally.resumed_rows,
            gaps=list(self.tally.gaps),
            started_at=float(self.frozen_at),
            updated_since=updated_since,
            peak_concurrency=self.limiter.peak,
            added=self.merged.get("added") if self.o.since_last else None,
            updated=self.merged.get("updated") if self.o.since_last else None,
            overlap=self.o.overlap,
            reconciled=self.reconciling,
            removed=removed,
            refreshed=refreshed,
        )

    async def _make_plan(self, server_query: Any, windowed: bool) -> dict[str, Any]:
        started_at = int(self.clock())
        tz = self.zone
        today = _plan.day_of(started_at, tz) if not isinstance(tz, UnknownZone) else None
        if not windowed:
            # The query cannot take two more filters: walk it whole as one chain (rows after T are skipped).
            first = await self._search(server_query, 1)
            total = first.get("total_count") or 0
            return {"started_at": started_at, "chain": True, "chain_window": None, "total": total,
                    "first_day": None, "end_day": None, "today": today, "width": 1}  # fmt: skip
        everything = _plan.window_query(_plan.Window(1, today), server_query, tz)  # days 1 .. today
        # The first and the last contact, asked for at once: planning costs one round trip, not two.
        answers: dict[bool, dict[str, Any]] = {}

        async def ends(descending: bool) -> None:
            answers[descending] = await self._search(everything, 1, descending=descending)

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(ends, False)
                tg.start_soon(ends, True)
        except BaseExceptionGroup as group:
            raise _first_error(group) from None
        asc, desc = answers[False], answers[True]
        total = asc.get("total_count") or 0
        if not total or not asc.get("data"):
            return {"started_at": started_at, "chain": False, "chain_window": None, "total": 0,
                    "first_day": today, "end_day": today, "today": today, "width": 1}  # fmt: skip
        first_day = _plan.day_of(asc["data"][0]["created_at"], tz)
        last = desc["data"][0]["created_at"] if desc.get("data") else asc["data"][0]["created_at"]
        end_day = min(_plan.day_of(last, tz), today) + 1
        frozen_end = min(end_day, today)
        frozen_total = total
        if end_day > today:  # contacts created today: count the days before today on their own
            before = _plan.combine(_plan.range_query(1, today, tz), server_query)
            frozen_total = (await self._search(before, 1)).get("total_count") or 0
        span = max(frozen_end - first_day, 1)
        per_window = self.o.per_window
        limit = self.client.rate_limit
        if limit is None or limit.limit * 2 >= total / MAX_PER_PAGE:
            # Latency-bound (the whole run fits in a couple of rate windows): about two windows per slot keep every
            # slot busy to the end; each window costs about half a page extra and a part file, so no more than that.
            per_window = max(5 * MAX_PER_PAGE, min(per_window, total // (2 * self.limiter.max_concurrency)))
        count = max(1, math.ceil(total / per_window))
        width = max(1, math.ceil(span / count))
        return {"started_at": started_at, "chain": False, "chain_window": None, "total": total,
                "first_day": first_day, "end_day": end_day, "today": today, "width": width,
                "single": total <= self.o.single_chain_rows, "frozen_total": frozen_total}  # fmt: skip

    def _todo(self, plan: dict[str, Any], done: list[_plan.Window]) -> list[_plan.Window]:
        if plan["chain"]:
            return [] if done else [_plan.Window(0, 1)]
        first, end, today = plan["first_day"], plan["end_day"], plan["today"]
        if first is None or first >= end:
            return []
        width = (end - first) if plan.get("single") else plan["width"]
        frozen_end = min(end, today)
        todo = _plan.uncovered(first, frozen_end, done, max_days=width) if first < frozen_end else []
        if end > today:  # today's window is walked on its own: it is the only one still growing
            todo += _plan.uncovered(today, end, done, max_days=1)
        return todo

    async def _pool(self, windows: list[_plan.Window]) -> None:
        send, receive = anyio.create_memory_object_stream[_plan.Window](math.inf)
        pending = len(windows)
        for w in windows:
            send.send_nowait(w)

        async def worker(inbox: Any) -> None:
            nonlocal pending
            async with inbox:
                async for window in inbox:
                    halves = await self._walk(window)
                    if halves is not None:
                        self.tally.splits += 1
                        pending += 1
                        for half in halves:
                            send.send_nowait(half)
                    else:
                        pending -= 1
                    if pending == 0:
                        send.close()

        try:
            async with anyio.create_task_group() as tg:
                self._background = tg
                with receive:
                    for _ in range(min(self.limiter.max_concurrency, max(len(windows), 1) * 4)):
                        tg.start_soon(worker, receive.clone())
        except BaseExceptionGroup as group:
            # One window gave up and the others were cancelled: raise its error, not a group of one.
            raise _first_error(group) from None
        finally:
            self._background = None

    async def _walk(self, window: _plan.Window | None, *, chain: bool = False) -> tuple[Any, Any] | None:
        """Fetch one window into a part file and commit it; return its halves instead when it is too dense."""
        key = "chain" if window is None or chain else window.key
        query = self.base if chain else _plan.window_query(window, self.base, self.zone)  # type: ignore[arg-type]
        can_split = not chain and window is not None
        outcome = await self._walk_once(key, query, window, can_split=can_split)
        if outcome is None or isinstance(outcome, tuple):
            return outcome
        # Fewer rows than Intercom counts: walk the window once more, then keep what it gives and report the gap.
        self.tally.restarts += 1
        self._advance(-outcome["received"])
        return await self._walk_once(key, query, window, can_split=False, last_try=True)

    async def _walk_once(
        self,
        key: str,
        query: dict[str, Any],
        window: _plan.Window | None,
        *,
        can_split: bool,
        last_try: bool = False,
    ) -> Any:
        part = PartWriter(self.manifest.part_path(key), self.part_schema, lines=self.prerender)
        style = Search("/contacts/search", query, per_page=MAX_PER_PAGE, sort=_SORT, base=self.client.base)
        ids: set[str] = set()
        custom: dict[str, set[str]] = {}
        info = {
            "received": 0,
            "rows": 0,
            "late": 0,
            "first_total": None,
            "last_total": None,
            "max_updated": 0,
        }
        frozen = self.frozen_at
        read = functools.partial(
            read_page, columns=self.part_columns, post=self.post_filter, secrets=self.client._secrets()
        )

        async def load(request: PageRequest) -> Page:
            raw = await self.limiter.request_raw(request.method, request.path, json=request.json)
            return await anyio.to_thread.run_sync(read, raw, limiter=self.readers)

        async def recover(exc: Exception, request: PageRequest, attempt: int) -> str:
            if not isinstance(exc, _RETRYABLE) or attempt > _WINDOW_RETRIES:
                return RAISE
            wait = self.client.retry_policy.backoff(attempt, self.rng)
            logger.info("window %s: %s; resuming it from its cursor in %.1fs", key, exc, wait)
            await self.client.sleep(wait)
            return RETRY

        walk = Walk(style, load, recover=recover)
        try:
            async for page in walk.pages():
                total = total_count(page.body)
                if info["first_total"] is None:
                    info["first_total"] = total
                    if can_split and total is not None and total > self.o.split_rows:
                        halves = _plan.split(window)  # type: ignore[arg-type]
                        if halves is not None:
                            part.discard()
                            return halves
                info["last_total"] = total
                fresh = [k for k, i in enumerate(page.ids) if i not in ids]
                known = len(ids)
                ids.update(page.ids[k] for k in fresh)
                if len(ids) - known != len(fresh):
                    part.spoil_lines()  # an id twice in one page
                info["received"] += len(fresh)
                keep = []
                for k in fresh:
                    created = page.created[k]
                    if isinstance(created, int | float) and created > frozen:
                        info["late"] += 1
                    elif page.passes is None or page.passes[k]:
                        keep.append(k)
                        updated = page.updated[k]
                        if isinstance(updated, int) and updated > info["max_updated"]:
                            info["max_updated"] = updated
                table = None
                if keep:
                    observe_attrs((page.custom[k] for k in keep), custom)
                    table = page.table if len(keep) == len(page.ids) else page.table.take(keep)
                info["rows"] += len(keep)
                self._advance(len(fresh))
                # The decoded page is most of what a window holds: drop it before waiting for the disk thread, or
                # every window queued behind a write keeps its page alive.
                del page, fresh, keep
                if table is not None:
                    await part.awrite(table, self.disk, self._shape(custom))
                    del table
            last_total = info["last_total"]
            if last_total is not None and info["received"] < last_total:
                info["gap"] = last_total - info["received"]
                if not last_try:
                    part.discard()
                    return info
            shape = self._shape(custom)
            await part.acommit(self.disk, shape)
        except (NotFound, BadRequest) as exc:
            # A cursor that points at a contact deleted or merged meanwhile: walk the window again.
            request = walk.request
            if request is not None and request.json and request.json["pagination"].get("starting_after"):
                logger.info("window %s: cursor refused (%s); walking it again", key, exc)
                self.tally.restarts += 1
                self._advance(-info["received"])
                part.discard()
                return await self._walk_once(key, query, window, can_split=False, last_try=last_try)
            part.discard()
            raise
        except BaseException:
            part.discard()
            raise
        info["custom"] = {name: sorted(tags) for name, tags in custom.items()}
        if part.lines is not None:
            info["csv"] = part.lines
        elif self.prerender:
            # Its lines were rendered for kinds the window no longer has (or it holds an id twice): render the
            # committed part instead.
            render = functools.partial(render_part, part.final_path, list(shape[0]), dict(shape[1]))
            if self._background is not None:
                # The window's requests are done: its worker moves on to the next window while this one renders.
                self._background.start_soon(self._render_and_commit, key, info, render)
                return None
            await self._render_and_commit(key, info, render)
            return None
        self._commit(key, info)
        return None

    async def _render_and_commit(self, key: str, info: dict[str, Any], render: Callable[[], Any]) -> None:
        info["csv"] = await anyio.to_thread.run_sync(render, limiter=self.renderers)
        self._commit(key, info)

    def _commit(self, key: str, info: dict[str, Any]) -> None:
        first, last = info["first_total"], info["last_total"]
        vanished = max((first or 0) - (last or 0), 0)
        record = {
            "received": info["received"],
            "rows": info["rows"],
            "late": info["late"],
            "vanished": vanished,
            "total": last,
            "max_updated": info["max_updated"],
            "custom": info.get("custom", {}),
            "gap": info.get("gap", 0),
            "part": os.path.basename(self.manifest.part_path(key)),
        }
        if "csv" in info:
            record["csv"] = info["csv"]
        self.tally.received += info["received"]
        self.tally.written += info["rows"]
        self.tally.late += info["late"]
        self.tally.vanished += vanished
        self.manifest.commit(key, record)

    async def _check(self, plan: dict[str, Any]) -> tuple[int, int | None]:
        """Rows missing compared with Intercom's own counts, and the count of contacts created before the run.

        Days before today cannot gain contacts, only lose them (deleted, merged): Intercom's count for them at the
        end is compared with what the windows returned. Today's window is checked against its own last count.
        """
        windows = self.manifest.windows
        missing = 0
        for key, info in sorted(windows.items()):
            if info.get("gap"):
                missing += info["gap"]
                self.tally.gaps.append(
                    f"window {_describe(key)}: Intercom counts {info['total']:,} contacts, the walk returned "
                    f"{info['received']:,}"
                )
        if plan["chain"] or plan["first_day"] is None or plan["first_day"] >= plan["end_day"]:
            self.tally.vanished = sum(info["vanished"] for info in windows.values())
            self.tally.missing = missing
            return missing, plan["total"]
        frozen_end = min(plan["end_day"], plan["today"])
        live = [info for key, info in windows.items() if _plan.Window.from_key(key).end_day > frozen_end]
        frozen = [info for key, info in windows.items() if _plan.Window.from_key(key).end_day <= frozen_end]
        vanished = sum(info["vanished"] for info in live)
        expected = sum((info["total"] or 0) - info["late"] for info in live)
        if plan["first_day"] < frozen_end:
            q = _plan.combine(_plan.range_query(plan["first_day"], frozen_end, self.zone), self.base)
            now_total = (await self._search(q, 1)).get("total_count") or 0
            received = sum(info["received"] for info in frozen)
            known = sum(info.get("gap", 0) for info in frozen)
            if received + known < now_total:
                # Contacts can enter search mid-run: an archived contact returning is unarchived, and a change made
                # just before the run reaches the lagging index. Like contacts created during the run, they are
                # left for the next since_last run (which looks back the overlap margin), not a gap.
                back = await self._returned(plan["first_day"], frozen_end, frozen)
                self.tally.late += back
                received += back
            if received + known < now_total:
                short = now_total - received - known
                missing += short
                self.tally.gaps.append(
                    f"Intercom counts {now_total:,} contacts created before {_day(frozen_end)} and the export "
                    f"holds {received:,}"
                )
            vanished += max(plan.get("frozen_total", now_total) - now_total, 0)
            expected += now_total
        self.tally.vanished = vanished
        self.tally.missing = missing
        return missing, expected

    async def _returned(self, first_day: int, end_day: int, windows: list[dict[str, Any]]) -> int:
        """Contacts created in ``[first_day, end_day)`` that the export does not hold and whose ``updated_at`` is
        within the overlap margin before the run's start, or later: they entered search during the run (returned
        from the archive, or a recent change the index had not caught up with), and the next ``since_last`` run,
        which looks back that margin, fetches them."""
        import pyarrow.parquet as pq

        held: set[str] = set()
        for info in windows:
            if info.get("part"):
                path = os.path.join(self.manifest.directory, info["part"])
                held.update(str(i) for i in pq.read_table(path, columns=["id"]).column("id").to_pylist())
        # Day-granular on the server (two days back, a superset whatever the day's length), exact here.
        since = int(self.frozen_at) - self.o.overlap
        recent = {"field": "updated_at", "operator": ">", "value": since - 2 * _plan.DAY}
        try:
            query = _plan.combine([*_plan.range_query(first_day, end_day, self.zone), recent], self.base)
        except InvalidQuery:
            return 0  # no room for one more filter: the shortfall stays reported
        style = Search("/contacts/search", query, per_page=MAX_PER_PAGE, sort=_SORT, base=self.client.base)
        back = 0
        # One short walk after the windows: the client's own paginator (walk guard, post filter) serves.
        async for page in Paginator(self.client, style, post_filter=self.post_filter).pages():
            for item in page.items:
                updated = item.get("updated_at")
                if str(item.get("id")) not in held and isinstance(updated, int) and updated >= since:
                    back += 1
        return back

    # -- merge ---------------------------------------------------------------------------------------------

    def _shape(self, seen: Mapping[str, set[str]]) -> Shape:
        """The columns and kinds a window's lines are rendered for, given the custom attributes it has seen."""
        kinds = {name: custom_kind(tags) for name, tags in seen.items()}
        return shape_of(self._columns(kinds), kinds)

    def _columns(self, custom: Mapping[str, str]) -> list[str]:
        """The output columns when these custom attributes (name → kind) were seen."""
        if self.out_columns is not None:
            return self.out_columns
        return [*self.part_columns, *(f"custom.{name}" for name in sorted(custom, key=str))]

    def _merge(self, manifest: Manifest) -> int:
        kinds: dict[str, set[str]] = {}
        for info in manifest.windows.values():
            for name, tags in info.get("custom", {}).items():
                kinds.setdefault(name, set()).update(tags)
        custom = {name: custom_kind(tags) for name, tags in kinds.items()}
        columns = self._columns(custom)
        parts = []
        for _key, info in sorted(manifest.windows.items(), key=lambda kv: _order(kv[0])):
            if info.get("part"):
                lines = info.get("csv") if self._rendered_fits(info, columns, custom) else None
                parts.append((os.path.join(manifest.directory, info["part"]), lines))
        self._check_parts([path for path, _ in parts], manifest)
        self.merged: dict[str, int] = {}
        return merge_parts(
            self.o.path,
            self.o.format,
            parts,
            columns,
            custom,
            self.part_schema,
            # A reconciling run replaces the file: rows it did not see are gone from Intercom's search.
            merge_into=self.o.path if self.o.since_last and not self.reconciling else None,
            counts=self.merged,
        )

    def _check_parts(self, paths: list[str], manifest: Manifest) -> None:
        """Every part was fetched from the checkpoint's workspace (whatever else is on disk): nothing is merged
        otherwise."""
        import pyarrow.parquet as pq

        expected = _workspace_key(manifest.workspace)
        for path in paths:
            metadata = pq.read_schema(path).metadata or {}
            found = metadata.get(_PART_WORKSPACE, b"").decode("utf-8", "replace")
            if found != expected:
                raise WorkspaceMismatch(
                    f"the part {path} was not fetched from {describe_workspace(manifest.workspace)} like the "
                    f"rest of {manifest.directory} (it names {found or 'no workspace'!r}); nothing was written: "
                    "pass resume=False (--no-resume) to export again from scratch",
                    recorded=manifest.workspace,
                    current=self.workspace,
                )

    def _rendered_fits(self, info: dict[str, Any], columns: list[str], custom: dict[str, str]) -> bool:
        """A window's pre-rendered lines are the final ones: same columns, and every custom attribute it holds
        values of is typed as the whole export types it (a column without values renders empty either way)."""
        if "csv" not in info:
            return False
        own = info.get("custom", {})
        if self._columns({name: custom_kind(tags) for name, tags in own.items()}) != columns:
            return False
        return all(custom.get(name) == custom_kind(tags) for name, tags in own.items() if tags)

    # -- companies -------------------------------------------------------------------------------------------

    async def companies(self) -> ExportResult:
        """Companies come from one chain (the scroll cannot run in parallel): one window, committed at the end."""
        started = time.perf_counter()
        stats = self.client.stats
        requests0, retries0, limited0 = stats.requests, stats.retries, stats.rate_limited
        await self._identify()
        await check_custom_fields(self.client, "companies", self.out_columns)
        manifest = self._open_manifest(self._signature(None, None))
        self.frozen_at = int(self.clock())
        expected: int | None = None
        if "chain" not in manifest.windows:
            schema = self.part_schema
            part = PartWriter(manifest.part_path("chain"), schema)
            custom: dict[str, set[str]] = {}
            received = 0
            try:
                # Every company: the scroll checked against the list's counts (client.companies.every()).
                walker = self.client.companies.every()
                async for page in walker.pages():  # distinct ids across restarts of the scroll
                    if self.bar is None:
                        self._open_bar(walker.listed_before, 0)
                    items = page.items
                    received += len(items)
                    if items:
                        observe_custom(items, custom)
                        part.write(items_table("companies", items, self.part_columns))
                    self._advance(len(items))
                expected, gap = walker.expected, walker.missing
                part.commit()
            except BaseException:
                part.discard()
                raise
            finally:
                if self.bar is not None:
                    self.bar.close()
            manifest.commit(
                "chain",
                {
                    "received": received,
                    "rows": received,
                    "late": 0,
                    "vanished": 0,
                    "total": expected,
                    "max_updated": 0,
                    "custom": {k: sorted(v) for k, v in custom.items()},
                    "gap": gap,
                    "part": os.path.basename(manifest.part_path("chain")),
                },  # fmt: skip
            )
        info = manifest.windows["chain"]
        expected = info["total"]
        if info["gap"]:
            self.tally.missing = info["gap"]
            self.tally.gaps.append(
                f"Intercom counts {expected:,} companies, the walk returned {info['received']:,}"
            )
        rows = self._merge(manifest)
        manifest.remove()
        return self.result_cls(
            kind="companies",
            path=self.o.path,
            format=self.o.format,
            rows=rows,
            elapsed=time.perf_counter() - started,
            requests=stats.requests - requests0,
            retries=stats.retries - retries0,
            rate_limited=stats.rate_limited - limited0,
            expected=expected,
            missing=self.tally.missing,
            vanished=0,
            created_during_run=0,
            filtered=0,
            windows=1,
            resumed_windows=1 if manifest.resumed else 0,
            resumed_rows=info["rows"] if manifest.resumed else 0,
            gaps=list(self.tally.gaps),
            started_at=float(self.frozen_at),
            updated_since=None,
            peak_concurrency=1,
        )


def _workspace_key(workspace: Mapping[str, Any]) -> str:
    return f"{workspace.get('api')} {workspace.get('id_code')}"


def _first_error(group: BaseExceptionGroup) -> BaseException:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first_error(exc)
        if not isinstance(exc, anyio.get_cancelled_exc_class()):
            return exc
    return group


def _order(key: str) -> tuple[int, int]:
    if key == "chain":
        return (0, 0)
    w = _plan.Window.from_key(key)
    return (w.first_day, w.days)


def _day(day: int) -> str:
    return date_of_day(day).isoformat()  # a workspace day


def _describe(key: str) -> str:
    if key == "chain":
        return "(single chain)"
    w = _plan.Window.from_key(key)
    return f"{_day(w.first_day)}..{_day(w.end_day - 1)}"


async def run_export(
    client: AsyncClient, options: ExportOptions, result_cls: type[ExportResult]
) -> ExportResult:
    if os.path.isdir(options.path):  # found now, not after the whole export when the final rename fails
        raise _write_failed(
            options.path, IsADirectoryError(errno.EISDIR, "it is a directory", options.path), 0, 0
        )
    run = _Run(client, options, result_cls)
    try:
        if options.kind == "contacts":
            return await run.contacts()
        return await run.companies()
    except (WriteFailed, TimeoutError):
        run.forget_if_empty()
        raise
    except OSError as exc:
        windows, rows = run.forget_if_empty()
        raise _write_failed(options.path, exc, windows, rows) from exc
    except (anyio.get_cancelled_exc_class(), KeyboardInterrupt) as exc:
        windows, rows = run.forget_if_empty()
        note = _kept_note(options.path, windows, rows)
        logger.warning("export interrupted: %s", note, extra={"export_kept": True})
        exc.add_note(f"intercomkit: {note}")
        raise
    except BaseException:
        run.forget_if_empty()
        raise


def _kept_note(path: str, windows: int, rows: int) -> str:
    if not windows:
        return f"nothing was kept for {path}"
    return f"{describe_kept(path, windows, rows)}; run the same export again to resume"


def _write_failed(path: str, exc: OSError, windows: int, rows: int) -> WriteFailed:
    target = exc.filename if isinstance(exc.filename, str) else path
    reason = exc.strerror or str(exc) or type(exc).__name__
    return WriteFailed(
        f"cannot write {target}: {reason}; {_kept_note(path, windows, rows)}",
        path=target,
        reason=reason,
        committed=windows,
    )
