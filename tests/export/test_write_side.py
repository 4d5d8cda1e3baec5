"""Issue 22, the write side: a part's row group is one record batch written through a small buffer, and the final
Parquet file keeps what a reader relies on (zstd, the schema, column statistics) while it gives up dictionaries
that fill with unique values."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from export_helpers import sandbox_client as _client

from intercomkit._frames import read_contacts_csv
from intercomkit.export._sinks import PartWriter, expand_custom, items_table, read_part, render_csv
from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio


def _table(n: int) -> pa.Table:
    items = [
        {"id": f"c{i}", "created_at": 1_700_000_000 + i, "updated_at": 1_700_000_000 + i} for i in range(n)
    ]
    return items_table("contacts", items, ["id", "created_at", "updated_at"])


def test_a_row_group_is_one_record_batch_and_the_part_reads_back_whole(tmp_path):
    table = _table(35)
    path = str(tmp_path / "w.arrow")
    writer = PartWriter(path, table.schema, row_group=16)
    for start in range(0, 35, 7):  # pages of 7: a group is flushed once 16 rows are pending
        writer.write(table.slice(start, 7))
    writer.commit()
    with pa.memory_map(path) as source:
        reader = pa.ipc.open_file(source)
        sizes = [reader.get_batch(i).num_rows for i in range(reader.num_record_batches)]
    assert sizes == [21, 14]
    assert read_part(path).equals(table)
    assert not (tmp_path / "w.arrow.tmp").exists()


def test_a_discarded_part_leaves_nothing(tmp_path):
    table = _table(20)
    path = tmp_path / "w.arrow"
    writer = PartWriter(str(path), table.schema, row_group=16, lines=True)
    writer.write(table)  # one group flushed through the buffer, then the window is dropped
    writer.discard()
    assert list(tmp_path.iterdir()) == []


async def test_the_parquet_file_keeps_zstd_statistics_and_the_schema(tmp_path):
    sb = Sandbox(contacts=3000, seed=11)
    out, csv_out = tmp_path / "c.parquet", tmp_path / "c.csv.gz"
    async with _client(sb) as client:
        await client.export.contacts(out, progress=False)
        await client.export.contacts(csv_out, progress=False)
    meta = pq.ParquetFile(out).metadata
    names = meta.schema.to_arrow_schema().names
    chunks = [
        meta.row_group(g).column(c) for g in range(meta.num_row_groups) for c in range(meta.num_columns)
    ]
    assert {chunk.compression for chunk in chunks} == {"ZSTD"}
    assert all(chunk.is_stats_set for chunk in chunks)
    first = meta.row_group(0)
    by_name = {first.column(c).path_in_schema: first.column(c) for c in range(meta.num_columns)}
    # A few roles keep their dictionary; 3,000 distinct ids (72 KB) pass the 16 KB limit: the dictionary stops
    # there (under pyarrow's default of 1 MB it held them all, 19 KB compressed) and the rest is plain.
    assert by_name["role"].has_dictionary_page
    ids = by_name["id"]
    assert not ids.has_dictionary_page or ids.data_page_offset - ids.dictionary_page_offset <= 16 << 10
    # The same rows and columns as the CSV export of the same workspace (values: tests/export/test_export.py).
    table = pq.read_table(out)
    expected = read_contacts_csv(csv_out)
    assert table.column_names == names == list(expected.columns)
    assert sorted(table.column("id").to_pylist()) == sorted(expected["id"]) and table.num_rows == 3000


def test_a_date_custom_attribute_is_read_as_unix_seconds():
    # A custom attribute the workspace describes as a date (data_type "date" or "datetime") holds unix seconds,
    # as the frames read it; read as the column type's microseconds it became 1970-01-01T00:28:20Z.
    items = [
        {"id": "a", "custom_attributes": {"trial_ends_at": 1_700_000_000}},
        {"id": "b", "custom_attributes": {"trial_ends_at": -5}},  # cleaned to null, as every timestamp
        {"id": "c", "custom_attributes": {}},
    ]
    table = expand_custom(
        items_table("contacts", items, ["id"]), {"trial_ends_at": "timestamp"}, ["id", "custom.trial_ends_at"]
    )
    assert [str(v) for v in table.column("custom.trial_ends_at").to_pylist()] == [
        "2023-11-14 22:13:20+00:00",
        "None",
        "None",
    ]
    assert render_csv(table, table.column_names) == b'"a","2023-11-14T22:13:20Z"\n"b",\n"c",\n'
