"""Where the next page is, for each of Intercom's pagination styles, and a guard against walks that loop.

A style knows only how to ask for the first page, how to find the next request in a response body and what a
failed page means (openai-python's ``BasePage`` habit); the one loop that does the I/O is ``intercomkit._walk``.
Every decision here is pure: the walk's count (``total_count``), the next request, when to stop, and whether a
failed scroll starts again from the top or gives up (``Scroll.after_failure``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import (
    BadRequest,
    InvalidResponse,
    NotFound,
    PageLimitReached,
    PaginationError,
    ServerError,
    TransportError,
)
from .numbers import is_int
from .regions import BaseURL

__all__ = [
    "COMPANIES_LIST_CAP",
    "GIVE_UP",
    "RAISE",
    "RESTART",
    "MAX_PER_PAGE",
    "CursorList",
    "PageNumber",
    "PageRequest",
    "Scroll",
    "Search",
    "Style",
    "WalkGuard",
    "check_per_page",
    "items_at",
    "total_count",
]

MAX_PER_PAGE = 150
COMPANIES_LIST_CAP = 10_000


def total_count(body: dict[str, Any]) -> int | None:
    """Intercom's ``total_count`` of a list or search answer; ``None`` when it is missing or not a count."""
    total = body.get("total_count")
    return total if is_int(total) and total >= 0 else None


def check_per_page(per_page: object, maximum: int = MAX_PER_PAGE) -> int:
    if not is_int(per_page) or not 1 <= per_page <= maximum:  # type: ignore[operator]
        raise ValueError(f"per_page must be an integer from 1 to {maximum}, got {per_page!r}")
    return per_page


@dataclass(frozen=True)
class PageRequest:
    method: str
    path: str
    params: dict[str, Any] | None = None
    json: dict[str, Any] | None = None


def items_at(body: dict[str, Any], key: str) -> list[Any]:
    """The list under ``key`` (``[]`` when absent); ``PaginationError`` when it is not a list."""
    items = body.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise PaginationError(f"expected a list under {key!r}, got {type(items).__name__}")
    return items


# What a walk does after a page failed (``Style.after_failure``).
RAISE = "raise"  # the page's own error
RESTART = "restart"  # walk again from the first page (what was yielded stays yielded)
GIVE_UP = "give up"  # restarts that return nothing new: stop


class Style:
    """Base of the pagination styles."""

    items_key = "data"
    # True when the order can change during a walk (a sort by a field that records' changes move): such a walk is
    # not a snapshot, and a record may come back on a later page.
    mutable_order = False
    # True when one pass of a walk is a snapshot, so a record twice in it means the walk is looping (the scroll).
    snapshot = False

    def first(self) -> PageRequest:  # pragma: no cover - abstract
        raise NotImplementedError

    def next(self, request: PageRequest, body: dict[str, Any]) -> PageRequest | None:  # pragma: no cover
        raise NotImplementedError

    def items(self, body: dict[str, Any]) -> list[Any]:
        return items_at(body, self.items_key)

    def guard(self) -> WalkGuard:
        """A fresh guard for one pass of this style's walk."""
        return WalkGuard(mutable=self.mutable_order, distinct=self.snapshot)

    def after_failure(self, request: PageRequest, exc: Exception, *, fruitless: int) -> str:
        """``RAISE``, ``RESTART`` or ``GIVE_UP`` after ``request`` failed with ``exc``; ``fruitless``: the passes in
        a row, this one included, that returned nothing new. A cursor or page number can be sent again, and the
        client already retried it: by default a failed page is the walk's error."""
        return RAISE


def _next_cursor(body: dict[str, Any], base: BaseURL | None) -> str | None:
    pages = body.get("pages")
    if not isinstance(pages, dict):
        return None
    nxt = pages.get("next")
    if isinstance(nxt, dict):
        cursor = nxt.get("starting_after")
        return cursor if isinstance(cursor, str) and cursor else None
    if isinstance(nxt, str) and nxt:
        # Older API versions answer with a full link; it must stay on our host like any other request.
        if base is not None:
            base.check_link(nxt)
        query = dict(parse_qsl(urlsplit(nxt).query))
        cursor = query.get("starting_after")
        return cursor or None
    return None


@dataclass(frozen=True)
class CursorList(Style):
    """``GET /contacts`` and friends: ``?per_page=&starting_after=``."""

    path: str
    per_page: int = MAX_PER_PAGE
    params: dict[str, Any] = field(default_factory=dict)
    base: BaseURL | None = None
    items_key: str = "data"

    def first(self) -> PageRequest:
        return PageRequest("GET", self.path, params={**self.params, "per_page": self.per_page})

    def next(self, request: PageRequest, body: dict[str, Any]) -> PageRequest | None:
        cursor = _next_cursor(body, self.base)
        if cursor is None:
            return None
        return replace(request, params={**(request.params or {}), "starting_after": cursor})


