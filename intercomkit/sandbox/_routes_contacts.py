"""/contacts endpoints."""

from __future__ import annotations

import math

from .._protocol.numbers import is_int
from ._cursor import decode_cursor, encode_cursor
from ._data import KIND_DELETED
from ._errors import SandboxAPIError
from ._http import Request, Response, json_response
from ._render import list_json
from ._search import reject_invalid_query
from ._search_exec import run_search, validate_sort
from ._store import Store

__all__ = ["register"]

LIST_DEFAULT, SEARCH_DEFAULT, MAX_PER_PAGE = 10, 50, 150


def _store(req: Request) -> Store:
    return req.sandbox._store


def _pages(page: int, per_page: int, total: int, next_cursor: str | None) -> dict:
    pages: dict = {
        "type": "pages",
        "page": page,
        "per_page": per_page,
        "total_pages": math.ceil(total / per_page) if per_page else 0,
    }
    if next_cursor:
        pages["next"] = {"page": page + 1, "per_page": per_page, "starting_after": next_cursor}
    return pages


def list_contacts(req: Request) -> Response:
    store = _store(req)
    per_page = req.int_param("per_page", LIST_DEFAULT, maximum=MAX_PER_PAGE)
    cursor = req.query.get("starting_after")
    page, start = 1, 0
    if cursor:
        _, cid, prev_page = decode_cursor(cursor)
        at = store.position_of(cid)
        if at is None:
            raise SandboxAPIError(400, "parameter_invalid", "Invalid starting_after value")
        page, start = prev_page + 1, at + 1
    kind, total_rows, archived = store.kind, store.contact_total, store.archived
    found: list[int] = []
    more = False
    i = start
    while i < total_rows:
        if kind[i] != KIND_DELETED and i not in archived:
            if len(found) == per_page:
                more = True
                break
            found.append(i)
        i += 1
    nxt = None
    if more:
        last = found[-1]
        nxt = encode_cursor(store.created[last], store.ws.contact_id(store.created[last], last), page)
    # Not delayed like search: Intercom documents the delay for search only. Archived contacts are not listed.
    live = store.live_contacts - len(store.archived)
    return _page_response(store, found, live, _pages(page, per_page, live, nxt))


def search_contacts(req: Request) -> Response:
    store = _store(req)
    body = req.json_object()
    if "query" not in body:
        raise SandboxAPIError(400, "parameter_not_found", "query is required")
    query = body["query"]
    reject_invalid_query(query)
    field, descending = validate_sort(body.get("sort"))
    pagination = body.get("pagination") or {}
    if not isinstance(pagination, dict):
        raise SandboxAPIError(400, "parameter_invalid", "pagination must be an object")
    per_page = pagination.get("per_page", SEARCH_DEFAULT)
    if not is_int(per_page) or per_page < 1:
        raise SandboxAPIError(400, "parameter_invalid", "pagination.per_page must be a positive integer")
    per_page = min(per_page, MAX_PER_PAGE)
    starting_after = pagination.get("starting_after")
    if starting_after is not None and not isinstance(starting_after, str):
        raise SandboxAPIError(400, "parameter_invalid", "pagination.starting_after must be a string")
    result = run_search(
        store,
        req.sandbox._search_cache,
        query,
        per_page=per_page,
        starting_after=starting_after,
        sort_field=field,
        descending=descending,
        tz=req.sandbox.zone,
    )
    return _page_response(
        store,
        result.indices,
        result.total,
        _pages(result.page, per_page, result.total, result.next_cursor),
        result.records,
    )


def _page_response(
    store: Store, indices: list[int], total: int, pages: dict, earlier: dict[int, dict] | None = None
) -> Response:
    body = list_json(store, indices, total, pages, earlier)
    return Response(200, body, {"content-type": "application/json; charset=utf-8"})


def create_contact(req: Request) -> Response:
    store = _store(req)
    rec = store.create_contact(req.json_object())
    return json_response(store.render_contact(rec))


def get_contact(req: Request) -> Response:
    store = _store(req)
    idx = store.require_contact(req.path_params["id"])
    return json_response(store.render_contact(store.contact_record(idx)))


def update_contact(req: Request) -> Response:
    store = _store(req)
    idx = store.require_contact(req.path_params["id"])
    rec = store.update_contact(idx, req.json_object())
    return json_response(store.render_contact(rec))


def delete_contact(req: Request) -> Response:
    store = _store(req)
    return json_response(store.delete_contact(store.require_contact(req.path_params["id"])))


def find_by_external_id(req: Request) -> Response:
    store = _store(req)
    idx = store.find_by_external_id(req.path_params["external_id"])
    if idx is None:
        raise SandboxAPIError(404, "not_found", "User Not Found")
    return json_response(store.render_contact(store.contact_record(idx)))


