"""The workspace's lists: ``client.tags``, ``client.segments``, ``client.teams``, ``client.data_attributes``. Each is
one unpaginated request (``list()``) and the same as a typed frame (``frame()``)."""

from __future__ import annotations

import logging
from typing import Any

from .._models import Model
from .._support_rows import DATA_ATTRIBUTE_SPEC, SEGMENT_SPEC, TAG_SPEC, TEAM_SPEC
from ..errors import BadRequest, Forbidden, NotFound, UnprocessableEntity
from ._base import Resource, listed

__all__ = ["UNREADABLE", "DataAttributes", "Segments", "Tags", "Teams"]

logger = logging.getLogger("intercomkit")

# A token that may not read the attributes, or an API version that does not know the model.
UNREADABLE = (Forbidden, NotFound, BadRequest, UnprocessableEntity)


class _Listing(Resource):
    _path = ""
    _key = ""
    _spec: list[tuple[str, str]] = []

    async def list(self) -> list[Model]:
        return [Model(item) for item in listed(await self._client.request("GET", self._path), self._key)]

    async def frame(self, **options: Any) -> Any:
        """The list as a typed DataFrame (``options``: ``dtype_backend="pyarrow"``)."""
        from .._frames import listing_frame

        return listing_frame(await self.list(), self._spec, **options)


class Tags(_Listing):
    """``GET /tags``: every tag of the workspace (``id``, ``name``)."""

    _path, _key, _spec = "/tags", "data", TAG_SPEC


class Segments(_Listing):
    """``GET /segments``: the workspace's segments (``id``, ``name``, ``person_type``…)."""

    _path, _key, _spec = "/segments", "segments", SEGMENT_SPEC


class Teams(_Listing):
    """``GET /teams``: the workspace's teams (``id``, ``name``, ``admin_ids``…)."""

    _path, _key, _spec = "/teams", "teams", TEAM_SPEC


_MODELS = ("contact", "company", "conversation")


class DataAttributes(Resource):
    """``GET /data_attributes?model=``: the standard and custom attributes of contacts, companies or conversations,
    with each one's ``data_type`` (string, integer, float, boolean, date). Frames use the custom ones to type their
    ``custom.*`` columns."""

    async def list(self, model: str = "contact", *, include_archived: bool = False) -> list[Model]:
        """``model`` is "contact", "company" or "conversation". Conversations' attributes come from ``GET
        /conversations/attributes`` (2.16: "For conversation attributes, use GET /conversations/attributes
        instead"), or ``/data_attributes?model=conversation`` where that route is unknown."""
        if model not in _MODELS:
            raise ValueError(f"model must be one of {', '.join(_MODELS)}, got {model!r}")
        if model != "conversation":
            return await self._attributes(model, include_archived)
        params = {"include_archived": "true"} if include_archived else None
        try:
            body = await self._client.request("GET", "/conversations/attributes", params=params)
        except NotFound:
            return await self._attributes(model, include_archived)
        return [Model(attr) for attr in listed(body, "data")]

    async def readable(self, model: str) -> list[Model] | None:
        """``list(model)``, or ``None`` when this token may not read it (frames then infer types from values)."""
        try:
            return await self.list(model)
        except UNREADABLE as exc:
            logger.info("cannot read the %s data attributes (%s): inferring column types", model, exc)
            return None

    async def frame(self, model: str = "contact", *, include_archived: bool = False, **options: Any) -> Any:
        from .._frames import listing_frame

        attributes = await self.list(model, include_archived=include_archived)
        return listing_frame(attributes, DATA_ATTRIBUTE_SPEC, **options)
