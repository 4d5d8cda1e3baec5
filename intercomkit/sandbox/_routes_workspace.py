"""The workspace's lists: GET /tags, /segments, /teams and /conversations/attributes."""

from __future__ import annotations

from ._data import START
from ._http import Request, Response, json_response
from ._support_data import CONVERSATION_ATTRIBUTES

__all__ = ["register"]


def list_tags(req: Request) -> Response:
    return json_response({"type": "list", "data": req.sandbox._store.ws.tags})


def list_segments(req: Request) -> Response:
    segments = [dict(s) for s in req.sandbox._store.ws.segments]
    if req.query.get("include_count") != "true":
        for s in segments:
            s.pop("count", None)
    return json_response({"type": "segment.list", "segments": segments, "pages": {}})


def list_teams(req: Request) -> Response:
    return json_response({"type": "team.list", "teams": req.sandbox._support.teams})


def list_conversation_attributes(req: Request) -> Response:
    """GET /data_attributes answers 422 for ``model=conversation`` ("Use `GET /conversations/attributes`
    instead"): this is where a conversation's custom attributes and their types are listed."""
    admin_id = req.sandbox._store.ws.admin_ids[0]
    data = [
        {
            "type": "conversation_attribute",
            "id": 20_000 + k,
            "name": name,
            "description": "",
            "data_type": data_type,
            "required": False,
            "visible_to_team_ids": [],
            "archived": False,
            "created_at": START,
            "updated_at": START,
            "admin_id": admin_id,
        }
        for k, (name, data_type) in enumerate(CONVERSATION_ATTRIBUTES.items())
    ]
    return json_response({"type": "list", "data": data})


def register(router) -> None:
    router.add("GET", "/tags", list_tags)
    router.add("GET", "/segments", list_segments)
    router.add("GET", "/teams", list_teams)
    router.add("GET", "/conversations/attributes", list_conversation_attributes)
