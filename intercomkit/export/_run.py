"""The steps every export run shares, whatever walks its rows: which workspace it reads, its checkpoint, the
progress bar, the merge of its committed parts into the final file, and the one ``ExportResult`` it returns.

``_runner.SearchRun`` (windows of a search) and ``_chain.ChainRun`` (one walk) extend ``Run`` with their walk.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING, Any

import anyio

from .._columns import SCHEMAS
from .._limiter import RequestLimiter
from .._protocol.days import zone_name
from .._protocol.parts import PartsAccount
from .._support_rows import attribute_kinds
from ..errors import WorkspaceMismatch
from ._manifest import Manifest, StateFile, WindowRecord, describe_workspace
from ._merge import merge_parts
from ._options import ExportOptions, selected_columns
from ._resources import Resource, SearchPaging
from ._result import ExportResult
from ._sinks import Shape, custom_kind, items_table, read_part_schema, shape_of

if TYPE_CHECKING:
    from .._client import AsyncClient

__all__ = ["Run", "Tally", "first_error"]

logger = logging.getLogger("intercomkit.export")

# Each part file names the workspace its rows came from (its schema's metadata): the merge refuses a part of another.
_PART_WORKSPACE = b"intercomkit.workspace"


@dataclass
class Tally:
    """What the run's windows added up to (committed ones, kept from an earlier run or walked by this one)."""

    received: int = 0
    written: int = 0
    late: int = 0
    edge: int = 0
    vanished: int = 0
    gaps: list[str] = field(default_factory=list)
    missing: int = 0
    resumed: int = 0
    resumed_rows: int = 0
    splits: int = 0
    restarts: int = 0
    parts: PartsAccount | None = None  # an expanding resource's (conversation → parts), summed over windows

    def add(self, record: WindowRecord) -> None:
        self.received += record.received
        self.written += record.rows
        self.late += record.late
        self.edge += record.edge
        self.vanished += record.vanished
        if record.parts is not None:
            if self.parts is None:
                self.parts = PartsAccount()
            self.parts.merge(PartsAccount.from_json(record.parts))


