"""Shared by the reliability tests: a fake clock whose sleep advances it, and id readers for export files."""

from __future__ import annotations

import time

import anyio

__all__ = ["FakeClock", "file_ids"]


class FakeClock:
    """Unix time that only moves when someone sleeps: retries, backoff and rate-limit waits cost no real time.

    Share one between a Sandbox (``clock=``, ``sleep=``) and an AsyncClient so the rate-limit windows the sandbox
    announces and the waits the client computes agree.
    """

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start
        self.slept = 0.0
        self.sleeps = 0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        seconds = max(float(seconds), 0.0)
        self.now += seconds
        self.slept += seconds
        self.sleeps += 1
        await anyio.sleep(0)  # still a checkpoint, so other tasks run


def file_ids(path) -> list[str]:
    """Every id in an export file, duplicates kept (CSV, csv.gz or Parquet)."""
    path = str(path)
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        return [str(i) for i in pq.read_table(path, columns=["id"]).column("id").to_pylist()]
    import pandas as pd

    return [str(i) for i in pd.read_csv(path, usecols=["id"], dtype={"id": str})["id"].tolist()]
