"""Shared by the reliability tests: id readers for export files (the fake clock is ``tests/fake_clock.py``)."""

from __future__ import annotations

__all__ = ["file_ids"]


def file_ids(path) -> list[str]:
    """Every id in an export file, duplicates kept (CSV, csv.gz or Parquet)."""
    path = str(path)
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        return [str(i) for i in pq.read_table(path, columns=["id"]).column("id").to_pylist()]
    import pandas as pd

    return [str(i) for i in pd.read_csv(path, usecols=["id"], dtype={"id": str})["id"].tolist()]
