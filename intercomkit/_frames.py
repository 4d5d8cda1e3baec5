"""Intercom records → typed pandas DataFrames and Arrow tables. The only module that imports pandas.

The columns, their kinds and how values are cleaned are ``intercomkit._columns``' (the export writes its files
with the same rules). Here each kind gets its dtype (``CONTACT_COLUMNS``, ``COMPANY_COLUMNS``, ``ADMIN_COLUMNS``:
name → pandas dtype): ids and text pandas ``"string"``, unix timestamps ``datetime64[us, UTC]``, counts ``Int64``,
flags ``boolean``, money ``Float64`` (nullable, so a missing value never turns ints into floats), id lists Python
lists. Nested objects are flattened with dots (``location.country``); Intercom's embedded lists become
``tags.count`` / ``tags.ids`` / ``tags.has_more``; custom attributes become ``custom.<name>`` columns, sorted, with
a kind inferred from the values (date custom attributes arrive as unix ints: ``pd.to_datetime(col, unit="s",
utc=True)``).

``dtype_backend="pyarrow"`` gives ``pd.ArrowDtype`` columns. An empty input gives an empty frame with the full
schema. Columns are built straight from the dicts into Arrow arrays, not via ``json_normalize``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from . import _columns as cols
from . import _support_rows
from ._columns import BOOL, FLOAT, INT, LIST, STRING, TIMESTAMP, Columns, Schema
from .errors import WrongFileKind

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported inside the functions that build DataFrames: the export path only needs the Arrow side, and
# importing pandas costs ~40 MB of RSS and ~0.3 s in a process that never makes a frame.

__all__ = [
    "ADMIN_COLUMNS",
    "ARROW_TYPES",
    "arrow_array",
    "COMPANY_COLUMNS",
    "CONTACT_COLUMNS",
    "admins_frame",
    "companies_frame",
    "contacts_frame",
    "conversations_frame",
    "frame",
    "listing_frame",
    "parts_frame",
    "read_companies_csv",
    "read_contacts_csv",
    "records_frame",
    "rows_frame",
    "table",
    "tickets_frame",
    "typed_records_frame",
]

# Column kinds (``_columns``) → pandas dtype / Arrow type.
_PANDAS = {
    STRING: "string",
    TIMESTAMP: "datetime64[us, UTC]",
    INT: "Int64",
    BOOL: "boolean",
    FLOAT: "Float64",
    LIST: "object",
}
ARROW_TYPES: dict[str, pa.DataType] = {
    STRING: pa.string(),
    TIMESTAMP: pa.timestamp("us", tz="UTC"),
    INT: pa.int64(),
    BOOL: pa.bool_(),
    FLOAT: pa.float64(),
    LIST: pa.list_(pa.string()),
}


def arrow_array(kind: str, values: list[Any]) -> pa.Array:
    """Cleaned values (``_columns.clean``) of a column of ``kind`` as Arrow. A timestamp's values are unix seconds,
    the column type counts microseconds: the cast multiplies in C (years below 10000, so the product fits int64)."""
    if kind == TIMESTAMP:
        return pa.array(values, type=pa.timestamp("s", tz="UTC")).cast(ARROW_TYPES[TIMESTAMP])
    return pa.array(values, type=ARROW_TYPES[kind])


def _dtypes(schema: Schema) -> dict[str, str]:
    return {name: _PANDAS[kind] for name, kind in schema.kinds.items()}


CONTACT_COLUMNS: dict[str, str] = _dtypes(cols.CONTACTS)
COMPANY_COLUMNS: dict[str, str] = _dtypes(cols.COMPANIES)
ADMIN_COLUMNS: dict[str, str] = _dtypes(cols.ADMINS)


def _materialize(items: Iterable[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        # Accept models (anything with .raw) and whole pages ({"data": [...]}) as well as plain dicts.
        raw = getattr(item, "raw", item)
        if type(raw) is dict and type(raw.get("data")) is list and raw.get("type") == "list":
            out.extend(r for r in raw["data"] if type(r) is dict)
        elif isinstance(raw, Mapping):
            out.append(raw if type(raw) is dict else dict(raw))
    return out


def _columns(items: Iterable[Any], schema: Schema, custom: bool = True) -> Columns:
    return cols.read(schema, _materialize(items), custom=custom)


# ------------------------------------------------------------------------------------------------- sinks


@cache
def _nullable() -> dict[pa.DataType, Any]:
    import pandas as pd

    return {
        pa.string(): pd.StringDtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.float64(): pd.Float64Dtype(),
    }


def _to_frame(columns: Columns, dtype_backend: str | None) -> pd.DataFrame:
    """``columns`` as a DataFrame. Empties ``columns``: every caller passes a dict it built for this call."""
    import pandas as pd

    # Python lists → Arrow arrays is one C++ conversion per column, far cheaper than pandas' own constructors;
    # Arrow → pandas nullable dtypes is then nearly free.
    table = _to_table(columns)
    # The cleaned values (a list per column, a slot per record) are the build's largest young containers: once in
    # Arrow they are dropped, before pandas' allocations run young GC passes that would walk every slot of them.
    columns.clear()
    if dtype_backend == "pyarrow":
        return table.to_pandas(types_mapper=pd.ArrowDtype)
    if dtype_backend not in (None, "numpy_nullable"):
        raise ValueError(f"dtype_backend must be None, 'numpy_nullable' or 'pyarrow', got {dtype_backend!r}")
    # Arrow would give a numpy array per list cell; analysts expect plain lists, made straight from the Arrow
    # column, so those columns are left out of the conversion rather than converted twice.
    lists = [f.name for f in table.schema if pa.types.is_list(f.type)]
    frame = table.drop_columns(lists).to_pandas(types_mapper=_nullable().get)
    for name in lists:
        cells = pd.Series(table.column(name).to_pylist(), dtype=object, index=frame.index)
        frame.insert(table.schema.get_field_index(name), name, cells)
    return frame


def _to_table(columns: Columns) -> pa.Table:
    arrays: dict[str, Any] = {}
    stamps = [name for name, (kind, _) in columns.items() if kind == TIMESTAMP]
    if stamps:
        # One array for all timestamp columns, sliced back apart, as a cast's fixed cost dwarfs a page's values.
        n = len(columns[stamps[0]][1])
        flat = [v for name in stamps for v in columns[name][1]]
        cast = arrow_array(TIMESTAMP, flat)
        for i, name in enumerate(stamps):
            arrays[name] = cast.slice(i * n, n)
    fields = []
    for name, (kind, values) in columns.items():
        if name in arrays:
            pass
        elif isinstance(values, cols.Lists):
            invalid = None if all(values.valid) else pa.array([not ok for ok in values.valid])
            flat = pa.array(values.values, type=pa.string())
            arrays[name] = pa.ListArray.from_arrays(pa.array(values.offsets, pa.int32()), flat, mask=invalid)
        else:
            arrays[name] = arrow_array(kind, values)
        fields.append(pa.field(name, ARROW_TYPES[kind]))
    return pa.Table.from_arrays([arrays[f.name] for f in fields], schema=pa.schema(fields))


def contacts_frame(items: Iterable[Any], *, dtype_backend: str | None = None) -> pd.DataFrame:
    """Contacts (raw dicts, ``Contact`` models or list pages) as a DataFrame with ``CONTACT_COLUMNS`` + ``custom.*``."""
    return frame(cols.CONTACTS, items, dtype_backend=dtype_backend)


def companies_frame(items: Iterable[Any], *, dtype_backend: str | None = None) -> pd.DataFrame:
    """Companies as a DataFrame with ``COMPANY_COLUMNS`` + ``custom.*``."""
    return frame(cols.COMPANIES, items, dtype_backend=dtype_backend)


def admins_frame(items: Iterable[Any], *, dtype_backend: str | None = None) -> pd.DataFrame:
    """Admins as a DataFrame with ``ADMIN_COLUMNS``."""
    return frame(cols.ADMINS, items, dtype_backend=dtype_backend)


def frame(schema: Schema, items: Iterable[Any], *, dtype_backend: str | None = None) -> pd.DataFrame:
    """Records of any resource described by a ``_columns.Schema`` as a DataFrame (its columns, then ``custom.*``)."""
    return _to_frame(_columns(items, schema), dtype_backend)


def rows_frame(
    rows: list[dict[str, Any]], spec: Sequence[tuple[str, str | None]], *, dtype_backend: str | None = None
) -> pd.DataFrame:
    """Flat rows (column → raw value) as a frame with ``spec``'s columns in order, cleaned by the column model's
    rules; a kind of ``None`` is inferred from the values, as for custom attributes. The support data
    (``intercomkit._support_rows``) is built this way."""
    columns: Columns = {}
    for name, kind in spec:
        values = [row.get(name) for row in rows]
        kind = kind or cols.custom_kind(cols.tags(values))
        columns[name] = (kind, cols.Lists.build(values) if kind == LIST else cols.clean(kind, values))
    return _to_frame(columns, dtype_backend)


def conversations_frame(
    items: Iterable[Any],
    *,
    attributes: Iterable[Any] | None = None,
    admins: Any = None,
    teams: Any = None,
    dtype_backend: str | None = None,
) -> pd.DataFrame:
    """Conversations, one row each (``_columns.CONVERSATIONS``, the columns ``client.export.conversations``
    writes, + ``custom.*``). ``attributes``: the conversation data attributes that type the ``custom.*`` columns;
    ``admins`` / ``teams``: frames (or lists) with ``id`` and ``name`` that add ``admin_assignee_name`` /
    ``team_assignee_name`` after the assignee ids."""
    raws = _materialize(items)
    columns = _typed(cols.CONVERSATIONS, raws, attributes)
    admin_names, team_names = _names(admins), _names(teams)
    if admin_names is not None or team_names is not None:
        named: Columns = {}
        for name, column in columns.items():
            named[name] = column
            if name == "team_assignee_id":
                for who, ids, names in (
                    ("admin", columns["admin_assignee_id"][1], admin_names or {}),
                    ("team", column[1], team_names or {}),
                ):
                    named[f"{who}_assignee_name"] = (STRING, [names.get(i or "") for i in ids])
        columns = named
    return _to_frame(columns, dtype_backend)


def _typed(schema: Schema, raws: list[dict[str, Any]], attributes: Iterable[Any] | None) -> Columns:
    """The schema's columns, then its custom ones typed from the workspace's ``attributes`` (``name`` and
    ``data_type``) where it describes them, else from the values."""
    columns = cols.read(schema, raws, custom=False)
    attrs = [r.get(schema.custom) if type(r.get(schema.custom)) is dict else {} for r in raws]
    kinds = _support_rows.attribute_kinds(attributes)
    columns.update(cols.custom_columns(attrs, schema.prefix, kinds))
    return columns


def parts_frame(items: Iterable[Any], *, dtype_backend: str | None = None) -> pd.DataFrame:
    """The parts of conversations (with their ``conversation_parts``), one row per part (``_columns.PARTS``, the
    columns ``client.export.conversation_parts`` writes)."""
    rows, _ = _support_rows.part_rows(items)
    return _to_frame(cols.read(cols.PARTS, rows, custom=False), dtype_backend)


def tickets_frame(
    items: Iterable[Any], *, attributes: Iterable[Any] | None = None, dtype_backend: str | None = None
) -> pd.DataFrame:
    """Tickets, one row each (``_columns.TICKETS``, the columns ``client.export.tickets`` writes, + ``attr.*``,
    typed from ticket type ``attributes`` when given)."""
    return _to_frame(_typed(cols.TICKETS, _materialize(items), attributes), dtype_backend)


def listing_frame(
    items: Iterable[Any], spec: Sequence[tuple[str, str]], *, dtype_backend: str | None = None
) -> pd.DataFrame:
    """Tags, segments, teams, data attributes, ticket types or states (``_support_rows.*_SPEC``)."""
    rows, columns = _support_rows.listing_rows(items, list(spec))
    return rows_frame(rows, columns, dtype_backend=dtype_backend)


def _names(listing: Any) -> dict[str, str] | None:
    """id → name from a frame or a list of records/models with ``id`` and ``name``."""
    if listing is None:
        return None
    if hasattr(listing, "columns"):
        return {str(i): n for i, n in zip(listing["id"], listing["name"], strict=True) if isinstance(n, str)}
    return {
        str(r.get("id")): str(r.get("name"))
        for r in (getattr(x, "raw", x) for x in listing)
        if isinstance(r, Mapping) and r.get("name") is not None
    }


def table(schema: Schema, items: Iterable[Any], *, custom: bool = True) -> pa.Table:
    """``items`` as a ``pyarrow.Table`` with the columns the frame of ``schema`` has (for Parquet).

    ``custom=False`` leaves out the ``custom.*`` columns (the export keeps custom attributes as JSON instead)."""
    return _to_table(_columns(items, schema, custom))


def records_frame(items: Iterable[Any], *, dtype_backend: str | None = None) -> pd.DataFrame:
    """Any records: nested dicts flattened with dots, lists kept as values, dtypes inferred (nullable)."""
    import pandas as pd

    rows = _materialize(items)
    flat: list[dict[str, Any]] = []
    for row in rows:
        out: dict[str, Any] = {}
        _flatten(row, "", out)
        flat.append(out)
    names: dict[str, None] = {}
    for row in flat:
        names.update(dict.fromkeys(row))
    frame = pd.DataFrame(
        {name: [row.get(name) for row in flat] for name in names}, index=pd.RangeIndex(len(flat))
    )
    return frame.convert_dtypes(dtype_backend=dtype_backend or "numpy_nullable")


def typed_records_frame(
    rows: list[dict[str, Any]],
    *,
    columns: list[str],
    strings: Iterable[str] = (),
    datetimes: Iterable[str] = (),
    integers: Iterable[str] = (),
) -> pd.DataFrame:
    """Flat rows with a fixed column order and the named columns typed (``string``, UTC datetimes, ``Int64``).

    Datetime columns accept ISO 8601 text, datetimes or unix seconds.
    """
    import pandas as pd

    frame = pd.DataFrame(rows, columns=columns)
    for column in datetimes:
        values = frame[column]
        if len(values) and all(isinstance(v, int | float) for v in values.dropna()):
            frame[column] = pd.to_datetime(values, unit="s", utc=True)
        else:
            frame[column] = pd.to_datetime(values, utc=True, format="ISO8601")
    for column in integers:
        frame[column] = frame[column].astype("Int64")
    for column in strings:
        frame[column] = frame[column].astype("string")
    return frame


def _flatten(obj: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if type(value) is dict and value:
            _flatten(value, f"{name}.", out)
        else:
            out[name] = value


# --------------------------------------------------------------------------------------------------- CSV


def read_contacts_csv(path: str | os.PathLike[str], *, dtype_backend: str | None = None) -> pd.DataFrame:
    """Read a contacts CSV export back with ``CONTACT_COLUMNS`` dtypes; ``custom.*`` dtypes are re-inferred.

    A file with columns no contact has (a companies export) raises ``WrongFileKind`` before any row is read."""
    return _read_csv(path, "contacts", dtype_backend)


def read_companies_csv(path: str | os.PathLike[str], *, dtype_backend: str | None = None) -> pd.DataFrame:
    """Read a companies CSV export back with ``COMPANY_COLUMNS`` dtypes; ``custom.*`` dtypes are re-inferred.

    A file with columns no company has (a contacts export) raises ``WrongFileKind`` before any row is read."""
    return _read_csv(path, "companies", dtype_backend)


def _read_csv(path: str | os.PathLike[str], kind: str, dtype_backend: str | None) -> pd.DataFrame:
    import pandas as pd

    schema = cols.SCHEMAS[kind]
    header = pd.read_csv(path, dtype=str, nrows=0, encoding="utf-8").columns
    _check_csv_kind(path, kind, list(header))
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    columns: Columns = {}
    for name in raw.columns:
        texts = [None if isinstance(v, float) else v for v in raw[name].tolist()]
        kind_ = schema.kinds.get(name) or cols.text_kind(texts)
        columns[name] = (kind_, [None if t is None else cols.parse_text(kind_, t) for t in texts])
    if not columns:
        return _to_frame(cols.read(schema, []), dtype_backend)
    return _to_frame(columns, dtype_backend)


def _check_csv_kind(path: str | os.PathLike[str], kind: str, header: list[str]) -> None:
    """Every column must be one of ``kind``'s or ``custom.<name>``: a companies file read as contacts (or the
    reverse) would otherwise come back with wrong types and the other kind's columns silently kept."""
    foreign = [c for c in header if not cols.SCHEMAS[kind].is_column(c)]
    if not foreign:
        return
    other = "companies" if kind == "contacts" else "contacts"
    shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
    if all(c in cols.SCHEMAS[other].kinds for c in foreign):
        raise WrongFileKind(
            f"{os.fspath(path)} looks like a {other} export (columns {shown}), not {kind}: "
            f"read it with ik.read_{other}_csv",
            kind=other,
        )
    raise WrongFileKind(
        f"{os.fspath(path)} is not an intercomkit {kind} export: columns {shown} are not {kind} columns "
        f"(see ik.{'CONTACT' if kind == 'contacts' else 'COMPANY'}_COLUMNS; custom attributes are custom.<name>)",
        kind=None,
    )
