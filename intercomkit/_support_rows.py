"""Conversations, conversation parts, tickets and the workspace lists as flat rows: pure Python, no pandas.

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
    "conversation_rows",
    "html_text",
    "listing_rows",
    "part_rows",
    "ticket_rows",
]

S, TS, I, B, F, L = "string", "timestamp", "int", "bool", "float", "list"  # noqa: E741

_STAT_DURATIONS = ["time_to_assignment", "time_to_admin_reply", "time_to_first_close", "time_to_last_close",
                   "median_time_to_reply"]  # fmt: skip
_STAT_TIMES = ["first_contact_reply_at", "first_assignment_at", "first_admin_reply_at", "first_close_at",
               "last_assignment_at", "last_assignment_admin_reply_at", "last_contact_reply_at",
               "last_admin_reply_at", "last_close_at"]  # fmt: skip
_STAT_COUNTS = ["count_reopens", "count_assignments", "count_conversation_parts", "handling_time",
                "adjusted_handling_time"]  # fmt: skip

CONVERSATION_SPEC: list[tuple[str, str]] = [
    ("id", S), ("title", S), ("created_at", TS), ("updated_at", TS), ("waiting_since", TS), ("snoozed_until", TS),
    ("state", S), ("open", B), ("read", B), ("priority", S), ("admin_assignee_id", S), ("team_assignee_id", S),
    ("contact_ids", L), ("contact_id", S), ("company_id", S), ("tag_ids", L), ("tag_names", L),
    ("source_type", S), ("source_delivered_as", S), ("source_author_type", S), ("source_author_id", S),
    ("source_subject", S), ("channel", S),
    *[(name, I) for name in _STAT_DURATIONS], *[(name, TS) for name in _STAT_TIMES], ("last_closed_by_id", S),
    *[(name, I) for name in _STAT_COUNTS],
    ("rating", I), ("rating_remark", S), ("rating_created_at", TS), ("rating_teammate_id", S),
    ("ai_agent_participated", B), ("ai_agent_resolution_state", S), ("ai_agent_last_answer_type", S),
    ("ai_agent_source_type", S), ("ai_agent_rating", I),
]  # fmt: skip

PART_SPEC: list[tuple[str, str]] = [
    ("conversation_id", S), ("id", S), ("part_type", S), ("created_at", TS), ("updated_at", TS),
    ("author_type", S), ("author_id", S), ("author_name", S), ("author_from_ai_agent", B),
    ("assigned_to_type", S), ("assigned_to_id", S), ("body", S), ("body_html", S), ("attachment_count", I),
    ("redacted", B), ("state", S),
]  # fmt: skip

TICKET_SPEC: list[tuple[str, str]] = [
    ("id", S), ("ticket_id", S), ("category", S), ("ticket_type_id", S), ("ticket_type_name", S),
    ("ticket_state", S), ("ticket_state_id", S), ("ticket_state_label", S), ("open", B),
    ("admin_assignee_id", S), ("team_assignee_id", S), ("contact_ids", L), ("contact_id", S),
    ("created_at", TS), ("updated_at", TS), ("snoozed_until", TS),
]  # fmt: skip

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


def _with_custom(
    rows: list[dict[str, Any]],
    spec: list[tuple[str, str]],
    raws: list[dict[str, Any]],
    key: str,
    prefix: str,
    kinds: Mapping[str, str],
) -> list[tuple[str, Any]]:
    """Adds ``prefix<name>`` to each row for every attribute under ``raw[key]`` (sorted by name); a kind comes from
    ``kinds`` when the workspace describes the attribute, else ``None`` (inferred from the values)."""
    names: dict[str, None] = {}
    attrs = [_obj(raw.get(key)) for raw in raws]
    for a in attrs:
        names.update(dict.fromkeys(n for n in a if isinstance(n, str)))
    extra: list[tuple[str, Any]] = []
    for name in sorted(names):
        column = f"{prefix}{name}"
        for row, a in zip(rows, attrs, strict=True):
            row[column] = a.get(name)
        extra.append((column, kinds.get(name)))
    return [*spec, *extra]


def conversation_rows(
    items: Iterable[Any],
    *,
    attributes: Iterable[Any] | None = None,
    admin_names: Mapping[str, str] | None = None,
    team_names: Mapping[str, str] | None = None,
) -> tuple[list[dict[str, Any]], list[tuple[str, Any]]]:
    """One row per conversation (``CONVERSATION_SPEC``, then ``custom.<name>`` sorted). With ``admin_names`` /
    ``team_names`` (id → name), ``admin_assignee_name`` / ``team_assignee_name`` follow the assignee ids."""
    raws = _materialize(items)
    rows = []
    for c in raws:
        source, stats = _obj(c.get("source")), _obj(c.get("statistics"))
        author, rating = _obj(source.get("author")), _obj(c.get("conversation_rating"))
        ai_agent, channel = _obj(c.get("ai_agent")), _obj(c.get("channel"))
        contact_ids = [i for r in _refs(c.get("contacts"), "contacts") if (i := _id(r.get("id")))]
        tags = _refs(c.get("tags"), "tags")
        row = {
            "id": c.get("id"), "title": c.get("title"), "created_at": c.get("created_at"),
            "updated_at": c.get("updated_at"), "waiting_since": c.get("waiting_since"),
            "snoozed_until": c.get("snoozed_until"), "state": c.get("state"), "open": c.get("open"),
            "read": c.get("read"), "priority": c.get("priority"),
            "admin_assignee_id": _id(c.get("admin_assignee_id")), "team_assignee_id": _id(c.get("team_assignee_id")),
            "contact_ids": contact_ids, "contact_id": contact_ids[0] if contact_ids else None,
            "company_id": _id(_obj(c.get("company")).get("id")),
            "tag_ids": [i for t in tags if (i := _id(t.get("id")))],
            "tag_names": [str(t["name"]) for t in tags if t.get("name") is not None],
            "source_type": source.get("type"), "source_delivered_as": source.get("delivered_as"),
            "source_author_type": author.get("type"), "source_author_id": _id(author.get("id")),
            "source_subject": source.get("subject"),
            "channel": channel.get("current") if channel.get("current") is not None else source.get("type"),
            **{name: stats.get(name) for name in (*_STAT_DURATIONS, *_STAT_TIMES, *_STAT_COUNTS)},
            "last_closed_by_id": _id(stats.get("last_closed_by_id")),
            "rating": rating.get("rating"), "rating_remark": rating.get("remark"),
            "rating_created_at": rating.get("created_at"),
            "rating_teammate_id": _id(_obj(rating.get("teammate")).get("id")),
            "ai_agent_participated": c.get("ai_agent_participated"),
            "ai_agent_resolution_state": ai_agent.get("resolution_state"),
            "ai_agent_last_answer_type": ai_agent.get("last_answer_type"),
            "ai_agent_source_type": ai_agent.get("source_type"), "ai_agent_rating": ai_agent.get("rating"),
        }  # fmt: skip
        rows.append(row)
    spec: list[tuple[str, Any]] = list(CONVERSATION_SPEC)
    if admin_names is not None or team_names is not None:
        admins, teams = admin_names or {}, team_names or {}
        for row in rows:
            row["admin_assignee_name"] = admins.get(row["admin_assignee_id"] or "")
            row["team_assignee_name"] = teams.get(row["team_assignee_id"] or "")
        at = [name for name, _ in spec].index("team_assignee_id") + 1
        spec[at:at] = [("admin_assignee_name", S), ("team_assignee_name", S)]
    return rows, _with_custom(rows, spec, raws, "custom_attributes", "custom.", attribute_kinds(attributes))


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


def ticket_rows(
    items: Iterable[Any], *, attributes: Iterable[Any] | None = None
) -> tuple[list[dict[str, Any]], list[tuple[str, Any]]]:
    """One row per ticket (``TICKET_SPEC``, then ``attr.<name>`` for each ``ticket_attributes`` entry, sorted; typed
    from ``attributes`` (ticket type attributes: ``name``, ``data_type``) when given, else from the values)."""
    raws = _materialize(items)
    rows = []
    for t in raws:
        ttype, state = _obj(t.get("ticket_type")), t.get("ticket_state")
        # Before 2.14 ticket_state was a plain string: its category.
        state_obj = state if isinstance(state, dict) else {"category": state}
        contact_ids = [i for r in _refs(t.get("contacts"), "contacts") if (i := _id(r.get("id")))]
        rows.append({
            "id": _id(t.get("id")), "ticket_id": _id(t.get("ticket_id")), "category": t.get("category"),
            "ticket_type_id": _id(ttype.get("id")), "ticket_type_name": ttype.get("name"),
            "ticket_state": state_obj.get("category"), "ticket_state_id": _id(state_obj.get("id")),
            "ticket_state_label": state_obj.get("internal_label"), "open": t.get("open"),
            "admin_assignee_id": _id(t.get("admin_assignee_id")), "team_assignee_id": _id(t.get("team_assignee_id")),
            "contact_ids": contact_ids, "contact_id": contact_ids[0] if contact_ids else None,
            "created_at": t.get("created_at"), "updated_at": t.get("updated_at"),
            "snoozed_until": t.get("snoozed_until"),
        })  # fmt: skip
    kinds = {
        a["name"]: _KIND_OF_TYPE.get(a.get("data_type"), S)
        for a in _materialize(attributes or ())
        if isinstance(a.get("name"), str)
    }
    return rows, _with_custom(rows, list(TICKET_SPEC), raws, "ticket_attributes", "attr.", kinds)


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
