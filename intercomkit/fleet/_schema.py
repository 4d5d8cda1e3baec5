"""One schema for every workspace of a fleet.

The single-workspace export writes its standard columns with fixed types (the column model,
``intercomkit._columns``), then one column per custom attribute of *that* workspace, typed by its data attributes
or its values: ``custom.<name>`` for contacts, companies and conversations, ``attr.<name>`` for a ticket's
``ticket_attributes``. Workspaces differ there (``custom.seats`` whole numbers in one, text in another, missing in
a third; each workspace has its own ticket types), and a dataset whose files disagree on a column's type cannot be
read as one table (DuckDB and Spark refuse it or need per-file options). So the fleet keeps the standard columns as
they are and folds a kind's custom columns into one text column named after the object Intercom holds them in:
``custom_attributes`` (``ticket_attributes`` for tickets), a JSON object with the row's non-null attributes, keys
sorted (``{"plan_tier": "pro", "seats": 3}``; timestamps as ISO 8601 UTC). DuckDB reads one with
``custom_attributes->>'plan_tier'``, pandas with ``json.loads``. Conversation parts have no custom attributes:
their columns are all standard, and no folded column is added.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from .._columns import SCHEMAS

__all__ = ["CUSTOM_COLUMN", "fleet_table"]

CUSTOM_COLUMN = "custom_attributes"


def fleet_table(table: pa.Table, kind: str = "contacts") -> pa.Table:
    """``table`` (one workspace's ``kind`` export) with its custom columns folded into one JSON text column, named
    as the column model names the object holding them (``custom_attributes``, ``ticket_attributes``; none for a
    kind without custom attributes)."""
    schema = SCHEMAS[kind]
    prefix, target = schema.prefix, schema.custom
    custom = [n for n in table.column_names if target is not None and n.startswith(prefix)]
    standard = [n for n in table.column_names if n not in custom]
    columns = [_never_null_typed(table.column(name)) for name in standard]
    fields = [pa.field(name, column.type) for name, column in zip(standard, columns, strict=True)]
    if target is not None:
        values = [table.column(name).to_pylist() for name in custom]
        keys = [name[len(prefix) :] for name in custom]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        folded = [
            json.dumps(
                {keys[i]: values[i][row] for i in order if values[i][row] is not None},
                default=_json_value,
                separators=(",", ":"),
                ensure_ascii=False,
            )
            for row in range(table.num_rows)
        ]
        columns.append(pa.array(folded, type=pa.string()))
        fields.append(pa.field(target, pa.string()))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _never_null_typed(column: pa.ChunkedArray) -> pa.ChunkedArray:
    # A column with no value at all has Arrow's null type in some writers; text is what every reader agrees on.
    return column.cast(pa.string()) if pa.types.is_null(column.type) else column


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
