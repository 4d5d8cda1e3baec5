"""Workspaces start on free worker threads: none waits in a busy worker's queue while another thread idles."""

from __future__ import annotations

from fleet_helpers import distributed, exported_ids, part_ids, rows

import intercomkit as ik


class _Assigned(distributed.diagnostics.plugin.SchedulerPlugin):
    """The most workspace tasks the scheduler had handed to workers at once (``processing``: running, or queued
    on the worker behind its busy threads)."""

    def __init__(self) -> None:
        self.now: set = set()
        self.most = 0

    def transition(self, key, start, finish, *args, **kwargs) -> None:
        if finish == "processing":
            self.now.add(key)
        else:
            self.now.discard(key)
        self.most = max(self.most, len(self.now))


def test_no_more_workspaces_go_to_the_workers_than_they_have_threads(fleet, tokens, tmp_path):
    # One worker of two threads and three workspaces: Dask would hand it all three at once, the third waiting
    # behind the other two whatever threads free up elsewhere.
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    try:
        assigned = _Assigned()
        cluster.scheduler.add_plugin(assigned, name="assigned")
        result = ik.fleet.export_sync(
            "contacts", rows(), out=tmp_path / "fleet", client=client, base_url=fleet.url, progress=False
        )
    finally:
        client.close()
        cluster.close()
    assert result.ok, str(result)
    assert assigned.most == 2
    for k, sb in enumerate(fleet, start=1):
        ids = part_ids(tmp_path / "fleet" / "contacts" / f"workspace=ws{k}" / "part-0.parquet")
        assert len(ids) == len(set(ids)) and set(ids) == exported_ids(sb)
