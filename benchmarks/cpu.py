"""Row ``cpu``: the exporting process's own CPU seconds per 100 000 contacts, to CSV and to Parquet.

Intercom's ceiling for a private app (10 000 requests a minute, 150 contacts a page) is 100 000 contacts every
4 s: an export that needs more CPU than that per 100 000 contacts cannot keep up with it on one core, and on a
fleet CPU per contact is the whole cost. Each export runs in a child process (``--cpu-child``) that reads its own
``os.times()`` (user + sys, every thread) around the export call, after its imports, and prints the figures; the
parent checks every id is in the file exactly once. One warmed served sandbox serves every run, and the formats
take turns (CSV, Parquet, CSV, ...), so a busy minute on the host falls on both.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from ._server import ROOT, TOKEN, served

FORMATS = ("csv", "parquet")


def cpu_child(fmt: str, url: str, out: str, n: int) -> None:
    """Inside the measured process: export to ``out``, print {"user", "sys", "wall", ...} as JSON.

    The imports come first and are reported apart (``imports``): they are the same for 10 or 10 million contacts.
    pyarrow imports pandas lazily, on the first ``pa.array`` or ``pa.scalar`` call whatever its input (~0.5 s of
    CPU here, once per process, which the export's first part schema used to pay inside the timed call), so one
    such call is made here."""
    start = os.times()
    import anyio
    import pyarrow as pa
    import pyarrow.csv
    import pyarrow.json
    import pyarrow.parquet  # noqa: F401

    pa.array([], pa.string())  # pyarrow's lazy pandas import, an import like the others

    import intercomkit.export._runner  # noqa: F401  (imported by the first export otherwise)
    from intercomkit import AsyncClient

    async def export() -> Any:
        async with AsyncClient(token=TOKEN, base_url=url) as client:
            return await client.export.contacts(out, progress=False)

    before, started = os.times(), time.perf_counter()
    result = anyio.run(export)
    wall, after = time.perf_counter() - started, os.times()
    figures = {
        "user": after.user - before.user,
        "sys": after.system - before.system,
        "wall": wall,
        "imports": before.user + before.system - start.user - start.system,
        "rows": result.rows,
        "requests": result.requests,
        # The host's state right after this run, in this process: a run compares only with one at the same reference.
        "reference": reference_cpu(3),
    }
    print(json.dumps(figures))


def _file_ids(path: str) -> list[str]:
    import pyarrow as pa

    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        return pq.read_table(path, columns=["id"]).column("id").cast(pa.string()).to_pylist()
    import pyarrow.csv as pacsv

    options = pacsv.ConvertOptions(include_columns=["id"], column_types={"id": pa.string()})
    return pacsv.read_csv(path, convert_options=options).column("id").to_pylist()


def run_once(fmt: str, url: str, out: str, n: int) -> dict[str, Any]:
    """One export in a fresh process; its figures, after checking the file holds every id exactly once."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--cpu-child", fmt, url, out, str(n)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"CPU child ({fmt}) failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    ids = _file_ids(out)
    assert figures["rows"] == n and len(ids) == n and len(set(ids)) == n, (
        f"cpu {fmt}: {figures['rows']} rows, {len(ids)} in the file, {len(set(ids))} distinct, expected {n}"
    )
    os.unlink(out)
    return figures


def measure(
    n: int, latency_ms: float, runs: int, tmp: str, gzip: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """``runs`` exports per format from one warm server, formats taking turns."""
    got: dict[str, list[dict[str, Any]]] = {fmt: [] for fmt in FORMATS}
    with served(n, latency_ms=latency_ms, warm=True, gzip=gzip) as url:
        for _ in range(runs):
            for fmt in FORMATS:
                got[fmt].append(run_once(fmt, url, os.path.join(tmp, f"cpu.{fmt}"), n))
    return got


def per_100k(figures: dict[str, Any], n: int) -> float:
    return (figures["user"] + figures["sys"]) * 100_000 / n


def reference_cpu(repeats: int = 5) -> float:
    """CPU seconds of a fixed pure-Python workload (best of ``repeats``), printed beside the row: this 2-vCPU guest
    has run the same export at 5.3 s and at 10.6 s of CPU an hour apart, load below 1 both times, and its reference
    has moved from 0.17 to 0.31 s within a minute, so a figure is only comparable to another taken at the same
    reference."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        total = 0
        for i in range(3_000_000):
            total += i * i
        best = min(best, time.process_time() - start)
    return best


def row_cpu(n: int, latency_ms: float, runs: int, tmp: str, row_cls: Any, gzip: bool = False) -> Any:
    reference = reference_cpu()
    got = measure(n, latency_ms, runs, tmp, gzip)
    row = row_cls(
        f"cpu. export {n:,} contacts, {latency_ms:.0f} ms latency{', gzip' if gzip else ''}: the exporting "
        f"process's CPU (user + sys) per 100,000 contacts, median of {runs} (wall)",
        target="≤ 4.0 s CPU per 100,000 contacts, CSV and Parquet",
    )
    medians: dict[str, float] = {}
    cells = []
    for fmt, runs_ in got.items():
        cpu = [per_100k(f, n) for f in runs_]
        medians[fmt] = statistics.median(cpu)
        user = statistics.median(f["user"] * 100_000 / n for f in runs_)
        system = statistics.median(f["sys"] * 100_000 / n for f in runs_)
        wall = statistics.median(f["wall"] for f in runs_)
        spread = "; runs " + " / ".join(
            f"{c:.2f} (ref {f['reference']:.3f})" for c, f in zip(cpu, runs_, strict=True)
        )
        cells.append(
            f"{fmt}: **{medians[fmt]:.2f} s** ({user:.2f} user + {system:.2f} sys{spread}), wall {wall:.1f} s"
        )
    row.cells["intercomkit"] = "; ".join(cells)
    row.result = ", ".join(f"{fmt} {medians[fmt]:.2f} s" for fmt in FORMATS)
    row.figures["cpu_s_per_100k"] = {fmt: round(medians[fmt], 3) for fmt in FORMATS}
    row.figures["cpu_runs"] = {
        fmt: [{k: round(v, 3) if isinstance(v, float) else v for k, v in f.items()} for f in runs_]
        for fmt, runs_ in got.items()
    }
    row.figures["reference_cpu_s"] = round(reference, 3)
    after = [f["reference"] for runs_ in got.values() for f in runs_]
    row.notes.append(
        f"row cpu: the host's reference loop (3,000,000 Python multiply-adds) took {reference:.3f} CPU s before the "
        f"runs (best of 5) and {min(after):.3f}–{max(after):.3f} s right after each (best of 3, in the exporting "
        "process; `ref` beside each run): compare figures taken at the same reference"
    )
    row.notes.append(
        "row cpu: CPU is read by the exporting process itself (os.times(): user + sys of every thread) around the "
        "export call, after its imports; the sandbox runs in another process"
    )
    return row
