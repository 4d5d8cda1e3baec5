"""The conversation_parts export's own step: a page of conversations (windowed and paged exactly as the conversations
export pages them) expanded into their parts.

Intercom lists no parts in a search: each conversation's parts are its ``GET /conversations/{id}``, fetched
concurrently under the run's request limiter (the workspace's one rate budget and the adaptive cap), never one at
a time. Each answer is checked against ``statistics.count_conversation_parts`` (``_protocol.parts``): more than 500
parts is named as truncated, a 404 (deleted since the search listed it) is counted as deleted, any other shortfall
is a gap. The account travels with the window into the checkpoint, so a resumed run reports it whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import pyarrow as pa

from .._protocol.parts import PartsAccount
from .._support_rows import part_rows
from ._page import PageRows, dict_reader
from ._sinks import items_table

if TYPE_CHECKING:
    from ._runner import SearchRun

__all__ = ["Expanded", "expand_parts", "read_listing"]

KIND = "conversation_parts"
# What the walk needs of each listed conversation: its id, its updated_at (the checkpoint's high water), and how
# many parts Intercom counts for it.
_LISTED = ["id", "updated_at", "count_conversation_parts"]
_read_conversations = dict_reader("conversations", "conversations")


def read_listing(
    raw: bytes,
    columns: Sequence[str],
    *,
    post: Callable[[dict[str, Any]], bool] | None = None,
    decode: Callable[[bytes], dict[str, Any]] | None = None,
) -> PageRows:
    """A ``/conversations/search`` page for the parts export: the conversations' ids, times and parts counts (the
    ``columns`` of the parts are made later, by ``expand_parts``)."""
    return _read_conversations(raw, _LISTED, post=post, decode=decode)


@dataclass
class Expanded:
    """The parts of a page's conversations (``table``, in the part schema; None when there are none) and their
    account."""

    table: pa.Table | None
    account: PartsAccount


async def expand_parts(run: SearchRun, page: PageRows, keep: list[int]) -> Expanded:
    """Fetch the parts of the conversations at ``keep`` of ``page`` (one GET each, under ``run.limiter``)."""
    if not keep:
        return Expanded(None, PartsAccount())
    counts = page.table.column("count_conversation_parts").to_pylist()
    listed = {page.ids[k]: counts[k] for k in keep}
    fetched = await run.client.conversations.get_many(list(listed), counts=listed, limiter=run.limiter)
    columns = run.part_columns

    def rows() -> pa.Table | None:
        found, _ = part_rows(fetched.conversations)
        return items_table(KIND, found, columns) if found else None

    # Stripping HTML from every body is the page's CPU: off the event loop, like reading a page.
    table = await anyio.to_thread.run_sync(rows, limiter=run.readers)
    return Expanded(table, fetched.account)
