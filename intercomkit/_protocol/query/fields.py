"""Intercom's searchable fields and their types (the "Accepted Fields" tables of the 2.16 search operations), one
table per searchable resource, and the per-resource rules that differ between those operations."""

from __future__ import annotations

import difflib

from ...errors import InvalidQuery

__all__ = [
    "BOOLEAN",
    "COMPANY_FIELDS",
    "CONTACT_FIELDS",
    "CONVERSATION_FIELDS",
    "CUSTOM",
    "CUSTOM_PREFIXES",
    "INCLUSIVE_BOUNDS",
    "DATE",
    "INTEGER",
    "STRING",
    "TAG",
    "TICKET_FIELDS",
    "custom_prefix",
    "field_type",
    "fields_for",
]

STRING, INTEGER, DATE, BOOLEAN, TAG, CUSTOM = "string", "integer", "date", "boolean", "tag_id", "custom"

# The "Accepted Fields" table of POST /contacts/search (the spec's "andoid_sdk_version" typo is kept as an alias).
CONTACT_FIELDS: dict[str, str] = {
    **dict.fromkeys(
        [
            "id",
            "role",
            "name",
            "avatar",
            "owner_id",
            "email",
            "email_domain",
            "phone",
            "formatted_phone",
            "external_id",
            "language_override",
            "browser",
            "browser_language",
            "os",
            "location.country",
            "location.region",
            "location.city",
            "ios_app_version",
            "ios_device",
            "ios_app_device",
            "ios_os_version",
            "ios_app_name",
            "ios_sdk_version",
            "android_app_version",
            "android_device",
            "android_app_name",
            "android_sdk_version",
            "andoid_sdk_version",
            "segment_id",
        ],
        STRING,
    ),  # fmt: skip
    **dict.fromkeys(
        [
            "created_at",
            "signed_up_at",
            "updated_at",
            "last_seen_at",
            "last_contacted_at",
            "last_replied_at",
            "last_email_opened_at",
            "last_email_clicked_at",
            "ios_last_seen_at",
            "android_last_seen_at",
        ],
        DATE,
    ),  # fmt: skip
    **dict.fromkeys(["unsubscribed_from_emails", "marked_email_as_spam", "has_hard_bounced"], BOOLEAN),
    "tag_id": TAG,
}

COMPANY_FIELDS: dict[str, str] = {
    **dict.fromkeys(
        ["id", "company_id", "name", "website", "industry", "plan", "plan.name", "segment_id"], STRING
    ),
    **dict.fromkeys(["created_at", "updated_at", "remote_created_at", "last_request_at"], DATE),
    **dict.fromkeys(["size", "monthly_spend", "session_count", "user_count"], INTEGER),
    "tag_id": TAG,
}

# The "Accepted Fields" table of POST /conversations/search. Its "conversation_rating.admin_d" typo is kept, with the
# spelling the conversation_rating model suggests beside it. contact_ids, teammate_ids and tag_ids are String: one
# id, matched against the conversation's list.
CONVERSATION_FIELDS: dict[str, str] = {
    **dict.fromkeys(
        [
            "id", "source.type", "source.id", "source.delivered_as", "source.subject", "source.body",
            "source.author.id", "source.author.type", "source.author.name", "source.author.email", "source.url",
            "contact_ids", "teammate_ids", "channel_initiated", "state", "tag_ids", "priority",
            "statistics.last_closed_by_id", "conversation_rating.remark", "conversation_rating.contact_id",
            "conversation_rating.admin_d", "conversation_rating.admin_id", "ai_agent.resolution_state",
            "ai_agent.last_answer_type", "ai_agent.rating_remark", "ai_agent.source_type", "ai_agent.source_title",
        ],
        STRING,
    ),
    **dict.fromkeys(
        [
            "created_at", "updated_at", "waiting_since", "snoozed_until", "statistics.first_contact_reply_at",
            "statistics.first_assignment_at", "statistics.first_admin_reply_at", "statistics.first_close_at",
            "statistics.last_assignment_at", "statistics.last_assignment_admin_reply_at",
            "statistics.last_contact_reply_at", "statistics.last_admin_reply_at", "statistics.last_close_at",
            "conversation_rating.requested_at", "conversation_rating.replied_at",
        ],
        DATE,
    ),
    **dict.fromkeys(
        [
            "admin_assignee_id", "team_assignee_id", "statistics.time_to_assignment",
            "statistics.time_to_admin_reply", "statistics.time_to_first_close", "statistics.time_to_last_close",
            "statistics.median_time_to_reply", "statistics.count_reopens", "statistics.count_assignments",
            "statistics.count_conversation_parts", "conversation_rating.score", "ai_agent.rating",
        ],
        INTEGER,
    ),
    **dict.fromkeys(["open", "read", "ai_agent_participated"], BOOLEAN),
}  # fmt: skip

