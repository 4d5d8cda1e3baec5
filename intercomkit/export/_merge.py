"""The final file: committed window parts (or their pre-rendered CSV lines) assembled, deduped and renamed into place."""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import Any

import pyarrow as pa

from .._columns import custom_name
from ._sinks import (
    CsvOutput,
    ParquetOutput,
    dedupe_newest,
    expand_custom,
    final_schema,
    fsync_dir,
    read_part,
    read_rendered,
)

__all__ = ["merge_parts"]


def _existing_batches(path: str, fmt: str) -> tuple[list[str], Any]:
    """Column names and a batch iterator over an earlier export (CSV read as text, never re-typed)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        return pf.schema_arrow.names, (pa.Table.from_batches([b]) for b in pf.iter_batches(batch_size=20_000))
    import csv
    import gzip

    import pyarrow.csv as pacsv

    opener = gzip.open if fmt == "csv.gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        names = next(csv.reader(fh), [])
    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True)
    reader = pacsv.open_csv(path, convert_options=convert, read_options=pacsv.ReadOptions(block_size=1 << 22))
    return names, (pa.Table.from_batches([b]) for b in reader)


def merge_parts(
    path: str,
    fmt: str,
    parts: list[tuple[str, dict[str, Any] | None]],
    columns: list[str],
    custom: dict[str, str],
    part_schema: pa.Schema,
    *,
    merge_into: str | None = None,
    counts: dict[str, int] | None = None,
    key: str = "id",
    drop: Collection[str] = (),
) -> int:
    """Assemble the final file from committed parts (deduped by id, newest ``updated_at`` wins) and rename it
    onto ``path``. With ``merge_into`` (an incremental run), rows of that existing export whose id reappears in
    the parts are replaced by the new version; the rest are kept. A part may come with the record of its
    pre-rendered CSV lines (``render_part``), copied verbatim when they are intact. ``counts`` (if given) gets
    ``added`` and ``updated``: new rows, and rows of ``merge_into`` replaced by a newer version; ``copied``: parts
    whose pre-rendered lines were copied; ``dropped``: rows of ``merge_into`` removed by ``drop``.

    ``key`` is the column an incremental run replaces by: ``id`` (a row replaces its previous version), or a
    parent's id (``conversation_id``: a conversation fetched again replaces *all* its parts, so a part it no longer
    has cannot linger); ``drop`` names more keys whose old rows go (conversations deleted during the run)."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.tmp-{os.getpid()}")
    existing: Any = None
    existing_types: dict[str, pa.DataType] = {}
    if merge_into is not None and os.path.exists(merge_into):
        names, existing = _existing_batches(merge_into, fmt)
        columns = [*columns, *(c for c in names if c not in columns)]
        if fmt == "parquet":
            import pyarrow.parquet as pq

            existing_types = {f.name: f.type for f in pq.read_schema(merge_into)}
    schema = final_schema(part_schema, custom, columns)
    writer: Any
    if fmt == "parquet":
        # A column typed differently before and now (a custom attribute changed type) becomes text.
        fields = []
        for f in schema:
            old = existing_types.get(f.name)
            known_now = f.name in part_schema.names or custom_name(f.name) in custom
            if old is None or (known_now and old == f.type):
                fields.append(f)
            elif not known_now:
                fields.append(pa.field(f.name, old))
            else:
                fields.append(pa.field(f.name, pa.string()))
        schema = pa.schema(fields)
        writer = ParquetOutput(tmp, schema)
    else:
        writer = CsvOutput(tmp, columns, gz=fmt == "csv.gz")
    rows = 0
    replaced_rows = 0
    copied = 0
    new_ids: set[str] = set()
    new_rows = 0
    dropped = 0
    try:
        for part, rendered in parts:
            if rendered is not None and existing is None and isinstance(writer, CsvOutput):
                lines = read_rendered(os.path.dirname(part), rendered)
                if lines is not None:
                    writer.write_rendered(lines, rendered["rows"])
                    rows += rendered["rows"]
                    copied += 1
                    continue
            table = expand_custom(dedupe_newest(read_part(part)), custom, columns)
            if existing is not None:
                new_ids.update(table.column(key).to_pylist())
            writer.write(_conform(table, writer))
            rows += table.num_rows
            new_rows += table.num_rows
        if existing is not None:
            import pyarrow.compute as pc

            replaced = pa.array(sorted(new_ids), pa.string())
            gone = pa.array(sorted(set(drop) - new_ids), pa.string())
            for old in existing:
                before = old.num_rows
                old = old.filter(pc.invert(pc.is_in(old.column(key).cast(pa.string()), value_set=replaced)))
                replaced_rows += before - old.num_rows
                if len(gone):
                    before = old.num_rows
                    old = old.filter(pc.invert(pc.is_in(old.column(key).cast(pa.string()), value_set=gone)))
                    dropped += before - old.num_rows
                old = pa.table(
                    [
                        old.column(c) if c in old.column_names else pa.nulls(old.num_rows, pa.string())
                        for c in columns
                    ],
                    names=columns,
                )
                writer.write(_conform(old, writer))
                rows += old.num_rows
        writer.close()
    except BaseException:
        writer.abort()
        raise
    os.replace(tmp, path)
    fsync_dir(directory)
    if counts is not None:
        # By id, a new row and the row it replaces are one each; by a parent's id, rows are counted as rows.
        fresh = (len(new_ids) if key == "id" else new_rows) if existing is not None else rows
        counts.update(added=fresh - replaced_rows, updated=replaced_rows, copied=copied, dropped=dropped)
    return rows


def _conform(table: pa.Table, writer: Any) -> pa.Table:
    if isinstance(writer, ParquetOutput):
        arrays = []
        for f in writer.schema:
            col = table.column(f.name)
            if col.type != f.type:
                col = col.cast(pa.string()) if f.type == pa.string() else col.cast(f.type)
            arrays.append(col)
        return pa.table(arrays, schema=writer.schema)
    return table
