"""The ``POST /messages`` body, checked against the 2.16 ``create_message_request`` schema. Pure.

Rules (Intercom's, enforced before any request): ``message_type`` is in-app or ``email``; email needs a
``subject`` and a ``template`` (``plain`` or ``personal``); ``from`` is ``{"type": "admin", "id": <int>}``; ``to`` is
``{"type": "user" | "lead", "id": <contact id>}`` with the type taken from the contact's role.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .._protocol.numbers import is_int
from ..errors import InvalidMessage, SendError

__all__ = [
    "MESSAGE_TYPES",
    "STYLES",
    "admin_id",
    "message_kind",
    "message_payload",
    "recipient",
]

MESSAGE_TYPES = ("inapp", "email")
# The 2.16 description contradicts itself: create_message_request's enum says `in_app`, but its own request
# examples for POST /messages ("message_type: inapp"), its `message` schema and its responses say `inapp`, and so
# do Intercom's official SDKs (intercom-node, src/api/resources/messages/client/Client.ts: `message_type: "inapp"`).
# We send what Intercom's own clients send and accept both spellings from the user.
_SPELLINGS = {"inapp": "inapp", "in_app": "inapp", "email": "email"}
STYLES = ("plain", "personal")
_CONTACT_ID = re.compile(r"^[0-9a-f]{24}$")


def message_kind(
    message_type: str | None, subject: str | None, template: str | None
) -> tuple[str, str | None]:
    """``(message_type, template)`` after the checks, as sent (``inapp`` or ``email``); ``None`` type means email
    when a subject is given.

    ``template=None`` means ``"plain"`` for email. A subject or template on an in-app message is refused rather than
    dropped: Intercom would not show it.
    """
    if message_type is None:
        message_type = "email" if subject is not None else "inapp"
    if message_type not in _SPELLINGS:
        hint = " (write 'inapp')" if message_type in ("in-app", "chat", "InApp") else ""
        raise InvalidMessage(
            f"message_type must be 'inapp' (or 'in_app') or 'email', got {message_type!r}{hint}"
        )
    message_type = _SPELLINGS[message_type]
    if message_type == "email":
        if subject is None or (isinstance(subject, str) and not subject.strip()):
            raise InvalidMessage("an email needs a subject: pass subject='...'")
        if not isinstance(subject, str):
            raise InvalidMessage(f"subject must be a str, got {type(subject).__name__}")
        template = "plain" if template is None else template
        if template not in STYLES:
            raise InvalidMessage(f"template must be 'plain' or 'personal' for an email, got {template!r}")
        return message_type, template
    if subject is not None:
        raise InvalidMessage("subject is only used by emails: pass message_type='email' or drop the subject")
    if template is not None:
        raise InvalidMessage(
            "template ('plain'/'personal') is only used by emails: pass message_type='email'"
        )
    return message_type, None


def admin_id(value: Any, what: str = "from_admin") -> int:
    """The sender as the integer the spec asks for; a contact id (or anything else) raises ``SendError``."""
    if isinstance(value, Mapping) or hasattr(value, "raw"):
        raw = value.raw if hasattr(value, "raw") else value
        if raw.get("type") not in (None, "admin"):
            raise SendError(
                f"the sender must be an admin (see client.admins.list()), got a {raw.get('type')!r} object"
            )
        value = raw.get("id")
    if is_int(value) and value > 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, str) and _CONTACT_ID.match(value.strip()):
        raise SendError(
            f"{what}={value!r} looks like a contact id: this is done by an admin (teammate); "
            "pick an id from client.admins.list()"
        )
    raise SendError(
        f"{what} must be an admin id such as '991267816' (see client.admins.list()), got {value!r}"
    )


def recipient(contact_id: Any, role: Any) -> dict[str, str]:
    if not isinstance(contact_id, str) or not contact_id.strip():
        raise InvalidMessage(f"the recipient must be a contact id (str), got {contact_id!r}")
    if role not in ("user", "lead"):
        raise InvalidMessage(f"contact {contact_id} has role {role!r}; only users and leads can be messaged")
    return {"type": role, "id": contact_id.strip()}


def message_payload(
    *,
    sender: int,
    to: dict[str, str],
    body: str,
    message_type: str,
    subject: str | None,
    template: str | None,
) -> dict[str, Any]:
    if not isinstance(body, str) or not body.strip():
        raise InvalidMessage("the message body is empty")
    payload: dict[str, Any] = {
        "message_type": message_type,
        "body": body,
        "from": {"type": "admin", "id": sender},
        "to": to,
    }
    if message_type == "email":
        payload["subject"] = subject
        payload["template"] = template
    return payload