# The "Accepted Fields" table of POST /tickets/search (``ticket_attribute.{id}`` is the custom prefix below).
TICKET_FIELDS: dict[str, str] = {
    **dict.fromkeys(
        [
            "id", "title", "description", "category", "ticket_type_id", "contact_ids", "teammate_ids",
            "admin_assignee_id", "team_assignee_id", "state",
        ],
        STRING,
    ),
    **dict.fromkeys(["created_at", "updated_at", "snoozed_until"], DATE),
    "open": BOOLEAN,
}  # fmt: skip

_FIELDS_BY_RESOURCE = {
    "contacts": CONTACT_FIELDS,
    "companies": COMPANY_FIELDS,
    "conversations": CONVERSATION_FIELDS,
    "tickets": TICKET_FIELDS,
}

# Where each search keeps the attributes a workspace defines: any operator, type known only from the value.
CUSTOM_PREFIXES: dict[str, str] = {
    "contacts": "custom_attributes.",
    "companies": "custom_attributes.",
    "conversations": "custom_attributes.",
    "tickets": "ticket_attribute.",
}

# Searches whose ">" and "<" include the bound, to the second: the conversations and tickets operator tables say
# "Greater (or equal) than" / "Lower (or equal) than" on "Integer  Date (UNIX Timestamp)", and neither mentions the
# calendar-day matching the contacts search documents. The contacts and companies searches are strict, by day.
INCLUSIVE_BOUNDS = frozenset({"conversations", "tickets"})


def fields_for(resource: str) -> dict[str, str]:
    """The field table of ``resource`` ("contacts", "companies", "conversations" or "tickets")."""
    try:
        return _FIELDS_BY_RESOURCE[resource]
    except KeyError:
        raise InvalidQuery(
            f"unknown search resource {resource!r}: use one of {', '.join(_FIELDS_BY_RESOURCE)}"
        ) from None


def custom_prefix(resource: str) -> str:
    """The prefix of ``resource``'s workspace-defined attributes (``custom_attributes.``, ``ticket_attribute.``)."""
    return CUSTOM_PREFIXES.get(resource, "custom_attributes.")


def field_type(name: str, resource: str) -> str:
    """A field's type; an unknown field is an :class:`InvalidQuery` with a did-you-mean."""
    prefix = custom_prefix(resource)
    if name.startswith(prefix) and len(name) > len(prefix):
        return CUSTOM
    fields = fields_for(resource)
    if name in fields:
        return fields[name]
    if resource == "contacts" and name.startswith("compan"):
        # Intercom's "Accepted Fields" for a contacts search list no company field: say where that lives.
        raise InvalidQuery(
            f"contacts cannot be searched by {name!r}: Intercom's contact search has no company field. Use "
            "client.contacts.of_company(company.id), finding the company with "
            "client.companies.find(company_id=...) or find(name=...)"
        )
    hint = difflib.get_close_matches(name, list(fields), n=1)
    did_you_mean = f" (did you mean {hint[0]!r}?)" if hint else ""
    what = "ticket attributes" if resource == "tickets" else "custom attributes"
    raise InvalidQuery(
        f"unknown {resource} search field {name!r}{did_you_mean}; {what} are searched as '{prefix}<name>'"
    )
