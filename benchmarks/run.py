"""intercomkit vs the official python-intercom SDK vs a hand-written httpx loop, side by side in one run.

    python -m benchmarks [--quick] [--contacts-latency N] [--contacts-rate N] [--contacts-rss N] ...

Every row measures all contenders in the same run against the same sandbox. The sandbox is served by uvicorn in a
separate process (``benchmarks/_server.py``), so its CPU does not compete with the client's; contenders reach it
over loopback HTTP. ``--quick`` uses small sizes (well under a minute) and asserts only correctness -- every id
exactly once, the right row counts -- never timings.

Rows: 1 latency-bound export, 2 rate-bound export, 3 peak RSS exporting to CSV, 4 pages -> DataFrame,
5 per-request client overhead (in-process transport), 6 search correctness with per_page 50, 7 support metrics
on the wall clock (``benchmarks/support.py``, also runnable alone), 8 a fleet of rate-limited workspaces on Dask
(``benchmarks/fleet.py``; needs the fleet extra), 9 and 10 every conversation with its parts, rate-bound and
latency-bound, with their completeness (``benchmarks/parts.py``), cpu the exporting process's CPU seconds per
100 000 contacts to CSV and Parquet (``benchmarks/cpu.py``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx

from ._server import ROOT, TOKEN, served

ROWS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "cpu")
EVERYTHING = {"field": "created_at", "operator": ">", "value": 0}
PER_PAGE = 150


def _sdk_available() -> bool:
    try:
        import intercom  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class Row:
    name: str
    cells: dict[str, str] = field(default_factory=dict)  # contender -> text
    result: str = ""  # ratios / verdict
    target: str = ""
    notes: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)  # machine-readable, at the top of the row's JSON


# -- contenders: fetch every contact ----------------------------------------------------------------------------


async def ik_export(url: str, out: str, **kw: Any) -> dict[str, Any]:
    from intercomkit import AsyncClient

    async with AsyncClient(token=TOKEN, base_url=url) as client:
        r = await client.export.contacts(out, progress=False, **kw)
    # ids are read back from the file after the clock stops (see _check_exactly_once)
    return {"rows": r.rows, "path": out, "requests": r.requests, "rate_limited": r.rate_limited}


def _csv_ids(path: str) -> set[str] | int:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(
        path, convert_options=pacsv.ConvertOptions(include_columns=["id"], column_types={"id": pa.string()})
    )
    ids = table.column("id").to_pylist()
    return len(set(ids)) if len(ids) > 50_000 else set(ids)


async def sdk_list(url: str, max_pages: int | None = None) -> dict[str, Any]:
    """The official SDK's async pager over GET /contacts (it forwards starting_after correctly)."""
    from intercom import AsyncIntercom

    client = AsyncIntercom(token=TOKEN, base_url=url)
    pager = await client.contacts.list(per_page=PER_PAGE)
    rows, ids, pages = 0, set(), 0
    async for page in pager.iter_pages():
        items = page.items or []
        rows += len(items)
        ids.update(item.id for item in items)
        pages += 1
        if max_pages is not None and pages >= max_pages:
            break
    return {"rows": rows, "ids": ids, "requests": pages}


async def _get_json(http: httpx.AsyncClient, method: str, path: str, **kw: Any) -> tuple[dict[str, Any], int]:
    """One call with the minimum a hand-written loop needs: wait for X-RateLimit-Reset on a 429."""
    limited = 0
    while True:
        response = await http.request(method, path, **kw)
        if response.status_code == 429:
            limited += 1
            reset = float(response.headers.get("x-ratelimit-reset", time.time() + 1))
            await anyio.sleep(max(reset - time.time(), 0) + 0.01)
            continue
        response.raise_for_status()
        return response.json(), limited


