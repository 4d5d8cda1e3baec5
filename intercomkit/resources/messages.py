"""``client.messages``: admin-initiated messages (``POST /messages``), one at a time or from a DataFrame."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._models import Message
from ..errors import NotFound, SendError
from ..messages._bulk import check_admin, sender_error
from ..messages._bulk import send_bulk as _send_bulk
from ..messages._payload import admin_id, message_kind, message_payload, recipient
from ._base import Resource

__all__ = ["Messages"]


class Messages(Resource):
    async def send(
        self,
        *,
        from_admin: Any,
        to: Any,
        body: str,
        message_type: str | None = None,
        subject: str | None = None,
        template: str | None = None,
    ) -> Message:
        """Send one message from an admin to a contact; returns the created ``Message``.

        ``to`` is a contact id or a contact (``Contact``, dict, DataFrame row) with ``id`` and ``role``; the
        recipient type (``user``/``lead``) is its role (looked up with ``GET /contacts/{id}`` when not given).
        ``message_type`` is ``"inapp"`` (``"in_app"`` works too) or ``"email"`` (default: email when a ``subject``
        is given, else in-app); an email needs a subject, ``template`` is ``"plain"`` (default) or ``"personal"``.

        ``.id`` of the result is a **message id, not a conversation id**: Intercom opens a conversation only once
        the contact replies. ``POST /messages`` is never retried after it may have reached Intercom: an
        ambiguous failure raises ``OutcomeUnknown`` (check before sending again).
        """
        kind, style = message_kind(message_type, subject, template)
        sender = admin_id(from_admin)
        contact_id, role = _contact(to)
        if role is None:
            role = (await self._client.contacts.get(contact_id)).role
        payload = message_payload(
            sender=sender,
            to=recipient(contact_id, role),
            body=body,
            message_type=kind,
            subject=subject,
            template=style,
        )
        try:
            return Message(await self._client.request("POST", "/messages", json=payload))
        except NotFound as exc:
            raise await self._explain_not_found(exc, sender, contact_id) from None

    async def _explain_not_found(self, exc: NotFound, sender: int, contact_id: str) -> Exception:
        # Intercom answers 404 both for an unknown sender and an unknown recipient: ask /admins which it was.
        try:
            await check_admin(self._client, sender)
        except SendError:
            return sender_error(exc, sender)
        return exc.rephrased(
            f"contact {contact_id!r} not found ({exc.message}); a contact created moments ago may need a few "
            "seconds before it can be messaged"
        )

    # Defined once, with the rest of the bulk send: the first argument is this resource.
    send_bulk = _send_bulk


def _contact(to: Any) -> tuple[str, str | None]:
    """``(contact id, role or None)`` from an id, a ``Contact``, a dict or a DataFrame row."""
    if isinstance(to, str):
        if not to.strip():
            raise ValueError("to must be a contact id, got an empty string")
        return to.strip(), None
    raw = to.raw if hasattr(to, "raw") else to
    if isinstance(raw, Mapping) or hasattr(raw, "get"):
        cid, role = raw.get("id"), raw.get("role")
        if isinstance(cid, str) and cid.strip():
            return cid.strip(), role if role in ("user", "lead") else None
    raise TypeError(f"to must be a contact id or a contact with an 'id', got {type(to).__name__}")
