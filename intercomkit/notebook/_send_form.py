"""The send-message form: pick an admin and a contact, write, preview, Send → Confirm → message id.

The form's parts are attributes (``admin``, ``search``, ``recipient``, ``message_type``, ``subject``, ``body``,
``preview``, ``send_button``, ``confirm_button``, ``cancel_button``, ``result``) so tests drive it headless with
``.value = …`` and ``.click()``, then ``await form.wait_idle()``.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as W

from ..errors import IntercomError, OutcomeUnknown, TemplateError
from ..messages._payload import message_kind
from ..messages._templates import parse_template
from ._tasks import Tasks

__all__ = ["SendMessageForm", "send_message_form"]

_MATCHES = 20


def send_message_form(client: Any = None, contacts: Any = None) -> SendMessageForm:
    """The form, returned at once (admins and searches load in the background).

    ``client`` defaults to the session's connection (``ik.connect``); ``contacts`` (a DataFrame with ``id``,
    ``role`` and e.g. ``email``/``name`` columns) makes the recipient picker choose among its rows instead of
    searching Intercom.
    """
    return SendMessageForm(client=client, contacts=contacts)


class SendMessageForm:
    def __init__(self, client: Any = None, contacts: Any = None) -> None:
        if client is None:
            from .._client import AsyncClient

            client = AsyncClient()  # the session's connection; AuthenticationRequired says how to connect
        self.client = client
        self._rows = _rows(contacts) if contacts is not None else None
        self._candidates: list[dict[str, Any]] = []
        self._admin_names: dict[str, str] = {}
        self._pending: dict[str, Any] | None = None
        self._sending = False
        self._tasks = Tasks(self._show_error)

        self.admin = W.Dropdown(description="From", options=[("loading admins…", None)], disabled=True)
        self.search = W.Text(
            description="To",
            placeholder="filter rows by email or name"
            if self._rows is not None
            else "search email or name, Enter",
            continuous_update=self._rows is not None,
        )
        self.recipient = W.Dropdown(description="Recipient", options=[])
        self.message_type = W.ToggleButtons(
            options=[("In-app", "in_app"), ("Email", "email")], value="in_app"
        )
        self.subject = W.Text(description="Subject", layout=W.Layout(display="none"))
        self.body = W.Textarea(
            description="Body", placeholder='Hi {{ name | "there" }}, …', layout=W.Layout(width="100%")
        )
        self.preview = W.HTML()
        self.send_button = W.Button(description="Send…", button_style="primary")
        self.confirmation = W.HTML()
        self.confirm_button = W.Button(
            description="Confirm send", button_style="danger", layout=W.Layout(display="none")
        )
        self.cancel_button = W.Button(description="Cancel", layout=W.Layout(display="none"))
        self.result = W.HTML()
        self.widget = W.VBox(
            [
                self.admin,
                self.search,
                self.recipient,
                self.message_type,
                self.subject,
                self.body,
                W.HTML("<b>Preview</b>"),
                self.preview,
                W.HBox([self.send_button, self.confirm_button, self.cancel_button]),
                self.confirmation,
                self.result,
            ]
        )

        self.search.observe(self._on_search, names="value")
        for part in (self.recipient, self.message_type, self.subject, self.body, self.admin):
            part.observe(self._on_edit, names="value")
        self.send_button.on_click(self._on_send)
        self.confirm_button.on_click(self._on_confirm)
        self.cancel_button.on_click(lambda _: self._reset_confirmation())
        if self._rows is not None:
            self._set_candidates(self._rows[:_MATCHES])
        self._update_preview()
        self._tasks.spawn(self._load_admins())

    # -- display / tests

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    async def wait_idle(self) -> None:
        await self._tasks.wait_idle()

    @property
    def contact(self) -> dict[str, Any] | None:
        """The chosen recipient (a contact dict or a DataFrame row)."""
        index = self.recipient.value
        return self._candidates[index] if isinstance(index, int) and index < len(self._candidates) else None

    # -- loading

    async def _load_admins(self) -> None:
        admins = await self.client.admins.list()
        self._admin_names = {a.id: a.name or a.email or a.id for a in admins if a.id}
        self.admin.options = [(f"{name} ({aid})", aid) for aid, name in self._admin_names.items()]
        self.admin.disabled = False

    def _on_search(self, change: dict[str, Any]) -> None:
        text = str(change["new"] or "").strip()
        if self._rows is not None:
            needle = text.lower()
            hits = [r for r in self._rows if needle in _label(r).lower()] if needle else self._rows
            self._set_candidates(hits[:_MATCHES])
        elif text:
            self._tasks.spawn(self._search(text))

    async def _search(self, text: str) -> None:
        from .._protocol.query.builder import field

        query = field("email").contains(text) | field("name").contains(text)
        found = await self.client.contacts.search(query, per_page=_MATCHES).to_list(limit=_MATCHES)
        if self.search.value.strip() == text:  # a newer search may have started meanwhile
            self._set_candidates([c.raw for c in found])
            if not found:
                self.result.value = _note(f"No contact matches {text!r}.")

    def _set_candidates(self, rows: list[dict[str, Any]]) -> None:
        self._candidates = list(rows)
        self.recipient.options = [(_label(r), i) for i, r in enumerate(self._candidates)]
        self.recipient.value = 0 if self._candidates else None

    # -- editing and preview

    def _on_edit(self, change: dict[str, Any]) -> None:
        self.subject.layout.display = None if self.message_type.value == "email" else "none"
        self._reset_confirmation()
        self._update_preview()

    def _update_preview(self) -> None:
        contact = self.contact
        if contact is None:
            self.preview.value = _note("Pick a recipient to see the message with their fields filled in.")
            return
        try:
            texts = self._render(contact)
        except (TemplateError, IntercomError) as exc:
            self.preview.value = _note(f"Cannot fill the template for this contact: {exc.message}")
            return
        subject = f"<b>{html.escape(texts['subject'])}</b><br>" if texts.get("subject") else ""
        # Escaped: contact fields are written by end users and must not run as HTML in the notebook.
        self.preview.value = f'<div style="white-space:pre-wrap">{subject}{html.escape(texts["body"])}</div>'

    def _render(self, contact: dict[str, Any]) -> dict[str, str]:
        out = {"body": parse_template(self.body.value).render(contact)}
        if self.message_type.value == "email" and self.subject.value:
            out["subject"] = parse_template(self.subject.value).render(contact)
        return out

    # -- send, confirm

    def _on_send(self, _: Any) -> None:
        self.result.value = ""
        try:
            self._pending = self._prepare()
        except (IntercomError, ValueError, TypeError) as exc:
            self._pending = None
            self._show_error(exc)
            return
        p = self._pending
        what = "an email" if p["message_type"] == "email" else "an in-app message"
        self.confirmation.value = (
            f"Send {what} to <b>{html.escape(_label(p['contact']))}</b> from "
            f"<b>{html.escape(self._admin_names.get(p['from_admin'], p['from_admin']))}</b>? This cannot be undone."
        )
        self.confirm_button.layout.display = None
        self.cancel_button.layout.display = None
        self.confirm_button.disabled = False

    def _prepare(self) -> dict[str, Any]:
        if self.admin.value is None:
            raise ValueError(
                "Choose the admin who sends the message (admins are still loading, or none exist)."
            )
        contact = self.contact
        if contact is None:
            raise ValueError("Choose a recipient first.")
        subject = self.subject.value if self.message_type.value == "email" else None
        kind, style = message_kind(self.message_type.value, subject or None, None)
        texts = self._render(contact)
        if not texts["body"].strip():
            raise ValueError("The message body is empty.")
        return {
            "from_admin": self.admin.value,
            "contact": contact,
            "message_type": kind,
            "template": style,
            "body": texts["body"],
            "subject": texts.get("subject"),
        }

    def _on_confirm(self, _: Any) -> None:
        if self._sending or self._pending is None:  # a double click sends once
            return
        pending, self._pending = self._pending, None
        self._sending = True
        self.confirm_button.disabled = True
        self.send_button.disabled = True
        self.result.value = _note("Sending…")
        self._tasks.spawn(self._send(pending))

    async def _send(self, p: dict[str, Any]) -> None:
        try:
            message = await self.client.messages.send(
                from_admin=p["from_admin"],
                to=p["contact"],
                body=p["body"],
                message_type=p["message_type"],
                subject=p["subject"],
                template=p["template"],
            )
            self.result.value = (
                f"✔ Sent. Message id <code>{html.escape(str(message.id))}</code> — a message id, not a "
                "conversation id: Intercom opens a conversation when the contact replies."
            )
        except OutcomeUnknown:
            self.result.value = _error(
                "The connection failed after the message went out, so it may have been sent. Check the contact "
                "in Intercom before sending again."
            )
        except Exception as exc:
            self._show_error(exc)
        finally:
            self._sending = False
            self.send_button.disabled = False
            self._hide_confirmation()

    def _reset_confirmation(self) -> None:
        if not self._sending:
            self._pending = None
            self._hide_confirmation()

    def _hide_confirmation(self) -> None:
        self.confirmation.value = ""
        self.confirm_button.layout.display = "none"
        self.cancel_button.layout.display = "none"

    def _show_error(self, exc: BaseException) -> None:
        text = exc.message if isinstance(exc, IntercomError) and exc.message else str(exc)
        if isinstance(exc, IntercomError) and exc.status is not None:
            text += f" (HTTP {exc.status})"
        self.result.value = _error(f"Not sent: {text}")


def _rows(contacts: Any) -> list[dict[str, Any]]:
    if not (hasattr(contacts, "to_dict") and hasattr(contacts, "columns")):
        raise TypeError(f"contacts must be a DataFrame, got {type(contacts).__name__}")
    if "id" not in contacts.columns:
        raise ValueError(
            "contacts needs an 'id' column of contact ids (e.g. from client.contacts.list().frame())"
        )
    return [{str(k): v for k, v in r.items()} for r in contacts.to_dict("records")]


def _label(contact: dict[str, Any]) -> str:
    parts = [str(contact[k]) for k in ("name", "email") if isinstance(contact.get(k), str) and contact[k]]
    role = contact.get("role")
    return " — ".join(parts or [str(contact.get("id"))]) + (f" ({role})" if isinstance(role, str) else "")


def _note(text: str) -> str:
    return f'<span style="color:#666">{html.escape(text)}</span>'


def _error(text: str) -> str:
    return f'<span style="color:#b00020">{html.escape(text)}</span>'
