"""Row 8: a fleet of rate-limited workspaces on a Dask LocalCluster, 1, 2 and 4 workspaces in flight, against the
sum of their rate-limit ceilings and against the single-workspace command run for each workspace in turn.

Every workspace allows ``rate`` requests a second and answers after ``latency_ms``: one workspace alone is bound by
its rate limit (its ceiling: ``rate`` requests/s), so workspaces in flight add up until the CPU binds. The export
spends some requests on windows, counts and recounts, so its rows per request depend on the workspace's spread of
``created_at``; requests/s against the ceilings is the figure that shows how close it runs to the limit.
The cluster is started and its workers have imported the export before the clock starts (a fixed cost, shown
apart). The CPU of every process of the rig is read with psutil (user + system, all threads) around each run: the
sandbox server, the Dask workers and this process (the fleet's driver, the scheduler, the nannies). Rows per
CPU-second is what one busy core sustains, so ``2 × that`` is where the 2 cores bind: of the fleet's own processes
(a machine that only runs the fleet; Intercom serves the API) and of the whole rig (the sandbox shares the cores).
Levels are interleaved when repeated, and each run prints the host's load average: on a shared host every figure
moves with the other work on it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from ._server import ROOT, TOKEN, served

PER_PAGE = 150
IN_FLIGHT = (1, 2, 4)


def _warm() -> None:
    """One tiny export in each worker process: every lazy import (pyarrow, pandas, httpx's pool) is paid here,
    before the clock starts, as a long-running cluster would have paid it long ago."""
    import tempfile

    import anyio

    from intercomkit.sandbox import Sandbox

    async def export(path: str) -> None:
        async with Sandbox(contacts=20).client() as client:
            await client.export.contacts(path, progress=False)

    # client.run calls this on the worker's event-loop thread; a task gets a thread of its own, so does this.
    with tempfile.TemporaryDirectory() as tmp:
        thread = threading.Thread(target=anyio.run, args=(export, os.path.join(tmp, "warm.parquet")))
        thread.start()
        thread.join()


def _cpu_by_role() -> dict[str, float]:
    """CPU seconds (user + system) so far of every process of the rig: the sandbox server(s), the Dask workers
    (this process's children), and this process (the fleet's driver, the scheduler and the nannies)."""
    import psutil

    def used(process: Any) -> float:
        times = process.cpu_times()
        return times.user + times.system

    me = psutil.Process()
    roles = {"server": 0.0, "workers": 0.0, "driver": used(me)}
    for child in me.children(recursive=True):
        try:
            role = "server" if "benchmarks._server" in " ".join(child.cmdline()) else "workers"
            roles[role] += used(child)
        except psutil.Error:  # a process gone between the listing and the look
            continue
    return roles


def _fleet_run(url: str, workspaces: int, in_flight: int, out: str) -> dict[str, Any]:
    import distributed

    import intercomkit as ik

    os.environ.update({f"BENCH_TOKEN_{k}": f"{TOKEN}-{k}" for k in range(1, workspaces + 1)})
    workers = (
        2 if in_flight % 2 == 0 else 1
    )  # the in-flight workspaces on 2 processes where they split evenly
    load = os.getloadavg()[0]
    started = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=workers, threads_per_worker=in_flight // workers, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    try:
        client.run(_warm)
        setup = time.perf_counter() - started
        before = _cpu_by_role()
        rows = [{"name": f"ws{k}", "token_env": f"BENCH_TOKEN_{k}"} for k in range(1, workspaces + 1)]
        started = time.perf_counter()
        with distributed.get_task_stream(client) as stream:
            result = ik.fleet.export_sync(
                "contacts", rows, out=out, client=client, base_url=url, progress=False
            )
        wall = time.perf_counter() - started
        after = _cpu_by_role()
    finally:
        client.close()
        cluster.close()
    assert result.ok, str(result)
    requests = sum(r.get("requests") or 0 for r in result.workspaces.values())
    cpu = {role: after[role] - before[role] for role in after}
    busy, per_worker = _threads_busy(stream.data)
    return {
        "in_flight": in_flight,
        "layout": f"{workers}×{in_flight // workers}",
        "rows": result.rows,
        "requests": requests,
        "wall": wall,
        "cpu": cpu,
        "setup": setup,
        "load": (load, os.getloadavg()[0]),
        # Dask's own record of each task's run: how busy the threads were, and how many workspaces each worker ran.
        "threads_busy": busy / (in_flight * wall),
        "per_worker": sorted(per_worker.values(), reverse=True),
    }


def _threads_busy(tasks: list[dict[str, Any]]) -> tuple[float, dict[str, int]]:
    """Seconds the workspace tasks ran (Dask's task stream), and workspaces per worker. Below 1.0 × threads × wall,
    a thread idled while workspaces were left: a slow host makes the tasks longer, not the threads idle, so this
    shows placement whatever the host's load."""
    busy, per_worker = 0.0, {}
    for task in tasks:
        for span in task.get("startstops", ()):
            if span.get("action") == "compute":
                busy += span["stop"] - span["start"]
        per_worker[task["worker"]] = per_worker.get(task["worker"], 0) + 1
    return busy, per_worker


def _one_after_another(url: str, workspaces: int, tmp: str) -> tuple[float, int]:
    """The single-workspace command (``intercomkit export contacts``) for each workspace, one after another."""
    started, rows = time.perf_counter(), 0
    for k in range(1, workspaces + 1):
        out = os.path.join(tmp, f"one-{k}.parquet")
        env = {**os.environ, "BENCH_TOKEN": f"{TOKEN}-{k}"}
        cmd = [sys.executable, "-m", "intercomkit.cli", "export", "contacts", "--base-url", url]
        cmd += ["--token-env", "BENCH_TOKEN", "--out", out, "--no-progress"]
        subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, timeout=600)
        import pyarrow.parquet as pq

        rows += pq.read_metadata(out).num_rows
    return time.perf_counter() - started, rows


def row_fleet(
    workspaces: int,
    contacts: int,
    rate: int,
    latency_ms: float,
    row_cls: Any,
    in_flight: tuple[int, ...] = IN_FLIGHT,
    repeats: int = 1,
) -> Any:
    row = row_cls(
        f"8. fleet: {workspaces} workspaces × {contacts:,} contacts, each {rate} req/s, {latency_ms:.0f} ms: "
        f"rows/s with {', '.join(map(str, in_flight))} in flight (÷ linear from 1; requests/s ÷ sum of the "
        "ceilings in flight; CPU of every process of the rig)",
        target="≥ 0.9 × linear until the 2 cores bind",
    )
    runs: list[dict[str, Any]] = []
    serve = {
        "latency_ms": latency_ms,
        "rate_limit": rate,
        "window": 1.0,
        "warm": True,
        "workspaces": workspaces,
    }
    with tempfile.TemporaryDirectory() as tmp:
        with served(contacts, **serve) as url:
            # Levels interleaved (1, 2, 4, 1, 2, 4, …): a change in the host's other load falls on every level.
            for r in range(repeats):
                for n in in_flight:
                    run = _fleet_run(url, workspaces, n, os.path.join(tmp, f"fleet-{r}-{n}"))
                    assert run["rows"] == workspaces * contacts, run["rows"]
                    run["repeat"] = r
                    runs.append(run)
                    print(f"  row 8: {_describe(run, runs, rate)}", file=sys.stderr, flush=True)
        with served(contacts, **serve) as url:
            serial_wall, serial_rows = _one_after_another(url, workspaces, tmp)
    assert serial_rows == workspaces * contacts
    serial = serial_rows / serial_wall
    by_level = {n: [run for run in runs if run["in_flight"] == n] for n in in_flight}
    row.cells["intercomkit"] = "; ".join(
        f"{n} in flight: " + " / ".join(_describe(run, runs, rate, short=True) for run in level)
        for n, level in by_level.items()
    )
    row.cells["httpx loop"] = f"one after another (the export command each): {serial:,.0f} rows/s"
    # Where the cores bind: rows per CPU-second of the busiest level, the fleet's own processes (what a machine
    # running only the fleet spends; the API is Intercom's) and the whole rig (this rig also runs the sandbox).
    top = by_level[in_flight[-1]]
    rows_all = sum(run["rows"] for run in top)
    own = rows_all / max(sum(run["cpu"]["workers"] + run["cpu"]["driver"] for run in top), 1e-9)
    rig = rows_all / max(sum(sum(run["cpu"].values()) for run in top), 1e-9)
    requests = sum(run["requests"] for run in runs)
    # One workspace at its ceiling: rate requests/s of this many rows each (windows, counts and recounts included).
    ceiling = rate * sum(run["rows"] for run in runs) / max(requests, 1)
    best = max(runs, key=lambda run: run["rows"] / run["wall"])
    row.result = (
        f"{best['in_flight']} in flight: {best['rows'] / best['wall'] / serial:.1f}× one after another; "
        f"{own:,.0f} rows per CPU-second of the fleet's processes → 2 cores bind near {2 * own:,.0f} rows/s "
        f"(≈ {2 * own / ceiling:.1f} workspaces at their ceiling of {ceiling:,.0f} rows/s); with the sandbox "
        f"server on the same cores, {rig:,.0f} rows per CPU-second → this rig binds near {2 * rig:,.0f} rows/s "
        f"(≈ {2 * rig / ceiling:.1f} in flight)"
    )
    server_ms = 1000 * sum(run["cpu"]["server"] for run in runs) / max(requests, 1)
    row.result += f"; the one sandbox server: {server_ms:.1f} ms CPU a request"
    setups = [run["setup"] for run in runs]
    row.notes.append(
        f"row 8: each figure is one run (levels interleaved, {repeats} run(s) each), with the host's load average "
        "at its start; cores = CPU seconds of the run ÷ its wall time (srv the sandbox server, wrk the Dask "
        "workers, drv the fleet's driver with the scheduler); cluster start and worker imports "
        f"({min(setups):.0f}–{max(setups):.0f} s) are outside the clock; the one-after-another column includes "
        "each command's start (as a user pays it)"
    )
    row.figures["fleet_runs"] = [dict(run) for run in runs]
    row.figures["fleet_one_after_another_rows_s"] = serial
    return row


def _describe(run: dict[str, Any], runs: list[dict[str, Any]], rate: int, *, short: bool = False) -> str:
    """One run's figures; × linear against the 1-in-flight run of the same repeat (the levels are interleaved)."""
    n, wall = run["in_flight"], run["wall"]
    rows_s, requests_s = run["rows"] / wall, run["requests"] / wall
    base = next((r for r in runs if r["repeat"] == run["repeat"] and r["in_flight"] == 1), None)
    linear = f"{rows_s / (n * base['rows'] / base['wall']):.2f}× linear" if base else "no 1-in-flight run"
    cpu = run["cpu"]
    total = sum(cpu.values())
    text = (
        f"{rows_s:,.0f} rows/s = {linear}, {requests_s / (n * rate):.2f}× ceilings; "
        f"{total / wall:.2f} cores (srv {cpu['server'] / wall:.2f}, wrk {cpu['workers'] / wall:.2f}, "
        f"drv {cpu['driver'] / wall:.2f}), {run['rows'] / max(total, 1e-9):,.0f} rows/CPU-s; "
        f"threads busy {run['threads_busy']:.2f} (workspaces per worker {'/'.join(map(str, run['per_worker']))}); "
        f"load {run['load'][0]:.1f}"
    )
    return text if short else f"{n} in flight ({run['layout']} threads): {text}"


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
