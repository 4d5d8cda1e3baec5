"""`intercomkit export contacts --since-last` against a served sandbox whose search lags behind changes.

The sandbox is served on a port (in a thread here, with a clock the test moves, so nothing waits for real time;
`sandbox serve --search-lag` in a subprocess below) and the CLI runs as its own process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest

from intercomkit._frames import read_contacts_csv
from intercomkit.sandbox import Sandbox, serve_in_thread

pytest.importorskip("uvicorn")

LAG = 600.0  # far longer than a CLI run takes: only the skew makes it pass


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "intercomkit.cli", *args], capture_output=True, text=True, timeout=120
    )


class SkewedClock:
    """Real time plus a skew the test can move forward: the sandbox's lag passes without waiting."""

    def __init__(self) -> None:
        self.skew = 0.0

    def __call__(self) -> float:
        return time.time() + self.skew


@pytest.fixture
def lagging():
    clock = SkewedClock()
    sb = Sandbox(contacts=300, seed=9, clock=clock, search_lag=LAG)
    url, stop = serve_in_thread(sb)
    try:
        yield sb, clock, url
    finally:
        stop()


def test_cli_since_last_picks_up_an_update_made_inside_the_search_lag(tmp_path, lagging):
    sb, clock, url = lagging
    out = tmp_path / "c.csv"
    export = [
        "export",
        "contacts",
        "--base-url",
        url,
        "--token",
        sb.token,
        "--out",
        str(out),
        "--no-progress",
    ]
    full = _cli(*export)
    assert full.returncode == 0, full.stderr
    assert "may be in their previous version" in full.stdout and "1h" in full.stdout
    cid = sb.contact_ids()[11]
    headers = {"Authorization": f"Bearer {sb.token}", "Intercom-Version": "2.16"}
    assert httpx.put(
        f"{url}/contacts/{cid}", json={"name": "Changed Seconds Ago"}, headers=headers
    ).is_success
    first = _cli(*export, "--since-last")
    assert first.returncode == 0, first.stderr
    assert read_contacts_csv(out).set_index("id").loc[cid, "name"] != "Changed Seconds Ago"  # search lags
    clock.skew += LAG + 1
    second = _cli(*export, "--since-last", "--overlap", "30m")
    assert second.returncode == 0, second.stderr
    frame = read_contacts_csv(out)
    assert frame["id"].is_unique and len(frame) == 300
    assert frame.set_index("id").loc[cid, "name"] == "Changed Seconds Ago"
    state = json.loads((tmp_path / "c.csv.export.json").read_text())
    assert state["overlap"] == 1800
    reconciled = _cli(*export, "--since-last", "--reconcile")
    assert reconciled.returncode == 0 and "reconciled: 0 removed, 0 refreshed" in reconciled.stdout
    bad = _cli(*export, "--since-last", "--overlap", "soon")
    assert bad.returncode == 2 and "overlap" in bad.stderr


def test_served_sandbox_search_lag_flag(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "intercomkit.cli", "sandbox", "serve", "--port", str(port), "--contacts", "20",
         "--search-lag", "600"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": "Bearer sandbox", "Intercom-Version": "2.16"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/me", headers=headers, timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stderr.read().decode()) from None
                time.sleep(0.1)
        created = httpx.post(url + "/contacts", json={"email": "new@example.com"}, headers=headers).json()
        query = {"query": {"field": "email", "operator": "=", "value": "new@example.com"}}
        assert httpx.post(url + "/contacts/search", json=query, headers=headers).json()["total_count"] == 0
        assert httpx.get(f"{url}/contacts/{created['id']}", headers=headers).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