@dataclass(frozen=True)
class Search(Style):
    """``POST /contacts/search``: the cursor travels in the body's ``pagination``."""

    path: str
    query: dict[str, Any]
    per_page: int = MAX_PER_PAGE
    sort: dict[str, Any] | None = None
    base: BaseURL | None = None
    starting_after: str | None = None
    items_key: str = "data"  # "conversations", "tickets": the key each search's list object uses

    @property
    def mutable_order(self) -> bool:  # type: ignore[override]
        """Sorted by anything but ``created_at`` (or ``id``): the field can change while the walk runs."""
        field = (self.sort or {}).get("field")
        return field not in (None, "created_at", "id")

    def _body(self, cursor: str | None) -> dict[str, Any]:
        pagination: dict[str, Any] = {"per_page": self.per_page}
        if cursor:
            pagination["starting_after"] = cursor
        body: dict[str, Any] = {"query": self.query, "pagination": pagination}
        if self.sort:
            body["sort"] = self.sort
        return body

    def first(self) -> PageRequest:
        return PageRequest("POST", self.path, json=self._body(self.starting_after))

    def next(self, request: PageRequest, body: dict[str, Any]) -> PageRequest | None:
        cursor = _next_cursor(body, self.base)
        if cursor is None:
            return None
        return replace(request, json=self._body(cursor))


