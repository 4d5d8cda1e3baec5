"""The search dialects of POST /conversations/search and POST /tickets/search (2.16 "Accepted Fields" tables).

Both tables of operators read: ``>`` "Greater (or equal) than", ``<`` "Lower (or equal) than", for "Integer  Date
(UNIX Timestamp)"; ``~ !~ ^ $`` for strings; ``= != IN NIN`` for all. Unlike contacts' search, neither description
says dates match by calendar day, so a date compares as the instant it is, and ``>``/``<`` include their bound.
``>=``/``<=`` are not in the conversations table and are refused; tickets: "You may use the `<=` or `>=` operators
to search by `created_at`".
"""

from __future__ import annotations

from ._search import Dialect

__all__ = ["CONVERSATIONS", "TICKETS"]

_S, _I, _D, _B = "string", "integer", "date", "boolean"
_ALL = frozenset({"=", "!=", "IN", "NIN"})
_ORDERED = _ALL | {"<", ">"}
_TEXT = _ALL | {"~", "!~", "^", "$"}
_ANY = _TEXT | {"<", ">"}

_CONVERSATION_FIELDS = {
    "id": _S,
    "created_at": _D,
    "updated_at": _D,
    "source.type": _S,
    "source.id": _S,
    "source.delivered_as": _S,
    "source.subject": _S,
    "source.body": _S,
    "source.author.id": _S,
    "source.author.type": _S,
    "source.author.name": _S,
    "source.author.email": _S,
    "source.url": _S,
    "contact_ids": _S,
    "teammate_ids": _S,
    "admin_assignee_id": _I,
    "team_assignee_id": _I,
    "channel_initiated": _S,
    "open": _B,
    "read": _B,
    "state": _S,
    "waiting_since": _D,
    "snoozed_until": _D,
    "tag_ids": _S,
    "priority": _S,
    **{
        f"statistics.{name}": _I
        for name in (
            "time_to_assignment",
            "time_to_admin_reply",
            "time_to_first_close",
            "time_to_last_close",
            "median_time_to_reply",
            "count_reopens",
            "count_assignments",
            "count_conversation_parts",
        )
    },
    **{
        f"statistics.{name}": _D
        for name in (
            "first_contact_reply_at",
            "first_assignment_at",
            "first_admin_reply_at",
            "first_close_at",
            "last_assignment_at",
            "last_assignment_admin_reply_at",
            "last_contact_reply_at",
            "last_admin_reply_at",
            "last_close_at",
        )
    },
    "statistics.last_closed_by_id": _S,
    "conversation_rating.requested_at": _D,
    "conversation_rating.replied_at": _D,
    "conversation_rating.score": _I,
    "conversation_rating.remark": _S,
    "conversation_rating.contact_id": _S,
    # sic: the table's "admin_d"; the sandbox accepts the spelling the table gives and the one it means
    "conversation_rating.admin_d": _S,
    "conversation_rating.admin_id": _S,
    "ai_agent_participated": _B,
    "ai_agent.resolution_state": _S,
    "ai_agent.last_answer_type": _S,
    "ai_agent.rating": _I,
    "ai_agent.rating_remark": _S,
    "ai_agent.source_type": _S,
    "ai_agent.source_title": _S,
}

_ALLOWED = {_S: _TEXT, _I: _ORDERED, _D: _ORDERED, _B: _ALL, "custom": _ANY}

CONVERSATIONS = Dialect(
    "conversation",
    _CONVERSATION_FIELDS,
    _ALLOWED,
    operators=_ANY,
    day_dates=False,
    inclusive=True,
    # "The `source.body` field ... the search will not be performed against the entire value, but instead against
    # every element of the value separately": the record carries the body's words under source.body.
    list_fields=frozenset({"contact_ids", "teammate_ids", "tag_ids", "source.body"}),
)

_TICKET_FIELDS = {
    "id": _S,
    "created_at": _D,
    "updated_at": _D,
    "title": _S,
    "description": _S,
    "category": _S,
    "ticket_type_id": _S,
    "contact_ids": _S,
    "teammate_ids": _S,
    "admin_assignee_id": _S,
    "team_assignee_id": _S,
    "open": _B,
    "state": _S,
    "snoozed_until": _D,
}

TICKETS = Dialect(
    "ticket",
    _TICKET_FIELDS,
    _ALLOWED,
    operators=_ANY | {"<=", ">="},
    day_dates=False,
    inclusive=True,
    custom_prefix="ticket_attribute.",
    list_fields=frozenset({"contact_ids", "teammate_ids"}),
    field_operators={"created_at": frozenset({"<=", ">="})},
)
