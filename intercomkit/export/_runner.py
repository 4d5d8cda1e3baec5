"""A search-paged export (``SearchPaging``: contacts, conversations, tickets): plan → concurrent window walks
(anyio task group) → completeness check → merge → rename.

Run start ``T`` is frozen: windows (whole days of the workspace's timezone, the days Intercom's date filters use) end
with the workspace day containing ``T`` and rows created after ``T`` are skipped
(counted in ``created_during_run``); the next ``since_last`` run picks them up. Windows are fetched by a pool of
workers reading one queue; a window that turns out denser than ``split_rows`` is halved and both halves queued.
Everything specific to the resource comes from its description: the search path, the everyone-query, the page
reader, the key of its records and its date rule (``_resources.SearchPaging``; under ``_plan.INCLUSIVE`` a window's
query reaches a second into its neighbours' and the walk writes only its own seconds), its columns and kind.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import anyio

from .._pagination import Paginator
from .._protocol.days import UnknownZone, date_of_day
from .._protocol.numbers import is_int
from .._protocol.pages import MAX_PER_PAGE, RAISE, PageRequest, Search, total_count
from .._protocol.parts import PartsAccount
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
)
from . import _page, _plan
from ._fields import check_custom_fields
from ._manifest import WindowRecord, check_workspace
from ._overlap import RECONCILE_EVERY
from ._page import PageRows
from ._reconcile import diff, snapshot
from ._resources import SearchPaging
from ._result import ExportResult
from ._run import Run, first_error
from ._sinks import PartWriter, observe_attrs, read_part, render_part

__all__ = ["SearchRun"]

logger = logging.getLogger("intercomkit.export")

_SORT = {"field": "created_at", "order": "ascending"}
_WINDOW_RETRIES = 3  # window-level retries after the client's own retries gave up (continues from the cursor)
_RETRYABLE = (TransportError, ServerError, InvalidResponse, RateLimited)
# How a committed window's CSV lines were made (the DEBUG record of its commit says which).
_LINES_AS_WRITTEN, _LINES_FROM_PART, _NO_LINES = (
    "rendered as written",
    "rendered from its part",
    "not rendered",
)


@dataclass
class _Walked:
    """One walk of a window so far (Intercom's first and last count for it, what it returned and kept); ``record``
    is what the checkpoint keeps of it once committed."""

    received: int = 0
    rows: int = 0
    late: int = 0
    edge: int = 0
    first_total: int | None = None
    last_total: int | None = None
    max_updated: int = 0
    gap: int = 0
    custom: dict[str, list[str]] = field(default_factory=dict)
    csv: dict[str, Any] | None = None
    parts: PartsAccount | None = None  # an expanding resource's account (conversation → parts)

    def record(self, part: str) -> WindowRecord:
        return WindowRecord(
            received=self.received,
            rows=self.rows,
            late=self.late,
            edge=self.edge,
            # Intercom's count fell during the walk: rows deleted or merged meanwhile.
            vanished=max((self.first_total or 0) - (self.last_total or 0), 0),
            total=self.last_total,
            max_updated=self.max_updated,
            custom=self.custom,
            gap=self.gap,
            part=part,
            csv=self.csv,
            parts=self.parts.to_json() if self.parts is not None else None,
        )


def _counted(body: dict[str, Any], kind: str, key: str = "data") -> dict[str, Any]:
    """A count/plan search answer the planner can trust: a ``total_count`` and rows (under ``key``) with
    ``created_at``."""
    data = body.get(key, [])
    usable = (
        total_count(body) is not None
        and isinstance(data, list)
        and all(isinstance(i, dict) and is_int(i.get("created_at")) for i in data)
    )
    if not usable:
        text = excerpt(json.dumps(body, default=str).encode())
        raise InvalidResponse(
            f"a {kind} search answer without a total_count or with {kind} lacking created_at: {text!r}",
            excerpt=text,
        )
    return body


class SearchRun(Run):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        assert isinstance(self.resource.paging, SearchPaging)
        self.paging: SearchPaging = self.resource.paging
        # Part files are encoded and fsynced off the event loop, one at a time (see PartWriter.awrite).
        self.disk = anyio.CapacityLimiter(1)
        # Pages are read in worker threads (see _page): pyarrow parses without the GIL, so up to a core each.
        self.readers = anyio.CapacityLimiter(max(2, os.cpu_count() or 1))
        # On asyncio, the same number of threads as a plain executor (see _read).
        self._read_pool: ThreadPoolExecutor | None = None
        self._threaded_reads = _reads_without_gil(self.paging.read_page)
        # A committed window whose lines were not final (see PartWriter's lines) is rendered again from its part
        # (render_part) in the background, apart from the disk thread: part writes must not queue behind it.
        self.renderers = anyio.CapacityLimiter(1)
        self._background: Any = None  # the window pool's task group while it runs
        # CSV lines are rendered per window as its row groups are written (PartWriter(lines=True)); an incremental
        # run merges into the previous file, whose columns are only known at the end, so it renders at the merge.
        self.prerender = self.options.format in ("csv", "csv.gz") and not self.options.since_last
        self.previous: dict[str, Any] | None = None  # the state file of the last successful export
        self.reconciling = False
        self.post_filter: Callable[[Mapping[str, Any]], bool] | None = None
        self.base: Any = None  # the server query every window narrows

    def _user_query(self) -> tuple[Any, Callable[[Mapping[str, Any]], bool] | None, int | None]:
        """(server query or None, exact post filter or None, updated_since)."""
        updated_since = self.options.updated_since
        previous = self.state.read() if self.options.since_last or self.options.reconcile else None
        if previous is not None and previous.get("kind") != self.options.kind:
            previous = None
        if self.options.since_last and previous is None:
            raise ConfigurationError(
                f"since_last needs a previous successful {self.options.kind} export to {self.options.path} "
                f"(its state file {self.state.path} is missing): run a full export first"
            )
        expand = self.paging.expand
        outputs = self.out_columns
        if (
            self.options.since_last
            and expand is not None
            and outputs is not None
            and expand.key not in outputs
        ):
            # The merge replaces the file's rows by it: without it every old part would stay beside its new one.
            raise ConfigurationError(
                f"since_last merges {self.options.kind} by {expand.key}: keep {expand.key!r} in fields"
            )
        self.previous = previous
        runs = int(previous.get("incremental_runs", 0)) if previous is not None else 0
        self.reconciling = bool(self.options.reconcile) or (
            self.options.reconcile is None and self.options.since_last and runs + 1 >= RECONCILE_EVERY
        )
        if self.options.since_last and not self.reconciling:
            assert previous is not None
            # Search lags behind changes: look back `overlap` before the previous start (older state files hold
            # only high_water, which was that start).
            started = int(previous.get("started_at", previous["high_water"]))
            updated_since = min(int(previous["high_water"]), started - self.options.overlap)
        if self.options.since_last:
            assert previous is not None
            check_workspace(
                previous.get("workspace"),
                self.workspace,
                where=f"{self.options.path} (its state file {self.state.path})",
                fix="run a full export (without since_last / --since-last) to replace it, or export to "
                "another path (--out)",
            )
        user = self.options.query
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
        expand = self.paging.expand
        plan = plan_search(user, resource=expand.listed if expand else self.resource.kind, tz=self.zone)
        return plan.server_query, plan.post_filter, updated_since

    # -- requests ----------------------------------------------------------------------------------------------

    async def _search(
        self, query: dict[str, Any], per_page: int, *, descending: bool = False
    ) -> dict[str, Any]:
        body = {
            "query": query,
            "pagination": {"per_page": per_page},
            "sort": {"field": "created_at", "order": "descending" if descending else "ascending"},
        }
        answer = await self.limiter.request("POST", self.paging.path, json=body)
        return _counted(answer, self.resource.kind, self.paging.items)

    def _style(self, query: dict[str, Any]) -> Search:
        """A walk of ``query``, oldest first, full pages."""
        return Search(
            self.paging.path,
            query,
            per_page=MAX_PER_PAGE,
            sort=_SORT,
            base=self.client.base,
            items_key=self.paging.items,
        )

    async def _count(self, query: dict[str, Any]) -> int:
        return (await self._search(query, 1)).get("total_count") or 0

    # -- the run -----------------------------------------------------------------------------------------------

    async def export(self) -> ExportResult:
        await self.identify()
        self.zone = await self.client.workspace_timezone()
        if self.paging.dates == _plan.INCLUSIVE and isinstance(self.zone, UnknownZone):
            # Bounds to the second need no workspace days: windows of UTC days are as exact.
            self.zone = UTC
        server_query, post_filter, updated_since = self._user_query()
        self.post_filter = post_filter
        await check_custom_fields(self.client, self.resource.kind, self.out_columns)
        await self.describe()
        manifest = self.open_manifest(self.signature(updated_since, server_query))
        try:
            _plan.combine([], server_query)
            # Without the workspace's day boundaries no window can be exact: walk one chain, which needs none.
            windowed = not isinstance(self.zone, UnknownZone)
        except InvalidQuery:
            windowed = False
        if not windowed and server_query is None:
            server_query = dict(
                self.paging.everyone
            )  # a chain still needs a query; this one has no day bounds
        if manifest.plan is None:
            plan = await self._make_plan(server_query, windowed)
            manifest.set_plan(plan.to_json())
        else:
            plan = _plan.Plan.from_json(manifest.plan)
        self.frozen_at = plan.started_at
        self.base = server_query
        todo = plan.todo(manifest.windows)
        self.open_bar(plan.total, self.tally.received)
        try:
            if plan.chain and todo:
                await self._walk(None, chain=True)
            elif todo:
                await self._pool(todo)
            expected = await self._check(plan)
        finally:
            self.close_bar()
            if self._read_pool is not None:
                self._read_pool.shutdown(wait=False, cancel_futures=True)
                self._read_pool = None
        before = snapshot(self.options.path, self.options.format) if self.reconciling else None
        incremental = self.options.since_last and not self.reconciling
        # A reconciling run replaces the file: rows it did not see are gone from Intercom's search.
        rows = self.merge(replace=not incremental)
        removed, refreshed = (
            diff(before, snapshot(self.options.path, self.options.format) or {}) if before else (0, 0)
        )
        if self.tally.missing == 0:
            self._write_state(rows, server_query, incremental)
        manifest.remove()
        since_last = self.options.since_last
        return self.result(
            rows,
            expected=expected,
            updated_since=updated_since,
            added=self.merged.get("added") if since_last else None,
            updated=self.merged.get("updated") if since_last else None,
            overlap=self.options.overlap,
            reconciled=self.reconciling,
            removed=removed,
            refreshed=refreshed,
        )

    def _write_state(self, rows: int, server_query: Any, incremental: bool) -> None:
        runs = int((self.previous or {}).get("incremental_runs", 0)) + 1 if incremental else 0
        self.state.write(
            {
                "kind": self.options.kind,
                "started_at": int(self.frozen_at),
                # The next since_last run asks for changes from here: the margin covers the search lag.
                "overlap": self.options.overlap,
                "high_water": int(self.frozen_at) - self.options.overlap,
                "incremental_runs": runs,  # since the last full or reconciling run
                "rows": rows,
                "format": self.options.format,
                "query": server_query,
                "workspace": self.workspace,
            }
        )

    async def _make_plan(self, server_query: Any, windowed: bool) -> _plan.Plan:
        """Ask Intercom what the plan needs (counts, the first and the last row's creation); ``_plan`` decides."""
        started_at = int(self.clock())
        tz = self.zone
        today = _plan.day_of(started_at, tz) if not isinstance(tz, UnknownZone) else None
        if not windowed:
            # The query cannot take two more filters: walk it whole as one chain (rows after T are skipped).
            return _plan.plan_chain(started_at, await self._count(server_query), today)
        assert today is not None
        dates = self.paging.dates
        everything = _plan.window_query(_plan.Window(1, today), server_query, tz, dates)  # days 1 .. today
        # The first and the last row, asked for at once: planning costs one round trip, not two.
        answers: dict[bool, dict[str, Any]] = {}

        async def ends(descending: bool) -> None:
            answers[descending] = await self._search(everything, 1, descending=descending)

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(ends, False)
                tg.start_soon(ends, True)
        except BaseExceptionGroup as group:
            raise first_error(group) from None
        asc, desc = answers[False], answers[True]
        total = asc.get("total_count") or 0
        key = self.paging.items
        first = asc[key][0]["created_at"] if asc.get(key) else None
        last = desc[key][0]["created_at"] if desc.get(key) else first
        frozen_total = total
        if total and first is not None and _plan.day_of(last, tz) >= today:
            # Rows created today: count the days before today on their own.
            frozen_total = await self._count(
                _plan.combine(_plan.range_query(1, today, tz, dates), server_query)
            )
        rows = _plan.window_rows(
            self.options.per_window,
            total,
            rate_limit=self.client.rate_limit.limit if self.client.rate_limit is not None else None,
            max_concurrency=self.limiter.max_concurrency,
        )
        return _plan.plan_windows(
            started_at,
            today,
            total,
            first_created=first,
            last_created=last,
            frozen_total=frozen_total,
            rows_per_window=rows,
            single_rows=self.options.single_chain_rows,
            tz=tz,
        )

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
            raise first_error(group) from None
        finally:
            self._background = None

    async def _walk(self, window: _plan.Window | None, *, chain: bool = False) -> tuple[Any, Any] | None:
        """Fetch one window into a part file and commit it; return its halves instead when it is too dense."""
        key = "chain" if window is None or chain else window.key
        query = (
            self.base if chain else _plan.window_query(window, self.base, self.zone, self.paging.dates)  # type: ignore[arg-type]
        )
        can_split = not chain and window is not None
        outcome = await self._walk_once(key, query, window, can_split=can_split)
        if outcome is None or isinstance(outcome, tuple):
            return outcome
        # Fewer rows than Intercom counts: walk the window once more, then keep what it gives and report the gap.
        self.tally.restarts += 1
        self._advance(-outcome.received)
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
        style = self._style(query)
        ids: set[str] = set()
        # Under the inclusive rule a window's query reaches a second or two into its neighbours (see
        # _plan.range_query): rows outside [lo, hi) are theirs, counted as ``edge`` and not written here.
        inclusive = self.paging.dates == _plan.INCLUSIVE
        owned = (
            _plan.bounds(window, self.zone) if inclusive and window is not None and key != "chain" else None
        )
        custom: dict[str, set[str]] = {}
        walked = _Walked()
        expand = self.paging.expand
        if expand is not None:
            walked.parts = PartsAccount()
        frozen = self.frozen_at
        read = functools.partial(
            self.paging.read_page, columns=self.part_columns, post=self.post_filter, decode=self.client.decode
        )

        async def load(request: PageRequest) -> PageRows:
            raw = await self.limiter.request_raw(request.method, request.path, json=request.json)
            return await self._read(read, raw)

        async def recover(exc: Exception, request: PageRequest, attempt: int) -> str:
            if not isinstance(exc, _RETRYABLE) or attempt > _WINDOW_RETRIES:
                return RAISE
            wait = self.client.retry_policy.backoff(attempt, self.rng)
            logger.info("window %s: %s; resuming it from its cursor in %.1fs", key, exc, wait)
            await self.client.sleep(wait)
            return RETRY

        walk = Walk(style, load, recover=recover)
        shaped: tuple[int, int] | None = None  # what `custom` held when `shape` was made
        shape = self._shape(custom)
        try:
            async for page in walk.pages():
                total = total_count(page.body)
                if walked.first_total is None:
                    walked.first_total = total
                    if can_split and total is not None and total > self.options.split_rows:
                        halves = _plan.split(window)  # type: ignore[arg-type]
                        if halves is not None:
                            part.discard()
                            return halves
                walked.last_total = total
                known = len(ids)
                fresh: Sequence[int]
                if ids.isdisjoint(page.ids):  # the usual page: nothing seen before (one C loop, not two)
                    fresh = range(len(page.ids))
                    ids.update(page.ids)
                else:
                    fresh = [k for k, i in enumerate(page.ids) if i not in ids]
                    ids.update(page.ids[k] for k in fresh)
                if len(ids) - known != len(fresh):
                    part.spoil_lines()  # an id twice in one page
                walked.received += len(fresh)
                keep, edge, late, top = _keep(fresh, page.created, page.updated, page.passes, owned, frozen)
                walked.edge += edge
                walked.late += late
                walked.max_updated = max(walked.max_updated, top)
                table = attrs = None
                if expand is not None:
                    # Each kept row becomes the rows fetched for it (a conversation → its parts).
                    expanded = await expand.fetch(self, page, list(keep))
                    walked.parts.merge(expanded.account)  # type: ignore[union-attr]
                    table = expanded.table
                    walked.rows += table.num_rows if table is not None else 0
                elif keep:
                    whole = len(keep) == len(page.ids)
                    observe_attrs(page.custom if whole else (page.custom[k] for k in keep), custom)
                    table = page.table if whole else page.table.take(list(keep))
                    if self.prerender and page.attrs is not None:  # the lines use them (PartWriter)
                        attrs = page.attrs if whole else [page.attrs[k] for k in keep]
                if expand is None:
                    walked.rows += len(keep)
                self._advance(len(fresh))
                # The decoded page is most of what a window holds: drop it before waiting for the disk thread, or
                # every window queued behind a write keeps its page alive.
                del page, fresh, keep
                if table is not None:
                    # The shape changes only when a page brings a new attribute or kind: made again only then.
                    version = (len(custom), sum(map(len, custom.values())))
                    if version != shaped:
                        shaped, shape = version, self._shape(custom)
                    await part.awrite(table, self.disk, shape, attrs)
                    del table, attrs
            last_total = walked.last_total
            if last_total is not None and walked.received < last_total:
                walked.gap = last_total - walked.received
                if not last_try:
                    part.discard()
                    return walked
            shape = self._shape(custom)
            await part.acommit(self.disk, shape)
        except (NotFound, BadRequest) as exc:
            # A cursor that points at a contact deleted or merged meanwhile: walk the window again.
            request = walk.request
            if request is not None and request.json and request.json["pagination"].get("starting_after"):
                logger.info("window %s: cursor refused (%s); walking it again", key, exc)
                self.tally.restarts += 1
                self._advance(-walked.received)
                part.discard()
                return await self._walk_once(key, query, window, can_split=False, last_try=last_try)
            part.discard()
            raise
        except BaseException:
            part.discard()
            raise
        walked.custom = {name: sorted(tags) for name, tags in custom.items()}
        if part.lines is not None:
            walked.csv = part.lines
        elif self.prerender:
            # Its lines were rendered for kinds the window no longer has (or it holds an id twice): render the
            # committed part instead.
            render = functools.partial(render_part, part.final_path, list(shape[0]), dict(shape[1]))
            if self._background is not None:
                # The window's requests are done: its worker moves on to the next window while this one renders.
                self._background.start_soon(self._render_and_commit, key, walked, render)
                return None
            await self._render_and_commit(key, walked, render)
            return None
        self._commit(key, walked, _LINES_AS_WRITTEN if walked.csv is not None else _NO_LINES)
        return None

    async def _read(self, read: Callable[[bytes], PageRows], raw: bytes) -> PageRows:
        """``read(raw)``: on the event loop when the reader holds the GIL throughout, else in a worker thread.

        msgspec's decoder and the dict readers hold the GIL: in a worker thread they only contend for it with the
        event loop and each other, every page's objects moving between cores, at a high price (measured, 700
        contact pages with msgspec: 2.4 ms of CPU a page on the loop, 2.9 ms on one worker thread, 4.4 ms on two,
        and the most wall time too). pyarrow's JSON reader (contacts without msgspec) parses without the GIL, so a
        thread each is worth its cost there (wall 2.1 s against 2.9 s on the loop, for ~15% more CPU).

        Threads on asyncio are an executor of the run's own: anyio.to_thread's handoff (a capacity limiter, a
        cancel scope, its worker's queue and checks) cost ~0.1 ms of CPU a page, the executor's a fifth of that.
        A read is a pure function of its bytes, so a cancelled page's read is left to finish and its answer
        dropped."""
        if not self._threaded_reads:
            return read(raw)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio)
            return await anyio.to_thread.run_sync(read, raw, limiter=self.readers)
        if self._read_pool is None:
            self._read_pool = ThreadPoolExecutor(
                int(self.readers.total_tokens), thread_name_prefix="intercomkit-read"
            )
        return await loop.run_in_executor(self._read_pool, read, raw)

    async def _render_and_commit(self, key: str, walked: _Walked, render: Callable[[], Any]) -> None:
        walked.csv = await anyio.to_thread.run_sync(render, limiter=self.renderers)
        self._commit(key, walked, _LINES_FROM_PART)

    def _commit(self, key: str, walked: _Walked, lines: str = _NO_LINES) -> None:
        """Commit a walked window; ``lines`` says how its CSV lines were rendered (a DEBUG record tells tests)."""
        assert self.manifest is not None
        record = walked.record(os.path.basename(self.manifest.part_path(key)))
        self.commit(key, record)
        logger.debug(
            "window %s committed: %d rows; CSV lines %s",
            key,
            record.rows,
            lines,
            extra={"export_lines": lines},
        )

    # -- completeness ------------------------------------------------------------------------------------------

    async def _check(self, plan: _plan.Plan) -> int | None:
        """Count the rows missing compared with Intercom's own counts (into the tally) and return the count of rows
        created before the run.

        Days before today cannot gain rows, only lose them (deleted, merged): Intercom's count for them at the end
        is compared with what the windows returned. Today's window is checked against its own last count.
        """
        assert self.manifest is not None
        windows = self.manifest.windows
        kind = self.resource.kind
        self.tally.missing = 0
        parts = self.tally.parts
        if parts is not None:
            # Conversations whose answer held fewer parts than Intercom counts (and not Intercom's 500 cut).
            self.tally.missing += parts.missing
            self.tally.gaps.extend(parts.gaps)
        for key, record in sorted(windows.items()):
            if record.gap:
                self.gap(key, record, f"window {_describe(key)}: ")
        if plan.empty:
            self.tally.vanished = sum(record.vanished for record in windows.values())
            return plan.total
        assert plan.first_day is not None and plan.end_day is not None and plan.today is not None
        frozen_end = min(plan.end_day, plan.today)
        live = [r for key, r in windows.items() if _plan.Window.from_key(key).end_day > frozen_end]
        frozen = [r for key, r in windows.items() if _plan.Window.from_key(key).end_day <= frozen_end]
        vanished = sum(record.vanished for record in live)
        expected = sum((record.total or 0) - record.late - record.edge for record in live)
        if plan.first_day < frozen_end:
            dates = self.paging.dates
            q = _plan.combine(_plan.range_query(plan.first_day, frozen_end, self.zone, dates), self.base)
            now_total = await self._count(q)
            # A window's edge rows are its neighbours' (and counted there): each row once.
            received = sum(record.received - record.edge for record in frozen)
            known = sum(record.gap for record in frozen)
            if received + known < now_total:
                # Rows can enter search mid-run: an archived contact returning is unarchived, and a change made
                # just before the run reaches the lagging index. Like rows created during the run, they are left
                # for the next since_last run (which looks back the overlap margin), not a gap.
                back = await self._returned(plan.first_day, frozen_end, frozen)
                self.tally.late += back
                received += back
            if received + known < now_total:
                self.tally.missing += now_total - received - known
                self.tally.gaps.append(
                    f"Intercom counts {now_total:,} {kind} created before {_day(frozen_end)} and the export "
                    f"holds {received:,}"
                )
            frozen_total = plan.frozen_total if plan.frozen_total is not None else now_total
            vanished += max(frozen_total - now_total, 0)
            expected += now_total
        self.tally.vanished = vanished
        return expected

    async def _returned(self, first_day: int, end_day: int, windows: list[WindowRecord]) -> int:
        """Rows created in ``[first_day, end_day)`` that the export does not hold and whose ``updated_at`` is
        within the overlap margin before the run's start, or later: they entered search during the run (returned
        from the archive, or a recent change the index had not caught up with), and the next ``since_last`` run,
        which looks back that margin, fetches them."""
        assert self.manifest is not None
        held: set[str] = set()
        column = self.paging.expand.key if self.paging.expand is not None else "id"
        for record in windows:
            if record.part:
                path = os.path.join(self.manifest.directory, record.part)
                held.update(str(i) for i in read_part(path, [column]).column(column).to_pylist())
            if record.parts is not None:
                account = PartsAccount.from_json(record.parts)
                held.update(account.deleted, account.empty)
        # Day-granular on the server (two days back, a superset whatever the day's length), exact here.
        since = int(self.frozen_at) - self.options.overlap
        recent = {"field": "updated_at", "operator": ">", "value": since - 2 * _plan.DAY}
        try:
            days = _plan.range_query(first_day, end_day, self.zone, self.paging.dates, fetch=True)
            query = _plan.combine([*days, recent], self.base)
        except InvalidQuery:
            return 0  # no room for one more filter: the shortfall stays reported
        style = self._style(query)
        back = 0
        # One short walk after the windows: the client's own paginator (walk guard, post filter) serves.
        async for page in Paginator(self.client, style, post_filter=self.post_filter).pages():
            for item in page.items:
                updated = item.get("updated_at")
                if str(item.get("id")) not in held and isinstance(updated, int) and updated >= since:
                    back += 1
        return back


def _reads_without_gil(read: Callable[..., PageRows]) -> bool:
    """The page reader parses with the GIL released: contacts through pyarrow's JSON reader (``_page`` without
    msgspec). Any other reader (msgspec's, the dict readers of conversations and tickets) holds it throughout."""
    return read is _page.read_page and _page.read_typed is None


def _keep(
    fresh: Sequence[int],
    created: list[Any],
    updated: list[Any],
    passes: list[bool] | None,
    owned: tuple[int, int] | None,
    frozen: float,
) -> tuple[Sequence[int], int, int, int]:
    """Which of a page's ``fresh`` rows a window writes: (the kept rows, how many are a neighbour's ``edge`` rows
    (an int creation time outside ``owned``), how many were created ``late`` (after ``frozen``), the largest int
    ``updated`` among the kept, 0 when none is above 0). ``passes``: the post filter's verdicts (None: all pass)."""
    if passes is None and len(fresh) == len(created) and _all_owned(created, owned, frozen):
        # The usual page: every row kept, decided by two C loops instead of the rules per row.
        return fresh, 0, 0, _top_int(updated)
    return _keep_by_rule(fresh, created, updated, passes, owned, frozen)


def _keep_by_rule(
    fresh: Sequence[int],
    created: list[Any],
    updated: list[Any],
    passes: list[bool] | None,
    owned: tuple[int, int] | None,
    frozen: float,
) -> tuple[list[int], int, int, int]:
    """``_keep``'s answer from the rules one row at a time: any page, the usual one included."""
    keep: list[int] = []
    edge = late = top = 0
    for k in fresh:
        made = created[k]
        if owned is not None and isinstance(made, int) and not owned[0] <= made < owned[1]:
            edge += 1
        elif isinstance(made, int | float) and made > frozen:
            late += 1
        elif passes is None or passes[k]:
            keep.append(k)
            changed = updated[k]
            if isinstance(changed, int) and changed > top:
                top = changed
    return keep, edge, late, top


def _all_owned(created: list[Any], owned: tuple[int, int] | None, frozen: float) -> bool:
    """Every row of a page is the window's own and created before the run (see the per-row rules in _keep_by_rule):
    the page's creation times are all ints between its bounds and none is past ``frozen``."""
    try:
        low, high = min(created), max(created)
    except (TypeError, ValueError):  # a null or a text among them, or no row: the per-row rules decide
        return False
    if type(low) is not int or type(high) is not int or high > frozen:
        return False
    return owned is None or owned[0] <= low and high < owned[1]


def _top_int(values: list[Any]) -> int:
    """The largest int among ``values`` (a bool counts as an int, as isinstance says), 0 when none is above 0."""
    try:
        top = max(values)
        if type(top) is int:
            return max(top, 0)
    except (TypeError, ValueError):
        pass
    return max((v for v in values if isinstance(v, int) and v > 0), default=0)


def _day(day: int) -> str:
    return date_of_day(day).isoformat()  # a workspace day


def _describe(key: str) -> str:
    if key == "chain":
        return "(single chain)"
    w = _plan.Window.from_key(key)
    return f"{_day(w.first_day)}..{_day(w.end_day - 1)}"
