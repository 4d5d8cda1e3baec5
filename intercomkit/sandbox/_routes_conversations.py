"""/conversations: list, get (at most the 500 most recent parts), search, and the thin writes."""

from __future__ import annotations

from typing import Any

from .._protocol.numbers import is_int
from ._conversations import Conversations, author_of
from ._errors import SandboxAPIError
from ._http import Request, Response, json_response
from ._routes_contacts import MAX_PER_PAGE, _pages
from ._search import reject_invalid_query
from ._search_exec import search_collection
from ._search_support import CONVERSATIONS

__all__ = ["register", "search_page"]

# GET /conversations: "The default is `20` results per page"; per_page "maximum: 150". Search: "The default is `20`
# results per page and maximum is `150`".
DEFAULT_PER_PAGE = 20
SORTABLE = frozenset({"created_at", "updated_at", "waiting_since", "snoozed_until"})


def _convs(req: Request) -> Conversations:
    return req.sandbox._conversations


def list_conversations(req: Request) -> Response:
    convs = _convs(req)
    per_page = req.int_param("per_page", DEFAULT_PER_PAGE, maximum=MAX_PER_PAGE)
    records, total, page, nxt = search_collection(
        convs,
        req.sandbox._search_cache,
        {"operator": "AND", "value": []},
        CONVERSATIONS,
        per_page=per_page,
        starting_after=req.query.get("starting_after"),
        sort_field=None,
        descending=False,
    )
    # Not delayed like search: Intercom documents the delay for search only.
    return json_response(
        {
            "type": "conversation.list",
            "conversations": [convs.summary(r) for r in records],
            "total_count": total,
            "pages": _pages(page, per_page, total, nxt),
        }
    )


def search_page(req: Request, coll: Any, dialect: Any, sortable: frozenset[str]) -> tuple[list, int, dict]:
    """Validate a search body and run it: (records, total, pages). Shared by conversations and tickets."""
    body = req.json_object()
    if "query" not in body:
        raise SandboxAPIError(400, "parameter_not_found", "query is required")
    query = body["query"]
    reject_invalid_query(query, dialect=dialect)
    sort = body.get("sort")
    field, descending = None, False
    if sort is not None:
        if not isinstance(sort, dict) or sort.get("field") not in sortable:
            raise SandboxAPIError(400, "invalid_sort_field", f"Cannot sort by {sort!r}")
        order = sort.get("order", "descending")
        if order not in ("ascending", "descending"):
            raise SandboxAPIError(400, "invalid_sort_order", f"Invalid sort order '{order}'")
        field, descending = sort["field"], order == "descending"
    pagination = body.get("pagination") or {}
    if not isinstance(pagination, dict):
        raise SandboxAPIError(400, "parameter_invalid", "pagination must be an object")
    per_page = pagination.get("per_page", DEFAULT_PER_PAGE)
    if not is_int(per_page) or per_page < 1:
        raise SandboxAPIError(400, "parameter_invalid", "pagination.per_page must be a positive integer")
    per_page = min(per_page, MAX_PER_PAGE)
    starting_after = pagination.get("starting_after")
    if starting_after is not None and not isinstance(starting_after, str):
        raise SandboxAPIError(400, "parameter_invalid", "pagination.starting_after must be a string")
    lag = getattr(coll, "lag", None)
    records, total, page, nxt = search_collection(
        coll,
        req.sandbox._search_cache,
        query,
        dialect,
        per_page=per_page,
        starting_after=starting_after,
        sort_field=field,
        descending=descending,
        view=lag.view() if lag is not None else None,
    )
    return records, total, _pages(page, per_page, total, nxt)


def search_conversations(req: Request) -> Response:
    convs = _convs(req)
    records, total, pages = search_page(req, convs, CONVERSATIONS, SORTABLE)
    return json_response(
        {
            "type": "conversation.list",
            "conversations": [convs.summary(r) for r in records],
            "total_count": total,
            "pages": pages,
        }
    )


def get_conversation(req: Request) -> Response:
    convs = _convs(req)
    i = convs.require(req.path_params["id"])
    display_as = req.query.get("display_as")
    if display_as not in (None, "", "plaintext", "html"):
        raise SandboxAPIError(400, "parameter_invalid", "display_as must be 'plaintext'", field="display_as")
    return json_response(convs.render(convs.record(i), plaintext=display_as == "plaintext"))


