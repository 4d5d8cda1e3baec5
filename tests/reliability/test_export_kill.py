"""Guarantee 2: a CLI export killed with SIGKILL at any moment, then rerun, ends with every contact exactly once.

20 seeded runs. Each picks a kill point: a number of committed windows in the checkpoint plus a random extra
delay (which lands mid-window, mid-merge or mid-rename), or a plain delay from start (possibly before the export
began or after it finished). Some runs are killed twice before the final run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from intercomkit.sandbox import Sandbox

from ._helpers import file_ids

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL"),
]

SEEDS = range(20)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "intercomkit.cli", *args]


def _committed(manifest) -> int:
    try:
        return len(json.loads(manifest.read_text())["windows"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def _kill_at(args: list[str], manifest, rng: random.Random) -> str:
    """Start the export, SIGKILL it at a seeded point; say where it died."""
    proc = subprocess.Popen(_cli(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if rng.random() < 0.3:
            delay = rng.uniform(0.2, 2.5)
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.005)
            where = f"{delay:.2f}s after start"
        else:
            target, extra = rng.randint(0, 5), rng.uniform(0.0, 0.15)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None and _committed(manifest) < target:
                time.sleep(0.005)
            time.sleep(extra)
            where = f"{target} windows + {extra:.2f}s"
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        else:
            where += " (had already exited)"
        return where
    finally:
        proc.wait(timeout=60)


def _one_run(seed: int, tmp_path) -> None:
    rng = random.Random(f"export-kill:{seed}")
    contacts = rng.randint(2500, 4500)
    suffix = rng.choice([".csv", ".csv.gz", ".parquet"])
    out = tmp_path / f"s{seed}" / f"contacts{suffix}"
    out.parent.mkdir()
    args = [
        "export", "contacts", "--sandbox", "--sandbox-contacts", str(contacts), "--sandbox-seed", str(seed),
        "--out", str(out), "--no-progress",
    ]  # fmt: skip
    killed = [
        args + ["--concurrency", rng.choice(["auto", "1", "2", "4"]), "--sandbox-latency-ms", str(rng.randint(4, 15))]
        for _ in range(2 if rng.random() < 0.3 else 1)
    ]  # fmt: skip
    manifest = out.parent / f"{out.name}.partial" / "manifest.json"
    where = [_kill_at(a, manifest, rng) for a in killed]
    done = subprocess.run(_cli(*args), capture_output=True, text=True, timeout=120)
    context = f"seed {seed}, killed at {where}"
    assert done.returncode == 0, f"{context}: {done.stderr}"
    assert f"wrote {contacts} rows to {out}" in done.stdout, context
    ids = file_ids(out)
    assert len(ids) == len(set(ids)), f"{context}: duplicates"
    assert set(ids) == set(Sandbox(contacts=contacts, seed=seed).contact_ids()), f"{context}: lost rows"
    assert not manifest.parent.exists(), context


def test_sigkill_at_random_points_then_resume_is_exactly_once(tmp_path):
    # Two runs at a time: each is mostly one subprocess waiting on another, and the machine has two cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(_one_run, seed, tmp_path) for seed in SEEDS]:
            future.result()
