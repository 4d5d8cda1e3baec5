"""/companies endpoints, including the page-capped list and the one-at-a-time scroll."""

from __future__ import annotations

import math
import uuid
from bisect import bisect_right
from dataclasses import dataclass

from ._cursor import decode_cursor, encode_cursor
from ._errors import SandboxAPIError
from ._http import Request, Response, json_response
from ._store import Store

__all__ = ["SCROLL_IDLE_SECONDS", "Scroll", "register"]

LIST_DEFAULT, LIST_MAX = 15, 60
PAGE_LIMIT = 10_000
SCROLL_PAGE = 15
SCROLL_IDLE_SECONDS = 60.0


@dataclass
class Scroll:
    param: str
    next_index: int
    last_used: float


def _store(req: Request) -> Store:
    return req.sandbox._store


def _company_list(req: Request, indices: list[int], *, page: int, per_page: int) -> Response:
    store = _store(req)
    if page * per_page > PAGE_LIMIT:
        raise SandboxAPIError(
            400, "parameter_invalid", "page limit reached, please use the scroll API to see more companies"
        )
    total = len(indices)
    chunk = indices[(page - 1) * per_page : page * per_page]
    total_pages = math.ceil(total / per_page)
    pages: dict = {"type": "pages", "page": page, "per_page": per_page, "total_pages": total_pages}
    pages["next"] = {"page": page + 1, "per_page": per_page} if page < total_pages else None
    return json_response(
        {
            "type": "list",
            "data": [store.company_record(j) for j in chunk],
            "total_count": total,
            "pages": pages,
        }
    )


def _check_order(order: str | None) -> None:
    if order not in (None, "", "asc", "desc"):
        raise SandboxAPIError(400, "parameter_invalid", "order must be 'asc' or 'desc'")


def _listed(store: Store, order: str | None) -> list[int]:
    """``POST /companies/list`` ("List all companies"): only companies with users, by ``last_request_at``
    ("Defaults to desc")."""
    _check_order(order)
    indices = store.listed_company_indices()
    return indices[::-1] if order == "asc" else indices


def _ordered(store: Store, order: str | None) -> list[int]:
    """``GET /companies``: its description says nothing of users or order; every live company, newest first."""
    _check_order(order)
    indices = store.live_company_indices()
    return indices if order == "asc" else indices[::-1]


def _paging(req: Request) -> tuple[int, int]:
    body = req.json(default=None) if req.method == "POST" else None
    if isinstance(body, dict):
        # Some clients send page/per_page in the body; Intercom documents query parameters. Accept both.
        for k in ("page", "per_page"):
            if k in body and k not in req.query:
                req.query_string += f"&{k}={body[k]}"
    return req.int_param("page", 1), req.int_param("per_page", LIST_DEFAULT, maximum=LIST_MAX)


def list_companies_post(req: Request) -> Response:
    page, per_page = _paging(req)
    return _company_list(req, _listed(_store(req), req.query.get("order")), page=page, per_page=per_page)


def list_companies_get(req: Request) -> Response:
    store = _store(req)
    q = req.query
    page, per_page = _paging(req)
    if q.get("company_id"):
        j = store.find_company_by_company_id(q["company_id"])
        if j is None:
            raise SandboxAPIError(404, "company_not_found", "Company Not Found")
        return _company_list(req, [j], page=1, per_page=per_page)
    if q.get("name"):
        # A lookup, not a listing: a company without users is found by its name too.
        named = [j for j in store.live_company_indices() if store.company_record(j)["name"] == q["name"]]
        if not named:
            raise SandboxAPIError(404, "company_not_found", "Company Not Found")
        return _company_list(req, named, page=page, per_page=per_page)
    indices = _ordered(store, q.get("order"))
    if q.get("tag_id"):
        indices = [
            j for j in indices if any(t["id"] == q["tag_id"] for t in store.company_record(j)["tags"]["tags"])
        ]
    if q.get("segment_id"):
        indices = [
            j
            for j in indices
            if any(s["id"] == q["segment_id"] for s in store.company_record(j)["segments"]["segments"])
        ]
    return _company_list(req, indices, page=page, per_page=per_page)