async def httpx_loop(url: str, out: str | None = None) -> dict[str, Any]:
    """What a user writes by hand: GET /contacts page after page, following pages.next.starting_after.

    With ``out``, the file is written the way an analyst's script does it (collect every page, then
    ``pd.json_normalize(items).to_csv``), inside the timed call, so it produces what the export produces."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json", "Intercom-Version": "2.16"}
    items: list[dict[str, Any]] = []
    requests = limited = 0
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        params: dict[str, Any] = {"per_page": PER_PAGE}
        while True:
            body, hits = await _get_json(http, "GET", "/contacts", params=params)
            requests += 1
            limited += hits
            items.extend(body["data"])
            nxt = (body.get("pages") or {}).get("next") or {}
            if not nxt.get("starting_after"):
                break
            params = {"per_page": PER_PAGE, "starting_after": nxt["starting_after"]}
    if out is not None:
        import pandas as pd

        pd.json_normalize(items).to_csv(out, index=False)
    return {
        "rows": len(items),
        "ids": {i["id"] for i in items},
        "requests": requests,
        "rate_limited": limited,
    }


def _timed(fn: Any, *args: Any, **kw: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    out = anyio.run(lambda: fn(*args, **kw))
    return time.perf_counter() - started, out


def _check_exactly_once(name: str, out: dict[str, Any], n: int) -> None:
    ids = out["ids"] if "ids" in out else _csv_ids(out["path"])
    distinct = ids if isinstance(ids, int) else len(ids)
    assert out["rows"] == n and distinct == n, (
        f"{name}: {out['rows']} rows, {distinct} distinct ids, expected {n}"
    )


def _contenders(sdk: bool) -> list[str]:
    return ["intercomkit", *(["official SDK"] if sdk else []), "httpx loop"]


def row_latency(n: int, latency_ms: float, tmp: str, sdk: bool) -> Row:
    row = Row(
        f"1. export {n:,} contacts, {latency_ms:.0f} ms latency, no rate limit",
        target="intercomkit ≥ 10× the others",
    )
    times: dict[str, float] = {}
    for who in _contenders(sdk):
        with served(n, latency_ms=latency_ms, warm=True) as url:
            if who == "intercomkit":
                t, out = _timed(ik_export, url, os.path.join(tmp, "latency.csv"))
            elif who == "official SDK":
                t, out = _timed(sdk_list, url)
            else:
                t, out = _timed(httpx_loop, url, os.path.join(tmp, "latency-loop.csv"))
        _check_exactly_once(who, out, n)
        times[who] = t
        row.cells[who] = f"{t:.1f} s ({out['requests']} req)"
    ours = times["intercomkit"]
    row.result = ", ".join(f"{times[w] / ours:.1f}× vs {w}" for w in times if w != "intercomkit")
    row.notes.append(
        "row 1: intercomkit and the httpx loop both write a CSV inside their wall time (the loop collects every "
        "page, then pd.json_normalize(items).to_csv); the official SDK column only pages (no file)"
    )
    return row


def row_rate(n: int, rate: int, window: float, latency_ms: float, tmp: str, sdk: bool) -> Row:
    per_second = rate / window
    minimum = math.ceil(n / PER_PAGE) / per_second
    row = Row(
        f"2. export {n:,} contacts, {rate} req/{window:g} s limit, {latency_ms:.0f} ms: wall ÷ rate-limit minimum "
        f"({minimum:.1f} s)",
        target="≤ 1.1",
    )
    ratios = []
    for who in _contenders(sdk):
        with served(n, latency_ms=latency_ms, rate_limit=rate, window=window) as url:
            try:
                if who == "intercomkit":
                    t, out = _timed(ik_export, url, os.path.join(tmp, "rate.csv"))
                elif who == "official SDK":
                    t, out = _timed(sdk_list, url)
                else:
                    t, out = _timed(httpx_loop, url)
            except Exception as exc:  # the SDK gives up on 429 after its own retries
                row.cells[who] = f"failed: {type(exc).__name__}"
                continue
        _check_exactly_once(who, out, n)
        ratios.append(f"{who} {t / minimum:.2f}")
        limited = out.get("rate_limited")
        row.cells[who] = f"{t:.1f} s = {t / minimum:.2f}" + (
            f" ({limited} × 429)" if limited is not None else ""
        )
    row.result = "; ".join(ratios)
    return row


def _rss_child(mode: str, url: str, out: str, n: int) -> tuple[float, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--rss-child", mode, url, out, str(n)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"RSS child ({mode}) failed:\n{done.stderr[-3000:]}")
    kb = int(done.stdout.strip().splitlines()[-1])
    return kb / 1024, time.perf_counter() - started


def _peak_rss_kib() -> int:
    """This process's own peak RSS. ``ru_maxrss`` would not do: Linux keeps it across ``execve``, so a child
    started from a big benchmark process reports the parent's size (VmHWM belongs to the new image alone)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:  # not Linux
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rss_child(mode: str, url: str, out: str, n: int) -> None:
    """Inside the measured process: export (or collect + DataFrame.to_csv), then print peak RSS in KiB."""
    if mode == "export":
        from intercomkit import AsyncClient

        async def export() -> Any:
            async with AsyncClient(token=TOKEN, base_url=url) as client:
                return await client.export.contacts(out, progress=False)

        result = anyio.run(export)
        peak = _peak_rss_kib()  # before the check below reads the file
        _check_exactly_once("intercomkit", {"rows": result.rows, "ids": _csv_ids(out)}, n)
        print(peak)
        return
    elif mode == "collect":
        import pandas as pd

        items = anyio.run(lambda: _collect(url))
        frame = pd.DataFrame(items)
        del items
        frame.to_csv(out, index=False)
        assert len(frame) == n and frame["id"].nunique() == n
    else:  # the interpreter with the export's imports, nothing fetched
        import pyarrow as pa
        import pyarrow.parquet  # noqa: F401

        import intercomkit.export  # noqa: F401

        pa.array([0])  # pyarrow loads pandas on its first pa.array call, as the export's first page does
    print(_peak_rss_kib())