@dataclass(frozen=True)
class PageNumber(Style):
    """``POST /companies/list?page=&per_page=``; Intercom refuses pages past ``cap`` items.

    Intercom's description (list all companies): "The company list is sorted by the `last_request_at` field", which
    changes as companies' users are active, so a walk is not a snapshot (``mutable_order``: the paginator drops
    repeats by id). Near the cap the last page shrinks to a size that divides what was fetched so far, so a total
    of 9 961..10 000 with 60 a page is still reached in full (page 250 of 40 ends exactly at 10 000).
    """

    path: str
    per_page: int = 60
    method: str = "POST"
    cap: int = COMPANIES_LIST_CAP
    start_page: int = 1
    mutable_order: bool = True

    def first(self) -> PageRequest:
        return PageRequest(
            self.method, self.path, params={"page": self.start_page, "per_page": self.per_page}
        )

    def next(self, request: PageRequest, body: dict[str, Any]) -> PageRequest | None:
        pages = body.get("pages") if isinstance(body.get("pages"), dict) else {}
        params = request.params or {}
        page = params.get("page", 1)
        size = params.get("per_page", self.per_page)
        total_pages = pages.get("total_pages")
        if not self.items(body):
            return None
        if is_int(total_pages):
            if page >= total_pages:
                return None
        elif not pages.get("next"):
            return None
        fetched = page * size
        if fetched >= self.cap:
            total = total_count(body)
            raise PageLimitReached(
                f"Intercom's {self.path} stops at {self.cap:,} items"
                + (f" and this workspace has {total:,}" if total is not None else "")
                + ": use client.companies.scroll() (or client.companies.frame(), which uses it) to get them all"
            )
        if fetched + size > self.cap:
            size = _largest_divisor_at_most(fetched, self.cap - fetched)
        return replace(request, params={**params, "page": fetched // size + 1, "per_page": size})


def _largest_divisor_at_most(n: int, limit: int) -> int:
    """The largest page size that starts exactly at item ``n`` and ends at or before the cap."""
    for size in range(min(n, limit), 0, -1):
        if n % size == 0:
            return size
    return 1


@dataclass(frozen=True)
class Scroll(Style):
    """``GET /companies/scroll``: the same ``scroll_param`` comes back on every page; an empty page ends it.

    A scroll page is never sent twice: each answer advances the scroll on Intercom's side, so re-sending a page
    whose answer was lost would skip a page silently, and "It is not possible to continue from a specific point".
    So a failed page (an expired ``scroll_param``, a timeout, a 5xx, a cut body) restarts the scroll from the top
    (``restart``) or is raised; ``max_restarts`` restarts in a row that return nothing new give up.
    """

    path: str = "/companies/scroll"
    restart: bool = True
    max_restarts: int = 10
    snapshot: bool = True  # "one scroll" is one pass over the companies: an id twice in it is a runaway

    def after_failure(self, request: PageRequest, exc: Exception, *, fruitless: int) -> str:
        if not self.restart or scroll_expired(request, exc) is None:
            return RAISE
        return GIVE_UP if fruitless > self.max_restarts else RESTART

    def first(self) -> PageRequest:
        return PageRequest("GET", self.path, params={})

    def next(self, request: PageRequest, body: dict[str, Any]) -> PageRequest | None:
        if not self.items(body):
            return None
        param = body.get("scroll_param")
        if not isinstance(param, str) or not param:
            raise PaginationError("scroll response has data but no scroll_param to continue with")
        return replace(request, params={"scroll_param": param})


def scroll_expired(request: PageRequest, exc: Exception) -> bool | None:
    """A failed scroll page: ``True`` when Intercom says the scroll expired, ``False`` when the page failed
    otherwise (server error, transport, unreadable answer: the scroll may still be open), ``None`` when this is
    not a failure a scroll restart can mend (a refused first request, any other 4xx)."""
    if isinstance(exc, BadRequest | NotFound):
        text = f"{getattr(exc, 'code', '') or ''} {getattr(exc, 'message', '')}".lower()
        expired = (
            "expired" in text or "scroll_param" in text or "not found" in text or "invalid scroll" in text
        )
        return True if "scroll_param" in (request.params or {}) and expired else None
    return False if isinstance(exc, ServerError | TransportError | InvalidResponse) else None


@dataclass
class WalkGuard:
    """Stops walks that would never end: a page seen before, a cursor that repeats, or a count far past the total.

    Keeps a digest per page, not per item, so memory stays small on million-row walks. ``mutable``: the walk's order
    can change under it (a sort by ``updated_at``), so an earlier page may legitimately come back and a record may be
    seen again each time it changes: only a page identical to the one just before it counts as a loop (a server
    serving the same page again), and the walk may see up to twice the total. ``distinct``: the walk is a snapshot
    (the scroll), so one id twice is a loop too; it keeps every id (companies are few).
    """

    slack: int = 0
    mutable: bool = False
    distinct: bool = False
    _ids: set[str] = field(default_factory=set)
    _pages: set[bytes] = field(default_factory=set)
    _cursors: set[str] = field(default_factory=set)
    _last: bytes | None = None
    seen: int = 0
    total: int | None = None

    def observe(self, items: list[Any], body: dict[str, Any], next_request: PageRequest | None) -> None:
        ids = [str(item.get("id")) if isinstance(item, dict) else repr(item) for item in items]
        self.observe_ids(ids, body, next_request)

    def observe_ids(self, ids: list[str], body: dict[str, Any], next_request: PageRequest | None) -> None:
        """``observe`` for a page already reduced to its records' ids."""
        total = total_count(body)
        if total is not None:
            self.total = total if self.total is None else max(self.total, total)
        self.seen += len(ids)
        if self.distinct:
            for ident in ids:
                if ident in self._ids:
                    # Other tools have run for days on a looping scroll, producing millions of duplicates.
                    raise PaginationError(
                        f"the walk returned {ident!r} twice in one pass of what should be a snapshot: stopping a "
                        "runaway walk"
                    )
                self._ids.add(ident)
        if ids:
            digest = hashlib.blake2b("\x1f".join(ids).encode(), digest_size=16).digest()
            if digest == self._last or (not self.mutable and digest in self._pages):
                raise PaginationError(
                    f"the same page of {len(ids)} items came back twice (first id {ids[0]!r}): stopping instead "
                    "of looping forever"
                )
            if not self.mutable:
                self._pages.add(digest)
            self._last = digest
        allowance = (self.total if self.mutable else self.total // 10) + 150 if self.total is not None else 0
        if self.total is not None and self.seen > self.total + max(self.slack, allowance):
            raise PaginationError(
                f"walked {self.seen:,} items but Intercom reports {self.total:,}: stopping a runaway walk"
            )
        if next_request is not None:
            cursor = _cursor_of(next_request)
            if cursor is not None:
                if cursor in self._cursors and not cursor.startswith("scroll:"):
                    raise PaginationError(f"the pagination cursor {cursor[:40]!r} repeated: stopping a loop")
                self._cursors.add(cursor)


def _cursor_of(request: PageRequest) -> str | None:
    if request.params and "starting_after" in request.params:
        return str(request.params["starting_after"])
    if request.params and "page" in request.params:
        return f"page:{request.params['page']}"
    if request.params and "scroll_param" in request.params:
        return "scroll:"  # legitimately the same on every page; the page digests guard scrolls
    if request.json and isinstance(request.json.get("pagination"), dict):
        cursor = request.json["pagination"].get("starting_after")
        return str(cursor) if cursor else None
    return None
