"""What the export engine knows about a resource: a small description, not a runner of its own.

A resource is exported one of two ways, and its description says which and gives the parts that differ:

- ``SearchPaging`` (contacts): Intercom's search endpoint counts (``total_count`` of a one-row page), windows (whole
  workspace days of ``created_at``, which never changes, so every row is in exactly one window) and pages (the
  cursor). ``_runner.SearchRun`` plans, walks many windows at once, splits dense ones and checks the counts.
- ``ChainPaging`` (companies): one walk that cannot be split or run in parallel (the scroll), which checks itself
  against Intercom's counts (``companies.every()``). ``_chain.ChainRun`` walks it into one window.

Conversations and tickets have search endpoints of the same shape (``POST /conversations/search``,
``POST /tickets/search``): they are ``Resource(kind, SearchPaging(...))`` values too. What differs is said here:
the key their list object holds its records under, and their date rule (``_plan.INCLUSIVE``: ``>``/``<`` include
their bound, to the second, where contacts match whole workspace days), which decides how windows are sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ._page import PageRows, dict_reader, read_page
from ._parts import expand_parts, read_listing
from ._plan import DAYS, INCLUSIVE
from ._sinks import base_columns

if TYPE_CHECKING:
    from .._client import AsyncClient

__all__ = [
    "COMPANIES",
    "CONTACTS",
    "CONVERSATIONS",
    "CONVERSATION_PARTS",
    "RESOURCES",
    "TICKETS",
    "ChainPaging",
    "Expansion",
    "Resource",
    "SearchPaging",
    "resource",
]


@dataclass(frozen=True)
class SearchPaging:
    """Count, window and page through a search endpoint.

    ``path``: the search (``POST``; ``total_count`` counts, ``pagination.starting_after`` pages, ``sort`` on
    ``created_at`` orders). ``everyone``: a query matching every row, for a walk without day bounds (a search needs a
    query). ``read_page(raw, columns, *, post, decode)``: the bytes of one answer → a ``PageRows`` (ids, ``created_at``
    and ``updated_at`` per row, the part's rows), run in a worker thread; ``decode`` is the client's reading of a
    body, the dict path's start. ``items``: the key of the records in an answer. ``dates``: the search's date rule
    (``_plan.DAYS`` or ``_plan.INCLUSIVE``, see ``_plan.range_query``).
    """

    path: str
    everyone: Mapping[str, Any]
    read_page: Callable[..., PageRows]
    items: str = "data"
    dates: str = DAYS
    expand: Expansion | None = None


@dataclass(frozen=True)
class Expansion:
    """The one step a resource listed through another's search adds (conversation parts: each conversation of a
    page → its parts): ``fetch(run, page, keep)`` awaits the rows for the page's rows at ``keep`` (an
    ``_parts.Expanded``: their table and account). ``key``: the column naming a row's parent, which an incremental
    run replaces by (all the parts of a conversation fetched again). ``listed``: the resource whose search fields
    a query names."""

    fetch: Callable[..., Awaitable[Any]]
    key: str
    listed: str


@dataclass(frozen=True)
class ChainPaging:
    """One checked walk. ``walk(client)``: a paginator of distinct rows whose ``pages()`` also checks them against
    Intercom's counts: ``expected`` and ``missing`` after a whole walk; ``estimate(walker)``: the rows to expect,
    for the progress bar, once the first page is in."""

    walk: Callable[[AsyncClient], Any]
    estimate: Callable[[Any], int | None]


@dataclass(frozen=True)
class Resource:
    """``kind`` names the resource everywhere (options, checkpoint signature, state file, messages, the column
    model: ``_sinks.base_columns(kind)`` / ``items_table(kind, …)``, the query planner's fields, custom attributes)."""

    kind: str
    paging: SearchPaging | ChainPaging
    # The data attributes model ("conversation") whose custom attributes' data types type the custom columns, as
    # the resource's frame types them; None: their kinds come from the values.
    attributes: str | None = None

    @property
    def expand(self) -> Expansion | None:
        return self.paging.expand if isinstance(self.paging, SearchPaging) else None

    @property
    def columns(self) -> list[str]:
        """The standard columns, in file order (custom attributes follow, as ``custom.<name>``)."""
        return base_columns(self.kind)


CONTACTS = Resource(
    "contacts",
    SearchPaging(
        path="/contacts/search",
        everyone={"field": "role", "operator": "IN", "value": ["user", "lead"]},
        read_page=read_page,
    ),
)

COMPANIES = Resource(
    "companies",
    # Every company: the scroll, checked against the list's counts of companies with users before and after
    # (``client.companies.every()``, as ``companies.frame()`` walks it).
    ChainPaging(walk=lambda client: client.companies.every(), estimate=lambda walker: walker.listed_before),
)


def _support_search(kind: str, *, attributes: str | None = None) -> Resource:
    """Conversations and tickets: ``POST /<kind>/search``, records under ``<kind>``, bounds to the second and
    inclusive. A search needs a query: every record was created after 1970 (``>`` includes its bound)."""
    paging = SearchPaging(
        path=f"/{kind}/search",
        everyone={"field": "created_at", "operator": ">", "value": 0},
        read_page=dict_reader(kind, kind),
        items=kind,
        dates=INCLUSIVE,
    )
    return Resource(kind, paging, attributes=attributes)


CONVERSATIONS = _support_search("conversations", attributes="conversation")
TICKETS = _support_search("tickets")

CONVERSATION_PARTS = Resource(
    "conversation_parts",
    # The conversations, windowed and paged exactly as their own export does; each page's conversations are then
    # expanded into their parts (one GET each, see _parts), and an incremental run replaces all the parts of a
    # conversation updated since the last one.
    replace(
        CONVERSATIONS.paging,  # type: ignore[arg-type]
        read_page=read_listing,
        expand=Expansion(fetch=expand_parts, key="conversation_id", listed="conversations"),
    ),
)

RESOURCES = {r.kind: r for r in (CONTACTS, COMPANIES, CONVERSATIONS, TICKETS, CONVERSATION_PARTS)}


def resource(kind: str) -> Resource:
    return RESOURCES[kind]
