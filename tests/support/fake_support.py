"""A small fake of Intercom's support endpoints for unit tests (httpx.MockTransport): conversations with parts,
conversation search by id/state/created_at with Intercom's inclusive ``>``/``<``, tickets, and the workspace lists.
Not the sandbox: just enough to exercise the client's requests and frames without one."""

from __future__ import annotations

import json
from typing import Any

import httpx

T0 = 1_700_000_000


def conversation(i: int, parts: int = 3, **extra: Any) -> dict[str, Any]:
    created = T0 + i * 3600
    body_parts = [
        {
            "type": "conversation_part",
            "id": f"{i}{k:03d}",
            "part_type": ["comment", "note", "close"][k % 3],
            "body": f"<p>Hello &amp; <b>thanks</b> {k}</p>" if k % 3 != 2 else None,
            "created_at": created + 60 * (k + 1),
            "updated_at": created + 60 * (k + 1),
            "notified_at": created + 60 * (k + 1),
            "assigned_to": None,
            "author": {
                "type": "admin",
                "id": "7",
                "name": "Ada",
                "email": "ada@x.test",
                "from_ai_agent": False,
            },
            "attachments": [{"type": "upload", "name": "a.png"}] if k == 0 else [],
            "redacted": False,
            "state": "closed" if k % 3 == 2 else "open",
        }
        for k in range(parts)
    ]
    raw = {
        "type": "conversation",
        "id": str(i),
        "title": None,
        "created_at": created,
        "updated_at": created + 500,
        "waiting_since": None,
        "snoozed_until": None,
        "open": i % 2 == 0,
        "state": "open" if i % 2 == 0 else "closed",
        "read": True,
        "priority": "not_priority",
        "admin_assignee_id": 7,
        "team_assignee_id": 11 if i % 3 else None,
        "tags": {"type": "tag.list", "tags": [{"type": "tag", "id": "5", "name": "billing"}]},
        "conversation_rating": {
            "rating": 4,
            "remark": "ok",
            "created_at": created + 900,
            "teammate": {"type": "admin", "id": "7"},
        }
        if i % 4 == 0
        else None,
        "source": {
            "type": "conversation",
            "id": f"s{i}",
            "delivered_as": "customer_initiated",
            "subject": "",
            "body": "<p>help</p>",
            "author": {"type": "user", "id": f"c{i}", "name": "Bob", "email": "bob@x.test"},
            "attachments": [],
            "url": None,
            "redacted": False,
        },
        "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": f"c{i}"}]},
        "custom_attributes": {"Plan": "pro", "Seats": i} if i % 2 == 0 else {"Plan": None},
        "statistics": {
            "type": "conversation_statistics",
            "time_to_admin_reply": 60,
            "first_admin_reply_at": created + 60,
            "count_conversation_parts": parts,
            "count_reopens": 0,
            "last_closed_by_id": "7",
        },
        "ai_agent_participated": False,
        "ai_agent": None,
        "conversation_parts": {
            "type": "conversation_part.list",
            "conversation_parts": body_parts,
            "total_count": parts,
        },
    }
    raw.update(extra)
    return raw


def ticket(i: int) -> dict[str, Any]:
    return {
        "type": "ticket",
        "id": str(100 + i),
        "ticket_id": str(i),
        "category": "Customer",
        "ticket_attributes": {"_default_title_": f"t{i}", "Urgency": i},
        "ticket_state": {"type": "ticket_state", "id": "3", "category": "submitted", "internal_label": "Submitted",
                         "external_label": "Submitted"},
        "ticket_type": {"type": "ticket_type", "id": "9", "name": "Bug"},
        "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": f"c{i}"}]},
        "admin_assignee_id": 7,
        "team_assignee_id": 0,
        "created_at": T0 + i,
        "updated_at": T0 + i,
        "open": True,
        "snoozed_until": None,
    }  # fmt: skip


def _inclusive(x: Any, op: str, v: Any) -> bool:
    # Intercom's conversation/ticket search table: ">" "Greater (or equal) than", "<" "Lower (or equal) than".
    if op == "=":
        return x == v
    if op == "!=":
        return x != v
    if op == ">":
        return x is not None and x >= v
    if op == "<":
        return x is not None and x <= v
    if op == "IN":
        return x in v
    if op == "NIN":
        return x not in v
    raise AssertionError(op)


def matches(node: dict[str, Any], item: dict[str, Any]) -> bool:
    if "field" not in node:
        results = [matches(child, item) for child in node["value"]]
        return all(results) if node["operator"] == "AND" else any(results)
    value: Any = item
    for key in node["field"].split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return _inclusive(value, node["operator"], node["value"])


