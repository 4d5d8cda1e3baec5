"""``client.companies``: create-or-update, CRUD, contacts of a company, list (capped, companies with users),
scroll (every company) and the one choice between them (``_walker``: the checked scroll ``every()``, or the list
for a sample)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from .._models import Company, Contact, Model
from .._pagination import Page, Paginator
from .._protocol.pages import COMPANIES_LIST_CAP, CursorList, PageNumber, check_per_page
from ..errors import BadRequest, NotFound, PageLimitReached, PaginationError
from ._base import Resource, listed, segment
from ._scroll import ScrollPaginator

__all__ = ["Companies", "EveryCompany", "scroll_shortfall"]

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
            "client.companies.scroll() (or client.companies.frame(), which uses it) to get them all",
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
        """``POST /companies/list``, page by page: the companies that have users, most recently active first.

        Intercom's description: "The company list is sorted by the `last_request_at` field" and "the API does not
        include companies who have no associated users in list responses". So this is not every company, and not
        a snapshot: a company whose users are active during the walk moves to the front (repeats are dropped, a
        company can be missed). Intercom stops at 10 000 companies: past that this raises ``PageLimitReached``
        after yielding the first 10 000. ``scroll()`` and ``frame()`` return every company.

        ``per_page`` is at most 60."""
        style = PageNumber("/companies/list", per_page=check_per_page(per_page, 60))
        return Paginator(
            self._client,
            style,
            model=Company,
            frame_builder="companies_frame",
            translate_error=_page_limit_error,
        )

    def scroll(
        self, *, on_expired: str = "restart", on_exists: str = "wait", max_restarts: int = 10
    ) -> ScrollPaginator:
        """Every company through ``GET /companies/scroll``, with or without users (one scroll at a time per
        workspace). A failed page restarts the scroll from the top (Intercom cannot continue one from a point);
        companies already returned are skipped."""
        return ScrollPaginator(
            self._client,
            model=Company,
            on_expired=on_expired,
            on_exists=on_exists,
            max_restarts=max_restarts,
        )

    async def with_users_count(self) -> int | None:
        """Intercom's count of companies that have users (``POST /companies/list``'s ``total_count``)."""
        return (await self.list(per_page=1).first_page()).total_count

    def every(self, *, on_expired: str = "restart", max_restarts: int = 10) -> EveryCompany:
        """Every company (the scroll), checked against Intercom's counts: after a whole walk ``expected`` and
        ``missing`` say how it compares (``frame()`` raises on a shortfall, the export reports a gap)."""
        return EveryCompany(self, on_expired=on_expired, max_restarts=max_restarts)

    def _walker(self, limit: int | None) -> Paginator[Company]:
        """The one choice between the list and the scroll: every company is the checked scroll (the list leaves out
        companies without users and moves as they are active); ``limit=N`` is a quick sample, the first N of the
        list (a scroll stopped early would stay open on Intercom for a minute and hold up the next one)."""
        if limit is not None:
            return self.list(per_page=60)
        return self.every()

    async def frame(self, limit: int | None = None, *, progress: bool | None = None, **options: Any) -> Any:
        """Every company as a typed DataFrame, through the scroll (the list leaves out companies without users)
        and checked against Intercom's counts: a shortfall raises ``PaginationError``. ``limit=N`` is a quick
        sample instead: the first N of the list, the most recently active companies that have users.
        ``progress=`` as ``Paginator.frame``; other ``options`` go to the frame builder (``dtype_backend="pyarrow"``)."""
        walker = self._walker(limit)
        items = await walker.raw(limit, progress=progress)
        if isinstance(walker, EveryCompany):
            walker.raise_if_short()
        from .. import _frames

        return _frames.companies_frame(items, **options)


class EveryCompany(ScrollPaginator):
    """The companies scroll with its check: the list's count of companies with users is asked before the walk
    (``listed_before``, known once the first page is yielded) and after it, and compared with what the scroll
    returned (``scroll_shortfall``). After a whole walk: ``received``, ``expected`` and ``missing``."""

    def __init__(self, companies: Companies, **options: Any) -> None:
        super().__init__(companies._client, model=Company, **options)
        self._companies = companies
        self.listed_before: int | None = None
        self.received = 0
        self.expected: int | None = None
        self.missing = 0

    async def pages(self) -> AsyncIterator[Page]:
        self.received, self.expected, self.missing = 0, None, 0
        self.listed_before = await self._companies.with_users_count()
        async for page in super().pages():  # distinct ids across restarts of the scroll
            self.received += len(page.items)
            yield page
        listed_after = await self._companies.with_users_count()
        self.expected, self.missing = scroll_shortfall(
            self.received, self.total_count, self.listed_before, listed_after
        )

    def raise_if_short(self) -> None:
        if self.missing:
            raise PaginationError(
                f"the companies scroll returned {self.received:,} companies but Intercom counts at least "
                f"{self.expected:,}: {self.missing:,} missing; run it again"
            )


def scroll_shortfall(
    received: int, scroll_total: int | None, listed_before: int | None, listed_after: int | None
) -> tuple[int | None, int]:
    """``(expected, missing)`` for a whole scroll of ``received`` distinct companies.

    A ``total_count`` on the scroll ("The total number of companies"; Intercom's own example sends null) is the
    count to meet. Otherwise the list's count of companies with users is a floor: the scroll returns those and
    the companies without users. The smaller of the counts taken before and after the walk is used, so companies
    deleted meanwhile do not look missing (and companies created meanwhile are not expected).
    """
    if scroll_total is not None:
        expected: int | None = scroll_total
    else:
        counts = [c for c in (listed_before, listed_after) if c is not None]
        expected = min(counts) if counts else None
    return expected, max((expected or 0) - received, 0)
