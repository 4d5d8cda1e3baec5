"""A Dask worker process killed mid-task: Dask runs the task again, it resumes from the workspace's checkpoint, and
the dataset holds every contact exactly once. The one fleet test with worker processes (the others use threads)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest
from fleet_helpers import TOKEN, committed_windows, distributed, exported_ids, part_ids, rows

import intercomkit as ik
from intercomkit.sandbox import RateLimitConfig, Sandbox, serve_in_thread

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")]


def test_a_worker_killed_mid_task_leaves_every_contact_exactly_once(tmp_path, monkeypatch):
    # Slow enough that a workspace's windows commit over a second or more: with 900 contacts and no latency its
    # windows committed within 0.1 s of each other, and a kill that landed after the last one left nothing to resume.
    sandboxes = Sandbox.fleet(
        2, contacts=3000, companies=5, token=TOKEN, rate_limit=RateLimitConfig(10, 1.0), latency=0.05
    )
    url, stop = serve_in_thread(sandboxes)
    for k in (1, 2):
        monkeypatch.setenv(f"FLEET_TOKEN_{k}", f"{TOKEN}-{k}")  # before the workers start: they inherit it
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    out, outcome = tmp_path / "out", {}

    def run() -> None:
        outcome["result"] = ik.fleet.export_sync(
            "contacts", rows(2), out=out, client=client, base_url=url, progress=False
        )

    runner = threading.Thread(target=run)
    try:
        runner.start()
        deadline, victim = time.monotonic() + 120, None
        while victim is None and time.monotonic() < deadline and runner.is_alive():
            # Kill the worker running a workspace that has committed a window, so its rerun must resume rows
            # (killing the other workspace's worker before its first commit would prove nothing about resume).
            committed = {ws for ws, windows in committed_windows(out).items() if windows}
            for addr, keys in client.processing().items():
                names = {key[0] if isinstance(key, tuple) else str(key) for key in keys}
                if any(name.endswith(f"workspace={ws}") for name in names for ws in committed):
                    victim = addr
            time.sleep(0.02)
        assert victim is not None, "no task was caught mid-run: make the sandbox slower"
        pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)
        runner.join(timeout=180)
        assert not runner.is_alive()
    finally:
        client.close()
        cluster.close()
        stop()
    result = outcome["result"]
    assert result.ok, str(result)
    for k in (1, 2):
        ids = part_ids(out / f"contacts/workspace=ws{k}/part-0.parquet")
        assert len(ids) == len(set(ids)) and set(ids) == exported_ids(sandboxes[k]), f"ws{k}"
    assert sum(r.get("resumed_rows") or 0 for r in result.workspaces.values()) > 0
