"""One workspace, one Dask task: runs on a worker, in a worker thread, with its own event loop.

The task gets the workspace's *name* and where its credential comes from, never a token: the token is read here,
on the worker (``token_env`` from the worker's environment, ``profile`` from its saved profiles). It runs the
single-workspace export (``client.export.<kind>``: its own rate limiter, windows, checkpoint and completeness
checks) into a staging file under the state directory, then publishes that whole file, with the fleet's schema,
as the workspace's one part ``<kind>/workspace=<name>/part-0.parquet`` in one atomic write. A task that dies
(a killed worker, which Dask reschedules) leaves the previous part or nothing, never half a part, and its rerun
resumes from the staging checkpoint; the engine deduplicates by id, so no row is written twice.

Every outcome is returned as a record (status, counts, error), never raised: one workspace's failure must not fail
the fleet.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator
from typing import Any

import anyio

from .. import errors
from ._schema import fleet_table
from ._store import FleetStore

__all__ = ["Job", "default_state_dir", "export_workspace", "failure", "part_name", "staging_path"]

Job = dict[str, Any]
LOCK_WAIT = (
    600.0  # seconds: an orphaned task of a killed fleet run may still hold the workspace; it ends soon
)


def part_name(kind: str, name: str) -> str:
    return f"{kind}/workspace={name}/part-0.parquet"


def default_state_dir(out: str) -> str:
    """``DIR/_state`` for a local ``DIR``; for a URL, a cache folder on this machine named by the URL's digest."""
    store = FleetStore(out)
    if store.local:
        return store.path("_state")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    digest = hashlib.sha256(out.encode()).hexdigest()[:16]
    return os.path.join(base, "intercomkit", "fleet", digest)


def staging_path(state_dir: str, kind: str, name: str) -> str:
    return os.path.join(state_dir, name, f"{kind}.parquet")


def export_workspace(job: Job) -> dict[str, Any]:
    """The Dask task: export one workspace and publish its part; returns its manifest record."""
    started = time.time()
    try:
        record = anyio.run(_export, job)
    except BaseException as exc:  # noqa: BLE001 - the fleet reports every failure, it never loses one
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        record = failure(exc)
    record.setdefault("started_at", started)
    record["finished_at"] = time.time()
    record["host"] = socket.gethostname()
    return record


async def _export(job: Job) -> dict[str, Any]:
    from .._client import AsyncClient
    from .._workspaces import WorkspaceRegistry

    ws, kind = job["workspace"], job["kind"]
    path = staging_path(job.get("state_dir") or default_state_dir(job["out"]), kind, ws["name"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with _exclusive(path + ".lock"):
        started = time.time()
        token = None
        if ws.get("token_env"):
            token = os.environ.get(ws["token_env"], "").strip()
            if not token:
                raise errors.AuthenticationRequired(
                    f"the environment variable {ws['token_env']} is empty or unset on worker "
                    f"{socket.gethostname()}"
                )
        base_url = ws.get("base_url") or (None if ws.get("region") else job.get("base_url"))
        kwargs: dict[str, Any] = {
            "token": token,
            "profile": ws.get("profile"),
            "region": ws.get("region") or job.get("region"),
            # Each task has its own event loop: workspace state made on another task's loop must not be shared.
            "workspaces": WorkspaceRegistry(),
        }
        if base_url:
            kwargs["base_url"] = base_url
        since_last = bool(job.get("since_last")) and os.path.exists(path + ".export.json")
        options: dict[str, Any] = {"progress": False, "allow_gaps": True}
        if since_last:
            options["since_last"] = True
        async with AsyncClient(**kwargs) as client:
            result = await getattr(client.export, kind)(path, **options)
        _publish(job["out"], kind, ws["name"], path)
        state = _read_state(path)
        return {
            **_parts_accounting(result),
            "status": "done" if result.complete else "incomplete",
            "rows": result.rows,
            "expected": result.expected,
            "missing": result.missing,
            "gaps": list(result.gaps),
            "vanished": result.vanished,
            "error": None,
            "started_at": started,
            "since_last": since_last,
            "added": result.added,
            "updated": result.updated,
            "resumed_rows": result.resumed_rows,
            "requests": result.requests,
            "high_water": state.get("high_water"),
            "part": part_name(kind, ws["name"]),
        }


# Conversation ids a record names at most: _fleet.json is rewritten after every workspace, so it must stay small
# with thousands of workspaces. The counts are always whole; a single-workspace export names every id.
NAMED = 100


def _parts_accounting(result: Any) -> dict[str, Any]:
    """A ``conversation_parts`` run's check of each conversation against ``statistics.count_conversation_parts``:
    the parts Intercom counts, the conversations cut at "the 500 most recent conversation parts" and those deleted
    during the run (neither is a gap; any other shortfall is in ``gaps``). Nothing for the other kinds."""
    if result.parts_expected is None:
        return {}
    return {
        "parts_expected": result.parts_expected,
        "parts_truncated": len(result.parts_truncated),
        "parts_truncated_ids": sorted(result.parts_truncated)[:NAMED],
        "deleted": len(result.deleted),
        "deleted_ids": sorted(result.deleted)[:NAMED],
    }


def _publish(out: str, kind: str, name: str, path: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = fleet_table(pq.read_table(path), kind)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    store = FleetStore(out)
    store.remove_temporaries(f"{kind}/workspace={name}")
    store.write_bytes(part_name(kind, name), sink.getvalue().to_pybytes())


def _read_state(path: str) -> dict[str, Any]:
    # OUT.export.json is the export's documented state file (started_at, overlap, high_water).
    try:
        with open(path + ".export.json", encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextlib.contextmanager
def _exclusive(lock_path: str) -> Iterator[None]:
    """One run of a workspace at a time on this machine: a task of a killed fleet run may still be going (an
    orphaned worker) while the rerun starts the same workspace. ``flock`` is released by the OS when its holder
    dies, so a killed holder never blocks."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise errors.ConfigurationError(
                        f"another run is exporting this workspace on {socket.gethostname()} "
                        f"(lock {lock_path}); wait for it or stop it"
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)


# Each failure's exit reason and the CLI exit code it maps to (the README's fleet table).
_REASONS: list[tuple[tuple[type[BaseException], ...], str]] = [
    (
        (errors.AuthenticationRequired, errors.Unauthorized, errors.Forbidden, errors.CredentialsError),
        "auth",
    ),
    ((errors.RateLimited, errors.TransportError, errors.ServerError), "network"),
    ((errors.WriteFailed, OSError), "write"),
    ((errors.ConfigurationError, errors.InvalidQuery), "usage"),
    ((errors.IntercomError,), "error"),
]


def failure(exc: BaseException) -> dict[str, Any]:
    reason = next((r for types, r in _REASONS if isinstance(exc, types)), "bug")
    if type(exc).__name__ == "KilledWorker":  # Dask gave up after the task's workers died again and again
        reason = "worker"
    return {
        "status": "failed",
        "error": {"type": type(exc).__name__, "reason": reason, "message": str(exc)[:500]},
    }
