"""A reporting-data export's CSV → typed pandas DataFrame (the frames layer: pandas is imported on first use).

Columns are named by the attribute id without its dataset prefix (``conversation.first_response_time`` →
``first_response_time``). Types: ``*_id`` and text → ``string``; ``*_at`` (unix seconds) →
``datetime64[ns, UTC]``; whole numbers → ``Int64``; other numbers → ``Float64``; ``true``/``false`` → ``boolean``.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.csv as pacsv

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["reporting_datasets_frame", "reporting_frame"]


def _bare(name: str) -> str:
    return name.split(".", 1)[1] if "." in name else name


def reporting_frame(csv_bytes: bytes) -> pd.DataFrame:
    """The CSV (header = qualified attribute ids) as a typed DataFrame; a header alone gives an empty typed frame."""
    import pandas as pd

    header = csv_bytes.split(b"\n", 1)[0].decode().strip()
    names = [n for n in header.split(",") if n] if header else []
    if not names:
        return pd.DataFrame()
    types = {n: pa.string() for n in names if _bare(n).endswith("_id") or _bare(n).endswith("_state")}
    types.update({n: pa.int64() for n in names if _bare(n).endswith("_at")})
    table = pacsv.read_csv(
        io.BytesIO(csv_bytes),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )
    columns = {}
    for name in table.column_names:
        col = table.column(name)
        bare = _bare(name)
        if bare.endswith("_at"):
            seconds = pd.array(col.to_pylist(), dtype="Int64")
            columns[bare] = pd.to_datetime(seconds, unit="s", utc=True).astype("datetime64[ns, UTC]")
        elif pa.types.is_integer(col.type):
            columns[bare] = pd.array(col.to_pylist(), dtype="Int64")
        elif pa.types.is_floating(col.type):
            columns[bare] = pd.array(col.to_pylist(), dtype="Float64")
        elif pa.types.is_boolean(col.type):
            columns[bare] = pd.array(col.to_pylist(), dtype="boolean")
        else:  # text, or a column with no value at all
            columns[bare] = pd.array([None if v is None else str(v) for v in col.to_pylist()], dtype="string")
    return pd.DataFrame(columns)


def reporting_datasets_frame(datasets: list[dict]) -> pd.DataFrame:
    """One row per (dataset, attribute): dataset_id, dataset_name, dataset_description, default_time_attribute_id,
    attribute_id, qualified_id, attribute_name."""
    import pandas as pd

    rows = [
        {
            "dataset_id": d.get("id"),
            "dataset_name": d.get("name"),
            "dataset_description": d.get("description"),
            "default_time_attribute_id": d.get("default_time_attribute_id"),
            "attribute_id": a.get("id"),
            "qualified_id": a.get("qualified_id"),
            "attribute_name": a.get("name"),
        }
        for d in datasets
        for a in (d.get("attributes") or [{}])
        if isinstance(a, dict)
    ]
    columns = [
        "dataset_id",
        "dataset_name",
        "dataset_description",
        "default_time_attribute_id",
        "attribute_id",
        "qualified_id",
        "attribute_name",
    ]
    return pd.DataFrame(rows, columns=columns).astype("string")
