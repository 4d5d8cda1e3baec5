"""Where the export reads its pages (``SearchRun._read``): on the event loop for a reader that holds the GIL
(msgspec's, the dict readers), in worker threads for pyarrow's JSON reader. Either way the files are the same."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from export_helpers import sandbox_client

from intercomkit.export import _page
from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
async def test_pages_read_in_threads_or_on_the_loop_make_the_same_file(tmp_path, monkeypatch, fmt):
    if getattr(_page, "read_typed", None) is None:
        pytest.skip("msgspec is not installed: every contact page is read in threads")
    sb = Sandbox(contacts=2500, seed=7)
    on_loop, threaded = tmp_path / f"loop.{fmt}", tmp_path / f"threads.{fmt}"
    async with sandbox_client(sb) as client:
        first = await client.export.contacts(on_loop, progress=False)
    # Without msgspec the contacts reader is pyarrow's, and pages go to worker threads.
    monkeypatch.setattr(_page, "read_typed", None)
    async with sandbox_client(sb) as client:
        second = await client.export.contacts(threaded, progress=False)
    assert first.rows == second.rows == 2500 and first.complete and second.complete
    if fmt == "csv":
        assert on_loop.read_bytes() == threaded.read_bytes()
    else:
        assert pq.read_table(on_loop).equals(pq.read_table(threaded))