def upsert_company(req: Request) -> Response:
    return json_response(_store(req).upsert_company(req.json_object()))


def get_company(req: Request) -> Response:
    store = _store(req)
    return json_response(store.company_record(store.require_company(req.path_params["id"])))


def update_company(req: Request) -> Response:
    store = _store(req)
    j = store.require_company(req.path_params["id"])
    return json_response(store.update_company(j, req.json_object()))


def delete_company(req: Request) -> Response:
    store = _store(req)
    return json_response(store.delete_company(store.require_company(req.path_params["id"])))


def company_contacts(req: Request) -> Response:
    store = _store(req)
    j = store.require_company(req.path_params["id"])
    per_page = req.int_param("per_page", 50, maximum=150)
    members = store.company_contacts(j)
    page, start = 1, 0
    cursor = req.query.get("starting_after")
    if cursor:
        _, cid, prev = decode_cursor(cursor)
        at = store.position_of(cid)
        if at is None:
            raise SandboxAPIError(400, "parameter_invalid", "Invalid starting_after value")
        page, start = prev + 1, bisect_right(members, at)
    chunk = members[start : start + per_page]
    pages: dict = {
        "type": "pages",
        "page": page,
        "per_page": per_page,
        "total_pages": math.ceil(len(members) / per_page),
    }
    if start + per_page < len(members):
        last = store.contact_record(chunk[-1])
        pages["next"] = {
            "page": page + 1,
            "per_page": per_page,
            "starting_after": encode_cursor(last["created_at"], last["id"], page),
        }
    return json_response(
        {
            "type": "list",
            "data": [store.render_contact(store.contact_record(i)) for i in chunk],
            "total_count": len(members),
            "pages": pages,
        }
    )


def scroll_companies(req: Request) -> Response:
    """GET /companies/scroll.

    Every live company, with or without users, in creation order (the scroll is not the list: activity does not
    move companies). One scroll per workspace. Opening a second one while the first is in use is 400 ``scroll_exists``; a
    scroll_param idle for 60 s (sandbox clock), unknown, or used after the end was reached is 404 ``not_found``
    with a message saying it expired. The end of the scroll is a page with empty ``data``, after which the
    scroll is closed and a new one may be opened.
    """
    sb = req.sandbox
    store = _store(req)
    now = sb._clock()
    current: Scroll | None = sb._scroll
    if current is not None and now - current.last_used > SCROLL_IDLE_SECONDS:
        sb._scroll = current = None
    param = req.query.get("scroll_param")
    per_page = req.int_param("per_page", SCROLL_PAGE, maximum=LIST_MAX)
    if not param:
        if current is not None:
            raise SandboxAPIError(
                400,
                "scroll_exists",
                "scroll already exists for this workspace. Please ensure to use the scroll parameter "
                "returned from the first request, or wait a minute for it to expire",
            )
        current = sb._scroll = Scroll(str(uuid.UUID(int=sb._rng.getrandbits(128), version=4)), 0, now)
    elif current is None or param != current.param:
        raise SandboxAPIError(
            404, "not_found", "scroll_param has expired or is unknown: open a new scroll without scroll_param"
        )
    current.last_used = now
    chunk: list[int] = []
    j = current.next_index
    while j < store.company_count and len(chunk) < per_page:
        if store.company_live(j):
            chunk.append(j)
        j += 1
    current.next_index = j
    if not chunk:
        sb._scroll = None
    return json_response(
        {
            "type": "list",
            "data": [store.company_record(k) for k in chunk],
            "pages": None,
            "total_count": None,
            "scroll_param": current.param,
        }
    )


def register(router) -> None:
    router.add("GET", "/companies", list_companies_get)
    router.add("POST", "/companies", upsert_company)
    router.add("POST", "/companies/list", list_companies_post)
    router.add("GET", "/companies/scroll", scroll_companies)
    router.add("GET", "/companies/{id}", get_company)
    router.add("PUT", "/companies/{id}", update_company)
    router.add("DELETE", "/companies/{id}", delete_company)
    router.add("GET", "/companies/{id}/contacts", company_contacts)