async def _collect(url: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    items: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        params: dict[str, Any] = {"per_page": PER_PAGE}
        while True:
            body, _ = await _get_json(http, "GET", "/contacts", params=params)
            items.extend(body["data"])
            nxt = (body.get("pages") or {}).get("next") or {}
            if not nxt.get("starting_after"):
                return items
            params = {"per_page": PER_PAGE, "starting_after": nxt["starting_after"]}


def row_rss(n: int, tmp: str) -> Row:
    row = Row(
        f"3. peak RSS of the client process, {n:,} contacts to CSV (sandbox in another process)",
        target="intercomkit ≤ 250 MB",
    )
    with served(n) as url:
        base, _ = _rss_child("baseline", url, "", n)
        ours, t_ours = _rss_child("export", url, os.path.join(tmp, "rss-export.csv"), n)
        theirs, t_theirs = _rss_child("collect", url, os.path.join(tmp, "rss-collect.csv"), n)
    row.cells["intercomkit"] = f"{ours:,.0f} MB ({t_ours:.0f} s)"
    row.cells["httpx loop"] = f"{theirs:,.0f} MB ({t_theirs:.0f} s), collect all + DataFrame.to_csv"
    row.result = f"{theirs / ours:.1f}× less memory; imports alone: {base:.0f} MB"
    return row


def row_frames(n: int) -> Row:
    import json as _json

    from intercomkit.sandbox import Sandbox
    from intercomkit.sandbox._render import list_json

    from .frames import measure, summary

    sb = Sandbox(contacts=n)
    pages = [
        _json.loads(list_json(sb._store, list(range(i, min(i + PER_PAGE, n))), n, {"type": "pages"}))
        for i in range(0, n, PER_PAGE)
    ]
    del sb  # only the caller's pages are alive while the contenders run, as in an analyst's process
    items = [c for p in pages for c in p["data"]]
    modes, (ours, theirs) = measure(pages, items, repeat=3)
    text = summary(modes, 3)
    row = Row(
        f"4. {n:,} contacts, pages → DataFrame (CPU s, best of 3; clean: gc.collect() before each call)",
        target="≥ 2× json_normalize",
    )
    row.cells["intercomkit"] = f"contacts_frame ({ours.shape[1]} typed cols): {text['contacts_frame']}"
    row.cells["httpx loop"] = f"pd.json_normalize ({theirs.shape[1]} cols): {text['json_normalize']}"
    row.result = f"{text['speedup']}, same {n:,} rows"
    row.figures["frames"] = modes
    return row


async def _overhead(n: int, sdk: bool) -> dict[str, float]:
    from intercomkit import AsyncClient
    from intercomkit.sandbox import Sandbox

    sb = Sandbox(contacts=1000, token=TOKEN)
    ids = sb.contact_ids()[: min(n, 1000)]
    out: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}

    async def timed(name: str, call: Any) -> None:
        for cid in ids[:20]:  # warm up
            await call(cid)
        best = math.inf
        for _ in range(3):
            started = time.perf_counter()
            for k in range(n):
                await call(ids[k % len(ids)])
            best = min(best, (time.perf_counter() - started) / n)
        out[name] = best * 1e6

    async with httpx.AsyncClient(transport=sb.transport(), base_url=sb.base_url, headers=headers) as raw:

        async def raw_get(cid: str) -> None:
            r = await raw.get(f"/contacts/{cid}")
            r.raise_for_status()
            r.json()

        await timed("raw httpx", raw_get)
    async with AsyncClient(token=TOKEN, base_url=sb.base_url, transport=sb.transport()) as client:
        await timed("intercomkit", client.contacts.get)
    if sdk:
        from intercom import AsyncIntercom

        async with httpx.AsyncClient(transport=sb.transport()) as http:
            client = AsyncIntercom(token=TOKEN, base_url=sb.base_url, httpx_client=http)

            async def sdk_find(cid: str) -> None:
                await client.contacts.find(contact_id=cid)

            await timed("official SDK", sdk_find)
    return out


