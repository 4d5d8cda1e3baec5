"""Part files and the final CSV / csv.gz / Parquet writers.

Parts are uncompressed Arrow IPC files (``.arrow``) whatever the output format: the typed schema columns of
``intercomkit._columns`` plus one ``__custom__`` column holding each record's custom attributes as JSON. Custom
attributes differ from record to record, so their columns (and kinds, ``_columns.custom_kind``) are only known once
every window is in; the final merge expands them. A part is written once and read back memory-mapped at the merge,
so the only real encoding is the final file's (checkpoints of earlier versions hold Parquet parts, still read).
Writers take Arrow tables; CSV text is produced column-wise with pyarrow.compute, not row by row. For CSV outputs
each committed part is also rendered to CSV lines (``render_part``), assuming its own custom-attribute types are the
final ones; the merge copies those lines where that held.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import anyio
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .. import _columns, _frames
from .._columns import custom_kind
from .._columns import observe as observe_attrs

try:  # optional speed-up (pip install orjson); the stdlib gives the same JSON values
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None

_encode = json.JSONEncoder(separators=(",", ":"), default=str).encode  # one encoder, not one per call
_decode = _orjson.loads if _orjson is not None else json.loads


def _dumps_custom(attrs: dict[str, Any]) -> str:
    if _orjson is not None:
        try:
            return _orjson.dumps(attrs, default=str).decode()
        except TypeError:  # e.g. non-string keys or huge integers: the stdlib's answer
            pass
    return _encode(attrs)


__all__ = [
    "CUSTOM",
    "CsvOutput",
    "ParquetOutput",
    "PartWriter",
    "base_columns",
    "custom_kind",
    "expand_custom",
    "fsync_dir",
    "items_table",
    "observe_custom",
    "observe_attrs",
    "read_part",
    "read_part_schema",
    "read_rendered",
    "render_csv",
    "render_part",
]

CUSTOM = "__custom__"


def base_columns(kind: str) -> list[str]:
    return list(_columns.SCHEMAS[kind].kinds)


def observe_custom(
    items: Iterable[dict[str, Any]], seen: dict[str, set[str]], kind: str = "contacts"
) -> None:
    """``observe_attrs`` (``_columns.observe``) for raw records of ``kind``."""
    key = _columns.SCHEMAS[kind].custom
    observe_attrs((item.get(key) for item in items) if key else (), seen)


def items_table(kind: str, items: list[dict[str, Any]], columns: Sequence[str]) -> pa.Table:
    """Raw API records → the part schema: ``columns`` of the typed frame schema + ``__custom__`` JSON (the
    schema's custom attributes: a ticket's ``ticket_attributes``)."""
    schema = _columns.SCHEMAS[kind]
    table = _frames.table(schema, items, custom=False).select(list(columns))
    key = schema.custom or ""
    custom = [
        _dumps_custom(attrs) if type(attrs) is dict and attrs else None
        for attrs in (item.get(key) for item in items)
    ]
    return table.append_column(CUSTOM, pa.array(custom, type=pa.string()))


def fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


# The columns and custom-attribute kinds (name → kind) a window's lines are rendered for.
Shape = tuple[tuple[str, ...], tuple[tuple[str, str], ...]]


def shape_of(columns: Sequence[str], custom: Mapping[str, str]) -> Shape:
    return tuple(columns), tuple(sorted(custom.items()))


class _Lines:
    """A window's CSV lines, rendered from each row group as it is written (no read-back of the part).

    The lines are only the window's final ones if every row group was rendered for the shape the window ends with
    and no id occurs twice (``render_part`` dedupes such windows): otherwise ``finish`` drops them and the caller
    renders the committed part instead."""

    def __init__(self, part_path: str) -> None:
        self.path = os.path.splitext(part_path)[0] + ".csv"
        self._fh: Any = open(self.path + ".tmp", "wb")  # noqa: SIM115 - closed in finish() / discard()
        self.shape: Shape | None = None
        self.valid = True
        self.rows = self.size = self.crc = 0

    def add(
        self, table: pa.Table, shape: Shape, attrs: Sequence[dict[str, Any] | None] | None = None
    ) -> None:
        if self.shape is not None and shape != self.shape:
            self.valid = False  # rendered for other kinds: rendering more would be wasted
        self.shape = shape
        if not self.valid:
            return
        columns, custom = list(shape[0]), dict(shape[1])
        lines = _render(expand_custom(table, custom, columns, attrs), columns)
        self._fh.write(lines)
        self.rows, self.size = self.rows + table.num_rows, self.size + lines.size
        self.crc = zlib.crc32(lines, self.crc)

    def finish(self, shape: Shape) -> dict[str, Any] | None:
        self._fh.close()
        if not self.valid or (self.shape is not None and shape != self.shape):
            _unlink(self.path + ".tmp")
            return None
        os.replace(self.path + ".tmp", self.path)
        return {"file": os.path.basename(self.path), "rows": self.rows, "size": self.size, "crc": self.crc}

    def discard(self) -> None:
        self._fh.close()
        _unlink(self.path + ".tmp")


# Rows a part's row group holds before it is written (and its CSV lines rendered). Encoding and rendering a row
# group cost a fixed amount per column (a contact has ~50) on top of the rows: with 600 a window of ~1,600 contacts
# paid it three times, with 1,000 twice. Pending rows are ~0.5 KB each in Arrow (a 150-contact page is ~73 KB), and
# up to 32 windows hold theirs at once: 2,000 rows (one group for most windows) raised a 100,000-contact export's
# peak by ~11 MB, which a million-contact export (3,000-row windows) cannot afford under its 250 MB bound.
ROW_GROUP = 1_000

# A part's writes go through a buffer of this size: a row group's ~200 small writes (validity bitmaps, offsets,
# padding, the batch's metadata) become a few, while its large buffers pass straight through. Parts of 100,000
# contacts: 0.31 s of CPU unbuffered, ~0.10 s with 64 KB (~0.09 s with 1 MB). Every open window holds one (up to 32
# at once), so it stays small; it comes from the system allocator, like the page reader's buffers (see _release).
_WRITE_BUFFER = 64 << 10


class PartWriter:
    """One window's rows, streamed to ``<final>.tmp`` as Arrow IPC record batches; ``commit`` fsyncs and renames.

    With ``lines=True`` each row group is also rendered to CSV lines (for the shape given with the rows) as it is
    written; after ``commit``, ``lines`` is their record (see ``render_part``) or None when they are not final.
    Rows may come with their custom attributes already decoded (``PageRows.attrs``): the lines then use those."""

    def __init__(
        self, final_path: str, schema: pa.Schema, *, row_group: int = ROW_GROUP, lines: bool = False
    ) -> None:
        self.final_path = final_path
        self.tmp_path = final_path + ".tmp"
        # Parts are temporary and read once, by the merge: uncompressed IPC costs a copy to write (Parquet with snappy
        # cost ~1.2 s of CPU per 100,000 contacts) and nothing to read (memory-mapped), and keeps no encoder state.
        # The IPC writer issues a write per buffer and padding (~200 per record batch): unbuffered, those system
        # calls were most of a part's cost (see _WRITE_BUFFER).
        self._sink = pa.BufferedOutputStream(
            pa.OSFile(self.tmp_path, "wb"), buffer_size=_WRITE_BUFFER, memory_pool=pa.system_memory_pool()
        )
        self._writer = pa.ipc.new_file(self._sink, schema)
        self._pending: list[pa.Table] = []
        self._pending_attrs: list[dict[str, Any] | None] | None = []  # None once a pending table came without
        self._pending_rows = 0
        self._row_group = row_group
        self.rows = 0
        self._lines = _Lines(final_path) if lines else None
        self.lines: dict[str, Any] | None = None

    def spoil_lines(self) -> None:
        """The window holds an id twice: its lines would need the dedupe, so they are dropped at the commit."""
        if self._lines is not None:
            self._lines.valid = False

    def _add(self, table: pa.Table, attrs: Sequence[dict[str, Any] | None] | None = None) -> bool:
        """Queue ``table``; True when a row group's worth is pending and should be flushed."""
        if not table.num_rows:
            return False
        if self._lines is not None and self._pending_attrs is not None:
            if attrs is None:
                self._pending_attrs = None
            else:
                self._pending_attrs.extend(attrs)
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self.rows += table.num_rows
        return self._pending_rows >= self._row_group

    def write(self, table: pa.Table, shape: Shape | None = None) -> None:
        if self._add(table):
            self._flush(shape)

    def _flush(self, shape: Shape | None = None) -> None:
        if self._pending:
            pending, self._pending, self._pending_rows = self._pending, [], 0
            attrs, self._pending_attrs = self._pending_attrs, []
            # One chunk per column: the part gets one record batch per row group instead of one per page, and
            # rendering its lines and encoding it at the merge loop over one chunk, not seven (a copy of the row
            # group: +0.07 s of CPU per 100,000 contacts, against -0.2 s rendering them).
            table = pa.concat_tables(pending).combine_chunks()
            self._writer.write_table(table)
            if self._lines is not None:
                self._lines.add(table, shape or ((), ()), attrs)

    # The async variants run the Parquet encoding, the CSV lines and the fsync in a worker thread: pyarrow
    # releases the GIL while it encodes, so on a second core this overlaps the event loop instead of stalling every
    # request in flight. One writer call at a time per part (each window awaits its own).

    async def awrite(
        self,
        table: pa.Table,
        limiter: anyio.CapacityLimiter | None = None,
        shape: Shape | None = None,
        attrs: Sequence[dict[str, Any] | None] | None = None,
    ) -> None:
        if self._add(table, attrs):
            await anyio.to_thread.run_sync(self._flush, shape, limiter=limiter)

    async def acommit(self, limiter: anyio.CapacityLimiter | None = None, shape: Shape | None = None) -> None:
        await anyio.to_thread.run_sync(self.commit, shape, limiter=limiter)

    def commit(self, shape: Shape | None = None) -> None:
        self._flush(shape)
        self._writer.close()
        self._sink.close()  # flushes the buffer and closes the file
        with open(self.tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(self.tmp_path, self.final_path)
        if self._lines is not None:
            self.lines = self._lines.finish(shape or ((), ()))
        _release()

    def discard(self) -> None:
        for close in (self._writer.close, self._sink.close):
            try:
                close()
            except Exception:  # pragma: no cover - closing a broken writer
                pass
        try:
            os.unlink(self.tmp_path)
        except FileNotFoundError:
            pass
        if self._lines is not None:
            self._lines.discard()


def _release() -> None:
    # Parts are written and rendered on whichever worker thread is free, and pyarrow's default pool (mimalloc) keeps
    # freed memory in each thread's heap: handing it back after each part kept a million-contact export ~20 MB
    # lower at its peak.
    pa.default_memory_pool().release_unused()


def read_part(path: str, columns: Sequence[str] | None = None) -> pa.Table:
    """A committed part, memory-mapped (no copy); a Parquet part of an earlier version's checkpoint is read."""
    if path.endswith(".parquet"):
        return pq.read_table(path, columns=columns, use_threads=False)
    with pa.memory_map(path) as source:  # the table's buffers keep the mapping alive after the close
        table = pa.ipc.open_file(source).read_all()
    return table.select(list(columns)) if columns is not None else table


def read_part_schema(path: str) -> pa.Schema:
    """A committed part's schema with its metadata (``_run`` checks the workspace it names)."""
    if path.endswith(".parquet"):
        return pq.read_schema(path)
    with pa.memory_map(path) as source:
        return pa.ipc.open_file(source).schema


def dedupe_newest(table: pa.Table) -> pa.Table:
    """Keep one row per id: the one with the newest ``updated_at`` (the later row on a tie)."""
    ids = table.column("id").to_pylist()
    if len(set(ids)) == len(ids):
        return table
    updated = table.column("updated_at").cast(pa.int64()).to_pylist()
    best: dict[Any, int] = {}
    for i, (cid, u) in enumerate(zip(ids, updated, strict=True)):
        j = best.get(cid)
        if j is None or (u or 0) >= (updated[j] or 0):
            best[cid] = i
    return table.take(sorted(best.values()))


def _load(text: str | bytes) -> Any:
    try:
        return _decode(text)
    except ValueError:  # what orjson refuses (e.g. integers past 64 bits) the stdlib reads
        return json.loads(text)


def _decode_all(texts: list[str | None]) -> list[dict[str, Any]]:
    """Each ``__custom__`` text decoded (``{}`` for none): one decoder call for the column, as the per-call cost
    dominates for objects this small."""
    try:
        return _load("[" + ",".join(text or "{}" for text in texts) + "]")
    except ValueError:
        return [_load(text) if text else {} for text in texts]


def expand_custom(
    table: pa.Table,
    custom: dict[str, str],
    columns: Sequence[str],
    attrs: Sequence[dict[str, Any] | None] | None = None,
) -> pa.Table:
    """Replace ``__custom__`` by typed ``custom.<name>`` columns and keep ``columns`` (in that order). ``attrs``:
    the rows' ``__custom__`` texts already decoded (None or ``{}`` for none), which spares decoding them again."""
    wanted = [(c, key) for c in columns if (key := _columns.custom_name(c)) is not None and key in custom]
    if wanted:
        if attrs is None:
            raw = (
                table.column(CUSTOM).to_pylist() if CUSTOM in table.column_names else [None] * table.num_rows
            )
            attrs = _decode_all(raw)
        for name, key in wanted:
            kind = custom[key]
            values = _columns.clean(kind, [a.get(key) if a else None for a in attrs])
            # A "date" data attribute holds unix seconds, as every timestamp column does.
            table = table.append_column(name, _frames.arrow_array(kind, values))
    present = set(table.column_names)
    arrays = []
    for name in columns:
        if name in present:
            arrays.append(table.column(name))
        else:  # a selected custom attribute that no record has
            arrays.append(pa.nulls(table.num_rows, pa.string()))
    return pa.table(arrays, names=list(columns))


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column as ``_columns.text`` writes each value (null stays null), column-wise."""
    t = column.type
    if pa.types.is_timestamp(t):
        # "YYYY-MM-DD HH:MM:SS" from a naive cast is ~8x faster than strftime or a zoned cast (no time zone
        # lookups); values are UTC and cleaned to years 1970..9999, so the text is the same. Every text is then
        # "YYYY-MM-DD HH:MM:SS": the "T" and the "Z" go in at fixed places (half the cost of a search and a join).
        text = column.cast(pa.timestamp("s")).cast(pa.string())
        return pc.binary_replace_slice(pc.binary_replace_slice(text, 10, 11, "T"), 19, 19, "Z")
    if pa.types.is_boolean(t):
        return pc.if_else(column, "true", "false")
    if pa.types.is_list(t):
        if pa.types.is_string(t.value_type) and _plain_strings(column):
            # '["a","b"]' built column-wise: ids need no JSON escaping (checked above), so no per-row dumps.
            joined = pc.binary_join(column, '","')
            text = pc.binary_join_element_wise('["', joined, '"]', "")
            return pc.if_else(pc.equal(pc.list_value_length(column), 0), "[]", text)
        values = [None if v is None else _encode(v) for v in column.to_pylist()]
        return pa.chunked_array([pa.array(values, type=pa.string())])
    if pa.types.is_string(t):
        return column
    if pa.types.is_floating(t):
        # Arrow writes 2.0 as "2", which would read back as an int: keep the float's ".0" as Python does.
        return pc.replace_substring_regex(column.cast(pa.string()), r"^(-?\d+)$", r"\1.0")
    return column.cast(pa.string())


def _plain_strings(column: pa.ChunkedArray) -> bool:
    """Every list element is printable ASCII without quotes or backslashes (JSON text equals the value)."""
    flat = pc.list_flatten(column)
    if len(flat) == 0:
        return True
    if flat.null_count:
        return False
    if pc.all(pc.ascii_is_alnum(flat)).as_py():  # ids, as a rule: ~8x cheaper than the regex
        return True
    bad = pc.match_substring_regex(flat, r"[^ !#-\[\]-~]")
    return not pc.any(bad).as_py()


# One batch for a row group (the writer's default is 1,024 rows: a 1,050-row group was written as two).
_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="needed", batch_size=1 << 14)


def _texts(table: pa.Table, columns: Sequence[str]) -> list[pa.ChunkedArray]:
    """``columns`` as text. Columns of one type are converted together, end to end, then cut apart again: a
    compute call's fixed cost dwarfs a row group's values, and a contact has a dozen timestamps."""
    n = table.num_rows
    cols = [table.column(c) for c in columns]
    out = list(cols)
    groups: dict[pa.DataType, list[int]] = {}
    for i, col in enumerate(cols):
        if not pa.types.is_string(col.type):
            groups.setdefault(col.type, []).append(i)
    for kind, members in groups.items():
        if len(members) == 1:
            out[members[0]] = _as_text(cols[members[0]])
            continue
        joined = _as_text(pa.chunked_array([chunk for i in members for chunk in cols[i].chunks], type=kind))
        for k, i in enumerate(members):
            out[i] = joined.slice(k * n, n)
    return out


def _no_empty_chunks(column: pa.ChunkedArray) -> pa.ChunkedArray:
    # pyarrow's CSV writer (26.0) writes uninitialised bytes around a column's zero-length chunk (a slice or a
    # concatenation can leave one), so such chunks are dropped first.
    if column.num_chunks > 1 and any(len(chunk) == 0 for chunk in column.chunks):
        return pa.chunked_array([chunk for chunk in column.chunks if len(chunk)], type=column.type)
    return column


def render_csv(table: pa.Table, columns: Sequence[str]) -> bytes:
    """``table``'s rows as CSV lines (no header) with the export's text conventions; b"" for no rows."""
    return _render(table, columns).to_pybytes()


def _render(table: pa.Table, columns: Sequence[str]) -> pa.Buffer:
    """``render_csv``'s lines in an Arrow buffer, which files and CRCs take as is (no copy into bytes)."""
    if not table.num_rows:
        return pa.py_buffer(b"")
    text = pa.table([_no_empty_chunks(c) for c in _texts(table, columns)], names=list(columns))
    sink = pa.BufferOutputStream()
    pacsv.write_csv(text, sink, write_options=_CSV_OPTIONS)
    return sink.getvalue()


def render_part(part: str, columns: Sequence[str], custom: dict[str, str]) -> dict[str, Any]:
    """Render a committed part's rows as CSV lines in ``<part>.csv``, for a merge that may copy them verbatim.

    Done in a worker thread while other windows are still being fetched, so the final CSV is mostly a
    concatenation. The lines are only valid for these ``columns`` and custom-attribute kinds; the returned record
    (file, rows, size, CRC-32) lets the merge check both the file and that assumption. Parts without duplicate ids
    (the rule) are rendered one row group at a time, so this adds a row group's worth of memory, not a window's."""
    source = read_part(part)  # memory-mapped: a slice costs only the pages it touches
    deduped = dedupe_newest(source)
    if deduped is source:
        tables: Iterable[pa.Table] = (
            source.slice(start, ROW_GROUP) for start in range(0, source.num_rows, ROW_GROUP)
        )
    else:
        tables = [deduped]
    shape = shape_of(columns, custom)
    lines = _Lines(part)
    try:
        for table in tables:
            lines.add(table, shape)
        record = lines.finish(shape)
    except BaseException:
        lines.discard()
        raise
    _release()
    assert record is not None  # one shape throughout, so always final
    return record


def read_rendered(directory: str, record: dict[str, Any]) -> bytes | None:
    """The lines ``render_part`` wrote, or None when the file is missing or not what was recorded."""
    try:
        with open(os.path.join(directory, record["file"]), "rb") as fh:
            lines = fh.read()
    except (OSError, KeyError, TypeError):
        return None
    if len(lines) != record.get("size") or zlib.crc32(lines) != record.get("crc"):
        return None
    return lines


def _csv_header(columns: Sequence[str]) -> bytes:
    empty = pa.table([pa.array([], pa.string()) for _ in columns], names=list(columns))
    sink = pa.BufferOutputStream()
    pacsv.write_csv(empty, sink, write_options=pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue().to_pybytes()


class CsvOutput:
    """CSV (optionally gzip) with a fixed header; values as ``_columns.text`` writes them."""

    def __init__(self, path: str, columns: Sequence[str], *, gz: bool) -> None:
        self.path = path
        self._raw = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._fh: Any = gzip.GzipFile(fileobj=self._raw, mode="wb", compresslevel=5) if gz else self._raw
        self._columns = list(columns)
        self._fh.write(_csv_header(self._columns))
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self.write_rendered(_render(table, self._columns), table.num_rows)

    def write_rendered(self, lines: bytes | pa.Buffer, rows: int) -> None:
        """Lines ``render_csv`` made earlier for exactly these columns."""
        self._fh.write(lines)
        self.rows += rows

    def close(self) -> None:
        if self._fh is not self._raw:
            self._fh.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()

    def abort(self) -> None:
        try:
            self._raw.close()
        finally:
            _unlink(self.path)


_DICTIONARY_LIMIT = 16 << 10


class ParquetOutput:
    """The final Parquet file. Tables are written in row groups of about ``row_group`` rows, not one per part: a
    row group costs a fixed amount per column to encode (a contact has ~50), and a window's part is small."""

    def __init__(self, path: str, schema: pa.Schema, *, row_group: int = 16_384) -> None:
        self.path = path
        self.schema = schema
        # zstd at its default level (1). A column's dictionary is given up once it passes 16 KB in a row group (the
        # default is 1 MB): ids, e-mails and timestamps are unique per row, and filling a dictionary with them before
        # falling back to plain encoding was wasted work (~17% of the encoding, and a larger file). Columns with a
        # few values (roles, countries, plan names) still fit; readers see the same values and statistics.
        self._writer = pq.ParquetWriter(
            path, schema, compression="zstd", dictionary_pagesize_limit=_DICTIONARY_LIMIT
        )
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._row_group = row_group
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        if table.schema != self.schema:
            table = table.cast(self.schema)
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self.rows += table.num_rows
        if self._pending_rows >= self._row_group:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            pending, self._pending, self._pending_rows = self._pending, [], 0
            self._writer.write_table(pa.concat_tables(pending), row_group_size=self._row_group * 2)

    def close(self) -> None:
        self._flush()
        self._writer.close()
        with open(self.path, "rb+") as fh:
            os.fsync(fh.fileno())

    def abort(self) -> None:
        try:
            self._writer.close()
        finally:
            _unlink(self.path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def final_schema(part_schema: pa.Schema, custom: dict[str, str], columns: Sequence[str]) -> pa.Schema:
    fields = []
    for name in columns:
        if name in part_schema.names:
            fields.append(part_schema.field(name))
        elif (key := _columns.custom_name(name)) is not None and key in custom:
            fields.append(pa.field(name, _frames.ARROW_TYPES[custom[key]]))
        else:
            fields.append(pa.field(name, pa.string()))
    return pa.schema(fields)