def archive(req: Request) -> Response:
    store = _store(req)
    return json_response(store.set_archived(store.require_contact(req.path_params["id"]), True))


def unarchive(req: Request) -> Response:
    store = _store(req)
    return json_response(store.set_archived(store.require_contact(req.path_params["id"]), False))


def merge(req: Request) -> Response:
    store = _store(req)
    body = req.json_object()
    for key in ("from", "into"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise SandboxAPIError(400, "parameter_not_found", f"{key} is required", field=key)
    skip = body.get("skip_duplicate_validation", False)
    if not isinstance(skip, bool):
        raise SandboxAPIError(400, "parameter_invalid", "skip_duplicate_validation must be a boolean")
    src, dst = store.require_contact(body["from"]), store.require_contact(body["into"])
    rec = store.merge_contacts(src, dst, skip_duplicate_validation=skip)
    return json_response(store.render_contact(rec))


def tag_contact(req: Request) -> Response:
    store = _store(req)
    idx = store.require_contact(req.path_params["id"])
    tag_id = req.json_object().get("id")
    if not isinstance(tag_id, str) or not tag_id:
        raise SandboxAPIError(400, "parameter_not_found", "tag id is required", field="id")
    return json_response(store.tag_contact(idx, tag_id, attach=True))


def untag_contact(req: Request) -> Response:
    store = _store(req)
    idx = store.require_contact(req.path_params["id"])
    return json_response(store.tag_contact(idx, req.path_params["tag_id"], attach=False))


def contact_tags(req: Request) -> Response:
    store = _store(req)
    rec = store.contact_record(store.require_contact(req.path_params["id"]))
    tags = store.ws.tags_by_id
    return json_response({"type": "list", "data": [dict(tags[t]) for t in rec["_tags"] if t in tags]})


def contact_notes(req: Request) -> Response:
    store = _store(req)
    rec = store.contact_record(store.require_contact(req.path_params["id"]))
    admins = {a["id"]: a for a in store.ws.admins}
    notes = [
        {
            "type": "note",
            "id": n["id"],
            "created_at": n["created_at"],
            "contact": {"type": "contact", "id": rec["id"]},
            "author": admins.get(n["author_id"], store.ws.admins[0]),
            "body": n["body"],
        }
        for n in sorted(rec["_notes"], key=lambda n: -n["created_at"])
    ]
    return json_response(
        {"type": "list", "data": notes, "total_count": len(notes), "pages": _pages(1, 50, len(notes), None)}
    )


def contact_companies(req: Request) -> Response:
    store = _store(req)
    rec = store.contact_record(store.require_contact(req.path_params["id"]))
    companies = [store.company_record(j) for j in rec["_companies"] if store.company_live(j)]
    return json_response(
        {
            "type": "list",
            # The schema names the array "companies"; the live API sends "data". Send both.
            "data": companies,
            "companies": companies,
            "total_count": len(companies),
            "pages": {"type": "pages", "next": None, "page": 1, "per_page": 50, "total_pages": 1},
        }
    )


def attach_company(req: Request) -> Response:
    store = _store(req)
    idx = store.require_contact(req.path_params["id"])
    body = req.json_object()
    company_id = body.get("id")
    if not isinstance(company_id, str) or not company_id:
        raise SandboxAPIError(400, "parameter_not_found", "company id is required", field="id")
    j = store.require_company(company_id)
    return json_response(store.attach_company(idx, j))


def detach_company(req: Request) -> Response:
    store = _store(req)
    idx = store.require_contact(req.path_params["id"])
    j = store.require_company(req.path_params["company_id"])
    return json_response(store.detach_company(idx, j))


def register(router) -> None:
    router.add("GET", "/contacts", list_contacts)
    router.add("POST", "/contacts", create_contact)
    router.add("POST", "/contacts/search", search_contacts)
    router.add("POST", "/contacts/merge", merge)
    router.add("GET", "/contacts/find_by_external_id/{external_id}", find_by_external_id)
    router.add("GET", "/contacts/{id}", get_contact)
    router.add("PUT", "/contacts/{id}", update_contact)
    router.add("DELETE", "/contacts/{id}", delete_contact)
    router.add("POST", "/contacts/{id}/archive", archive)
    router.add("POST", "/contacts/{id}/unarchive", unarchive)
    router.add("GET", "/contacts/{id}/tags", contact_tags)
    router.add("POST", "/contacts/{id}/tags", tag_contact)
    router.add("DELETE", "/contacts/{id}/tags/{tag_id}", untag_contact)
    router.add("GET", "/contacts/{id}/notes", contact_notes)
    router.add("GET", "/contacts/{id}/companies", contact_companies)
    router.add("POST", "/contacts/{id}/companies", attach_company)
    router.add("DELETE", "/contacts/{id}/companies/{company_id}", detach_company)