def delete_conversation(req: Request) -> Response:
    convs = _convs(req)
    i = convs.require(req.path_params["id"])
    convs.delete(i)
    return json_response({"id": convs.conversation_id(i), "object": "conversation", "deleted": True})


def _admin(req: Request, body: dict, key: str = "admin_id") -> dict:
    admin_id = body.get(key)
    for admin in req.sandbox._store.ws.admins:
        if (isinstance(admin_id, str) or is_int(admin_id)) and str(admin_id) == admin["id"]:
            return {**admin, "type": "admin"}
    raise SandboxAPIError(404, "admin_not_found", f"Admin not found: {key} {admin_id!r}")


def reply(req: Request) -> Response:
    """POST /conversations/{id}/reply: an admin's comment or note, or a contact's comment."""
    convs = _convs(req)
    i = convs.require(req.path_params["id"])
    body = req.json_object()
    kind, who = body.get("message_type"), body.get("type")
    text = body.get("body")
    if not isinstance(text, str) or not text:
        raise SandboxAPIError(400, "parameter_invalid", "body is required", field="body")
    if who == "admin":
        if kind not in ("comment", "note"):
            raise SandboxAPIError(400, "parameter_invalid", "message_type must be comment or note")
        author = author_of(_admin(req, body))
    elif who == "user":
        if kind != "comment":
            raise SandboxAPIError(400, "parameter_invalid", "A contact can only reply with a comment")
        contact = convs.record(i)["source"]["author"]
        named = body.get("intercom_user_id") or body.get("user_id") or body.get("email")
        if named not in (contact["id"], contact.get("email")):
            raise SandboxAPIError(404, "not_found", "User Not Found")
        author = author_of(contact)
    else:
        raise SandboxAPIError(400, "parameter_invalid", "type must be 'admin' or 'user'", field="type")
    rec = convs.add_part(i, kind, author, body=text)
    return json_response(convs.render(rec))


def manage(req: Request) -> Response:
    """POST /conversations/{id}/parts: close, snooze, open, assign."""
    convs = _convs(req)
    i = convs.require(req.path_params["id"])
    body = req.json_object()
    kind = body.get("message_type")
    author = author_of(_admin(req, body))
    if kind == "close":
        rec = convs.add_part(i, "close", author, body=body.get("body"))
    elif kind == "open":
        rec = convs.add_part(i, "open", author)
    elif kind == "snoozed":
        until = body.get("snoozed_until")
        if not is_int(until):
            raise SandboxAPIError(400, "parameter_invalid", "snoozed_until must be a UNIX timestamp")
        rec = convs.add_part(i, "snoozed", author, snoozed_until=until)
    elif kind == "assignment":
        target = body.get("type")
        assignee = str(body.get("assignee_id"))
        known = req.sandbox._store.ws.admin_ids if target == "admin" else req.sandbox._support.team_ids
        if target not in ("admin", "team") or assignee not in known:
            raise SandboxAPIError(400, "parameter_invalid", "assignee_id must name an admin or team of type")
        rec = convs.add_part(i, "assignment", author, assigned={"type": target, "id": assignee})
    else:
        raise SandboxAPIError(
            400, "parameter_invalid", "message_type must be close, snoozed, open or assignment"
        )
    return json_response(convs.render(rec))


def tag(req: Request) -> Response:
    convs = _convs(req)
    i = convs.require(req.path_params["id"])
    body = req.json_object()
    admin = _admin(req, body)
    tag_id = str(body.get("id"))
    found = req.sandbox._store.ws.tags_by_id.get(tag_id)
    if found is None:
        raise SandboxAPIError(404, "tag_not_found", "Tag not found")
    convs.tag(i, tag_id, admin["id"])
    return json_response(
        {**found, "applied_at": convs.store.now(), "applied_by": {"type": "admin", "id": admin["id"]}}
    )


def register(router) -> None:
    router.add("GET", "/conversations", list_conversations)
    router.add("POST", "/conversations/search", search_conversations)
    router.add("GET", "/conversations/{id}", get_conversation)
    router.add("DELETE", "/conversations/{id}", delete_conversation)
    router.add("POST", "/conversations/{id}/reply", reply)
    router.add("POST", "/conversations/{id}/parts", manage)
    router.add("POST", "/conversations/{id}/tags", tag)
