"""Checks a ``fields=`` selection against what the workspace has, before anything is fetched or written.

A ``custom.<name>`` no contact (company, conversation) can have would otherwise be an all-empty column in a
finished export; the workspace's custom attributes come from ``GET /data_attributes`` (conversations: ``GET
/conversations/attributes``).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import Forbidden, NotFound, UnknownField

if TYPE_CHECKING:
    from .._client import AsyncClient

__all__ = ["check_custom_fields", "unknown_field"]

logger = logging.getLogger("intercomkit.export")


def unknown_field(kind: str, name: str, known: Sequence[str], what: str) -> UnknownField:
    """``UnknownField`` for ``name``, naming the known ones and the closest of them."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return UnknownField(
        f"unknown {kind} field {name!r}{hint}. Known {what}: {', '.join(known) or '(none)'}",
        field=name,
        known=list(known),
        suggestion=close[0] if close else None,
    )


async def check_custom_fields(client: AsyncClient, kind: str, columns: Sequence[str] | None) -> None:
    """Raise ``UnknownField`` for a ``custom.<name>`` column that is not a custom attribute of ``kind``."""
    wanted = [c for c in columns or () if c.startswith("custom.")]
    # A ticket's attr.<name> columns come from its ticket type's attributes, which no data attribute lists.
    if not wanted or kind not in ("contacts", "companies", "conversations"):
        return
    resource = getattr(client, kind)
    try:
        attributes = await resource.attributes()
    except (Forbidden, NotFound) as exc:
        # A token without the data attributes permission can still export: say the check was skipped.
        logger.warning("cannot list the workspace's %s attributes to check fields= (%s)", kind, exc)
        return
    known = sorted(f"custom.{a.get('name')}" for a in attributes if a.get("custom") and a.get("name"))
    for column in wanted:
        if column not in known:
            raise unknown_field(kind, column, known, f"custom attributes of {kind} in this workspace")