class FakeSupport:
    """``handler`` is the MockTransport function; ``requests`` records (method, path, params, json)."""

    def __init__(
        self, conversations: list[dict[str, Any]], tickets: list[dict[str, Any]] | None = None
    ) -> None:
        self.conversations = {c["id"]: c for c in conversations}
        self.tickets = {t["id"]: t for t in tickets or []}
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.attributes_status = 200

    def client_kwargs(self) -> dict[str, Any]:
        return {"token": "t", "base_url": "https://fake.test", "transport": httpx.MockTransport(self.handler)}

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        path, params = request.url.path, dict(request.url.params)
        self.requests.append((request.method, path, params, body))
        if path == "/conversations" and request.method == "GET":
            return self._page(list(self.conversations.values()), params, "conversations", strip=True)
        if path == "/conversations/search":
            found = [c for c in self.conversations.values() if matches(body["query"], c)]
            return self._page(found, body["pagination"], "conversations", strip=True)
        if path.startswith("/conversations/"):
            c = self.conversations.get(path.rsplit("/", 1)[1])
            if c is None:
                return httpx.Response(
                    404,
                    json={
                        "type": "error.list",
                        "errors": [{"code": "not_found", "message": "Resource Not Found"}],
                    },
                )
            return httpx.Response(200, json=c)
        if path == "/tickets/search":
            found = [t for t in self.tickets.values() if matches(body["query"], t)]
            return self._page(found, body["pagination"], "tickets")
        if path.startswith("/tickets/"):
            t = self.tickets.get(path.rsplit("/", 1)[1])
            return (
                httpx.Response(200, json=t)
                if t
                else httpx.Response(
                    404,
                    json={"type": "error.list", "errors": [{"code": "not_found", "message": "Not found"}]},
                )
            )
        if path == "/ticket_types":
            attrs = {"type": "list", "ticket_type_attributes": [{"name": "Urgency", "data_type": "integer"}]}
            return httpx.Response(
                200,
                json={
                    "type": "list",
                    "data": [
                        {
                            "type": "ticket_type",
                            "id": "9",
                            "name": "Bug",
                            "category": "Customer",
                            "ticket_type_attributes": attrs,
                        }
                    ],
                },
            )
        if path == "/ticket_states":
            return httpx.Response(
                200,
                json={
                    "type": "list",
                    "data": [
                        {
                            "type": "ticket_state",
                            "id": "3",
                            "category": "submitted",
                            "internal_label": "Submitted",
                            "external_label": "Submitted",
                        }
                    ],
                },
            )
        if path == "/admins":
            return httpx.Response(
                200,
                json={
                    "type": "admin.list",
                    "admins": [{"type": "admin", "id": "7", "name": "Ada", "email": "ada@x.test"}],
                },
            )
        if path == "/teams":
            return httpx.Response(
                200,
                json={
                    "type": "team.list",
                    "teams": [{"type": "team", "id": "11", "name": "Support", "admin_ids": [7]}],
                },
            )
        if path == "/tags":
            return httpx.Response(
                200, json={"type": "list", "data": [{"type": "tag", "id": "5", "name": "billing"}]}
            )
        if path == "/segments":
            return httpx.Response(
                200,
                json={
                    "type": "segment.list",
                    "segments": [
                        {
                            "type": "segment",
                            "id": "s1",
                            "name": "VIP",
                            "person_type": "user",
                            "created_at": T0,
                            "updated_at": T0,
                        }
                    ],
                },
            )
        if path == "/data_attributes":
            if self.attributes_status != 200:
                return httpx.Response(
                    self.attributes_status,
                    json={"type": "error.list", "errors": [{"code": "forbidden", "message": "no"}]},
                )
            data = [
                {"type": "data_attribute", "id": 1, "model": params.get("model"), "name": "Seats", "full_name": "custom_attributes.Seats", "data_type": "float", "custom": True},
                {"type": "data_attribute", "name": "id", "full_name": "id", "data_type": "string", "custom": False},
            ]  # fmt: skip
            return httpx.Response(200, json={"type": "list", "data": data})
        return httpx.Response(
            404, json={"type": "error.list", "errors": [{"code": "not_found", "message": path}]}
        )

    def _page(
        self, items: list[dict[str, Any]], params: dict[str, Any], key: str, strip: bool = False
    ) -> httpx.Response:
        items = sorted(items, key=lambda c: (c["created_at"], c["id"]))
        per_page = int(params.get("per_page", 20))
        start = int(params.get("starting_after") or 0)
        page = items[start : start + per_page]
        if strip:
            page = [{k: v for k, v in c.items() if k != "conversation_parts"} for c in page]
        pages: dict[str, Any] = {"type": "pages", "per_page": per_page}
        if start + per_page < len(items):
            pages["next"] = {"per_page": per_page, "starting_after": str(start + per_page)}
        return httpx.Response(
            200, json={"type": f"{key[:-1]}.list", key: page, "total_count": len(items), "pages": pages}
        )