class Run:
    """One export of ``resource`` as ``options`` ask; ``export()`` (in the subclass) walks, merges, returns."""

    def __init__(self, client: AsyncClient, options: ExportOptions, resource: Resource) -> None:
        self.client = client
        self.options = options
        self.resource = resource
        self.started = time.perf_counter()
        stats = client.stats
        self._stats_at_start = (stats.requests, stats.retries, stats.rate_limited)
        self.clock = options.clock or client.now
        self.limiter = RequestLimiter(client, options.concurrency)
        self.part_columns, self.out_columns = selected_columns(options.kind, options.fields)
        self.part_schema = items_table(options.kind, [], self.part_columns).schema
        self.tally = Tally()
        if resource.expand is not None:
            self.tally.parts = PartsAccount()
        self.bar: Any = None
        self.rng = random.Random()
        self.state = StateFile(options.path)
        self.zone: tzinfo = UTC  # the workspace's timezone, asked for when a windowed export starts
        self.manifest: Manifest | None = None
        self.workspace: dict[str, Any] = {}
        self.frozen_at = 0  # the run's start T, once planned
        self.merged: dict[str, int] = {}  # added / updated, from the merge
        self.described: dict[str, str] = {}  # custom attribute → kind, from the workspace's data attributes

    # -- setup ---------------------------------------------------------------------------------------------------

    def signature(self, updated_since: int | None, server_query: Any) -> dict[str, Any]:
        """What makes a checkpoint this run's: another signature is not resumed."""
        return {
            "kind": self.options.kind,
            "format": self.options.format,
            "fields": self.options.fields,
            "query": server_query,
            "updated_since": updated_since,
            "output": os.path.abspath(self.options.path),
            # Windows are days of this timezone: a checkpoint planned in other days must not be resumed.
            "timezone": zone_name(self.zone) if isinstance(self.resource.paging, SearchPaging) else None,
        }

    async def identify(self) -> dict[str, Any]:
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

    async def describe(self) -> None:
        """The kinds the workspace's data attributes give the custom columns (``Resource.attributes``), so the file
        types them as the resource's frame does; nothing when the token may not read them."""
        if self.resource.attributes is not None:
            attributes = await self.client.data_attributes.readable(self.resource.attributes)
            self.described = attribute_kinds(attributes)

    def open_manifest(self, signature: dict[str, Any]) -> Manifest:
        """Open (resume) or start the checkpoint, and count what it already holds."""
        manifest = Manifest.open(
            self.options.path, signature, resume=self.options.resume, workspace=self.workspace
        )
        self.manifest = manifest
        self.tally.resumed = len(manifest.windows)
        for record in manifest.windows.values():
            self.tally.resumed_rows += record.rows
            self.tally.add(record)
        return manifest

    def forget_if_empty(self) -> tuple[int, int]:
        """After a failure: (windows, rows) the checkpoint keeps; a checkpoint that keeps nothing is removed, so a
        run that committed nothing leaves no ``.partial`` directory behind."""
        if self.manifest is None:
            return 0, 0
        windows = self.manifest.windows
        if not windows:
            self.manifest.remove()
        return len(windows), sum(record.rows for record in windows.values())

    def commit(self, key: str, record: WindowRecord) -> None:
        """A walked window joins the checkpoint and the tally."""
        assert self.manifest is not None
        self.tally.add(record)
        self.manifest.commit(key, record)

    def gap(self, key: str, record: WindowRecord, where: str) -> None:
        """Note a committed window that holds fewer rows than Intercom counts."""
        self.tally.missing += record.gap
        self.tally.gaps.append(
            f"{where}Intercom counts {record.total or 0:,} {self.options.kind}, the walk returned "
            f"{record.received:,}"
        )

    # -- progress ------------------------------------------------------------------------------------------------

    def open_bar(self, total: int | None, initial: int) -> None:
        if not self.options.progress:
            return
        from tqdm.auto import tqdm

        # An expanded export (conversation parts) walks and counts its listing's records, not the rows it writes.
        expand = self.resource.expand
        self.bar = tqdm(
            total=total,
            initial=initial,
            unit=f" {expand.listed}" if expand is not None else " rows",
            unit_scale=True,
            # A resumed run starts at the rows it kept, and says so.
            desc=f"export {self.options.kind}" + (" (resumed)" if initial else ""),
            leave=True,
        )

    def _advance(self, n: int) -> None:
        if self.bar is not None and n:
            self.bar.update(n)

    def close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()

    # -- merge ---------------------------------------------------------------------------------------------------

    def _shape(self, seen: Mapping[str, set[str]]) -> Shape:
        """The columns and kinds a window's lines are rendered for, given the custom attributes it has seen."""
        kinds = {name: self._kind(name, tags) for name, tags in seen.items()}
        return shape_of(self._columns(kinds), kinds)

    def _kind(self, name: str, tags: Any) -> str:
        """A custom column's kind: the workspace's data attribute says, else the values seen."""
        return self.described.get(name) or custom_kind(tags)

    def _columns(self, custom: Mapping[str, str]) -> list[str]:
        """The output columns when these custom attributes (name → kind) were seen."""
        if self.out_columns is not None:
            return self.out_columns
        prefix = SCHEMAS[self.resource.kind].prefix
        return [*self.part_columns, *(f"{prefix}{name}" for name in sorted(custom, key=str))]

    def merge(self, *, replace: bool = True) -> int:
        """Write the final file from the committed parts (by atomic rename); ``replace=False`` merges them into the
        existing file (an incremental run). Returns its rows."""
        manifest = self.manifest
        assert manifest is not None
        kinds: dict[str, set[str]] = {}
        for record in manifest.windows.values():
            for name, tags in record.custom.items():
                kinds.setdefault(name, set()).update(tags)
        custom = {name: self._kind(name, tags) for name, tags in kinds.items()}
        columns = self._columns(custom)
        parts = []
        for _key, record in sorted(manifest.windows.items(), key=lambda kv: _order(kv[0])):
            if record.part:
                lines = record.csv if self._rendered_fits(record, columns, custom) else None
                parts.append((os.path.join(manifest.directory, record.part), lines))
        self._check_parts([path for path, _ in parts], manifest)
        self.merged = {}
        expand = self.resource.expand
        rows = merge_parts(
            self.options.path,
            self.options.format,
            parts,
            columns,
            custom,
            self.part_schema,
            merge_into=None if replace else self.options.path,
            counts=self.merged,
            # An expanded row (a part) is replaced with everything fetched for its parent (the conversation).
            key=expand.key if expand is not None else "id",
            drop=self.tally.parts.deleted if self.tally.parts is not None else (),
        )
        copied = self.merged.get("copied", 0)
        logger.debug(
            "merge: the CSV lines of %d of %d windows were copied as rendered, the rest rendered now",
            copied,
            len(parts),
            extra={"export_copied": copied},
        )
        return rows

    def _check_parts(self, paths: list[str], manifest: Manifest) -> None:
        """Every part was fetched from the checkpoint's workspace (whatever else is on disk): nothing is merged
        otherwise."""
        expected = _workspace_key(manifest.workspace)
        for path in paths:
            metadata = read_part_schema(path).metadata or {}
            found = metadata.get(_PART_WORKSPACE, b"").decode("utf-8", "replace")
            if found != expected:
                raise WorkspaceMismatch(
                    f"the part {path} was not fetched from {describe_workspace(manifest.workspace)} like the "
                    f"rest of {manifest.directory} (it names {found or 'no workspace'!r}); nothing was written: "
                    "pass resume=False (--no-resume) to export again from scratch",
                    recorded=manifest.workspace,
                    current=self.workspace,
                )

    def _rendered_fits(self, record: WindowRecord, columns: list[str], custom: dict[str, str]) -> bool:
        """A window's pre-rendered lines are the final ones: same columns, and every custom attribute it holds
        values of is typed as the whole export types it (a column without values renders empty either way)."""
        if record.csv is None:
            return False
        own = record.custom
        if self._columns({name: self._kind(name, tags) for name, tags in own.items()}) != columns:
            return False
        return all(custom.get(name) == self._kind(name, tags) for name, tags in own.items() if tags)

    # -- result --------------------------------------------------------------------------------------------------

    def result(self, rows: int, *, expected: int | None, **specific: Any) -> ExportResult:
        """The run's ``ExportResult``: its counts come from the tally and the client's stats; ``specific`` holds
        what only one kind of run knows (``updated_since``, ``added``, ``reconciled``, …)."""
        assert self.manifest is not None
        stats = self.client.stats
        requests, retries, limited = self._stats_at_start
        tally = self.tally
        fields: dict[str, Any] = {
            "kind": self.options.kind,
            "path": self.options.path,
            "format": self.options.format,
            "rows": rows,
            "elapsed": time.perf_counter() - self.started,
            "requests": stats.requests - requests,
            "retries": stats.retries - retries,
            "rate_limited": stats.rate_limited - limited,
            "expected": expected,
            "missing": tally.missing,
            "vanished": tally.vanished,
            "created_during_run": tally.late,
            "filtered": tally.received - self._listed() - tally.late - tally.edge,
            "windows": len(self.manifest.windows),
            "resumed_windows": tally.resumed,
            "resumed_rows": tally.resumed_rows,
            "gaps": list(tally.gaps),
            "started_at": float(self.frozen_at),
            "peak_concurrency": self.limiter.peak,
        }
        parts = tally.parts
        if parts is not None:
            fields.update(
                parts_expected=parts.expected,
                parts_truncated=list(parts.truncated),
                deleted=list(parts.deleted),
            )
        return ExportResult(**{**fields, **specific})

    def _listed(self) -> int:
        """Rows the walks kept: written ones, or for an expanding resource those expanded (found or deleted)."""
        parts = self.tally.parts
        if parts is None:
            return self.tally.written
        return parts.conversations + len(parts.deleted)


def _workspace_key(workspace: Mapping[str, Any]) -> str:
    return f"{workspace.get('api')} {workspace.get('id_code')}"


def _order(key: str) -> tuple[int, int]:
    from ._plan import Window

    if key == "chain":
        return (0, 0)
    w = Window.from_key(key)
    return (w.first_day, w.days)


def first_error(group: BaseExceptionGroup) -> BaseException:
    """The error that stopped a task group (the others were cancelled because of it), not a group of one."""
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return first_error(exc)
        if not isinstance(exc, anyio.get_cancelled_exc_class()):
            return exc
    return group
