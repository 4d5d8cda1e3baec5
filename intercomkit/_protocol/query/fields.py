"""Intercom's searchable fields and their types (the "Accepted Fields" tables of the 2.16 search operations)."""

from __future__ import annotations

import difflib

from ...errors import InvalidQuery

__all__ = [
    "BOOLEAN",
    "COMPANY_FIELDS",
    "CONTACT_FIELDS",
    "CUSTOM",
    "DATE",
    "INTEGER",
    "STRING",
    "TAG",
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

_FIELDS_BY_RESOURCE = {"contacts": CONTACT_FIELDS, "companies": COMPANY_FIELDS}


def fields_for(resource: str) -> dict[str, str]:
    """The field table of ``resource`` ("contacts" or "companies")."""
    try:
        return _FIELDS_BY_RESOURCE[resource]
    except KeyError:
        raise InvalidQuery(f"unknown search resource {resource!r}: use 'contacts' or 'companies'") from None


def field_type(name: str, resource: str) -> str:
    """A field's type; an unknown field is an :class:`InvalidQuery` with a did-you-mean."""
    if name.startswith("custom_attributes.") and len(name) > len("custom_attributes."):
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
    raise InvalidQuery(
        f"unknown {resource} search field {name!r}{did_you_mean}; "
        "custom attributes are searched as 'custom_attributes.<name>'"
    )
