"""``client.companies``: create-or-update, CRUD, contacts of a company, list (capped) and scroll (everything)."""

from __future__ import annotations

from typing import Any

from .._models import Company, Contact, Model
from .._pagination import Paginator
from .._protocol.pages import COMPANIES_LIST_CAP, CursorList, PageNumber, check_per_page
from ..errors import BadRequest, NotFound, PageLimitReached
from ._base import Resource, listed, segment
from ._scroll import ScrollPaginator

__all__ = ["Companies"]

_COMPANY_FIELDS = {
    "company_id": str,
    "name": str,
    "plan": str,
    "size": int,
    "website": str,
    "industry": str,
    "remote_created_at": int,
    "monthly_spend": (int, float),
    "custom_attributes": dict,
}


def _check(fields: dict[str, Any]) -> dict[str, Any]:
    for key, value in fields.items():
        expected = _COMPANY_FIELDS.get(key)
        if expected is None:
            raise TypeError(f"unknown company field {key!r}; known fields: {', '.join(_COMPANY_FIELDS)}")
        if value is not None and (isinstance(value, bool) or not isinstance(value, expected)):
            raise TypeError(f"{key} has the wrong type: {type(value).__name__}")
    return fields


def _page_limit_error(exc: Exception) -> PageLimitReached | None:
    """Intercom's own 400 for a page past the cap (we stop before asking, but a server may count differently)."""
    if isinstance(exc, BadRequest) and "page limit" in exc.message.lower():
        return exc.rephrased(
            f"Intercom's /companies/list stops at {COMPANIES_LIST_CAP:,} companies ({exc.message}): use "
            "client.companies.scroll() (or client.companies.frame(), which picks it) to get them all",
            PageLimitReached,
        )
    return None


class Companies(Resource):
    async def create_or_update(self, company_id: str, name: str | None = None, **fields: Any) -> Company:
        """``POST /companies``: creates the company with this ``company_id`` or updates it. Idempotent, so retried."""
        body = _check({"company_id": company_id, **({"name": name} if name is not None else {}), **fields})
        return Company(await self._client.request("POST", "/companies", json=body, repeatable=True))

    async def get(self, company_id: str) -> Company:
        """By Intercom's id (``company.id``, not your ``company_id``)."""
        path = f"/companies/{segment(company_id, 'id')}"
        return Company(await self._on("company", company_id, "GET", path))

    async def update(self, company_id: str, **fields: Any) -> Company:
        body = _check(fields)
        path = f"/companies/{segment(company_id, 'id')}"
        return Company(await self._on("company", company_id, "PUT", path, json=body))

    async def delete(self, company_id: str) -> Model:
        path = f"/companies/{segment(company_id, 'id')}"
        return Model(await self._on("company", company_id, "DELETE", path))

    async def find(self, *, company_id: str | None = None, name: str | None = None) -> Company | None:
        """The company with your own ``company_id``, or with this exact ``name``: ``GET /companies?company_id=``
        / ``?name=`` ("You can fetch a single company by passing in `company_id` or `name`"). ``None`` if there
        is none. (``get()`` takes Intercom's ``id`` instead.)"""
        if (company_id is None) == (name is None):
            raise TypeError("find() takes exactly one of company_id= or name=")
        key, value = ("company_id", company_id) if company_id is not None else ("name", name)
        if not isinstance(value, str) or not value.strip():
            raise TypeError(f"{key} must be a non-empty str")
        try:
            body = await self._client.request("GET", "/companies", params={key: value})
        except NotFound:
            return None
        # The answer is a company_list (a company itself on older versions): take the first company in it.
        found = listed(body, "data") if body.get("type") == "list" else [body]
        return Company(found[0]) if found else None

    async def attributes(self, *, include_archived: bool = False) -> list[Model]:
        """The workspace's company attributes (``GET /data_attributes?model=company``); custom ones have
        ``custom=True`` and are the ``custom.<name>`` columns of frames and exports."""
        return await self._attributes("company", include_archived)

    def contacts_of(self, company_id: str, per_page: int = 150) -> Paginator[Contact]:
        """The contacts attached to a company (Intercom's ``company.id``); also ``client.contacts.of_company``."""
        path = f"/companies/{segment(company_id, 'id')}/contacts"
        style = CursorList(path, per_page=check_per_page(per_page), base=self._client.base)
        return Paginator(self._client, style, model=Contact, frame_builder="contacts_frame")

    async def attach(self, contact_id: str, company_id: str) -> Company:
        """Attach a contact to a company (by Intercom ids). Attaching twice changes nothing, so it is retried."""
        path = f"/contacts/{segment(contact_id, 'contact_id')}/companies"
        pair = (contact_id, company_id)
        return Company(
            await self._on(
                "contact or company", pair, "POST", path, json={"id": str(company_id)}, repeatable=True
            )
        )

    async def detach(self, contact_id: str, company_id: str) -> Company:
        path = f"/contacts/{segment(contact_id, 'contact_id')}/companies/{segment(company_id, 'company_id')}"
        return Company(await self._on("contact or company", (contact_id, company_id), "DELETE", path))

    def list(self, per_page: int = 50) -> Paginator[Company]:
        """``POST /companies/list``, page by page. Intercom stops at 10 000 companies: past that this raises
        ``PageLimitReached`` after yielding what it got; use ``scroll()`` or ``frame()`` for everything.

        ``per_page`` is at most 60; the default 50 divides 10 000, so a capped walk yields exactly the first
        10 000 (with 60 the last allowed page ends at 9 960)."""
        style = PageNumber("/companies/list", per_page=check_per_page(per_page, 60))
        return Paginator(
            self._client,
            style,
            model=Company,
            frame_builder="companies_frame",
            translate_error=_page_limit_error,
        )

    def scroll(self, *, on_expired: str = "restart", on_exists: str = "wait") -> ScrollPaginator:
        """Every company through ``GET /companies/scroll`` (one scroll at a time per workspace)."""
        return ScrollPaginator(self._client, model=Company, on_expired=on_expired, on_exists=on_exists)

    async def frame(self, limit: int | None = None, **options: Any) -> Any:
        """All companies as a typed DataFrame, through the list when it can return them all, else the scroll
        (``options`` go to ``Paginator.frame``: ``progress=``, ``dtype_backend="pyarrow"``)."""
        first = await self.list(per_page=60).first_page()
        total = first.total_count
        if total is not None and total <= COMPANIES_LIST_CAP:
            return await self.list(per_page=60).frame(limit=limit, **options)
        return await self.scroll().frame(limit=limit, **options)
