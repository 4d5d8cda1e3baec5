"""Conversation parts and the workspace lists as flat rows, and the support columns' specs: pure Python, no pandas.

Conversations and tickets are read by the column model (``_columns.CONVERSATIONS`` / ``TICKETS``), so their frames
and their exports cannot disagree; ``CONVERSATION_SPEC`` / ``TICKET_SPEC`` list those columns.
Each ``*_rows`` function returns ``(rows, spec)``: one dict per record (column name → raw value) and the ordered
``(column, kind)`` list of the frame (kinds as in ``intercomkit._frames``: ``string``, ``timestamp`` (unix seconds),
``int``, ``bool``, ``float``, ``list`` (of id strings); ``None`` = infer from the values, like custom attributes).
``intercomkit._frames.rows_frame`` turns the pair into a typed DataFrame. The column names are the support-data
contract the analytics (``ik.support``) and the export build on: change them only together.

Intercom's ``statistics`` durations are seconds and honour the workspace's office hours (Intercom's reports do the
same); the sandbox's statistics are wall-clock.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Any

from . import _columns

__all__ = [
    "CONVERSATION_SPEC",
    "DATA_ATTRIBUTE_SPEC",
    "PART_SPEC",
    "SEGMENT_SPEC",
    "TAG_SPEC",
    "TEAM_SPEC",
    "TICKET_SPEC",
    "TICKET_STATE_SPEC",
    "TICKET_TYPE_SPEC",
    "attribute_kinds",
    "html_text",
    "listing_rows",
    "part_rows",
]

S, TS, I, B, F, L = "string", "timestamp", "int", "bool", "float", "list"  # noqa: E741

# The conversation, ticket and part columns are the column model's (``_columns.CONVERSATIONS`` / ``TICKETS`` /
# ``PARTS``), which the frames and the export both read: these are their (name, kind) lists.
CONVERSATION_SPEC: list[tuple[str, str]] = list(_columns.CONVERSATIONS.kinds.items())
TICKET_SPEC: list[tuple[str, str]] = list(_columns.TICKETS.kinds.items())
PART_SPEC: list[tuple[str, str]] = list(_columns.PARTS.kinds.items())

# The workspace lists: flat objects, a column per top-level key.
TAG_SPEC: list[tuple[str, str]] = [("id", S), ("name", S)]
SEGMENT_SPEC: list[tuple[str, str]] = [
    ("id", S), ("name", S), ("person_type", S), ("count", I), ("created_at", TS), ("updated_at", TS),
]  # fmt: skip
TEAM_SPEC: list[tuple[str, str]] = [
    ("id", S), ("name", S), ("admin_ids", L), ("assignment_limit", I), ("distribution_method", S),
]  # fmt: skip
DATA_ATTRIBUTE_SPEC: list[tuple[str, str]] = [
    ("id", S), ("model", S), ("name", S), ("full_name", S), ("label", S), ("description", S), ("data_type", S),
    ("options", L), ("custom", B), ("archived", B), ("api_writable", B), ("created_at", TS), ("updated_at", TS),
]  # fmt: skip
TICKET_TYPE_SPEC: list[tuple[str, str]] = [
    ("id", S), ("name", S), ("category", S), ("description", S), ("archived", B), ("created_at", TS),
    ("updated_at", TS),
]  # fmt: skip
TICKET_STATE_SPEC: list[tuple[str, str]] = [
    ("id", S), ("category", S), ("internal_label", S), ("external_label", S), ("archived", B),
]  # fmt: skip

# A data attribute's data_type → column kind; other types (list, relationship, …) stay text.
_KIND_OF_TYPE = {
    "string": S,
    "integer": I,
    "float": F,
    "decimal": F,
    "boolean": B,
    "date": TS,
    "datetime": TS,
}


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _id(value: Any) -> str | None:
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    return str(value)


def _refs(value: Any, key: str) -> list[dict[str, Any]]:
    refs = value.get(key, value.get("data")) if isinstance(value, dict) else value
    return [r for r in refs if isinstance(r, dict)] if isinstance(refs, list) else []


def _materialize(items: Iterable[Any]) -> list[dict[str, Any]]:
    # Models (anything with .raw) and plain dicts alike.
    out = []
    for item in items:
        raw = getattr(item, "raw", item)
        if isinstance(raw, Mapping):
            out.append(raw if isinstance(raw, dict) else dict(raw))
    return out


def attribute_kinds(attributes: Iterable[Any] | None) -> dict[str, str]:
    """Custom attribute name → column kind, from data attributes (``GET /data_attributes``) whose ``custom`` is not
    false. Models or dicts; ``None`` gives ``{}`` (every custom column is inferred from its values)."""
    kinds: dict[str, str] = {}
    for attr in _materialize(attributes or ()):
        name, data_type = attr.get("name"), attr.get("data_type")
        if isinstance(name, str) and attr.get("custom") is not False and isinstance(data_type, str):
            kinds[name] = _KIND_OF_TYPE.get(data_type, S)
    return kinds


def part_rows(items: Iterable[Any]) -> tuple[list[dict[str, Any]], list[tuple[str, Any]]]:
    """One row per part (``PART_SPEC``) of each conversation in ``items`` (``GET /conversations/{id}`` answers or
    ``Conversation`` models), in the order Intercom lists them."""
    rows = []
    for c in _materialize(items):
        listing = _obj(c.get("conversation_parts"))
        for p in _refs(listing, "conversation_parts"):
            author, assigned = _obj(p.get("author")), _obj(p.get("assigned_to"))
            body = p.get("body")
            attachments = p.get("attachments")
            rows.append({
                "conversation_id": _id(c.get("id")), "id": _id(p.get("id")), "part_type": p.get("part_type"),
                "created_at": p.get("created_at"), "updated_at": p.get("updated_at"),
                "author_type": author.get("type"), "author_id": _id(author.get("id")),
                "author_name": author.get("name"), "author_from_ai_agent": author.get("from_ai_agent"),
                "assigned_to_type": assigned.get("type"), "assigned_to_id": _id(assigned.get("id")),
                "body": html_text(body) if isinstance(body, str) else None,
                "body_html": body if isinstance(body, str) else None,
                "attachment_count": len(attachments) if isinstance(attachments, list) else 0,
                "redacted": p.get("redacted"), "state": p.get("state"),
            })  # fmt: skip
    return rows, list(PART_SPEC)


def listing_rows(
    items: Iterable[Any], spec: list[tuple[str, str]]
) -> tuple[list[dict[str, Any]], list[tuple[str, Any]]]:
    """Flat objects (tags, segments, teams, data attributes, ticket types and states): ``spec`` names top-level
    keys."""
    return [{name: r.get(name) for name, _ in spec} for r in _materialize(items)], list(spec)


# ------------------------------------------------------------------------------------------------- HTML → text

_BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BREAKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(self._skip - 1, 0)
        elif tag in _BREAKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.out.append(data)


_SPACES = re.compile(r"[ \t\r\f\v]+")
_NEWLINES = re.compile(r"\s*\n\s*")


def html_text(body: str) -> str:
    """A part's HTML body as plain text: tags dropped (script/style with their content), entities decoded, block
    elements and ``<br>`` as line breaks, runs of blank space collapsed."""
    if "<" not in body and "&" not in body:
        return body.strip()
    if "<" not in body:
        return html.unescape(body).strip()
    parser = _Text()
    parser.feed(body)
    parser.close()
    text = "".join(parser.out)  # entities are decoded by the parser (convert_charrefs)
    text = _SPACES.sub(" ", text.replace("\xa0", " "))
    return _NEWLINES.sub("\n", text).strip()
