"""What every resource shares: its client, and path segments that cannot escape their slot."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .._models import Model
from .._pagination import Paginator
from .._protocol.numbers import is_int
from .._protocol.pages import Search, check_per_page
from .._protocol.query.builder import Query, sort_spec
from .._protocol.query.plan import plan_search
from ..errors import InvalidResponse, NotFound

if TYPE_CHECKING:
    from .._client import AsyncClient

__all__ = ["Resource", "listed", "search_paginator", "segment"]


def listed(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The objects listed under ``key`` of a non-paginated answer; a non-list there is ``InvalidResponse``."""
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidResponse(
            f"expected a list under {key!r} in Intercom's answer, got {type(value).__name__}"
        )
    return [item for item in value if isinstance(item, dict)]


def segment(value: object, what: str) -> str:
    """One URL path segment from an id: a non-empty string (or int), percent-encoded so '/' or '..' stay data."""
    if not (isinstance(value, str) or is_int(value)):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    text = str(value).strip()
    if not text:
        raise ValueError(f"{what} must not be empty")
    return quote(text, safe="")


class Resource:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    async def _attributes(self, model: str, include_archived: bool) -> list[Model]:
        """``GET /data_attributes?model=``: the workspace's standard and custom attributes of ``model``."""
        params = {"model": model, **({"include_archived": "true"} if include_archived else {})}
        body = await self._client.request("GET", "/data_attributes", params=params)
        return [Model(attr) for attr in listed(body, "data")]

    async def _on(self, what: str, ident: object, method: str, path: str, **kw: Any) -> dict[str, Any]:
        """``client.request`` for one object: a 404 becomes a ``NotFound`` that names the object and its id."""
        try:
            return await self._client.request(method, path, **kw)
        except NotFound as exc:
            raise exc.rephrased(f"{what} {ident!r} not found ({exc.message})") from None


def search_paginator(
    client: AsyncClient,
    query: Query | Mapping[str, Any],
    *,
    resource: str,
    model: Callable[[dict[str, Any]], Any],
    frame_builder: str,
    sort: str | Mapping[str, str] | None = None,
    order: str = "ascending",
    per_page: int = 150,
) -> Paginator[Any]:
    """``POST /<resource>/search`` for ``query``, validated and planned with ``resource``'s rules before any request
    (``InvalidQuery``). A plan with day-matched date bounds (contacts, companies) is re-planned in the workspace's
    timezone (``client.workspace_timezone()``) when it is walked; the post filter keeps exactly what was asked."""
    plan = plan_search(query, resource=resource)
    sort_body = _sort(sort, order, resource)
    per_page = check_per_page(per_page)
    path = f"/{resource}/search"
    items_key = "data" if resource in ("contacts", "companies") else resource

    def style_for(server_query: dict[str, Any]) -> Search:
        return Search(
            path, server_query, per_page=per_page, sort=sort_body, base=client.base, items_key=items_key
        )

    prepare = None
    if plan.dated:

        async def prepare() -> tuple[Search, Any]:
            zoned = plan_search(query, resource=resource, tz=await client.workspace_timezone())
            return style_for(zoned.server_query), zoned.post_filter

    return Paginator(
        client,
        style_for(plan.server_query),
        model=model,
        frame_builder=frame_builder,
        post_filter=plan.post_filter,
        prepare=prepare,
    )


def _sort(sort: str | Mapping[str, str] | None, order: str, resource: str) -> dict[str, str] | None:
    if sort is None:
        return None
    if isinstance(sort, Mapping):
        return sort_spec(sort.get("field", ""), sort.get("order", order), resource=resource)
    return sort_spec(sort, order, resource=resource)