def row_overhead(n: int, sdk: bool) -> Row:
    us = anyio.run(_overhead, n, sdk)
    raw = us["raw httpx"]
    row = Row(
        f"5. GET /contacts/{{id}} over the in-process transport, per request (best of 3 × {n})",
        target="(no target)",
    )
    for who in _contenders(sdk):
        key = "raw httpx" if who == "httpx loop" else who
        extra = "" if key == "raw httpx" else f", {us[key] - raw:+.0f} µs over raw httpx"
        row.cells[who] = f"{us[key]:.0f} µs{extra}"
    if sdk:
        row.result = (
            f"client overhead: intercomkit {us['intercomkit'] - raw:.0f} µs, official SDK "
            f"{us['official SDK'] - raw:.0f} µs per request"
        )
    else:
        row.result = f"client overhead: intercomkit {us['intercomkit'] - raw:.0f} µs per request"
    return row


async def _search_all(url: str, sdk: bool, matches: int) -> dict[str, tuple[int, int]]:
    from intercomkit import AsyncClient

    query = {"field": "role", "operator": "IN", "value": ["user", "lead"]}
    pages_needed = math.ceil(matches / 50)
    out: dict[str, tuple[int, int]] = {}
    async with AsyncClient(token=TOKEN, base_url=url) as client:
        rows = [c.id async for c in client.contacts.search(query, per_page=50)]
        out["intercomkit"] = (len(rows), len(set(rows)))
    if sdk:
        from intercom import AsyncIntercom

        sdk_client = AsyncIntercom(token=TOKEN, base_url=url)
        pager = await sdk_client.contacts.search(query=query, pagination={"per_page": 50})
        ids: list[str] = []
        pages = 0
        async for page in pager.iter_pages():
            ids.extend(item.id for item in page.items or [])
            pages += 1
            if pages >= 2 * pages_needed:  # it never stops on its own: bound it at twice the pages needed
                break
        out["official SDK"] = (len(ids), len(set(ids)))
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as http:
        ids = []
        body: dict[str, Any] = {"query": query, "pagination": {"per_page": 50}}
        while True:
            page, _ = await _get_json(http, "POST", "/contacts/search", json=body)
            ids.extend(c["id"] for c in page["data"])
            nxt = (page.get("pages") or {}).get("next") or {}
            if not nxt.get("starting_after"):
                break
            body = {"query": query, "pagination": {"per_page": 50, "starting_after": nxt["starting_after"]}}
        out["httpx loop"] = (len(ids), len(set(ids)))
    return out


