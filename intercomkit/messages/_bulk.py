"""Bulk send: check every row and the sender first, then send each row at most once, logging before and after.

Outcomes per row: ``sent`` (this run), ``already_sent`` (the log says an earlier run sent it), ``failed`` (Intercom
refused it or it never left: a rerun tries again), ``unknown`` (it may or may not have arrived: never resent unless
``resend_unknown=True``), ``not_sent`` (the run stopped before reaching it).

Why 5xx counts as ``unknown``: ``POST /messages`` has no idempotency key, and a 500/502/503 can come back after
Intercom acted. A 2xx whose body is unreadable counts as ``sent`` (the message exists; its id is lost).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from ..errors import (
    APIError,
    Forbidden,
    InvalidMessage,
    InvalidResponse,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    SendError,
    ServerError,
    TemplateError,
    TransportError,
    Unauthorized,
)
from ._payload import admin_id, message_kind, message_payload, recipient
from ._sendlog import SendLog, key_id, plain_key
from ._templates import is_empty, parse_template, render_rows, template_error

if TYPE_CHECKING:
    from .._client import AsyncClient
    from ..resources.messages import Messages

__all__ = ["BulkRow", "check_admin", "prepare_rows", "send_bulk", "sender_error"]


@dataclass
class BulkRow:
    key: Any
    contact_id: str
    role: str | None
    body: str
    subject: str | None
    status: str = "queued"
    message_id: str | None = None
    error: str | None = None

    def result(self) -> dict[str, Any]:
        return {
            "key": plain_key(self.key),
            "contact_id": self.contact_id,
            "recipient_type": self.role,
            "status": self.status,
            "message_id": self.message_id,
            "error": self.error,
        }


def _table(rows: Any, key: str | None) -> tuple[list[str], list[Any], list[dict[str, Any]]]:
    """Columns, row keys and row dicts from a DataFrame (duck-typed: no pandas here) or a list of mappings."""
    if hasattr(rows, "to_dict") and hasattr(rows, "columns") and hasattr(rows, "index"):
        columns = [str(c) for c in rows.columns]
        records = [{str(k): v for k, v in r.items()} for r in rows.to_dict("records")]
        index = list(rows.index)
    elif isinstance(rows, Sequence) and not isinstance(rows, (str, bytes)):
        if not all(isinstance(r, Mapping) for r in rows):
            raise TypeError("rows must be a DataFrame or a list of dicts")
        records = [dict(r) for r in rows]
        columns = list(dict.fromkeys(k for r in records for k in r))
        index = list(range(len(records)))
    else:
        raise TypeError(f"rows must be a DataFrame or a list of dicts, got {type(rows).__name__}")
    if key is None:
        return columns, index, records
    if key not in columns:
        raise InvalidMessage(f"key={key!r} is not a column; columns: {', '.join(columns)}")
    return columns, [r.get(key) for r in records], records


def prepare_rows(
    rows: Any,
    *,
    body: str,
    subject: str | None,
    key: str | None,
    to: str,
    role: str | None,
) -> list[BulkRow]:
    """Render every row; ``TemplateError`` lists every problem of every row (nothing is sent then)."""
    columns, keys, records = _table(rows, key)
    problems: list[tuple[Any, str]] = []
    seen: dict[str, int] = {}
    for k in keys:
        if is_empty(k):
            problems.append((k, f"empty row key (key={key!r})"))
        seen[key_id(k)] = seen.get(key_id(k), 0) + 1
    problems += [(k, "duplicate row key: each row needs its own key") for k in keys if seen[key_id(k)] > 1]
    if to not in columns:
        problems.append(
            (None, f"to={to!r} is not a column holding contact ids; columns: {', '.join(columns)}")
        )
    role_column = role if role is not None and role in columns else None
    contact_ids: list[str] = []
    for k, record in zip(keys, records, strict=True):
        cid = record.get(to) if to in columns else None
        if to in columns and is_empty(cid):
            problems.append((k, f"no contact id in column {to!r}"))
        contact_ids.append("" if is_empty(cid) else str(cid).strip())
        if role_column is not None and record.get(role_column) not in ("user", "lead"):
            problems.append(
                (k, f"{role_column}={record.get(role_column)!r}: only users and leads can be messaged")
            )
    templates = {"body": parse_template(body)}
    if subject is not None:
        templates["subject"] = parse_template(subject)
    rendered: list[dict[str, str]] = []
    try:
        rendered = render_rows(templates, list(zip(keys, records, strict=True)), columns=columns)
    except TemplateError as exc:
        problems += exc.problems
    if problems:
        raise template_error(problems, len(records))
    return [
        BulkRow(
            key=k,
            contact_id=cid,
            role=record.get(role_column) if role_column else None,
            body=text["body"],
            subject=text.get("subject"),
        )
        for k, cid, record, text in zip(keys, contact_ids, records, rendered, strict=True)
    ]


async def check_admin(client: AsyncClient, sender: int) -> None:
    """``SendError`` unless ``sender`` is an admin listed by ``GET /admins``."""
    admins = await client.admins.list()
    if str(sender) not in {a.id for a in admins}:
        known = ", ".join(f"{a.id} ({a.name or a.email or 'no name'})" for a in admins[:10])
        raise SendError(
            f"from_admin={sender} is not an admin of this workspace, so Intercom would refuse every message; "
            f"the sender must be an admin (teammate), not a contact. Admins: {known or 'none'}"
        )


def sender_error(exc: NotFound, sender: int) -> SendError:
    return exc.rephrased(
        f"Intercom does not know the sender from_admin={sender} ({exc.message}); the sender must be an admin "
        "(teammate) id from client.admins.list(), not a contact id",
        SendError,
    )


def _about_admin(exc: NotFound) -> bool:
    return "admin" in f"{exc.code or ''} {exc.message}".lower()


class _Abort(Exception):
    def __init__(self, error: BaseException) -> None:
        self.error = error


def _fingerprint(payload: dict[str, Any]) -> str:
    data = json.dumps({k: payload.get(k) for k in ("message_type", "to", "subject", "body")}, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


async def _send_row(
    client: AsyncClient, log: SendLog, row: BulkRow, sender: int, kind: str, style: str | None
) -> None:
    def done(status: str, message_id: str | None = None, error: str | None = None) -> None:
        row.status, row.message_id, row.error = status, message_id, error
        log.record(row.key, status, contact_id=row.contact_id, message_id=message_id, error=error)

    if row.role is None:
        try:
            row.role = (await client.contacts.get(row.contact_id)).role
        except (APIError, TransportError, InvalidResponse) as exc:
            if isinstance(exc, (Unauthorized, Forbidden)):
                raise _Abort(exc) from None
            return done("failed", error=f"could not look the contact up: {exc}")
    try:
        payload = message_payload(
            sender=sender,
            to=recipient(row.contact_id, row.role),
            body=row.body,
            message_type=kind,
            subject=row.subject,
            template=style,
        )
    except InvalidMessage as exc:
        return done("failed", error=str(exc))
    log.record(row.key, "pending", contact_id=row.contact_id, fingerprint=_fingerprint(payload))
    try:
        answer = await client.request("POST", "/messages", json=payload)
    except OutcomeUnknown as exc:
        return done("unknown", error=f"the connection failed after sending; it may have arrived ({exc})")
    except InvalidResponse as exc:
        if exc.status is not None and 200 <= exc.status < 300:
            return done(
                "sent", error="Intercom accepted it but its answer was unreadable: message id unknown"
            )
        return done("unknown", error=str(exc))
    except ServerError as exc:
        return done(
            "unknown", error=f"Intercom answered {exc.status}; it may have acted anyway ({exc.message})"
        )
    except NotFound as exc:
        if _about_admin(exc):
            done("failed", error=str(exc))
            raise _Abort(sender_error(exc, sender)) from None
        return done("failed", error=f"contact {row.contact_id} not found ({exc.message})")
    except (Unauthorized, Forbidden) as exc:
        done("failed", error=str(exc))
        raise _Abort(exc) from None
    except (RateLimited, APIError, TransportError) as exc:
        # Refused by Intercom, or never left this machine (connect errors): safe to send on a rerun.
        return done("failed", error=str(exc))
    except BaseException:
        # Cancelled or interrupted mid-request: the request may be out there.
        done("unknown", error="interrupted while sending; it may have arrived")
        raise
    message_id = answer.get("id")
    done("sent", message_id=None if message_id is None else str(message_id))


async def send_bulk(
    messages: Messages,
    rows: Any,
    *,
    body: str,
    from_admin: Any,
    subject: str | None = None,
    message_type: str | None = None,
    template: str | None = None,
    key: str | None = None,
    to: str = "id",
    role: str | None = "role",
    log: str | Any = None,
    dry_run: bool = True,
    resend_unknown: bool = False,
    concurrency: int = 4,
    progress: bool = False,
) -> Any:
    """Send one message per row of ``rows`` (a DataFrame or a list of dicts); returns a DataFrame per row.

    ``body`` and ``subject`` are ``{{ column }}`` templates (``{{ location.city }}``, ``{{ name | "there" }}``).
    Every row is checked first (missing columns, empty values, duplicate ``key``, missing contact ids, the
    sender against ``GET /admins``) and ``TemplateError`` lists every problem before anything is sent.

    ``dry_run=True`` (the default) sends nothing and returns the rendered messages. A real run needs ``log``
    (a JSONL path): rows are logged before and after sending, so a rerun with the same log skips rows
    already sent. ``key`` names the column identifying a row (default: the index); ``to`` the contact-id
    column; ``role`` the user/lead column (looked up per contact when absent). Rows whose outcome is
    ``unknown`` are never resent unless ``resend_unknown=True``: reconcile them with ``SendLog``.
    """
    from .._frames import records_frame

    client = messages._client
    kind, style = message_kind(message_type, subject, template)
    sender = admin_id(from_admin)
    if not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError("concurrency must be a positive int")
    prepared = prepare_rows(rows, body=body, subject=subject, key=key, to=to, role=role)
    await check_admin(client, sender)
    sendlog = None if log is None else (log if isinstance(log, SendLog) else SendLog(log, clock=client.now))
    if dry_run:
        states = sendlog.states() if sendlog is not None else {}
        out = []
        for r in prepared:
            prior = states.get(key_id(r.key), {}).get("status")
            status = {"sent": "already_sent", "unknown": "unknown"}.get(prior or "", "would_send")
            out.append(
                {**r.result(), "status": status, "message_type": kind, "subject": r.subject, "body": r.body}
            )
        return records_frame(out)
    if sendlog is None:
        raise SendError(
            "a real send needs log='sends.jsonl': the log is what lets a rerun skip rows already sent"
        )
    abort: list[BaseException] = []
    with sendlog:
        states = sendlog.states()
        todo = []
        for r in prepared:
            prior = states.get(key_id(r.key))
            if prior is not None and prior["status"] == "sent":
                r.status, r.message_id = "already_sent", prior.get("message_id")
            elif prior is not None and prior["status"] == "unknown" and not resend_unknown:
                r.status = "unknown"
                r.error = (prior.get("error") or "outcome unknown") + (
                    "; check Intercom, then SendLog.mark_sent/mark_not_sent or pass resend_unknown=True"
                )
            else:
                todo.append(r)
        bar = _progress(len(todo)) if progress else None
        queue = iter(todo)

        async def worker() -> None:
            for r in queue:
                if abort:
                    r.status = "not_sent"
                    continue
                try:
                    await _send_row(client, sendlog, r, sender, kind, style)
                except _Abort as stop:
                    abort.append(stop.error)
                if bar is not None:
                    bar.update(1)

        try:
            async with anyio.create_task_group() as tg:
                for _ in range(min(concurrency, len(todo))):
                    tg.start_soon(worker)
        finally:
            if bar is not None:
                bar.close()
    if abort:
        raise abort[0]
    return records_frame([r.result() for r in prepared])


def _progress(total: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="messages", unit="msg")
