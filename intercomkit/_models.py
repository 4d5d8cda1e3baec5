"""Light models over Intercom's raw dicts.

Plain classes with ``__slots__``, not pydantic or dataclasses, on purpose:

* zero dependencies and no validation cost: a 1 M-contact walk wraps each dict in O(1) and parses a field only
  when it is read;
* lenient: a missing, null, wrong-typed or unexpected field never raises (a timestamp that is not a number reads as
  ``None``), so one odd record never aborts a walk;
* the raw dict is always reachable (``.raw``, ``model["key"]``, and attribute access falls back to it), so fields
  Intercom adds tomorrow are usable today.

Timestamps are returned as aware UTC datetimes. Reprs show the id (and email) only: never names, phones or
custom attributes, which are personal data that should not end up in logs or saved notebook outputs.

Also here: :func:`updates` (explicit update payloads in which ``False``, ``0`` and ``""`` survive) and
:func:`check_contact_fields` (type checks for create/update contact bodies, per the 2.16 spec).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from ._protocol.numbers import is_int, is_number

__all__ = [
    "CONTACT_WRITE_FIELDS",
    "Admin",
    "Company",
    "Contact",
    "Conversation",
    "ConversationPart",
    "Message",
    "Model",
    "Ticket",
    "as_int",
    "check_contact_fields",
    "timestamp",
    "updates",
]


def timestamp(value: Any) -> datetime | None:
    """Unix seconds → aware UTC datetime; ``None`` for null, 0, non-numbers and out-of-range values."""
    if not is_number(value) or not value:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return value if isinstance(value, str) else str(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _refs(value: Any) -> list[dict[str, Any]]:
    """The ``data`` list of an addressable list (tags, notes, companies); ``[]`` if absent or malformed."""
    if isinstance(value, dict):
        value = value.get("data", value.get("tags", value.get("companies", value.get("notes"))))
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


class Model:
    """Any Intercom object: attributes read the raw dict; ``.raw`` is the dict itself."""

    __slots__ = ("raw",)

    def __init__(self, raw: Mapping[str, Any] | None = None) -> None:
        if isinstance(raw, dict):
            self.raw: dict[str, Any] = raw
        else:
            self.raw = dict(raw) if isinstance(raw, Mapping) else {}

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: unknown fields come straight from the raw dict.
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self.raw[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.raw

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Model):
            return type(self) is type(other) and self.raw == other.raw
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable raw dict

    def __repr__(self) -> str:
        parts = [f"id={_str(self.raw.get('id'))!r}"]
        email = self.raw.get("email")
        if isinstance(email, str) and email:
            parts.append(f"email={email!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def to_dict(self) -> dict[str, Any]:
        return self.raw

    @property
    def id(self) -> str | None:
        return _str(self.raw.get("id"))

    @property
    def type(self) -> str | None:
        return _str(self.raw.get("type"))

    @property
    def created_at(self) -> datetime | None:
        return timestamp(self.raw.get("created_at"))

    @property
    def updated_at(self) -> datetime | None:
        return timestamp(self.raw.get("updated_at"))

    @property
    def custom_attributes(self) -> dict[str, Any]:
        return _dict(self.raw.get("custom_attributes"))


class Contact(Model):
    """A user or lead (``GET /contacts/{id}``, list and search results)."""

    __slots__ = ()

    role = property(lambda self: _str(self.raw.get("role")))
    email = property(lambda self: _str(self.raw.get("email")))
    email_domain = property(lambda self: _str(self.raw.get("email_domain")))
    name = property(lambda self: _str(self.raw.get("name")))
    phone = property(lambda self: _str(self.raw.get("phone")))
    external_id = property(lambda self: _str(self.raw.get("external_id")))
    owner_id = property(lambda self: _str(self.raw.get("owner_id")))
    workspace_id = property(lambda self: _str(self.raw.get("workspace_id")))
    signed_up_at = property(lambda self: timestamp(self.raw.get("signed_up_at")))
    last_seen_at = property(lambda self: timestamp(self.raw.get("last_seen_at")))
    last_replied_at = property(lambda self: timestamp(self.raw.get("last_replied_at")))
    last_contacted_at = property(lambda self: timestamp(self.raw.get("last_contacted_at")))
    unsubscribed_from_emails = property(lambda self: _bool(self.raw.get("unsubscribed_from_emails")))
    has_hard_bounced = property(lambda self: _bool(self.raw.get("has_hard_bounced")))
    marked_email_as_spam = property(lambda self: _bool(self.raw.get("marked_email_as_spam")))

    @property
    def location(self) -> dict[str, Any]:
        return _dict(self.raw.get("location"))

    @property
    def tag_ids(self) -> list[str]:
        """Ids of the listed tags (Intercom lists at most 10; see ``tags_truncated``)."""
        return [str(t["id"]) for t in _refs(self.raw.get("tags")) if t.get("id") is not None]

    @property
    def company_ids(self) -> list[str]:
        return [str(t["id"]) for t in _refs(self.raw.get("companies")) if t.get("id") is not None]

    @property
    def note_ids(self) -> list[str]:
        return [str(t["id"]) for t in _refs(self.raw.get("notes")) if t.get("id") is not None]

    @property
    def tags_truncated(self) -> bool:
        return bool(_dict(self.raw.get("tags")).get("has_more"))


class Company(Model):
    """A company (``GET /companies/{id}``, list and scroll results)."""

    __slots__ = ()

    name = property(lambda self: _str(self.raw.get("name")))
    company_id = property(lambda self: _str(self.raw.get("company_id")))
    website = property(lambda self: _str(self.raw.get("website")))
    industry = property(lambda self: _str(self.raw.get("industry")))
    size = property(lambda self: as_int(self.raw.get("size")))
    user_count = property(lambda self: as_int(self.raw.get("user_count")))
    session_count = property(lambda self: as_int(self.raw.get("session_count")))
    monthly_spend = property(lambda self: _number(self.raw.get("monthly_spend")))
    remote_created_at = property(lambda self: timestamp(self.raw.get("remote_created_at")))
    last_request_at = property(lambda self: timestamp(self.raw.get("last_request_at")))

    @property
    def plan(self) -> str | None:
        plan = self.raw.get("plan")
        return _str(plan.get("name")) if isinstance(plan, dict) else _str(plan)

    @property
    def tag_ids(self) -> list[str]:
        return [str(t["id"]) for t in _refs(self.raw.get("tags")) if t.get("id") is not None]


class Admin(Model):
    """A teammate (``GET /admins``), or the admin behind the token (``client.me()``, with its workspace in ``app``)."""

    __slots__ = ()

    name = property(lambda self: _str(self.raw.get("name")))
    email = property(lambda self: _str(self.raw.get("email")))
    job_title = property(lambda self: _str(self.raw.get("job_title")))
    away_mode_enabled = property(lambda self: _bool(self.raw.get("away_mode_enabled")))
    has_inbox_seat = property(lambda self: _bool(self.raw.get("has_inbox_seat")))

    @property
    def app(self) -> dict[str, Any]:
        """The workspace (``GET /me`` only): ``name``, ``id_code``, ``region``, ``timezone``…; ``{}`` elsewhere."""
        return _dict(self.raw.get("app"))

    @property
    def team_ids(self) -> list[str]:
        ids = self.raw.get("team_ids")
        return [str(i) for i in ids if i is not None] if isinstance(ids, list) else []


class Message(Model):
    """A message created with ``POST /messages``."""

    __slots__ = ()

    subject = property(lambda self: _str(self.raw.get("subject")))
    body = property(lambda self: _str(self.raw.get("body")))
    message_type = property(lambda self: _str(self.raw.get("message_type")))
    conversation_id = property(lambda self: _str(self.raw.get("conversation_id")))


class ConversationPart(Model):
    """One part of a conversation (a reply, a note, an assignment, a close…): ``part_type`` says which."""

    __slots__ = ()

    part_type = property(lambda self: _str(self.raw.get("part_type")))
    body = property(lambda self: _str(self.raw.get("body")))
    redacted = property(lambda self: _bool(self.raw.get("redacted")))
    notified_at = property(lambda self: timestamp(self.raw.get("notified_at")))

    @property
    def author(self) -> dict[str, Any]:
        """``type`` (user, lead, admin, bot, team), ``id``, ``name``, ``from_ai_agent``…"""
        return _dict(self.raw.get("author"))

    @property
    def assigned_to(self) -> dict[str, Any] | None:
        value = self.raw.get("assigned_to")
        return value if isinstance(value, dict) else None


def _ids(value: Any, key: str) -> list[str]:
    refs = value.get(key) if isinstance(value, dict) else None
    if not isinstance(refs, list):
        return []
    return [str(r["id"]) for r in refs if isinstance(r, dict) and r.get("id") is not None]


class Conversation(Model):
    """A conversation (``GET /conversations/{id}`` with its parts; list and search results without them)."""

    __slots__ = ()

    title = property(lambda self: _str(self.raw.get("title")))
    state = property(lambda self: _str(self.raw.get("state")))
    open = property(lambda self: _bool(self.raw.get("open")))
    read = property(lambda self: _bool(self.raw.get("read")))
    priority = property(lambda self: _str(self.raw.get("priority")))
    admin_assignee_id = property(lambda self: _str(self.raw.get("admin_assignee_id")))
    team_assignee_id = property(lambda self: _str(self.raw.get("team_assignee_id")))
    waiting_since = property(lambda self: timestamp(self.raw.get("waiting_since")))
    snoozed_until = property(lambda self: timestamp(self.raw.get("snoozed_until")))
    ai_agent_participated = property(lambda self: _bool(self.raw.get("ai_agent_participated")))

    @property
    def source(self) -> dict[str, Any]:
        """The message that opened the conversation (not a part): ``type``, ``author``, ``subject``, ``body``…"""
        return _dict(self.raw.get("source"))

    @property
    def statistics(self) -> dict[str, Any]:
        return _dict(self.raw.get("statistics"))

    @property
    def contact_ids(self) -> list[str]:
        return _ids(self.raw.get("contacts"), "contacts")

    @property
    def tag_ids(self) -> list[str]:
        return _ids(self.raw.get("tags"), "tags")

    @property
    def parts(self) -> list[ConversationPart]:
        """The parts returned with the conversation: Intercom returns at most the 500 most recent (see
        ``parts_truncated``); list and search results carry none."""
        listing = _dict(self.raw.get("conversation_parts"))
        parts = listing.get("conversation_parts")
        return [ConversationPart(p) for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []

    @property
    def parts_count(self) -> int | None:
        """How many parts the conversation has (``statistics.count_conversation_parts``, else the list's
        ``total_count``), which may be more than ``len(parts)``."""
        count = as_int(self.statistics.get("count_conversation_parts"))
        if count is None:
            count = as_int(_dict(self.raw.get("conversation_parts")).get("total_count"))
        return count

    @property
    def parts_truncated(self) -> bool:
        """True when Intercom returned fewer parts than the conversation has ("at most 500 ... the 500 most
        recent conversation parts")."""
        count = self.parts_count
        return count is not None and len(self.parts) < count


class Ticket(Model):
    """A ticket (``GET /tickets/{id}``, search results)."""

    __slots__ = ()

    ticket_id = property(lambda self: _str(self.raw.get("ticket_id")))
    category = property(lambda self: _str(self.raw.get("category")))
    open = property(lambda self: _bool(self.raw.get("open")))
    admin_assignee_id = property(lambda self: _str(self.raw.get("admin_assignee_id")))
    team_assignee_id = property(lambda self: _str(self.raw.get("team_assignee_id")))
    snoozed_until = property(lambda self: timestamp(self.raw.get("snoozed_until")))

    @property
    def ticket_attributes(self) -> dict[str, Any]:
        return _dict(self.raw.get("ticket_attributes"))

    @property
    def ticket_state(self) -> dict[str, Any]:
        """``id``, ``category`` (submitted, in_progress, waiting_on_customer, resolved), ``internal_label``…"""
        return _dict(self.raw.get("ticket_state"))

    @property
    def ticket_type(self) -> dict[str, Any]:
        return _dict(self.raw.get("ticket_type"))

    @property
    def contact_ids(self) -> list[str]:
        return _ids(self.raw.get("contacts"), "contacts")


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def as_int(value: Any) -> int | None:
    if is_int(value):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _number(value: Any) -> float | int | None:
    if not is_number(value):
        return None
    return value if not isinstance(value, float) or math.isfinite(value) else None


# ----------------------------------------------------------------------------------------------- write helpers

_UNSET: Any = type("_Unset", (), {"__repr__": lambda self: "<unset>", "__bool__": lambda self: False})()

_STR, _BOOL, _TS, _DICT = "str", "bool", "timestamp", "dict"

# create_contact_request / update_contact_request in the 2.16 spec (the same fields).
CONTACT_WRITE_FIELDS: dict[str, str] = {
    "role": _STR,
    "external_id": _STR,
    "email": _STR,
    "email_verified": _BOOL,
    "phone": _STR,
    "name": _STR,
    "avatar": _STR,
    "signed_up_at": _TS,
    "last_seen_at": _TS,
    "owner_id": _STR,
    "unsubscribed_from_emails": _BOOL,
    "custom_attributes": _DICT,
}
_NULLABLE = frozenset(CONTACT_WRITE_FIELDS) - {"role", "external_id", "email"}


def updates(
    *,
    role: str = _UNSET,
    external_id: str = _UNSET,
    email: str = _UNSET,
    email_verified: bool | None = _UNSET,
    phone: str | None = _UNSET,
    name: str | None = _UNSET,
    avatar: str | None = _UNSET,
    signed_up_at: int | datetime | None = _UNSET,
    last_seen_at: int | datetime | None = _UNSET,
    owner_id: str | int | None = _UNSET,
    unsubscribed_from_emails: bool | None = _UNSET,
    custom_attributes: dict[str, Any] | None = _UNSET,
) -> dict[str, Any]:
    """An explicit contact update payload: every argument passed is kept, even ``False``, ``0``, ``""``, ``None``.

    Arguments not passed are left out. Values are checked with :func:`check_contact_fields`.
    """
    given = {k: v for k, v in locals().items() if v is not _UNSET}
    return check_contact_fields(given)


def check_contact_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Type-check a create/update contact body; return it with datetimes as unix seconds.

    Raises ``TypeError`` naming the field for a wrong type or an unknown field (listing the known ones).
    ``None`` is accepted where Intercom accepts null (not for role, external_id, email).
    """
    if not isinstance(fields, Mapping):
        raise TypeError(f"contact fields must be a dict, got {type(fields).__name__}")
    unknown = [k for k in fields if k not in CONTACT_WRITE_FIELDS]
    if unknown:
        raise TypeError(
            f"unknown contact field(s) {', '.join(map(repr, unknown))}; known fields: "
            f"{', '.join(CONTACT_WRITE_FIELDS)} (put your own data in custom_attributes)"
        )
    out: dict[str, Any] = {}
    for key, value in fields.items():
        kind = CONTACT_WRITE_FIELDS[key]
        if value is None:
            if key not in _NULLABLE:
                raise TypeError(f"{key} cannot be None")
            out[key] = None
        elif kind == _STR:
            if key == "owner_id" and is_int(value):
                value = str(value)  # admin ids are numeric strings; an int is an easy slip
            if not isinstance(value, str):
                raise TypeError(f"{key} must be a str, got {type(value).__name__}")
            out[key] = value
        elif kind == _BOOL:
            if not isinstance(value, bool):
                raise TypeError(f"{key} must be a bool, got {type(value).__name__}")
            out[key] = value
        elif kind == _TS:
            out[key] = _unix(key, value)
        else:
            if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
                raise TypeError(f"{key} must be a dict with str keys, got {type(value).__name__}")
            out[key] = {k: (_unix(k, v) if isinstance(v, (datetime, date)) else v) for k, v in value.items()}
    return out


def _unix(key: str, value: Any) -> int:
    if isinstance(value, datetime):
        return math.floor((value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp())
    if isinstance(value, date):
        return math.floor(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    if not is_int(value):
        raise TypeError(f"{key} must be unix seconds (int) or a datetime, got {type(value).__name__}")
    return value
