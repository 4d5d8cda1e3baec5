"""What every resource shares: its client, and path segments that cannot escape their slot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .._models import Model
from .._protocol.numbers import is_int
from ..errors import InvalidResponse, NotFound

if TYPE_CHECKING:
    from .._client import AsyncClient

__all__ = ["Resource", "listed", "segment"]


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
