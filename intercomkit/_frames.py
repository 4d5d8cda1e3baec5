"""Intercom records → typed pandas DataFrames and Arrow tables. The only module that imports pandas.

Schemas are explicit and ordered (``CONTACT_COLUMNS``, ``COMPANY_COLUMNS``, ``ADMIN_COLUMNS``: name → pandas dtype):

* ids and text: pandas ``"string"``; unix timestamps: ``datetime64[us, UTC]`` (null, 0 and non-numbers → NaT);
  counts ``Int64``, flags ``boolean``, money ``Float64`` (nullable, so a missing value never turns ints into floats);
* nested objects are flattened with dots: ``location.country``, ``avatar.image_url``, ``plan.name``;
* tags / companies / notes become ``<name>.count`` (Intercom's total), ``<name>.ids`` (list of id strings) and
  ``<name>.has_more``: Intercom lists at most 10 of them inside a contact, ``has_more`` says the list was cut;
* custom attributes become ``custom.<name>`` columns (sorted by name, after the fixed ones) with a dtype inferred
  from the values present: all bools → ``boolean``, all ints → ``Int64``, ints and floats → ``Float64``, all
  strings → ``string``; anything mixed or nested → ``string`` (dicts/lists as JSON, bools as ``true``/``false``), so
  the column always survives Parquet. Date custom attributes arrive as unix ints: ``pd.to_datetime(col, unit="s",
  utc=True)``.

``dtype_backend="pyarrow"`` gives ``pd.ArrowDtype`` columns. An empty input gives an empty frame with the full
schema. Columns are built straight from the dicts, one list comprehension per column, not via ``json_normalize``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .errors import WrongFileKind

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported inside the functions that build DataFrames: the export path only needs the Arrow side, and
# importing pandas costs ~40 MB of RSS and ~0.3 s in a process that never makes a frame.

__all__ = [
    "ADMIN_COLUMNS",
    "COMPANY_COLUMNS",
    "CONTACT_COLUMNS",
    "admins_frame",
    "companies_frame",
    "companies_table",
    "contacts_frame",
    "contacts_rows",
    "contacts_table",
    "read_companies_csv",
    "read_contacts_csv",
    "records_frame",
    "typed_records_frame",
]

# Column kinds → pandas dtype / Arrow type.
_S, _TS, _I, _B, _F, _L = "string", "timestamp", "int", "bool", "float", "list"
_PANDAS = {_S: "string", _TS: "datetime64[us, UTC]", _I: "Int64", _B: "boolean", _F: "Float64", _L: "object"}
_ARROW = {
    _S: pa.string(),
    _TS: pa.timestamp("us", tz="UTC"),
    _I: pa.int64(),
    _B: pa.bool_(),
    _F: pa.float64(),
    _L: pa.list_(pa.string()),
}

# (column, kind, path); path is a key, a dotted nested key, or ("refs", key) for tags/companies/notes.
_CONTACT_SPEC: list[tuple[str, str]] = [
    ("id", _S), ("external_id", _S), ("workspace_id", _S), ("role", _S), ("email", _S), ("email_domain", _S),
    ("phone", _S), ("name", _S), ("owner_id", _S),
    ("created_at", _TS), ("updated_at", _TS), ("signed_up_at", _TS), ("last_seen_at", _TS),
    ("last_replied_at", _TS), ("last_contacted_at", _TS), ("last_email_opened_at", _TS),
    ("last_email_clicked_at", _TS),
    ("has_hard_bounced", _B), ("marked_email_as_spam", _B), ("unsubscribed_from_emails", _B),
    ("language_override", _S), ("browser", _S), ("browser_version", _S), ("browser_language", _S), ("os", _S),
    ("android_app_name", _S), ("android_app_version", _S), ("android_device", _S), ("android_os_version", _S),
    ("android_sdk_version", _S), ("android_last_seen_at", _TS),
    ("ios_app_name", _S), ("ios_app_version", _S), ("ios_device", _S), ("ios_os_version", _S),
    ("ios_sdk_version", _S), ("ios_last_seen_at", _TS),
    ("avatar.image_url", _S), ("location.country", _S), ("location.region", _S), ("location.city", _S),
    ("tags.count", _I), ("tags.ids", _L), ("tags.has_more", _B),
    ("companies.count", _I), ("companies.ids", _L), ("companies.has_more", _B),
    ("notes.count", _I), ("notes.ids", _L), ("notes.has_more", _B),
]  # fmt: skip

_COMPANY_SPEC: list[tuple[str, str]] = [
    ("id", _S), ("company_id", _S), ("app_id", _S), ("name", _S), ("plan.id", _S), ("plan.name", _S),
    ("website", _S), ("industry", _S), ("size", _I), ("monthly_spend", _F), ("session_count", _I),
    ("user_count", _I), ("created_at", _TS), ("updated_at", _TS), ("remote_created_at", _TS),
    ("last_request_at", _TS), ("tags.count", _I), ("tags.ids", _L), ("segments.count", _I),
    ("segments.ids", _L),
]  # fmt: skip

_ADMIN_SPEC: list[tuple[str, str]] = [
    ("id", _S), ("name", _S), ("email", _S), ("job_title", _S), ("away_mode_enabled", _B),
    ("away_mode_reassign", _B), ("has_inbox_seat", _B), ("team_ids", _L), ("avatar", _S),
]  # fmt: skip

CONTACT_COLUMNS: dict[str, str] = {name: _PANDAS[kind] for name, kind in _CONTACT_SPEC}
COMPANY_COLUMNS: dict[str, str] = {name: _PANDAS[kind] for name, kind in _COMPANY_SPEC}
ADMIN_COLUMNS: dict[str, str] = {name: _PANDAS[kind] for name, kind in _ADMIN_SPEC}

_REF_GROUPS = {"tags", "companies", "notes", "segments"}


# ----------------------------------------------------------------------------------------- value cleaning


def _obj(value: Any) -> dict[str, Any]:
    return value if type(value) is dict else {}


def _clean_str(v: Any) -> str | None:
    if v is None or type(v) is str:
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"), default=str)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return str(v)


# Beyond year 9999 (what datetime accepts) a timestamp is garbage, not a date: it becomes NaT instead of
# aborting the whole frame with an OverflowError.
_MAX_TS = 253402300800
_INT64 = (-(2**63), 2**63 - 1)


def _clean_ts(v: Any) -> int | None:
    if type(v) is int:
        return v if 0 < v < _MAX_TS else None
    if type(v) is float and math.isfinite(v) and 0 < v < _MAX_TS:
        return int(v)
    return None


def _clean_int(v: Any) -> int | None:
    if type(v) is int:
        return v if _INT64[0] <= v <= _INT64[1] else None
    if type(v) is float and v.is_integer() and _INT64[0] <= v <= _INT64[1]:
        return int(v)
    return None


def _clean_bool(v: Any) -> bool | None:
    return v if type(v) is bool else None


def _clean_float(v: Any) -> float | None:
    if type(v) is bool or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


def _clean_str_column(values: list[Any]) -> list[Any]:
    if set(map(type, values)) <= _STR_TYPES:
        return values
    return [_clean_str(v) for v in values]


_STR_TYPES = {str, type(None)}
_INT_TYPES = {int, type(None)}

_CLEAN: dict[str, Callable[[Any], Any]] = {_TS: _clean_ts, _I: _clean_int, _B: _clean_bool, _F: _clean_float}


# ------------------------------------------------------------------------------------------ column building


def _ref_ids(group: dict[str, Any], key: str) -> list[str] | None:
    data = group.get("data", group.get(key))
    if type(data) is not list:
        return None
    return [str(e["id"]) for e in data if type(e) is dict and e.get("id") is not None]


def _build(items: list[dict[str, Any]], spec: list[tuple[str, str]]) -> dict[str, tuple[str, list[Any]]]:
    """Cleaned Python column lists: name → (kind, values)."""
    out: dict[str, tuple[str, list[Any]]] = {}
    top = _top_level(items, [name for name, _ in spec if "." not in name])
    nested: dict[str, list[dict[str, Any]]] = {}
    ref_ids: dict[str, list[list[str] | None]] = {}
    for name, kind in spec:
        head, _, rest = name.partition(".")
        if rest:
            if head not in nested:
                nested[head] = [_obj(d.get(head)) for d in items]
            objs = nested[head]
            if head in _REF_GROUPS:
                if head not in ref_ids:
                    ref_ids[head] = [_ref_ids(o, head) for o in objs]
                ids = ref_ids[head]
                if rest == "ids":
                    values: list[Any] = ids
                elif rest == "count":
                    values = [
                        (t if type(t := o.get("total_count")) is int else None) if i is not None else None
                        for o, i in zip(objs, ids, strict=True)
                    ]
                    values = (
                        [
                            len(i) if v is None and i is not None and "total_count" not in o else v
                            for v, o, i in zip(values, objs, ids, strict=True)
                        ]
                        if None in values
                        else values
                    )
                else:  # has_more
                    values = [
                        (h if type(h := o.get("has_more", False)) is bool else None)
                        if i is not None
                        else None
                        for o, i in zip(objs, ids, strict=True)
                    ]
                out[name] = (kind, values)
                continue
            values = [o.get(rest) for o in objs]
        else:
            values = top[name]
        if kind == _S:
            values = _clean_str_column(values)
        elif kind == _TS and set(map(type, values)) <= _INT_TYPES:
            values = [v if v is not None and 0 < v < _MAX_TS else None for v in values]
        elif kind == _L:
            values = [[str(x) for x in v] if type(v) is list else None for v in values]
        else:
            clean = _CLEAN[kind]
            values = [clean(v) for v in values]
        out[name] = (kind, values)
    return out


def _top_level(items: list[dict[str, Any]], keys: list[str]) -> dict[str, list[Any]]:
    """Top-level values for many keys at once: itemgetter + zip transpose in C, ~4x faster than one
    comprehension per key. Records missing a key take the slow path."""
    if not keys:
        return {}
    getter = itemgetter(*keys)

    def row(d: dict[str, Any]) -> tuple[Any, ...]:
        try:
            return getter(d)
        except KeyError:
            return tuple(d.get(k) for k in keys)

    if len(keys) == 1:
        return {keys[0]: [d.get(keys[0]) for d in items]}
    columns = list(zip(*map(row, items), strict=True)) if items else [() for _ in keys]
    return {k: list(c) for k, c in zip(keys, columns, strict=True)}


def _custom_kind(values: list[Any]) -> str:
    types = {type(v) for v in values if v is not None}
    if not types:
        return _S
    if types == {bool}:
        return _B
    if types == {int}:
        # Ints past int64 (an id stored as a number) keep every digit as text rather than overflow.
        in_range = all(v is None or _INT64[0] <= v <= _INT64[1] for v in values)
        return _I if in_range else _S
    if types <= {int, float}:
        return _F
    return _S


def _add_custom(columns: dict[str, tuple[str, list[Any]]], items: list[dict[str, Any]], key: str) -> None:
    attrs = [_obj(d.get(key)) for d in items]
    names: dict[str, None] = {}
    for a in attrs:
        names.update(dict.fromkeys(a))
    for name in sorted(names, key=str):
        values = [a.get(name) for a in attrs]
        kind = _custom_kind(values)
        if kind == _S:
            values = [_clean_str(v) for v in values]
        elif kind == _F:
            values = [_clean_float(v) for v in values]
        columns[f"custom.{name}"] = (kind, values)


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


def _columns(
    items: Iterable[Any], spec: list[tuple[str, str]], custom: bool
) -> dict[str, tuple[str, list[Any]]]:
    rows = _materialize(items)
    columns = _build(rows, spec)
    if custom:
        _add_custom(columns, rows, "custom_attributes")
    return columns


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


def _to_frame(columns: dict[str, tuple[str, list[Any]]], dtype_backend: str | None) -> pd.DataFrame:
    import pandas as pd

    # Python lists → Arrow arrays is one C++ conversion per column, far cheaper than pandas' own constructors;
    # Arrow → pandas nullable dtypes is then nearly free.
    table = _to_table(columns)
    if dtype_backend == "pyarrow":
        return table.to_pandas(types_mapper=pd.ArrowDtype)
    if dtype_backend not in (None, "numpy_nullable"):
        raise ValueError(f"dtype_backend must be None, 'numpy_nullable' or 'pyarrow', got {dtype_backend!r}")
    frame = table.to_pandas(types_mapper=_nullable().get)
    for name, (kind, values) in columns.items():
        if kind == _L:  # Arrow gives numpy arrays per cell; analysts expect plain lists
            frame[name] = pd.Series(values, dtype=object, index=frame.index)
    return frame


def _to_table(columns: dict[str, tuple[str, list[Any]]]) -> pa.Table:
    arrays: dict[str, Any] = {}
    stamps = [name for name, (kind, _) in columns.items() if kind == _TS]
    if stamps:
        # seconds → microseconds in C (cleaned values are < year 10000, so the product fits int64): one cast for
        # all timestamp columns, sliced back apart, as a cast's fixed cost dwarfs a page's worth of values.
        n = len(columns[stamps[0]][1])
        flat = [v for name in stamps for v in columns[name][1]]
        cast = pa.array(flat, type=pa.timestamp("s", tz="UTC")).cast(_ARROW[_TS])
        for i, name in enumerate(stamps):
            arrays[name] = cast.slice(i * n, n)
    fields = []
    for name, (kind, values) in columns.items():
        if name not in arrays:
            arrays[name] = pa.array(values, type=_ARROW[kind])
        fields.append(pa.field(name, _ARROW[kind]))
    return pa.Table.from_arrays([arrays[f.name] for f in fields], schema=pa.schema(fields))


def contacts_frame(items: Iterable[Any], *, dtype_backend: str | None = None) -> pd.DataFrame:
    """Contacts (raw dicts, ``Contact`` models or list pages) as a DataFrame with ``CONTACT_COLUMNS`` + ``custom.*``."""
    return _to_frame(_columns(items, _CONTACT_SPEC, custom=True), dtype_backend)


def companies_frame(items: Iterable[Any], *, dtype_backend: str | None = None) -> pd.DataFrame:
    """Companies as a DataFrame with ``COMPANY_COLUMNS`` + ``custom.*``."""
    return _to_frame(_columns(items, _COMPANY_SPEC, custom=True), dtype_backend)


def admins_frame(items: Iterable[Any], *, dtype_backend: str | None = None) -> pd.DataFrame:
    """Admins as a DataFrame with ``ADMIN_COLUMNS``."""
    return _to_frame(_columns(items, _ADMIN_SPEC, custom=False), dtype_backend)


def contacts_table(items: Iterable[Any], *, custom: bool = True) -> pa.Table:
    """Contacts as a ``pyarrow.Table`` with the same columns as :func:`contacts_frame` (for Parquet).

    ``custom=False`` leaves out the ``custom.*`` columns (the export keeps custom attributes as JSON instead)."""
    return _to_table(_columns(items, _CONTACT_SPEC, custom=custom))


def companies_table(items: Iterable[Any], *, custom: bool = True) -> pa.Table:
    return _to_table(_columns(items, _COMPANY_SPEC, custom=custom))


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


def _csv_formatter(kind: str) -> Callable[[Any], Any]:
    if kind == _TS:
        return lambda v: "" if v is None else _iso(v)
    if kind == _B:
        return lambda v: "" if v is None else ("true" if v else "false")
    if kind == _L:
        return lambda v: "" if v is None else json.dumps(v, separators=(",", ":"))
    return lambda v: "" if v is None else v


def _iso(seconds: int) -> str:
    import pandas as pd

    return pd.Timestamp(seconds, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def contacts_rows(items: Iterable[Any], columns: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
    """Flat CSV rows for ``columns`` (default: the full contact schema plus custom columns present).

    Timestamps are ISO 8601 UTC (``2024-03-05T14:00:00Z``), booleans ``true``/``false``, id lists JSON arrays,
    missing values empty. Unknown columns (e.g. a custom attribute absent from these records) are empty.
    """
    built = _columns(items, _CONTACT_SPEC, custom=True)
    names = list(columns) if columns is not None else list(built)
    n = len(built["id"][1])
    cols: list[list[Any]] = []
    for name in names:
        if name not in built:
            cols.append([""] * n)
            continue
        kind, values = built[name]
        if kind in (_S, _I, _F):
            cols.append(["" if v is None else v for v in values])
        else:
            fmt = _csv_formatter(kind)
            cols.append([fmt(v) for v in values])
    return list(zip(*cols, strict=True)) if cols else [() for _ in range(n)]


def read_contacts_csv(path: str | os.PathLike[str], *, dtype_backend: str | None = None) -> pd.DataFrame:
    """Read a contacts CSV export back with ``CONTACT_COLUMNS`` dtypes; ``custom.*`` dtypes are re-inferred.

    A file with columns no contact has (a companies export) raises ``WrongFileKind`` before any row is read."""
    return _read_csv(path, "contacts", dtype_backend)


def read_companies_csv(path: str | os.PathLike[str], *, dtype_backend: str | None = None) -> pd.DataFrame:
    """Read a companies CSV export back with ``COMPANY_COLUMNS`` dtypes; ``custom.*`` dtypes are re-inferred.

    A file with columns no company has (a contacts export) raises ``WrongFileKind`` before any row is read."""
    return _read_csv(path, "companies", dtype_backend)


_CSV_SPECS = {"contacts": _CONTACT_SPEC, "companies": _COMPANY_SPEC}


def _read_csv(path: str | os.PathLike[str], kind: str, dtype_backend: str | None) -> pd.DataFrame:
    import pandas as pd

    spec = _CSV_SPECS[kind]
    header = pd.read_csv(path, dtype=str, nrows=0, encoding="utf-8").columns
    _check_csv_kind(path, kind, list(header))
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    kinds = dict(spec)
    columns: dict[str, tuple[str, list[Any]]] = {}
    for name in raw.columns:
        texts = [None if isinstance(v, float) else v for v in raw[name].tolist()]
        col_kind = kinds.get(name) or _csv_kind(texts)
        columns[name] = (col_kind, [None if t is None else _from_csv(col_kind, t) for t in texts])
    if not columns:
        return _to_frame(_build([], spec), dtype_backend)
    return _to_frame(columns, dtype_backend)


def _check_csv_kind(path: str | os.PathLike[str], kind: str, header: list[str]) -> None:
    """Every column must be one of ``kind``'s or ``custom.<name>``: a companies file read as contacts (or the
    reverse) would otherwise come back with wrong types and the other kind's columns silently kept."""
    own = dict(_CSV_SPECS[kind])
    foreign = [c for c in header if c not in own and not (c.startswith("custom.") and len(c) > 7)]
    if not foreign:
        return
    other = "companies" if kind == "contacts" else "contacts"
    theirs = dict(_CSV_SPECS[other])
    shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
    if all(c in theirs for c in foreign):
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


def _csv_kind(texts: list[str | None]) -> str:
    present = [t for t in texts if t is not None]
    if not present:
        return _S
    if all(t in ("true", "false") for t in present):
        return _B
    if all(_is_int(t) for t in present):
        return _I
    try:
        for t in present:
            float(t)
    except ValueError:
        return _S
    return _F


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


def _from_csv(kind: str, text: str) -> Any:
    import pandas as pd

    if kind == _TS:
        return int(pd.Timestamp(text).timestamp())
    if kind == _I:
        return int(text)
    if kind == _F:
        return float(text)
    if kind == _B:
        return text == "true"
    if kind == _L:
        return json.loads(text)
    return text
