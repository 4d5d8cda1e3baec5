"""A workspace goes to the worker whose thread is free, never behind a busy worker's threads.

Dask places a task with no dependencies on the worker it thinks least occupied, from the task durations it has
seen. Every workspace is its own task prefix (its key names it), so Dask has no duration for one that just
started, and counts a long-running one as twice its run so far: the worker running a large workspace looks busier
than a worker whose every thread holds a workspace that just started, and the next workspace was queued on that
second worker while a thread of the first one idled (row 8: 8 equal workspaces on 2 workers × 2 threads ran in
three rounds instead of two). The fleet names the worker with a free thread for each workspace it submits.
"""

from __future__ import annotations

import pytest
from fleet_helpers import TOKEN, distributed, exported_ids, part_ids

import intercomkit as ik
from intercomkit.sandbox import RateLimitConfig, Sandbox, serve_in_thread

# One large workspace and small ones; each answers 5 requests a second, so the large one keeps one worker's thread
# for several seconds while the small ones come and go on the other threads.
SIZES = [1200] + [60] * 7


class _PerWorker(distributed.diagnostics.plugin.SchedulerPlugin):
    """The most workspace tasks the scheduler had handed to one worker at once (running or queued on it)."""

    def __init__(self, scheduler) -> None:
        self.scheduler = scheduler
        self.on: dict = {}
        self.held: dict = {}
        self.most: dict = {}

    def transition(self, key, start, finish, *args, **kwargs) -> None:
        if finish == "processing":
            ts = self.scheduler.tasks[key]
            worker = ts.processing_on.address
            self.on[key] = worker
            self.held.setdefault(worker, set()).add(key)
            self.most[worker] = max(self.most.get(worker, 0), len(self.held[worker]))
        elif key in self.on:
            self.held[self.on.pop(key)].discard(key)


@pytest.fixture(scope="module")
def uneven():
    sandboxes = Sandbox.fleet(
        len(SIZES), contacts=SIZES, companies=5, token=TOKEN, rate_limit=RateLimitConfig(limit=5, window=1.0)
    )
    url, stop = serve_in_thread(sandboxes)
    sandboxes.url = url
    yield sandboxes
    stop()


def test_a_workspace_starts_on_the_worker_with_a_free_thread(uneven, monkeypatch, tmp_path):
    for k in range(1, len(SIZES) + 1):
        monkeypatch.setenv(f"FLEET_TOKEN_{k}", f"{TOKEN}-{k}")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=2, processes=False, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    try:
        per_worker = _PerWorker(cluster.scheduler)
        cluster.scheduler.add_plugin(per_worker, name="per-worker")
        rows = [{"name": f"ws{k}", "token_env": f"FLEET_TOKEN_{k}"} for k in range(1, len(SIZES) + 1)]
        result = ik.fleet.export_sync(
            "contacts", rows, out=tmp_path / "fleet", client=client, base_url=uneven.url, progress=False
        )
    finally:
        client.close()
        cluster.close()
    assert result.ok, str(result)
    assert len(per_worker.most) == 2, per_worker.most  # both workers were used
    assert max(per_worker.most.values()) == 2, per_worker.most  # and never given more than their 2 threads
    for k, sb in enumerate(uneven, start=1):
        ids = part_ids(tmp_path / "fleet" / "contacts" / f"workspace=ws{k}" / "part-0.parquet")
        assert len(ids) == len(set(ids)) and set(ids) == exported_ids(sb)
