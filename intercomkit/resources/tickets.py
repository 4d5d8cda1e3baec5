"""``client.tickets``: search (``POST /tickets/search``), one ticket, tickets as a typed frame, and the workspace's
ticket types and states."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._models import Model, Ticket
from .._pagination import Paginator
from .._protocol.query.builder import Query, field
from .._support_rows import TICKET_STATE_SPEC, TICKET_TYPE_SPEC
from ..errors import NotFound
from ._base import Resource, listed, search_paginator, segment

__all__ = ["Tickets"]


class Tickets(Resource):
    def search(
        self,
        query: Query | Mapping[str, Any],
        sort: str | Mapping[str, str] | None = None,
        per_page: int = 150,
        *,
        order: str = "ascending",
    ) -> Paginator[Ticket]:
        """Tickets matching ``query``, checked before any request against the ticket search's fields and types
        (``InvalidQuery``); ticket attributes are ``ticket_attribute.<id>``. As for conversations, Intercom's
        ``>``/``<`` here include the bound ("Greater (or equal) than"): bounds are rewritten so they mean what
        they say."""
        return search_paginator(
            self._client,
            query,
            resource="tickets",
            model=Ticket,
            frame_builder="tickets_frame",
            sort=sort,
            order=order,
            per_page=per_page,
        )

    def all(self, per_page: int = 150) -> Paginator[Ticket]:
        """Every ticket: Intercom has no ticket listing, so this is a search that every ticket matches
        (``created_at >= 0``), oldest first."""
        return self.search(field("created_at") >= 0, sort="created_at", per_page=per_page)

    async def get(self, ticket_id: str) -> Ticket:
        """By Intercom's ``id`` (not the ``ticket_id`` the Inbox shows). An unknown id raises ``NotFound``."""
        return Ticket(
            await self._on("ticket", ticket_id, "GET", f"/tickets/{segment(ticket_id, 'ticket_id')}")
        )

    async def types(self) -> list[Model]:
        """``GET /ticket_types``: each type's ``id``, ``name``, ``category`` and its attributes
        (``ticket_type_attributes``)."""
        return [Model(t) for t in listed(await self._client.request("GET", "/ticket_types"), "data")]

    async def states(self) -> list[Model]:
        """``GET /ticket_states``: ``id``, ``category`` (submitted, in_progress, waiting_on_customer, resolved),
        ``internal_label``, ``external_label``."""
        try:
            return [Model(t) for t in listed(await self._client.request("GET", "/ticket_states"), "data")]
        except NotFound:
            # A server without the route (API versions before it, the sandbox): the states each type lists.
            states: dict[str, Model] = {}
            for t in await self.types():
                listing = t.get("ticket_states")
                for state in listed(listing, "data") if isinstance(listing, dict) else []:
                    states.setdefault(str(state.get("id")), Model(state))
            return list(states.values())

    async def types_frame(self, **options: Any) -> Any:
        from .._frames import listing_frame

        return listing_frame(await self.types(), TICKET_TYPE_SPEC, **options)

    async def states_frame(self, **options: Any) -> Any:
        from .._frames import listing_frame

        return listing_frame(await self.states(), TICKET_STATE_SPEC, **options)

    async def frame(
        self,
        query: Query | Mapping[str, Any] | None = None,
        limit: int | None = None,
        *,
        attributes: Any = "auto",
        progress: bool | None = None,
        **options: Any,
    ) -> Any:
        """Tickets as a typed DataFrame, one row each (every ticket, or those matching ``query``), with
        ``attr.<name>`` for each ticket attribute. ``attributes="auto"`` types those columns from the ticket types'
        attributes (``GET /ticket_types``) when readable; ``None`` infers them from the values."""
        paginator = self.all() if query is None else self.search(query)
        items = await paginator.raw(limit, progress=progress)
        if isinstance(attributes, str) and attributes == "auto":
            attributes = await self._type_attributes()
        from .._frames import tickets_frame

        return tickets_frame(items, attributes=attributes, **options)

    async def _type_attributes(self) -> list[dict[str, Any]] | None:
        from .workspace import UNREADABLE

        try:
            types = await self.types()
        except UNREADABLE:
            return None
        out: list[dict[str, Any]] = []
        for t in types:
            attrs = t.get("ticket_type_attributes")
            listing = attrs.get("ticket_type_attributes") if isinstance(attrs, dict) else attrs
            out.extend(a for a in listing or [] if isinstance(a, dict))
        return out
