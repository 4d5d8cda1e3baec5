"""/me, /admins and POST /messages."""

from __future__ import annotations

import copy

from ._errors import SandboxAPIError
from ._http import Request, Response, json_response

__all__ = ["register"]


def me(req: Request) -> Response:
    ws = req.sandbox._store.ws
    admin = copy.deepcopy(ws.admins[0])
    admin["avatar"] = {"type": "avatar", "image_url": None}
    admin["email_verified"] = True
    admin["app"] = dict(ws.app)
    return json_response(admin)


def list_admins(req: Request) -> Response:
    return json_response({"type": "admin.list", "admins": req.sandbox._store.ws.admins})


def get_admin(req: Request) -> Response:
    for admin in req.sandbox._store.ws.admins:
        if admin["id"] == req.path_params["id"]:
            return json_response(admin)
    raise SandboxAPIError(404, "admin_not_found", "Admin not found")


def _recipients(to) -> list[dict]:
    items = to if isinstance(to, list) else [to]
    if not items:
        raise SandboxAPIError(400, "parameter_invalid", "to must name a recipient", field="to")
    for r in items:
        if (
            not isinstance(r, dict)
            or r.get("type") not in ("user", "lead")
            or not isinstance(r.get("id"), str)
        ):
            raise SandboxAPIError(
                400,
                "parameter_invalid",
                "to must be {'type': 'user' | 'lead', 'id': <contact id>}",
                field="to",
            )
    return items


def create_message(req: Request) -> Response:
    """POST /messages, validated in the order Intercom does: type, body, subject/template, sender, recipient."""
    store = req.sandbox._store
    body = req.json_object()
    mtype = body.get("message_type")
    # The description's request enum says `in_app`; its examples, responses and Intercom's SDKs say `inapp`.
    # Accept both, answer `inapp` (as its response examples do).
    if mtype not in ("inapp", "in_app", "email"):
        raise SandboxAPIError(
            400, "parameter_invalid", "message_type must be 'inapp' or 'email'", field="message_type"
        )
    if not isinstance(body.get("body"), str) or not body["body"]:
        raise SandboxAPIError(400, "parameter_invalid", "Body is required", field="body")
    if mtype == "email":
        if not isinstance(body.get("subject"), str) or not body["subject"]:
            raise SandboxAPIError(422, "parameter_not_found", "No subject supplied for email message")
        if body.get("template") not in ("plain", "personal"):
            raise SandboxAPIError(
                422,
                "parameter_not_found",
                "Email messages need template 'plain' or 'personal'",
                field="template",
            )
    sender = body.get("from")
    if not isinstance(sender, dict) or sender.get("type") != "admin" or "id" not in sender:
        raise SandboxAPIError(400, "parameter_invalid", "from must be {'type': 'admin', 'id': <admin id>}")
    admin_id = str(sender["id"])
    admins = {a["id"]: a for a in store.ws.admins}
    if isinstance(sender["id"], bool) or admin_id not in admins:
        raise SandboxAPIError(
            404, "admin_not_found", f"Admin not found: from.id {sender['id']!r} is not an admin"
        )
    recipients = _recipients(body.get("to"))
    for r in recipients:
        if store.contact_index(r["id"]) is None:
            raise SandboxAPIError(404, "not_found", "User Not Found", field="to")
    created_at = store.now()
    mid = store.next_message_id()
    msg = {
        "type": "admin_message",
        "id": mid,
        "created_at": created_at,
        "body": body["body"],
        "message_type": "email" if mtype == "email" else "inapp",
        "owner": {k: admins[admin_id][k] for k in ("type", "id", "name", "email")},
    }
    if mtype == "email":
        msg["subject"] = body["subject"]
    else:
        msg["conversation_id"] = str(int(mid) - 403_000_000)
    store.messages.append({**copy.deepcopy(body), "id": mid, "created_at": created_at})
    return json_response(msg)


def register(router) -> None:
    router.add("GET", "/me", me)
    router.add("GET", "/admins", list_admins)
    router.add("GET", "/admins/{id}", get_admin)
    router.add("POST", "/messages", create_message)
