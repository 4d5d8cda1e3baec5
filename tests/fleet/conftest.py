"""A served multi-workspace sandbox and a small in-process Dask cluster for the fleet tests."""

from __future__ import annotations

import pytest
from fleet_helpers import SIZES, TOKEN, distributed

from intercomkit.sandbox import Sandbox, serve_in_thread


@pytest.fixture(scope="module")
def fleet():
    """Three workspaces on one port; workspace k accepts ``TOKEN-k``."""
    sandboxes = Sandbox.fleet(len(SIZES), contacts=SIZES, companies=10, token=TOKEN)
    url, stop = serve_in_thread(sandboxes)
    sandboxes.url = url
    yield sandboxes
    stop()


@pytest.fixture
def tokens(monkeypatch, fleet):
    """``FLEET_TOKEN_k`` set for every workspace (in this process: the in-process workers read it)."""
    for k in range(1, len(fleet) + 1):
        monkeypatch.setenv(f"FLEET_TOKEN_{k}", f"{TOKEN}-{k}")
    return {f"FLEET_TOKEN_{k}": f"{TOKEN}-{k}" for k in range(1, len(fleet) + 1)}


@pytest.fixture(scope="module")
def dask_client():
    """Two workers of two threads each, in this process: enough for the fleet's scheduling, fast to start."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=2, processes=False, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()
