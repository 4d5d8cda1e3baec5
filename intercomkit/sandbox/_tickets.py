"""Tickets, generated lazily from ``(seed, index)``: a type, a state of that type, a contact, assignees."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from ._conversations import generated_columns
from ._errors import SandboxAPIError
from ._support_data import Support

__all__ = ["Tickets"]

TICKET_BASE = 3_000_000
# "When searching for tickets by the category field, specific terms must be used instead of the category names"
CATEGORY_TERMS = {"Customer": "request", "Back-office": "task", "Tracker": "tracker"}
_TITLES = ("Login fails", "Refund for order", "Export is slow", "Invoice is wrong", "App crashes on start")


class Tickets:
    def __init__(self, store: Any, support: Support, n: int) -> None:
        self.store = store
        self.support = support
        self.seed = store.ws.seed
        self.n = n if store.n0 else 0
        self.created, self.updated, self.flags = generated_columns(self.n, self.seed, 0x71)
        self.flags[:] = 0  # no big or deleted tickets
        self.version = 0

    def position_id(self, i: int) -> str:
        return self.ticket_id(i)

    def ticket_id(self, i: int) -> str:
        return str(TICKET_BASE + i)

    def position_of(self, ticket_id: Any) -> int | None:
        if not isinstance(ticket_id, str) or not ticket_id.isdigit():
            return None
        i = int(ticket_id) - TICKET_BASE
        return i if 0 <= i < self.n else None

    def require(self, ticket_id: Any) -> int:
        i = self.position_of(ticket_id)
        if i is None:
            raise SandboxAPIError(404, "not_found", "Resource Not Found")
        return i

    def live_mask(self) -> np.ndarray:
        return np.ones(self.n, dtype=bool)

    def record(self, i: int) -> dict:
        store, sup = self.store, self.support
        r = random.Random((self.seed * 1_000_003 + i) * 0x7157 + 0x71)
        ttype = sup.ticket_types[int(r.random() * len(sup.ticket_types))]
        states = ttype["ticket_states"]["data"]
        state = states[int(r.random() * len(states))]
        contact = store.contact_record(int(r.random() * store.n0))  # kept when that contact is deleted later
        admins = store.ws.admin_ids
        admin = admins[int(r.random() * len(admins))] if r.random() < 0.8 else None
        team = sup.team_ids[int(r.random() * len(sup.team_ids))] if r.random() < 0.6 else None
        title = _TITLES[int(r.random() * len(_TITLES))]
        is_open = state["category"] != "resolved"
        return {
            "type": "ticket",
            "id": self.ticket_id(i),
            "ticket_id": str(i + 1),
            "category": ttype["category"],
            "ticket_attributes": {
                "_default_title_": title,
                "_default_description_": f"<p>{title}: please help.</p>",
                "severity": 1 + int(r.random() * 4),
            },
            "ticket_state": dict(state),
            "ticket_type": ttype,
            "contacts": {
                "type": "contact.list",
                "contacts": [
                    {"type": "contact", "id": contact["id"], "external_id": contact.get("external_id")}
                ],
            },
            "admin_assignee_id": int(admin) if admin else None,
            "team_assignee_id": int(team) if team else None,
            "created_at": int(self.created[i]),
            "updated_at": int(self.updated[i]),
            "open": is_open,
            "snoozed_until": None,
            "linked_objects": {"type": "list", "total_count": 0, "has_more": False, "data": []},
            "ticket_parts": {"type": "ticket_part.list", "ticket_parts": [], "total_count": 0},
            "is_shared": ttype["category"] == "Customer",
        }

    def search_doc(self, rec: dict) -> dict:
        """The ticket search table's fields: title, description, the category's search term, ids as lists."""
        attrs = rec["ticket_attributes"]
        by_name = {
            a["name"]: a["id"] for a in rec["ticket_type"]["ticket_type_attributes"]["ticket_type_attributes"]
        }
        return {
            **rec,
            "title": attrs["_default_title_"],
            "description": attrs["_default_description_"],
            "category": CATEGORY_TERMS[rec["category"]],
            "ticket_type_id": rec["ticket_type"]["id"],
            "contact_ids": [c["id"] for c in rec["contacts"]["contacts"]],
            "teammate_ids": [str(rec["admin_assignee_id"])] if rec["admin_assignee_id"] else [],
            "state": rec["ticket_state"]["category"],
            # "ticket_attribute.{id}": keyed by the ticket type attribute's id
            "ticket_attribute": {by_name[k]: v for k, v in attrs.items() if k in by_name},
        }
