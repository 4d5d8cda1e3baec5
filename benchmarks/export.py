"""Export benchmarks: rate-bound ceiling, latency-bound speed-up, peak memory. ``python benchmarks/export.py [--quick]``.

Every ratio is measured side by side in one run against the sandbox:

* rate-bound: wall time ÷ (requests ÷ rate) with the sandbox limited to ``RATE`` requests per 1-s window;
* latency-bound: intercomkit's export vs one cursor chain (``client.contacts.search`` page after page) vs the
  official SDK's async pager (``python-intercom``, ``AsyncIntercom(...).contacts.search``) over real HTTP;
* memory: peak RSS of a subprocess exporting N contacts to CSV vs collecting them all then ``DataFrame.to_csv``.

``--quick`` uses small sizes (< 1 minute) and asserts correctness only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import anyio

from intercomkit.sandbox import RateLimitConfig, Sandbox, serve_in_thread

EVERYTHING = {"field": "created_at", "operator": ">", "value": 0}


async def _export(sb: Sandbox, path: str, **kw: Any) -> Any:
    async with sb.client() as client:
        return await client.export.contacts(path, progress=False, **kw)


def rate_bound(contacts: int, rate: int, latency: float, out: str) -> dict[str, Any]:
    sb = Sandbox(contacts=contacts, latency=latency, rate_limit=RateLimitConfig(limit=rate, window=1.0))
    started = time.perf_counter()
    result = anyio.run(_export, sb, out)
    wall = time.perf_counter() - started
    assert result.complete and result.rows == contacts
    minimum = math.ceil(contacts / 150)
    return {
        "case": f"rate-bound ({contacts:,} contacts, {rate} req/s, {latency * 1e3:.0f} ms)",
        "wall_s": round(wall, 2),
        "requests": result.requests,
        "ratio_wall_vs_requests_over_rate": round(wall / (result.requests / rate), 3),
        "ratio_wall_vs_minimum_requests": round(wall / (minimum / rate), 3),
        "rate_limited": result.rate_limited,
    }


async def _one_chain(sb: Sandbox) -> int:
    async with sb.client() as client:
        rows = 0
        async for page in client.contacts.search(EVERYTHING, sort="created_at", order="ascending").pages():
            rows += len(page.items)
        return rows


async def _sdk_chain(base_url: str, token: str, pages_needed: int) -> tuple[int, int]:
    """(rows, distinct ids). Capped at the pages a correct walk needs: against the sandbox, python-intercom 5.0.1's
    pager keeps re-sending the first page (it does not forward ``pages.next.starting_after``), so it never ends."""
    from intercom import AsyncIntercom

    client = AsyncIntercom(token=token, base_url=base_url)
    pager = await client.contacts.search(query=EVERYTHING, pagination={"per_page": 150})
    rows, ids, pages = 0, set(), 0
    async for page in pager.iter_pages():
        items = page.items or []
        rows += len(items)
        ids.update(item.id for item in items)
        pages += 1
        if pages >= pages_needed:
            break
    return rows, len(ids)


def latency_bound(contacts: int, latency: float, out: str, *, sdk: bool = True) -> dict[str, Any]:
    sb = Sandbox(contacts=contacts, latency=latency)
    started = time.perf_counter()
    result = anyio.run(_export, sb, out)
    export_s = time.perf_counter() - started
    assert result.complete and result.rows == contacts
    started = time.perf_counter()
    chain_rows = anyio.run(_one_chain, sb)
    chain_s = time.perf_counter() - started
    assert chain_rows == contacts
    row: dict[str, Any] = {
        "case": f"latency-bound ({contacts:,} contacts, {latency * 1e3:.0f} ms, no limit)",
        "export_s": round(export_s, 2),
        "one_chain_s": round(chain_s, 2),
        "speedup_vs_chain": round(chain_s / export_s, 1),
    }
    if sdk:
        try:
            import intercom  # noqa: F401
        except ImportError:
            row["sdk"] = "python-intercom not installed"
            return row
        served = Sandbox(contacts=contacts, latency=latency)
        base_url, stop = serve_in_thread(served)
        try:
            started = time.perf_counter()
            sdk_rows, sdk_ids = anyio.run(_sdk_chain, base_url, served.token, math.ceil(contacts / 150))
            sdk_s = time.perf_counter() - started
        finally:
            stop()
        row["sdk_pager_s"] = round(sdk_s, 2)
        row["sdk_distinct_ids"] = f"{sdk_ids:,} of {sdk_rows:,} rows"
        row["speedup_vs_sdk"] = round(sdk_s / export_s, 1)
    return row


_CHILD = """
import sys, resource, anyio
from intercomkit.sandbox import Sandbox
mode, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sb = Sandbox(contacts=n)
async def main():
    async with sb.client() as client:
        if mode == "export":
            r = await client.export.contacts(out, progress=False)
            assert r.rows == n
        else:
            frame = await client.contacts.search({"field": "created_at", "operator": ">", "value": 0}).frame()
            frame.to_csv(out, index=False)
anyio.run(main)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def memory(contacts: int, directory: str, *, compare: bool = True) -> dict[str, Any]:
    row: dict[str, Any] = {"case": f"peak RSS, {contacts:,} contacts to CSV"}
    for mode in ("export", "collect") if compare else ("export",):
        out = os.path.join(directory, f"{mode}.csv")
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, mode, str(contacts), out],
            capture_output=True,
            text=True,
            check=True,
        )
        row[f"{mode}_peak_rss_mb"] = round(int(done.stdout.strip().splitlines()[-1]) / 1024, 1)
        row[f"{mode}_s"] = round(time.perf_counter() - started, 1)
    return row


def run(quick: bool) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        if quick:
            rows = [
                rate_bound(3_000, 10, 0.05, os.path.join(tmp, "rate.csv")),
                latency_bound(3_000, 0.05, os.path.join(tmp, "lat.csv")),
                memory(5_000, tmp, compare=False),
            ]
        else:
            rows = [
                rate_bound(50_000, 10, 0.05, os.path.join(tmp, "rate.csv")),
                latency_bound(100_000, 0.15, os.path.join(tmp, "lat.csv")),
                memory(1_000_000, tmp),
            ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = run(args.quick)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        print(row.pop("case"))
        for key, value in row.items():
            print(f"    {key:38} {value}")


if __name__ == "__main__":
    main()
