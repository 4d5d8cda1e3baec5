"""One generic paginator over every pagination style (openai-python's ``AsyncPaginator`` habit).

``await paginator`` → the first ``Page``; ``async for item in paginator`` → every item (as a model);
``async for page in paginator.pages()`` → every page; ``await paginator.to_list()`` / ``.frame()`` / ``.raw()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._protocol.pages import PageRequest, Style, WalkGuard

if TYPE_CHECKING:
    from ._client import AsyncClient

__all__ = ["Page", "Paginator"]

T = TypeVar("T")


@dataclass
class Page:
    """One page: its raw items, the whole body, and the request that fetched it."""

    items: list[dict[str, Any]]
    body: dict[str, Any]
    request: PageRequest
    number: int

    @property
    def total_count(self) -> int | None:
        total = self.body.get("total_count")
        return total if isinstance(total, int) and not isinstance(total, bool) else None

    def __len__(self) -> int:
        return len(self.items)


class Paginator(Generic[T]):
    """Walks one listing or search. Each iteration starts a fresh walk from the first page.

    ``model`` wraps each raw item for ``async for`` and ``to_list`` (the raw dict stays at ``.raw``);
    ``frame_builder`` names the ``intercomkit._frames`` function that turns raw items into a DataFrame;
    ``post_filter`` drops items the server returned only because Intercom's filters are coarser than the query;
    ``translate_error`` may turn an API error of a page request into a clearer one (or return ``None`` to keep it).
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
    ) -> None:
        self._client = client
        self.style = style
        self._model = model
        self._frame_builder = frame_builder
        self._post_filter = post_filter
        self._before_walk = before_walk
        self._after_walk = after_walk
        self._translate_error = translate_error
        self.total_count: int | None = None

    def __repr__(self) -> str:
        return f"<Paginator {type(self.style).__name__} {getattr(self.style, 'path', '')!r}>"

    async def pages(self) -> AsyncIterator[Page]:
        """Every page in order; a repeated page, a repeated cursor or a runaway count raises ``PaginationError``."""
        if self._before_walk is not None:
            await self._before_walk()
        try:
            request: PageRequest | None = self.style.first()
            guard = WalkGuard()
            number = 0
            while request is not None:
                body = await self._fetch_page(request)
                raw = self.style.items(body)
                items = [item for item in raw if isinstance(item, dict)]
                number += 1
                page_total = body.get("total_count")
                if isinstance(page_total, int) and not isinstance(page_total, bool):
                    self.total_count = page_total
                current = request
                # Computing the next request may raise (e.g. the companies list cap): yield what we have first.
                try:
                    request = self.style.next(request, body)
                    pending_error: Exception | None = None
                except Exception as exc:
                    request, pending_error = None, exc
                guard.observe(raw, body, request)  # every item: a repeating page of junk is a loop too
                if self._post_filter is not None:
                    items = [item for item in items if self._post_filter(item)]
                yield Page(items=items, body=body, request=current, number=number)
                if pending_error is not None:
                    raise pending_error
        finally:
            if self._after_walk is not None:
                await self._after_walk()

    async def _fetch_page(self, request: PageRequest) -> dict[str, Any]:
        try:
            return await self._client.request(
                request.method, request.path, params=request.params, json=request.json
            )
        except Exception as exc:
            clearer = self._translate_error(exc) if self._translate_error is not None else None
            if clearer is None:
                raise
            raise clearer from exc

    async def _raw_items(self, limit: int | None = None) -> AsyncIterator[dict[str, Any]]:
        if limit is not None and limit <= 0:
            return
        count = 0
        walk = self.pages()
        try:
            async for page in walk:
                for item in page.items:
                    yield item
                    count += 1
                    if limit is not None and count >= limit:
                        return
        finally:
            await walk.aclose()

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

    async def raw(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The raw item dicts, as Intercom sent them."""
        return [item async for item in self._raw_items(limit)]

    async def to_list(self, limit: int | None = None) -> list[T]:
        items = await self.raw(limit)
        wrap = self._model
        return [wrap(item) for item in items] if wrap is not None else items  # type: ignore[misc]

    async def frame(self, limit: int | None = None, **options: Any) -> Any:
        """A typed pandas DataFrame of the items (see ``intercomkit._frames`` for the schema)."""
        from . import _frames

        build = getattr(_frames, self._frame_builder)
        return build(await self.raw(limit), **options)
