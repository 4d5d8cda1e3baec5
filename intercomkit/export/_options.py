"""What one export was asked for (``ExportOptions``), its format and its columns: checked before any request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._columns import SCHEMAS
from .._protocol.pages import MAX_PER_PAGE
from ..errors import ConfigurationError
from ._fields import unknown_field
from ._overlap import DEFAULT_OVERLAP
from ._sinks import base_columns

__all__ = ["ExportOptions", "detect_format", "selected_columns"]


@dataclass
class ExportOptions:
    kind: str  # a resource's kind (_resources.RESOURCES): "contacts", "companies", "conversations", "tickets"
    path: str
    format: str  # "csv" | "csv.gz" | "parquet"
    fields: list[str] | None = None
    query: Any = None
    updated_since: int | None = None
    since_last: bool = False
    overlap: int = DEFAULT_OVERLAP  # seconds the next since_last run looks back before this run's start
    reconcile: bool | None = None  # None: every RECONCILE_EVERY-th since_last run
    concurrency: int | str = "auto"
    resume: bool = True
    progress: bool = True
    per_window: int = 20 * MAX_PER_PAGE  # target rows per window
    split_rows: int = 40 * MAX_PER_PAGE  # a window past this many rows (and > 1 day) is halved
    single_chain_rows: int = 3 * MAX_PER_PAGE  # tiny workspace: one cursor chain
    clock: Callable[[], float] | None = None


def detect_format(path: str, fmt: str | None) -> str:
    """The format named by ``path``'s suffix, or ``fmt``; a ``fmt`` the suffix contradicts is refused (Parquet
    bytes in a ``.csv`` file help no one). ``fmt`` is for paths without a known suffix."""
    if fmt is not None and fmt not in ("csv", "csv.gz", "parquet"):
        raise ConfigurationError(f"format must be 'csv', 'csv.gz' or 'parquet', got {fmt!r}")
    lower = path.lower()
    for suffix, name in ((".csv.gz", "csv.gz"), (".csv", "csv"), (".parquet", "parquet"), (".pq", "parquet")):
        if lower.endswith(suffix):
            if fmt is not None and fmt != name:
                raise ConfigurationError(
                    f"format {fmt!r} contradicts the suffix of {path!r} ({name}): drop format= (--format) or "
                    f"name the file for {fmt}"
                )
            return name
    if fmt is not None:
        return fmt
    raise ConfigurationError(
        f"cannot tell the format of {path!r} from its suffix: use .csv, .csv.gz or .parquet, or pass format="
    )


def selected_columns(kind: str, fields: list[str] | None) -> tuple[list[str], list[str] | None]:
    """(part columns, output columns or None for "all"). Parts always keep id and updated_at for the dedupe."""
    base = base_columns(kind)
    if fields is None:
        return base, None
    if isinstance(fields, str) or not all(isinstance(f, str) for f in fields):
        raise ConfigurationError(
            "fields must be a list of column names such as ['id', 'email', 'custom.plan']"
        )
    schema = SCHEMAS[kind]
    unknown = [f for f in fields if not schema.is_column(f)]
    if unknown:
        custom = f" (and {schema.prefix}<attribute>)" if schema.custom is not None else ""
        raise unknown_field(kind, unknown[0], base, f"columns{custom}")
    # Parts always hold what the merge and the checks key on: a row's id and updated_at, a part's conversation.
    part = [c for c in base if c in fields or c in ("id", "updated_at", "conversation_id")]
    return part, list(dict.fromkeys(fields))
