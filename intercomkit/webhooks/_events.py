"""Typed webhook notifications, parsed leniently from Intercom's ``notification_event`` body.

A missing or odd field becomes ``None``; only a body that is not a JSON object is refused. Unknown topics are kept
as :class:`UnknownEvent` so nothing Intercom sends is dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .._models import Company, Contact, as_int, timestamp
from ..errors import InvalidPayload
from ._verify import verify

__all__ = [
    "CompanyEvent",
    "ContactEvent",
    "Event",
    "PingEvent",
    "UnknownEvent",
    "construct_event",
    "parse_event",
]


@dataclass(frozen=True, slots=True)
class Event:
    """One webhook notification. ``item`` is ``data.item`` (a raw dict); ``raw`` is the whole body."""

    id: str | None
    topic: str | None
    app_id: str | None
    created_at: datetime | None
    first_sent_at: datetime | None
    delivery_attempts: int | None
    item: dict[str, Any] | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def item_type(self) -> str | None:
        return _str(self.item.get("type")) if self.item else None

    @property
    def item_id(self) -> str | None:
        return _str(self.item.get("id")) if self.item else None


@dataclass(frozen=True, slots=True)
class CompanyEvent(Event):
    """``company.created`` / ``company.updated``; ``action`` is ``"created"`` or ``"updated"``."""

    action: str = ""

    @property
    def company(self) -> Company:
        """``item`` as a :class:`~intercomkit._models.Company` (the raw dict stays reachable)."""
        return Company(self.item or {})


@dataclass(frozen=True, slots=True)
class ContactEvent(Event):
    """``contact.{user,lead}.{created,updated}``; ``role`` is ``"user"`` or ``"lead"``."""

    role: str = ""
    action: str = ""

    @property
    def contact(self) -> Contact:
        """``item`` as a :class:`~intercomkit._models.Contact` (the raw dict stays reachable)."""
        return Contact(self.item or {})


@dataclass(frozen=True, slots=True)
class PingEvent(Event):
    """Sent by Intercom's "Send a test request" button."""

    @property
    def message(self) -> str | None:
        return _str(self.item.get("message")) if self.item else None


@dataclass(frozen=True, slots=True)
class UnknownEvent(Event):
    """Any other topic (``conversation.user.created``, …), kept whole."""


_ACTIONS = {"created", "updated"}
_ROLES = {"user", "lead"}


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str | int):
        return str(value)
    return None


def _int(value: Any) -> int | None:
    """Lenient like the models' readers, and digit strings too (some relays stringify numbers)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return as_int(value)


def _time(value: Any) -> datetime | None:
    seconds = _int(value)
    return timestamp(seconds) if seconds is not None and seconds > 0 else None


def _load(body: bytes | str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(body, dict):
        return body
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidPayload(f"webhook body is not valid JSON: {exc}", excerpt=_excerpt(body)) from None
    if not isinstance(obj, dict):
        raise InvalidPayload(
            f"webhook body is JSON {type(obj).__name__}, not an object", excerpt=_excerpt(body)
        )
    return obj


def _excerpt(body: bytes | str) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes | bytearray) else str(body)
    return text[:200]


def parse_event(body: bytes | str | dict[str, Any]) -> Event:
    """Parse a notification body (raw bytes, text or an already decoded dict) into a typed :class:`Event`.

    Does not check the signature: use :func:`construct_event` on untrusted input.
    """
    raw = _load(body)
    data = raw.get("data")
    item = data.get("item") if isinstance(data, dict) else None
    topic = _str(raw.get("topic"))
    common: dict[str, Any] = {
        "id": _str(raw.get("id")),
        "topic": topic,
        "app_id": _str(raw.get("app_id")),
        "created_at": _time(raw.get("created_at")),
        "first_sent_at": _time(raw.get("first_sent_at")),
        "delivery_attempts": _int(raw.get("delivery_attempts")),
        "item": item if isinstance(item, dict) else None,
        "raw": raw,
    }
    parts = topic.split(".") if topic else []
    if parts == ["ping"]:
        return PingEvent(**common)
    if len(parts) == 2 and parts[0] == "company" and parts[1] in _ACTIONS:
        return CompanyEvent(**common, action=parts[1])
    if len(parts) == 3 and parts[0] == "contact" and parts[1] in _ROLES and parts[2] in _ACTIONS:
        return ContactEvent(**common, role=parts[1], action=parts[2])
    return UnknownEvent(**common)


def construct_event(body: bytes, signature_header: str | None, client_secret: str) -> Event:
    """Verify the signature over the raw ``body`` then parse it: the one call a receiver needs."""
    verify(body, signature_header, client_secret)
    return parse_event(body)
