"""The support workspace's catalogues: teams, bots, ticket types and states, conversation attributes.

Per seed constants, like ``Workspace``'s admins and tags; conversations and tickets refer to them by index.
"""

from __future__ import annotations

from ._data import START, Workspace

__all__ = ["Support"]

TEAM_NAMES = ("Support", "Billing", "Tier 2")
# Fin is the AI agent: "the sandbox writes Fin parts as author.type == "bot", from_ai_agent: true" (contract).
FIN = {"type": "bot", "id": "9000001", "name": "Fin", "email": "fin@sandbox.intercomkit.invalid"}
OPERATOR = {
    "type": "bot",
    "id": "9000002",
    "name": "Operator",
    "email": "operator@sandbox.intercomkit.invalid",
}
# The custom_attributes schema holds strings and integers (no booleans): the generated ones keep to those.
CONVERSATION_ATTRIBUTES = {"issue_type": "string", "order_value": "integer", "region": "string"}
REGIONS = ("emea", "amer", "apac")
ISSUE_TYPES = ("billing", "bug", "how-to", "account", "feature-request")

# (category, name, description, states as (category, internal label, external label))
_TICKET_TYPES = (
    ("Customer", "Bug report", "Something does not work", ("submitted", "in_progress", "resolved")),
    (
        "Back-office",
        "Refund request",
        "A refund to approve",
        ("submitted", "waiting_on_customer", "resolved"),
    ),
    ("Tracker", "Outage", "An incident many customers see", ("in_progress", "resolved")),
)
_STATE_LABELS = {
    "submitted": "Submitted",
    "in_progress": "In progress",
    "waiting_on_customer": "Waiting on you",
    "resolved": "Resolved",
}


class Support:
    def __init__(self, ws: Workspace) -> None:
        admin_ids = [int(a) for a in ws.admin_ids]
        self.teams = [
            {
                "type": "team",
                "id": str(8_100_000 + k),
                "name": name,
                "admin_ids": admin_ids[k % len(admin_ids) :: len(TEAM_NAMES)] or admin_ids[:1],
                "admin_priority_level": None,
                "assignment_limit": None,
                "distribution_method": "round_robin",
            }
            for k, name in enumerate(TEAM_NAMES)
        ]
        self.team_ids = [t["id"] for t in self.teams]
        # GET /admins answers each admin's team_ids: the teams that list it
        for admin in ws.admins:
            admin["team_ids"] = [int(t["id"]) for t in self.teams if int(admin["id"]) in t["admin_ids"]]
        self.ticket_types: list[dict] = []
        self.ticket_states: dict[str, dict] = {}
        for k, (category, name, description, states) in enumerate(_TICKET_TYPES):
            type_id = str(7_200 + k)
            own = []
            for category_state in states:
                state_id = str(7_300 + len(self.ticket_states))
                state = {
                    "type": "ticket_state",
                    "id": state_id,
                    "category": category_state,
                    "internal_label": _STATE_LABELS[category_state],
                    "external_label": _STATE_LABELS[category_state],
                }
                self.ticket_states[state_id] = state
                own.append(state)
            self.ticket_types.append(
                {
                    "type": "ticket_type",
                    "id": type_id,
                    "category": category,
                    "name": name,
                    "description": description,
                    "icon": "🎟️",
                    "workspace_id": ws.app_id,
                    "ticket_type_attributes": {
                        "type": "list",
                        "ticket_type_attributes": [
                            _attribute(ws, type_id, 0, "_default_title_", "string"),
                            _attribute(ws, type_id, 1, "_default_description_", "string"),
                            _attribute(ws, type_id, 2, "severity", "integer"),
                        ],
                    },
                    "ticket_states": {"type": "list", "data": own},
                    "archived": False,
                    "created_at": START,
                    "updated_at": START,
                }
            )


def _attribute(ws: Workspace, type_id: str, order: int, name: str, data_type: str) -> dict:
    return {
        "type": "ticket_type_attribute",
        "id": str(int(type_id) * 10 + order),
        "workspace_id": ws.app_id,
        "name": name,
        "description": name.strip("_").replace("_", " "),
        "data_type": data_type,
        "input_options": {},
        "order": order,
        "required_to_create": order == 0,
        "required_to_create_for_contacts": False,
        "visible_on_create": True,
        "visible_to_contacts": order < 2,
        "default": name.startswith("_default"),
        "ticket_type_id": int(type_id),
        "archived": False,
        "created_at": START,
        "updated_at": START,
    }
