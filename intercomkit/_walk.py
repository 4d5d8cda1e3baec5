"""The one page loop (openai-python's ``AsyncPaginator`` + ``BasePage`` split).

A ``Style`` (``_protocol.pages``) decides the first request, the next one and what a failed page means; ``load``
fetches and decodes one page, so the decoder is the caller's: the client's paginators read dicts
(``DictPage.read``), the export reads Arrow columns straight from the bytes (``export._page.read_page``). A
decoded page is anything with ``body`` (the answer's envelope: counts and cursor) and ``ids`` (one entry per
record, what the guard compares). Models, filters, progress bars and part files stay with the callers; ``unseen``
is the dedupe by id of the walks that may see a record twice (a mutable sort, a restarted scroll).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from ._protocol.pages import RAISE, RESTART, PageRequest, Style, total_count

__all__ = ["RETRY", "DictPage", "Walk", "unseen"]

# ``recover``'s answer besides the style's RESTART and RAISE: send the same request again (its cursor stays valid).
RETRY = "retry"


class Decoded(Protocol):
    body: dict[str, Any]
    ids: list[str]


D = TypeVar("D", bound=Decoded)


@dataclass
class DictPage:
    """A page decoded to dicts: ``raw`` is every entry under the style's items key, ``items`` the dicts among them."""

    body: dict[str, Any]
    raw: list[Any]
    items: list[dict[str, Any]]
    ids: list[str]

    @classmethod
    def read(cls, style: Style, body: dict[str, Any]) -> DictPage:
        raw = style.items(body)
        # The guard sees every entry, not only the usable ones: a repeating page of junk is a loop too.
        ids = [str(item.get("id")) if isinstance(item, dict) else repr(item) for item in raw]
        return cls(body, raw, [item for item in raw if isinstance(item, dict)], ids)


def unseen(items: list[dict[str, Any]], seen: set[str]) -> list[dict[str, Any]]:
    """The items whose id was not seen before (an item without an id is kept), remembering the new ids."""
    fresh = []
    for item in items:
        ident = item.get("id")
        if ident is not None:
            if str(ident) in seen:
                continue
            seen.add(str(ident))
        fresh.append(item)
    return fresh


class Walk(Generic[D]):
    """One walk of ``style``: ``async for page in walk.pages()`` yields each decoded page in order.

    ``recover(exc, request, attempt)`` (async) is asked when loading a page fails: ``RETRY`` sends the same request
    again, ``RESTART`` walks again from the first page with a fresh guard, ``RAISE`` (or no ``recover``) raises.
    ``attempt`` counts the failures of this request in a row. While a page is yielded, ``request`` is the request
    that fetched it (after a failure, the one that failed); ``total`` is the latest ``total_count``; ``restarts``
    counts the passes started again. An empty page ends every walk; a repeated page or cursor, or a count far past
    the total, raises ``PaginationError`` (``WalkGuard``). When the style refuses the next request (the companies
    list cap), the page is yielded first and the refusal raised after it.
    """

    def __init__(
        self,
        style: Style,
        load: Callable[[PageRequest], Awaitable[D]],
        *,
        recover: Callable[[Exception, PageRequest, int], Awaitable[str]] | None = None,
    ) -> None:
        self.style = style
        self._load = load
        self._recover = recover
        self.request: PageRequest | None = None
        self.total: int | None = None
        self.restarts = 0

    async def pages(self) -> AsyncIterator[D]:
        style = self.style
        guard = style.guard()
        request: PageRequest | None = style.first()
        attempt = 0
        while request is not None:
            self.request = request
            try:
                # A one-slot box: the page leaves it when yielded, so this frame holds no reference to a page
                # while the caller works on it (an export waiting for its disk thread must not pin the page).
                box = [await self._load(request)]
            except Exception as exc:
                attempt += 1
                verdict = RAISE if self._recover is None else await self._recover(exc, request, attempt)
                if verdict == RETRY:
                    continue
                if verdict == RESTART:
                    self.restarts += 1
                    attempt = 0
                    guard = style.guard()
                    request = style.first()
                    continue
                raise
            attempt = 0
            body, ids = box[0].body, box[0].ids
            total = total_count(body)
            if total is not None:
                self.total = total
            pending: Exception | None = None
            try:
                request = style.next(request, body) if ids else None
            except Exception as exc:  # yield what we have first
                request, pending = None, exc
            guard.observe_ids(ids, body, request)
            del body, ids
            yield box.pop()
            if pending is not None:
                raise pending
