"""The fleet's driver: which workspaces to run, one Dask task each, and ``_fleet.json`` as they finish.

Only the driver writes ``_fleet.json`` (tasks return their records), so it never has two writers. It is written
before any task starts (listed workspaces not finished yet are ``pending``) and again after each task, so a driver
killed at any moment leaves a manifest whose ``done`` workspaces are really published: a rerun skips those and
runs the rest, which resume from their checkpoints.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import ConfigurationError
from ..export._resources import RESOURCES, SearchPaging
from ._placement import free_threads, pick
from ._result import FleetResult
from ._store import FleetStore
from ._task import export_workspace, failure, part_name
from ._workspaces import FleetWorkspace, read_workspaces

__all__ = ["MANIFEST", "drive", "incremental"]

MANIFEST = "_fleet.json"
_POLL = 0.05  # seconds between looks at finished tasks
_RECHECK = 2.0  # seconds between looks for threads that joined the cluster while all tasks run


def _dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise ImportError(
            "exporting a fleet of workspaces needs Dask distributed: pip install 'intercomkit[fleet]'"
        ) from None
    return distributed


def drive(
    kind: str,
    workspaces: Any,
    out: str | os.PathLike[str],
    *,
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
    on_start: Callable[[Any], None] | None = None,
) -> FleetResult:
    """Blocking: run the fleet and return its result (``fleet.export`` awaits this in a thread)."""
    if kind not in RESOURCES:
        raise ConfigurationError(f"a fleet exports {', '.join(RESOURCES)}; not {kind!r}")
    if since_last and not incremental(kind):
        raise ConfigurationError(
            f"since_last is for {', '.join(k for k in RESOURCES if incremental(k))} ({kind} have no "
            "incremental export)"
        )
    for name, value in (("workers", workers), ("per_worker", per_worker)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ConfigurationError(f"{name} must be a whole number >= 1, got {value!r}")
    if region is not None and base_url is not None:
        raise ConfigurationError("give region or base_url, not both")
    listed = read_workspaces(workspaces)
    store = FleetStore(out)
    manifest = store.read_json(MANIFEST) or {}
    section = manifest.setdefault("exports", {}).setdefault(kind, {"workspaces": {}})
    records: dict[str, dict[str, Any]] = section["workspaces"]
    started = time.time()
    skipped = [
        ws.name
        for ws in listed
        if not since_last
        and records.get(ws.name, {}).get("status") == "done"
        and store.exists(part_name(kind, ws.name))
    ]
    todo = [ws for ws in listed if ws.name not in skipped]
    for ws in todo:
        records[ws.name] = {**_kept(records.get(ws.name)), "status": "pending", "credential": ws.credential}
    _save(store, manifest, kind)
    bar = _bar(progress, kind, len(listed), len(skipped))
    names = {ws.name for ws in listed}  # the manifest may also hold workspaces of an earlier, longer list
    if bar is not None:  # a rerun's bar starts at the skipped workspaces and their rows
        bar.set_postfix(rows=f"{_rows(manifest, kind, names):,}", failed=0, refresh=True)
    try:
        if todo:
            _run_tasks(
                kind,
                todo,
                store,
                client,
                workers,
                per_worker,
                processes,
                since_last,
                region,
                base_url,
                state_dir,
                on_start,
                lambda name, record: _finished(store, manifest, kind, name, record, bar, names),
            )
    finally:
        if bar is not None:
            bar.close()
    return FleetResult(
        kind=kind,
        out=store.out,
        dataset=store.url(kind),
        workspaces={ws.name: records[ws.name] for ws in listed},
        skipped=skipped,
        elapsed=time.time() - started,
        allow_gaps=allow_gaps,
    )


def incremental(kind: str) -> bool:
    """The search-paged kinds take ``since_last`` (a chain, the companies' scroll, has no date to start from)."""
    return isinstance(RESOURCES[kind].paging, SearchPaging)


def _run_tasks(
    kind: str,
    todo: list[FleetWorkspace],
    store: FleetStore,
    client: Any,
    workers: int | None,
    per_worker: int,
    processes: bool,
    since_last: bool,
    region: str | None,
    base_url: str | None,
    state_dir: Any,
    on_start: Callable[[Any], None] | None,
    finished: Callable[[str, dict[str, Any]], None],
) -> None:
    distributed = _dask()
    own = client is None
    cluster = None
    if own:
        count = workers or max(1, min(len(todo), os.cpu_count() or 1))
        cluster = distributed.LocalCluster(
            n_workers=count,
            threads_per_worker=per_worker,  # K workspaces at once on a worker: each task holds one thread
            processes=processes,
            dashboard_address=":0",  # a free port: two local fleets never fight over 8787
            silence_logs=logging.ERROR,
        )
        client = distributed.Client(cluster)
    elif getattr(client, "asynchronous", False):
        raise ConfigurationError(
            "pass a synchronous dask Client (distributed.Client(address)); an asynchronous one cannot be "
            "waited on from the fleet's thread"
        )
    try:
        if on_start is not None:
            on_start(client)
        run = uuid.uuid4().hex[:8]
        out = store.path("") if store.local else store.out

        def submit(ws: FleetWorkspace, worker: str | None) -> Any:
            job = {
                "kind": kind,
                "workspace": ws.to_dict(),
                "out": out.rstrip(os.sep) if store.local else out,
                "state_dir": os.path.abspath(os.fspath(state_dir)) if state_dir is not None else None,
                "since_last": since_last,
                "region": region,
                "base_url": base_url,
            }
            # The key names the workspace (the dashboard groups tasks by it), never its credential. The worker is
            # named (see _placement); allow_other_workers lets Dask run it elsewhere if that worker is lost.
            return client.submit(
                export_workspace,
                job,
                key=(f"{kind} workspace={ws.name}", run),
                pure=False,
                workers=[worker] if worker is not None else None,
                allow_other_workers=worker is not None,
            )

        for future, name in _on_free_threads(distributed, client, todo, submit):
            try:
                record = future.result()
            except Exception as exc:  # a task Dask gave up on (KilledWorker after repeated worker deaths)
                record = failure(exc)
            finished(name, record)
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()


def _on_free_threads(
    distributed: Any,
    client: Any,
    todo: list[FleetWorkspace],
    submit: Callable[[FleetWorkspace, str | None], Any],
) -> Iterator[tuple[Any, str]]:
    """Submit each workspace when a worker thread is free for it; yield (future, name) as tasks finish.

    Dask assigns a task to a worker as soon as it is submitted (each workspace is its own task group, never queued
    on the scheduler), and a worker runs as many tasks at once as it has threads. Submitted all at once, workspaces
    wait in one worker's queue while another worker's threads idle, and a workspace is minutes to hours long, so
    that idle thread is never caught up: 8 workspaces on 4 threads took three rounds instead of two. So no more
    workspaces are submitted than the cluster has threads (read again as workers come and go), each to a worker
    with a free thread (``_placement``: Dask's own choice queued them behind busy threads too).
    """
    waiting = list(todo)
    running: dict[Any, str] = {}
    sent: dict[Any, str] = {}  # future → the worker it was sent to
    done = distributed.as_completed()
    checked = 0.0
    while waiting or running:
        batch = done.next_batch(block=False)
        for future in batch:
            sent.pop(future, None)
            yield future, running.pop(future)
        now = time.monotonic()
        if waiting and (batch or not running or now - checked >= _RECHECK):
            checked = now
            nthreads = client.nthreads()
            room = sum(nthreads.values()) - len(running)
            free = free_threads(nthreads, client.processing(), {f.key: w for f, w in sent.items()})
            while waiting and (room > 0 or not running):  # none yet: one waits for the first worker to join
                worker = pick(free)
                if worker is None and running:
                    break  # every thread is taken (some by another client's tasks): wait for one to free
                ws = waiting.pop(0)
                future = submit(ws, worker)
                running[future] = ws.name
                done.add(future)
                room -= 1
                if worker is not None:
                    sent[future] = worker
                    free[worker] -= 1
        if not batch:
            time.sleep(_POLL)


def _kept(previous: dict[str, Any] | None) -> dict[str, Any]:
    """What a rerun keeps of a workspace's last record until its task reports: the part that is published."""
    if not previous or previous.get("status") not in ("done", "incomplete"):
        return {}
    return {"published": {k: previous.get(k) for k in ("rows", "finished_at", "high_water", "part")}}


def _finished(
    store: FleetStore, manifest: dict, kind: str, name: str, record: dict, bar: Any, names: set[str]
) -> None:
    before = manifest["exports"][kind]["workspaces"][name]
    entry = {**record, "credential": before.get("credential")}
    if record.get("status") == "failed" and "published" in before:
        entry["published"] = before["published"]  # the part an earlier run published is still there
    for key in ("started_at", "finished_at"):
        if isinstance(entry.get(key), (int, float)):
            entry[key] = _iso(entry[key])
    manifest["exports"][kind]["workspaces"][name] = entry
    _save(store, manifest, kind)
    if bar is not None:
        records = manifest["exports"][kind]["workspaces"]
        failed = sum(1 for n in names if records.get(n, {}).get("status") == "failed")
        bar.update(1)
        bar.set_postfix(rows=f"{_rows(manifest, kind, names):,}", failed=failed, refresh=True)


def _rows(manifest: dict, kind: str, names: set[str]) -> int:
    """The rows of this run's workspaces, as ``FleetResult.rows`` counts them."""
    records = manifest["exports"][kind]["workspaces"]
    return sum(int(records.get(n, {}).get("rows") or 0) for n in names)


def _save(store: FleetStore, manifest: dict, kind: str) -> None:
    manifest["version"] = 1
    manifest["exports"][kind]["dataset"] = f"{kind}/"
    manifest["exports"][kind]["updated_at"] = _iso(time.time())
    store.write_json(MANIFEST, manifest)


def _bar(progress: bool, kind: str, total: int, initial: int) -> Any:
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="workspace", desc=f"fleet {kind}")


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
