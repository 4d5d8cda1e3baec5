"""Export many Intercom workspaces into one Hive-partitioned Parquet dataset, on Dask distributed.

    import intercomkit as ik
    result = await ik.fleet.export("contacts", "workspaces.csv", out="fleet/")      # a LocalCluster
    result = await ik.fleet.export("contacts", rows, out="s3://bucket/fleet", client=dask_client)
    parts = await ik.fleet.export("conversation_parts", "workspaces.csv", out="fleet/")   # every export kind
    print(result)            # fleet: 8 of 8 workspaces exported, 1,234,567 contacts in fleet/contacts (…)

Each workspace is one Dask task running the single-workspace export (its own rate limit, windows, checkpoint and
completeness checks) in a worker thread; a worker runs ``per_worker`` workspaces at once. Its rows become
``OUT/<kind>/workspace=<name>/part-0.parquet`` (one atomic write), and ``OUT/_fleet.json`` records each workspace's
status, rows, expected count, gaps, error, times and high-water mark. A failing workspace is reported there, never
failing the others. Rerunning resumes: done workspaces are skipped (``since_last=True`` refreshes them
incrementally), the others resume from their checkpoints.

Needs the ``fleet`` extra (``pip install 'intercomkit[fleet]'``: Dask distributed, fsspec, PyYAML); ``import
intercomkit`` never imports Dask.
"""

from __future__ import annotations

import os
from typing import Any

from ._result import FleetResult
from ._run import MANIFEST
from ._schema import CUSTOM_COLUMN
from ._workspaces import FleetWorkspace, read_workspaces

__all__ = [
    "CUSTOM_COLUMN",
    "MANIFEST",
    "FleetResult",
    "FleetWorkspace",
    "export",
    "export_sync",
    "read_workspaces",
]


async def export(
    kind: str,
    workspaces: Any,
    *,
    out: str | os.PathLike[str],
    client: Any = None,
    workers: int | None = None,
    per_worker: int = 2,
    processes: bool = True,
    since_last: bool = False,
    region: str | None = None,
    base_url: str | None = None,
    state_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    allow_gaps: bool = False,
) -> FleetResult:
    """Export ``kind`` (any kind of the export engine: ``"contacts"``, ``"companies"``, ``"conversations"``,
    ``"tickets"``, ``"conversation_parts"``) of every workspace into ``out``.

    ``workspaces``: a ``.csv`` / ``.yaml`` path or rows (mappings or :class:`FleetWorkspace`) with ``name`` and
    ``token_env`` or ``profile`` (resolved on the workers), optionally ``region`` or ``base_url``. ``out``: a local
    or shared directory, or an fsspec URL (``s3://…``, ``memory://…``). ``client``: a synchronous
    ``distributed.Client`` of an existing cluster; ``None`` starts a ``LocalCluster`` of ``workers`` workers
    (default: one per workspace up to the CPU count) with ``per_worker`` threads, in processes unless
    ``processes=False``. ``region`` / ``base_url``: the default API host for rows that name none. ``state_dir``:
    where checkpoints and staging files live (default ``OUT/_state`` for a local ``out``; a cache folder on each
    worker for a URL). ``since_last``: refresh done workspaces incrementally (the search-paged kinds: all but
    companies). ``allow_gaps``: a workspace whose rows fall short of Intercom's counts (``incomplete``, its rows
    published) does not make ``result.ok`` false. Never raises for one workspace's failure: see ``result.failed``.
    """
    import anyio

    def run() -> FleetResult:
        from ._run import drive

        return drive(
            kind,
            workspaces,
            out,
            client=client,
            workers=workers,
            per_worker=per_worker,
            processes=processes,
            since_last=since_last,
            region=region,
            base_url=base_url,
            state_dir=state_dir,
            progress=progress,
            allow_gaps=allow_gaps,
        )

    return await anyio.to_thread.run_sync(run)


def export_sync(kind: str, workspaces: Any, *, out: str | os.PathLike[str], **options: Any) -> FleetResult:
    """Blocking :func:`export` for scripts (Dask's own client blocks; no event loop is needed)."""
    from ._run import drive

    return drive(kind, workspaces, out, **options)
