"""The client's paginator over every pagination style (openai-python's ``AsyncPaginator`` habit), on the one
page loop in ``_walk``.

``await paginator`` → the first ``Page``; ``async for item in paginator`` → every item (as a model);
``async for page in paginator.pages()`` → every page; ``await paginator.to_list()`` / ``.frame()`` / ``.raw()``.

The collectors (``raw``, ``to_list``, ``frame``) take ``progress``: ``True`` shows a tqdm.auto bar of rows (out of
Intercom's ``total_count`` when the listing has one), ``False`` never does, and ``None`` (the default) shows one
only for a long walk: more than ``LONG_WALK_PAGES`` pages by ``total_count``, or past that many pages when the
listing has no count (the companies scroll).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._protocol.pages import PageRequest, Style, total_count
from ._walk import DictPage, Walk, unseen

if TYPE_CHECKING:
    from ._client import AsyncClient

__all__ = ["LONG_WALK_PAGES", "Page", "Paginator"]

T = TypeVar("T")

# Past this many pages a walk takes long enough (a few seconds at Intercom's pace) to deserve a bar by default.
LONG_WALK_PAGES = 10


@dataclass
class Page:
    """One page: its raw items, the whole body, and the request that fetched it."""

    items: list[dict[str, Any]]
    body: dict[str, Any]
    request: PageRequest
    number: int

    @property
    def total_count(self) -> int | None:
        return total_count(self.body)

    def __len__(self) -> int:
        return len(self.items)


class Paginator(Generic[T]):
    """Walks one listing or search. Each iteration starts a fresh walk from the first page.

    ``model`` wraps each raw item for ``async for`` and ``to_list`` (the raw dict stays at ``.raw``);
    ``frame_builder`` names the ``intercomkit._frames`` function that turns raw items into a DataFrame;
    ``post_filter`` drops items the server returned only because Intercom's filters are coarser than the query;
    ``translate_error`` may turn an API error of a page request into a clearer one (or return ``None`` to keep it);
    ``prepare`` (async) returns the ``(style, post_filter)`` to walk with, asked before every walk (a search planned
    in the workspace's timezone, which only ``GET /me`` knows).
    """

    def __init__(
        self,
        client: AsyncClient,
        style: Style,
        *,
        model: Callable[[dict[str, Any]], T] | None = None,
        frame_builder: str = "records_frame",
        post_filter: Callable[[dict[str, Any]], bool] | None = None,
        before_walk: Callable[[], Any] | None = None,
        after_walk: Callable[[], Any] | None = None,
        translate_error: Callable[[Exception], Exception | None] | None = None,
        prepare: Callable[[], Awaitable[tuple[Style, Callable[[dict[str, Any]], bool] | None]]] | None = None,
    ) -> None:
        self._client = client
        self.style = style
        self._model = model
        self._frame_builder = frame_builder
        self._post_filter = post_filter
        self._before_walk = before_walk
        self._after_walk = after_walk
        self._translate_error = translate_error
        self._prepare = prepare
        self.total_count: int | None = None

    def __repr__(self) -> str:
        return f"<Paginator {type(self.style).__name__} {getattr(self.style, 'path', '')!r}>"

    async def pages(self) -> AsyncIterator[Page]:
        """Every page in order; a repeated page, a repeated cursor or a runaway count raises ``PaginationError``.

        Over an order that can change during the walk (``style.mutable_order``: a search sorted by ``updated_at``,
        the companies list sorted by ``last_request_at``) a record may come back on a later page and another may be
        skipped: repeats are dropped by id here, and such a walk is not a snapshot.
        """
        if self._prepare is not None:
            self.style, self._post_filter = await self._prepare()
        if self._before_walk is not None:
            await self._before_walk()
        try:
            seen: set[str] | None = set() if self.style.mutable_order else None
            walk = Walk(self.style, self._load)
            number = 0
            async for page in walk.pages():
                if walk.total is not None:
                    self.total_count = walk.total
                items = page.items if seen is None else unseen(page.items, seen)
                if self._post_filter is not None:
                    items = [item for item in items if self._post_filter(item)]
                number += 1
                assert walk.request is not None  # the request that fetched this page
                yield Page(items=items, body=page.body, request=walk.request, number=number)
        finally:
            if self._after_walk is not None:
                await self._after_walk()

    async def _load(self, request: PageRequest) -> DictPage:
        try:
            body = await self._client.request(
                request.method, request.path, params=request.params, json=request.json
            )
        except Exception as exc:
            clearer = self._translate_error(exc) if self._translate_error is not None else None
            if clearer is None:
                raise
            raise clearer from exc
        return DictPage.read(self.style, body)

    async def _raw_items(
        self, limit: int | None = None, progress: bool | None = False
    ) -> AsyncIterator[dict[str, Any]]:
        if limit is not None and limit <= 0:
            return
        count = 0
        bar: Any = None
        walk = self.pages()
        try:
            async for page in walk:
                if bar is None and _wants_bar(progress, page, self.total_count, self.style, limit):
                    bar = self._open_bar(limit, initial=count)
                if bar is not None:
                    bar.update(len(page.items) if limit is None else min(len(page.items), limit - count))
                for item in page.items:
                    yield item
                    count += 1
                    if limit is not None and count >= limit:
                        return
        finally:
            await walk.aclose()
            if bar is not None:
                bar.close()

    def _open_bar(self, limit: int | None, initial: int) -> Any:
        from tqdm.auto import tqdm

        total = self.total_count
        if limit is not None:
            total = limit if total is None else min(total, limit)
        what = str(getattr(self.style, "path", "") or "").strip("/").split("/")[0] or "items"
        return tqdm(total=total, initial=initial, unit=" rows", unit_scale=True, desc=what, leave=True)

    async def __aiter__(self) -> AsyncIterator[T]:
        wrap = self._model
        async for item in self._raw_items():
            yield wrap(item) if wrap is not None else item  # type: ignore[misc]

    def __await__(self) -> Generator[Any, None, Page]:
        return self.first_page().__await__()

    async def first_page(self) -> Page:
        walk = self.pages()
        try:
            async for page in walk:
                return page
        finally:
            await walk.aclose()
        raise AssertionError("unreachable: a walk always yields its first page")  # pragma: no cover

    async def raw(self, limit: int | None = None, *, progress: bool | None = None) -> list[dict[str, Any]]:
        """The raw item dicts, as Intercom sent them (``progress``: see the module docstring)."""
        return [item async for item in self._raw_items(limit, progress)]

    async def to_list(self, limit: int | None = None, *, progress: bool | None = None) -> list[T]:
        items = await self.raw(limit, progress=progress)
        wrap = self._model
        return [wrap(item) for item in items] if wrap is not None else items  # type: ignore[misc]

    async def frame(self, limit: int | None = None, *, progress: bool | None = None, **options: Any) -> Any:
        """A typed pandas DataFrame of the items (see ``intercomkit._frames`` for the schema).

        ``progress=True`` shows a tqdm bar of rows; the default ``None`` shows one only for a walk of more than
        ``LONG_WALK_PAGES`` (10) pages."""
        from . import _frames

        build = getattr(_frames, self._frame_builder)
        return build(await self.raw(limit, progress=progress), **options)


def _wants_bar(progress: bool | None, page: Page, total: int | None, style: Style, limit: int | None) -> bool:
    """Whether a collector shows a bar, decided at each page until it does (``None``: only for long walks)."""
    if progress is not None:
        return bool(progress)
    if total is None:
        return page.number > LONG_WALK_PAGES
    if page.number != 1:
        return False
    size = getattr(style, "per_page", None) or len(page.items) or 1
    rows = total if limit is None else min(total, limit)
    return rows > LONG_WALK_PAGES * size
