"""``PageRows``: one page of a search as the export's walk takes it, whichever reader made it (``_page``'s dict and
pyarrow paths, ``_typed_page``'s msgspec path)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

__all__ = ["PageRows"]


@dataclass
class PageRows:
    """A decoded page: ``body`` without its records (for the cursor and the counts) and one entry per record with
    an id, in order: ``ids``, ``created`` / ``updated`` (raw values), ``custom`` (the raw custom attributes),
    ``passes`` (the post-filter's verdict, None without one) and ``table`` (the part's rows); ``attrs``: the fast
    path's ``custom``, decoded from exactly the part's ``__custom__`` texts, so CSV lines need not decode them again
    (None from the dict path, whose raw values the texts only approximate)."""

    body: dict[str, Any]
    ids: list[str]
    created: list[Any]
    updated: list[Any]
    custom: list[Any]
    passes: list[bool] | None
    table: pa.Table
    attrs: list[Any] | None = None
