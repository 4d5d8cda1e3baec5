"""``intercomkit fleet export`` through the real console entry point, against ``sandbox serve --workspaces 3``:
a local cluster of 2 worker processes, failures isolated (exit 7), kill -9 then rerun is exact."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
from fleet_helpers import TOKEN, committed_windows, exported_ids, part_ids

from intercomkit.sandbox import RateLimitConfig, Sandbox

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")]

CONTACTS = 900
SERVE = [
    "--workspaces",
    "3",
    "--contacts",
    str(CONTACTS),
    "--companies",
    "5",
    "--token",
    TOKEN,
    "--seed",
    "5",
]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "intercomkit.cli", *args]


@pytest.fixture(scope="module")
def served():
    """The three workspaces, served by the CLI on a free port, 30 requests a second each (so a run takes a few
    seconds and can be killed mid-way); the same workspaces in-process, to know each one's ids."""
    proc = subprocess.Popen(
        _cli("sandbox", "serve", "--port", "0", *SERVE, "--rate-limit", "30", "--window", "1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stderr.readline()
        found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
        assert found, line
        # uvicorn logs every request on stderr: keep reading it, or a full pipe would stall the server.
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        assert "3 workspaces" in line and f"'{TOKEN}-1' … '{TOKEN}-3'" in line
        mirror = Sandbox.fleet(
            3, contacts=CONTACTS, companies=5, token=TOKEN, seed=5, rate_limit=RateLimitConfig(30, 1.0)
        )
        yield found.group(1), mirror
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _list(tmp_path) -> str:
    path = tmp_path / "workspaces.csv"
    path.write_text("name,token_env\n" + "".join(f"ws{k},FLEET_TOKEN_{k}\n" for k in (1, 2, 3)))
    return str(path)


def _env(**tokens: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEET_TOKEN_")}
    return {**env, **tokens}


def _good() -> dict[str, str]:
    return {f"FLEET_TOKEN_{k}": f"{TOKEN}-{k}" for k in (1, 2, 3)}


def _export(url: str, tmp_path, env: dict[str, str]) -> subprocess.CompletedProcess:
    args = ["fleet", "export", "contacts", "--workspaces", _list(tmp_path), "--out", str(tmp_path / "out")]
    args += ["--base-url", url, "--workers", "2", "--no-progress"]
    return subprocess.run(_cli(*args), env=env, capture_output=True, text=True, timeout=240)


def _assert_exact(tmp_path, mirror: Sandbox, names=(1, 2, 3)) -> None:
    for k in names:
        ids = part_ids(tmp_path / f"out/contacts/workspace=ws{k}/part-0.parquet")
        assert len(ids) == len(set(ids)) and set(ids) == exported_ids(mirror[k]), f"ws{k}"


@pytest.mark.slow
def test_a_revoked_token_exits_7_naming_it_and_the_others_are_written(served, tmp_path):
    # (The rerun that then finishes it is tested through the API: test_fleet_export.py.)
    url, mirror = served
    done = _export(url, tmp_path, _env(**{**_good(), "FLEET_TOKEN_2": "revoked-token-value"}))
    assert done.returncode == 7, done.stderr
    assert "fleet: 2 of 3 workspaces exported" in done.stdout
    assert "ws2: failed (auth): Unauthorized" in done.stdout
    assert "rerun the same command" in done.stderr
    assert "INFO" not in done.stderr  # Dask's own chatter stays out of the user's terminal
    for text in (done.stdout, done.stderr, (tmp_path / "out/_fleet.json").read_text()):
        assert "revoked-token-value" not in text and TOKEN not in text
    manifest = json.loads((tmp_path / "out/_fleet.json").read_text())["exports"]["contacts"]["workspaces"]
    assert manifest["ws2"]["status"] == "failed" and manifest["ws2"]["error"]["reason"] == "auth"
    _assert_exact(tmp_path, mirror, names=(1, 3))
    assert not (tmp_path / "out/contacts/workspace=ws2").exists()


@pytest.mark.slow
def test_the_fleet_command_killed_with_sigkill_mid_run_then_rerun_is_exact(served, tmp_path):
    url, mirror = served
    args = ["fleet", "export", "contacts", "--workspaces", _list(tmp_path), "--out", str(tmp_path / "out")]
    args += ["--base-url", url, "--workers", "2", "--no-progress"]
    # Its own session: the worker processes it starts can be found (and ended) as its process group.
    proc = subprocess.Popen(
        _cli(*args), env=_env(**_good()), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while (
            proc.poll() is None
            and sum(committed_windows(tmp_path / "out").values()) < 2
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed: make the sandbox slower"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # workers orphaned by the kill, if any are left
        except ProcessLookupError:
            pass
    manifest = json.loads((tmp_path / "out/_fleet.json").read_text())["exports"]["contacts"]["workspaces"]
    assert any(record["status"] == "pending" for record in manifest.values())

    again = _export(url, tmp_path, _env(**_good()))
    assert again.returncode == 0, again.stderr + again.stdout
    records = json.loads((tmp_path / "out/_fleet.json").read_text())["exports"]["contacts"]["workspaces"]
    assert (
        sum(r.get("resumed_rows") or 0 for r in records.values()) > 0
    )  # checkpoints were resumed, not redone
    _assert_exact(tmp_path, mirror)


def test_a_bad_workspace_list_exits_2_naming_the_row(tmp_path):
    path = tmp_path / "workspaces.csv"
    path.write_text("name,token\nacme,dG9rOnNlY3JldA==\n")
    done = subprocess.run(
        _cli("fleet", "export", "contacts", "--workspaces", str(path), "--out", str(tmp_path / "out")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "row 1" in done.stderr and "never put a token in the list" in done.stderr
    assert "dG9rOnNlY3JldA==" not in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_every_export_kind_is_offered_and_since_last_on_companies_exits_2(tmp_path):
    listed = subprocess.run(_cli("fleet", "export", "--help"), capture_output=True, text=True, timeout=120)
    assert "{contacts,companies,conversations,tickets,conversation_parts}" in listed.stdout
    assert "--allow-gaps" in listed.stdout
    done = subprocess.run(
        _cli(
            "fleet",
            "export",
            "companies",
            "--since-last",
            "--workspaces",
            _list(tmp_path),
            "--out",
            str(tmp_path / "out"),
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "companies have no incremental export" in done.stderr
    assert "Traceback" not in done.stderr
