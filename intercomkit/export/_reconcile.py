"""Reconciliation: what an incremental export cannot see, found by comparing the file before and after a full walk.

An incremental run asks search for ``updated_at >=`` its mark, so it never learns of contacts that left search
(deleted; merged: "The source contact will not appear in search results, including queries filtered by
`updated_at`"; archived) nor of changes that do not move ``updated_at`` (tag changes are reported not to). A
reconciling run walks the whole workspace and *replaces* the file; this module says what that changed: ids that are
gone (``removed``) and rows whose tag or company columns changed while ``updated_at`` stayed (``refreshed``).

Why a full walk rather than a cheaper id walk: Intercom has no field selection, so ``GET /contacts`` and search
both return whole contacts, 150 a page: walking just the ids costs the same ⌈N/150⌉ requests as exporting every
row, and the list is a single cursor chain while the export walks its windows in parallel and checks the counts.
"""

from __future__ import annotations

import os
import zlib

from ._merge import _existing_batches

__all__ = ["STALE_COLUMNS", "Snapshot", "diff", "snapshot"]

# Columns an incremental run can leave stale: they change without updated_at moving.
STALE_COLUMNS = (
    "tags.count",
    "tags.ids",
    "tags.has_more",
    "companies.count",
    "companies.ids",
    "companies.has_more",
)

Snapshot = dict[str, tuple[str, int]]  # id -> (updated_at as written, CRC of the stale columns)


def snapshot(path: str, fmt: str) -> Snapshot | None:
    """Each row's id, ``updated_at`` and a checksum of its stale-prone columns (None when there is no file)."""
    if not os.path.exists(path):
        return None
    names, batches = _existing_batches(path, fmt)
    if "id" not in names:
        return {}
    stale = [c for c in STALE_COLUMNS if c in names]
    out: Snapshot = {}
    for batch in batches:
        ids = batch.column("id").to_pylist()
        updated = batch.column("updated_at").to_pylist() if "updated_at" in names else [None] * len(ids)
        values = [batch.column(c).to_pylist() for c in stale]
        for k, cid in enumerate(ids):
            crc = zlib.crc32("\x1f".join(str(col[k]) for col in values).encode())
            out[str(cid)] = (str(updated[k]), crc)
    return out


def diff(before: Snapshot, after: Snapshot) -> tuple[int, int]:
    """(removed, refreshed): ids gone, and ids whose stale-prone columns changed under the same ``updated_at``."""
    removed = sum(1 for cid in before if cid not in after)
    refreshed = 0
    for cid, (updated, crc) in before.items():
        now = after.get(cid)
        if now is not None and now[0] == updated and now[1] != crc:
            refreshed += 1
    return removed, refreshed
