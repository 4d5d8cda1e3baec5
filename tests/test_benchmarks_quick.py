"""``python -m benchmarks --quick`` runs end to end (CI proves the benchmark scripts work; no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(480)
def test_quick_benchmark_runs_and_checks_correctness(tmp_path: Path) -> None:
    report = tmp_path / "rows.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=470,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    table = done.stdout
    for row in (
        "1. export",
        "2. export",
        "3. peak RSS",
        "4. ",
        "5. GET",
        "6. search",
        "7. `ik.support",
        "8. fleet",
        "9. ",
        "10. ",
        "cpu. export",
    ):
        assert row in table, table
    # correctness is asserted inside the run (every id exactly once); row 6 shows who returned what
    assert "| 1,000 (1,000 rows) |" in table
    # row cpu: the figure is there for both formats (its value is a timing: never asserted)
    (cpu,) = [row for row in json.loads(report.read_text()) if row["name"].startswith("cpu.")]
    assert set(cpu["cpu_s_per_100k"]) == {"csv", "parquet"} and cpu["reference_cpu_s"] > 0
    assert all(run["reference"] > 0 for runs in cpu["cpu_runs"].values() for run in runs)
    # row 4: both contenders timed as run and with gc.collect() before each call, full GC passes counted
    (frames,) = [row for row in json.loads(report.read_text()) if row["name"].startswith("4. ")]
    for mode in ("as_run", "clean"):
        assert set(frames["frames"][mode]) == {"contacts_frame", "json_normalize"}, frames
        assert all(set(c) == {"cpu_s", "wall_s", "full_gc"} for c in frames["frames"][mode].values()), frames
    # rows 9 and 10: every contender fetched every part Intercom returns; the >500-part conversation is named
    for key in ("9. ", "10. "):
        (row,) = [row for row in json.loads(report.read_text()) if row["name"].startswith(key)]
        assert row["completeness"] and set(row["completeness"].values()) == {1.0}, row
        assert row["parts_truncated"] == ["1000017"], row