def row_search(matches: int, sdk: bool) -> Row:
    with served(matches) as url:
        got = anyio.run(_search_all, url, sdk, matches)
    row = Row(
        f"6. search, per_page 50, {matches:,} matches: distinct ids returned (rows fetched)",
        target=f"{matches:,} distinct",
    )
    for who, (rows, distinct) in got.items():
        row.cells[who] = f"{distinct:,} ({rows:,} rows)"
    for who in ("intercomkit", "httpx loop"):
        assert got[who] == (matches, matches), f"{who}: {got[who]}"
    wrong = [w for w, (_, d) in got.items() if d != matches]
    row.result = "all correct" if not wrong else f"wrong: {', '.join(wrong)}"
    if "official SDK" in got and got["official SDK"][1] != matches:
        row.notes.append(
            "python-intercom 5.x's search pager never forwards pages.next.starting_after: it re-sends the first "
            "page forever (bounded here at twice the pages needed)"
        )
    return row


def row_support(conversations: int, baseline: int) -> Row:
    """Row 7 in its own process (``benchmarks/support.py``), so its peak memory is its own."""
    done = subprocess.run(
        [sys.executable, str(Path(ROOT) / "benchmarks" / "support.py"), "--conversations", str(conversations),
         "--baseline-conversations", str(baseline), "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    r = json.loads(done.stdout.splitlines()[-1])
    row = Row(
        f"7. `ik.support.metrics(clock='wall', by='team')`, {r['conversations']:,} conversations / "
        f"{r['parts']:,} parts (generated frames)"
    )
    row.cells["intercomkit"] = (
        f"**{r['ik_s']:.1f} s** ({r['ik_cpu_s']:.1f} CPU s), peak RSS {r['ik_peak_mb']:,.0f} MB"
    )
    scaled = (
        "" if r["hand_measured_on"] == conversations else f", timed on {r['hand_measured_on']:,} and scaled"
    )
    row.cells["httpx loop"] = f"{r['hand_s']:,.0f} s hand-written `groupby.apply` walk{scaled}"
    row.result = f"**{r['ratio']:,.0f}×** faster, same statistics"
    row.target = "≥ 5×, ≤ 10 s, ≤ 4 GB"
    return row


def _row_fleet(
    workspaces: int, contacts: int, rate: int, quick: bool, in_flight: tuple[int, ...], repeats: int
) -> Row:
    try:
        import distributed  # noqa: F401
    except ImportError:
        row = Row("8. fleet of workspaces on Dask")
        row.notes.append(
            "row 8 skipped: Dask distributed is not installed (pip install 'intercomkit[fleet]')"
        )
        return row
    from .fleet import row_fleet

    return row_fleet(
        workspaces, contacts, rate, 50.0, Row, in_flight=(1, 2) if quick else in_flight, repeats=repeats
    )


def _row_parts(which: str, sizes: dict[str, Any], sdk: bool) -> Row:
    from .parts import row_parts_latency, row_parts_rate

    if which == "9":
        return row_parts_rate(sizes["parts_rate"], sizes["parts_limit"], sizes["parts_rate_ms"], sdk, Row)
    return row_parts_latency(
        sizes["parts_latency"], sizes["parts_latency_ms"], sizes["parts_baseline"], sdk, Row
    )


def _row_cpu(n: int, latency_ms: float, runs: int, tmp: str, gzip: bool) -> Row:
    from .cpu import row_cpu

    return row_cpu(n, latency_ms, runs, tmp, Row, gzip)


# -- table ------------------------------------------------------------------------------------------------------


def render(rows: list[Row], sdk: bool, header: str) -> str:
    contenders = _contenders(sdk)
    cols = ["benchmark", *contenders, "result", "target"]
    lines = [header, "", "| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in rows:
        cells = [r.name, *(r.cells.get(c, "—") for c in contenders), r.result, r.target]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [n for r in rows for n in r.notes]
    if not sdk:
        notes.append(
            "official SDK skipped: python-intercom is not installed (pip install 'intercomkit[bench]')"
        )
    lines += ["", *(f"* {n}" for n in notes)]
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {platform.system()}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--rss-child"]:
        rss_child(argv[1], argv[2], argv[3], int(argv[4]))
        return 0
    if argv[:1] == ["--cpu-child"]:
        from .cpu import cpu_child

        cpu_child(argv[1], argv[2], argv[3], int(argv[4]))
        return 0
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (< 1 minute); checks correctness only")
    p.add_argument("--contacts-latency", type=int, default=None, metavar="N", help="row 1 (default 100 000)")
    p.add_argument("--latency-ms", type=float, default=None, help="row 1 latency (default 150)")
    p.add_argument("--contacts-rate", type=int, default=None, metavar="N", help="row 2 (default 50 000)")
    p.add_argument("--rate", type=int, default=None, help="row 2: requests per window (default 10)")
    p.add_argument(
        "--window", type=float, default=1.0, help="row 2: rate-limit window in seconds (default 1)"
    )
    p.add_argument("--contacts-rss", type=int, default=None, metavar="N", help="row 3 (default 1 000 000)")
    p.add_argument("--contacts-frames", type=int, default=None, metavar="N", help="row 4 (default 100 000)")
    p.add_argument("--requests", type=int, default=None, help="row 5: requests per repeat (default 500)")
    p.add_argument("--matches", type=int, default=1000, help="row 6 (default 1 000)")
    p.add_argument(
        "--conversations", type=int, default=None, metavar="N", help="row 7 (default 1 000 000, ~10 M parts)"
    )
    p.add_argument(
        "--baseline-conversations",
        type=int,
        default=None,
        metavar="N",
        help="row 7: time the hand-written walk on N conversations and scale (default 20 000)",
    )
    p.add_argument("--fleet-workspaces", type=int, default=8, metavar="N", help="row 8 (default 8)")
    p.add_argument(
        "--fleet-contacts", type=int, default=None, metavar="N", help="row 8, each (default 6 000)"
    )
    p.add_argument("--fleet-rate", type=int, default=10, help="row 8: requests/s per workspace (default 10)")
    p.add_argument(
        "--fleet-in-flight",
        default="1,2,4",
        metavar="N,N",
        help="row 8: workspaces in flight (default 1,2,4)",
    )
    p.add_argument(
        "--fleet-repeats", type=int, default=1, metavar="R", help="row 8: runs of each level, interleaved"
    )
    p.add_argument("--conversations-rate", type=int, default=None, metavar="N", help="row 9 (default 1 000)")
    p.add_argument("--parts-rate", type=int, default=None, help="row 9: requests per second (default 20)")
    p.add_argument(
        "--conversations-latency", type=int, default=None, metavar="N", help="row 10 (default 5 000)"
    )
    p.add_argument(
        "--parts-baseline",
        type=int,
        default=None,
        metavar="N",
        help="row 10: time the one-at-a-time SDK and httpx loop on N conversations and scale (default 500)",
    )
    p.add_argument("--contacts-cpu", type=int, default=None, metavar="N", help="row cpu (default 100 000)")
    p.add_argument(
        "--cpu-runs", type=int, default=None, metavar="K", help="row cpu: exports per format (default 3)"
    )
    p.add_argument(
        "--cpu-gzip", action="store_true", help="row cpu: the server gzips its answers (httpx asks for it)"
    )
    p.add_argument("--rows", default=",".join(ROWS), help="which rows to run, e.g. 1,6 or cpu")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = p.parse_args(argv)
    q = args.quick
    sizes = {
        "latency": args.contacts_latency or (1_500 if q else 100_000),
        "latency_ms": args.latency_ms if args.latency_ms is not None else (50.0 if q else 150.0),
        "rate": args.contacts_rate or (900 if q else 50_000),
        "limit": args.rate or (20 if q else 10),
        "rss": args.contacts_rss or (3_000 if q else 1_000_000),
        "frames": args.contacts_frames or (2_000 if q else 100_000),
        "requests": args.requests or (50 if q else 500),
        "conversations": args.conversations or (500 if q else 1_000_000),
        "cpu": args.contacts_cpu or (1_500 if q else 100_000),
        "parts_rate": args.conversations_rate or (30 if q else 1_000),
        "parts_limit": args.parts_rate or (50 if q else 20),
        "parts_rate_ms": 20.0 if q else 50.0,
        "parts_latency": args.conversations_latency or (30 if q else 5_000),
        "parts_latency_ms": args.latency_ms if args.latency_ms is not None else (20.0 if q else 150.0),
        "parts_baseline": args.parts_baseline or (30 if q else 500),
        "cpu_runs": args.cpu_runs or (1 if q else 3),
    }
    sizes["baseline"] = args.baseline_conversations or (
        sizes["conversations"] if q else min(sizes["conversations"], 20_000)
    )
    sdk = _sdk_available()
    wanted = {x.strip() for x in args.rows.split(",") if x.strip()}
    if wanted - set(ROWS):
        p.error(f"unknown rows {sorted(wanted - set(ROWS))}: choose from {', '.join(ROWS)}")
    rows: list[Row] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        steps = {
            "1": lambda: row_latency(sizes["latency"], sizes["latency_ms"], tmp, sdk),
            "2": lambda: row_rate(
                sizes["rate"], sizes["limit"], args.window, 50.0 if not q else 20.0, tmp, sdk
            ),
            "3": lambda: row_rss(sizes["rss"], tmp),
            "4": lambda: row_frames(sizes["frames"]),
            "5": lambda: row_overhead(sizes["requests"], sdk),
            "6": lambda: row_search(args.matches, sdk),
            "7": lambda: row_support(sizes["conversations"], sizes["baseline"]),
            "8": lambda: _row_fleet(
                4 if q else args.fleet_workspaces,
                args.fleet_contacts or (150 if q else 6_000),
                args.fleet_rate,
                q,
                tuple(int(n) for n in args.fleet_in_flight.split(",")),
                args.fleet_repeats,
            ),
            "9": lambda: _row_parts("9", sizes, sdk),
            "10": lambda: _row_parts("10", sizes, sdk),
            "cpu": lambda: _row_cpu(sizes["cpu"], sizes["latency_ms"], sizes["cpu_runs"], tmp, args.cpu_gzip),
        }
        for k in (k for k in ROWS if k in wanted):
            print(f"running row {k} ...", file=sys.stderr, flush=True)
            rows.append(steps[k]())
    header = f"intercomkit benchmarks ({'quick' if q else 'full'} run, {time.perf_counter() - started:.0f} s) on {machine()}"
    print(render(rows, sdk, header))
    if args.json:
        doc = [{k: v for k, v in r.__dict__.items() if k != "figures"} | r.figures for r in rows]
        Path(args.json).write_text(json.dumps(doc, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
