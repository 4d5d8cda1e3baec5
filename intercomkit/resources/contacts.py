"""``client.contacts``: CRUD, lookups, list and search (``POST /contacts/search``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._models import Contact, Model, check_contact_fields
from .._pagination import Paginator
from .._protocol.pages import CursorList, check_per_page
from .._protocol.query.builder import Query, field
from ..errors import NotFound
from ._base import Resource, listed, search_paginator, segment

__all__ = ["Contacts"]


class Contacts(Resource):
    """Users and leads. Every listing always sends ``per_page`` (default 150): Intercom's own defaults are 10/50."""

    async def create(self, **fields: Any) -> Contact:
        """``role``, ``external_id``, ``email``, ``phone``, ``name``, ``avatar``, ``last_seen_at``, ``signed_up_at``,
        ``owner_id``, ``unsubscribed_from_emails``, ``custom_attributes``. An ``external_id`` that exists raises
        ``Conflict`` with ``existing_id`` when Intercom names it. An email is not a key (two contacts may share
        one): never rely on ``Conflict`` to avoid a duplicate, look the contact up first. Not retried on an
        ambiguous failure (it would create twice)."""
        body = check_contact_fields(fields)
        if not any(key in body for key in ("email", "external_id", "role")):
            raise TypeError("create a contact with at least one of email, external_id or role")
        return Contact(await self._client.request("POST", "/contacts", json=body))

    async def get(self, contact_id: str) -> Contact:
        path = f"/contacts/{segment(contact_id, 'contact_id')}"
        return Contact(await self._on("contact", contact_id, "GET", path))

    async def update(self, contact_id: str, **fields: Any) -> Contact:
        """Every field passed is sent as given: ``False``, ``0``, ``""`` and ``None`` are kept, not dropped."""
        body = check_contact_fields(fields)
        if not body:
            raise TypeError("update() needs at least one field to change")
        path = f"/contacts/{segment(contact_id, 'contact_id')}"
        return Contact(await self._on("contact", contact_id, "PUT", path, json=body))

    async def delete(self, contact_id: str) -> Model:
        return await self._act("DELETE", contact_id, "")

    async def archive(self, contact_id: str) -> Model:
        return await self._act("POST", contact_id, "/archive")

    async def unarchive(self, contact_id: str) -> Model:
        return await self._act("POST", contact_id, "/unarchive")

    async def _act(self, method: str, contact_id: str, suffix: str) -> Model:
        path = f"/contacts/{segment(contact_id, 'contact_id')}{suffix}"
        # Archiving, unarchiving and deleting twice leave the same state: safe to retry.
        return Model(await self._on("contact", contact_id, method, path, repeatable=True))

    async def find_by_email(self, email: str) -> Contact | None:
        """The contact with exactly this email, or ``None``. (Several leads may share one: the oldest wins.)"""
        if not isinstance(email, str) or not email.strip():
            raise TypeError("email must be a non-empty str")
        wanted = email.strip()
        # Intercom's "=" compares emails as stored; ask for both spellings and match case-insensitively here.
        spellings = list(dict.fromkeys([wanted, wanted.lower()]))
        query = field("email").isin(spellings) if len(spellings) > 1 else field("email") == wanted
        found = await self.search(query, per_page=5).to_list(limit=5)
        exact = [
            c
            for c in found
            if isinstance(c.get("email"), str) and c["email"].lower() == email.strip().lower()
        ]
        return min(exact, key=lambda c: c.get("created_at") or 0) if exact else None

    async def find_by_external_id(self, external_id: str) -> Contact | None:
        path = f"/contacts/find_by_external_id/{segment(external_id, 'external_id')}"
        try:
            return Contact(await self._client.request("GET", path))
        except NotFound:
            return None

    async def tags(self, contact_id: str) -> list[Model]:
        """Every tag of a contact (the contact object itself shows at most 10)."""
        path = f"/contacts/{segment(contact_id, 'contact_id')}/tags"
        body = await self._on("contact", contact_id, "GET", path)
        return [Model(tag) for tag in listed(body, "data")]

    async def attributes(self, *, include_archived: bool = False) -> list[Model]:
        """The workspace's contact attributes (``GET /data_attributes?model=contact``); custom ones have
        ``custom=True`` and are the ``custom.<name>`` columns of frames and exports."""
        return await self._attributes("contact", include_archived)

    def notes(self, contact_id: str, per_page: int = 150) -> Paginator[Model]:
        path = f"/contacts/{segment(contact_id, 'contact_id')}/notes"
        return Paginator(
            self._client,
            CursorList(path, per_page=check_per_page(per_page), base=self._client.base),
            model=Model,
        )

    def companies(self, contact_id: str, per_page: int = 150) -> Paginator[Model]:
        path = f"/contacts/{segment(contact_id, 'contact_id')}/companies"
        style = CursorList(
            path, per_page=check_per_page(per_page), base=self._client.base, items_key="companies"
        )
        return Paginator(self._client, style, model=Model, frame_builder="companies_frame")

    def of_company(self, company_id: str, per_page: int = 150) -> Paginator[Contact]:
        """The contacts attached to a company (by Intercom's ``company.id``): ``GET /companies/{id}/contacts``.

        Intercom's contact search has no company field ("Accepted Fields" lists none), so this is the way from the
        contacts side; ``await client.companies.find(company_id=…)`` or ``find(name=…)`` gives the id."""
        return self._client.companies.contacts_of(company_id, per_page=per_page)

    async def frame(
        self, query: Query | Mapping[str, Any] | None = None, limit: int | None = None, **options: Any
    ) -> Any:
        """Contacts as a typed DataFrame: every contact (``list()``), or those matching ``query`` (``search()``).

        ``options`` go to ``Paginator.frame``: ``progress=True/False`` (default: a bar only for a long walk),
        ``dtype_backend="pyarrow"``."""
        paginator = self.list() if query is None else self.search(query)
        return await paginator.frame(limit, **options)

    def list(self, per_page: int = 150) -> Paginator[Contact]:
        """Every contact, oldest cursor first: ``async for c in client.contacts.list()`` or ``.frame()``."""
        style = CursorList("/contacts", per_page=check_per_page(per_page), base=self._client.base)
        return Paginator(self._client, style, model=Contact, frame_builder="contacts_frame")

    def search(
        self,
        query: Query | Mapping[str, Any],
        sort: str | Mapping[str, str] | None = None,
        per_page: int = 150,
        *,
        order: str = "ascending",
    ) -> Paginator[Contact]:
        """Contacts matching ``query`` (``ik.field(...)`` expressions or Intercom's raw JSON).

        Queries are validated before any request (``InvalidQuery``). Date bounds mean exactly what they say:
        Intercom compares dates by whole day of the workspace's timezone, so a query with dates is planned in that
        timezone (``client.workspace_timezone()``, one ``GET /me`` per client) when it is walked: bounds are widened
        to whole workspace days on the server and the exact bounds are applied here.
        """
        return search_paginator(
            self._client,
            query,
            resource="contacts",
            model=Contact,
            frame_builder="contacts_frame",
            sort=sort,
            order=order,
            per_page=per_page,
        )
