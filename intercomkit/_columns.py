"""The column model: one set of rules for every table intercomkit writes, DataFrames and exported files alike.

A resource's table is a :class:`Schema`: its fixed columns (a :class:`Column` each: name, kind, where the value
sits in the record) and, after them, a ``custom.<name>`` column per custom attribute, sorted by name.
``_frames`` builds DataFrames and Arrow tables from :func:`read`; the export builds its parts from the same
function, picks custom-attribute kinds with :func:`observe` + :func:`custom_kind` and cleans their values with
:func:`clean`; CSV text follows :func:`text` and reads back with :func:`parse_text` / :func:`text_kind`. So a
DataFrame and an exported file cannot disagree about a column. Pure: no pandas, no pyarrow, no I/O.

Kinds (the pandas dtype / Arrow type is chosen by ``_frames``):

* ``string`` ids and text: non-text values become text (bools ``true``/``false``, dicts/lists compact JSON, NaN
  and infinities null); ``timestamp`` unix seconds (null, 0, negatives, non-numbers and years past 9999 → null);
* ``int`` (within int64, else null), ``bool`` (only true/false), ``float`` (finite numbers, not bools);
* ``list`` a list of id strings.

A new resource is a new ``Schema``: a column reads a dotted path (``statistics.time_to_admin_reply``), optionally
a key of every element of a list (``contacts.contacts[].id``) or a second path when the first is null
(``channel.current`` else ``source.type``); Intercom's embedded lists (``tags``: at most 10 entries, a
``total_count`` and ``has_more``) are three columns made by :func:`embedded_list`.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from operator import itemgetter
from types import MappingProxyType
from typing import Any

__all__ = [
    "ADMINS",
    "BOOL",
    "COMPANIES",
    "CONTACTS",
    "CONVERSATIONS",
    "CUSTOM_PREFIX",
    "FLOAT",
    "INT",
    "LIST",
    "Lists",
    "MAX_TIMESTAMP",
    "PARTS",
    "STAT_COUNTS",
    "STAT_DURATIONS",
    "STAT_TIMES",
    "SCHEMAS",
    "STRING",
    "TICKETS",
    "TIMESTAMP",
    "Column",
    "Columns",
    "Schema",
    "clean",
    "col",
    "custom_columns",
    "custom_kind",
    "custom_name",
    "embedded_list",
    "observe",
    "parse_text",
    "read",
    "tags",
    "text",
    "text_kind",
]

STRING, TIMESTAMP, INT, BOOL, FLOAT, LIST = "string", "timestamp", "int", "bool", "float", "list"
CUSTOM_PREFIX = "custom."
# Tickets name their custom columns after Intercom's ``ticket_attributes``: ``attr.<name>``.
_PREFIXES = (CUSTOM_PREFIX, "attr.")

# Beyond year 9999 (what datetime accepts) a timestamp is garbage, not a date: null, not an OverflowError.
MAX_TIMESTAMP = 253402300800
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# name → (kind, cleaned values: a list, or ``Lists`` for a list column), in column order.
Columns = dict[str, tuple[str, Any]]


@dataclass(frozen=True, slots=True)
class Column:
    """One fixed column: ``path`` is the keys from the record to the value (a missing key or a non-object on the
    way gives null). ``each``: the value is a list and the column keeps that key of every element (a ``list``
    column; a column of another kind keeps the first element's, e.g. a conversation's first contact). ``fallback``: a second path, read where ``path`` gives null. ``summary``: the column summarises an
    embedded list object (``"ids"``, ``"count"`` or ``"has_more"``, see :func:`embedded_list`)."""

    name: str
    kind: str
    path: tuple[str, ...]
    each: str | None = None
    fallback: tuple[str, ...] | None = None
    summary: str | None = None


def col(name: str, kind: str, path: str | None = None, *, fallback: str | None = None) -> Column:
    """A column reading ``path`` (dotted; default the name; ``a.b[].id`` keeps ``id`` of each element of ``a.b``)."""
    where, _, each = (path or name).partition("[].")
    return Column(
        name, kind, tuple(where.split(".")), each or None, tuple(fallback.split(".")) if fallback else None
    )


def embedded_list(group: str) -> tuple[Column, Column, Column]:
    """``<group>.count`` (Intercom's ``total_count``), ``<group>.ids`` and ``<group>.has_more`` for a list object
    embedded in the record (``{"data": [...]}``, or ``{"<group>": [...]}`` as in a company's tags): Intercom
    lists at most 10 entries there, ``has_more`` says the list was cut."""
    return (
        Column(f"{group}.count", INT, (group,), summary="count"),
        Column(f"{group}.ids", LIST, (group,), summary="ids"),
        Column(f"{group}.has_more", BOOL, (group,), summary="has_more"),
    )


@dataclass(frozen=True)
class Schema:
    """A resource's table: ``columns`` in order, then ``<prefix><name>`` columns (``custom.<name>``) from the
    object at ``custom``."""

    resource: str
    columns: tuple[Column, ...]
    custom: str | None = "custom_attributes"
    prefix: str = CUSTOM_PREFIX

    @cached_property
    def kinds(self) -> dict[str, str]:
        """Fixed column name → kind, in order."""
        return {c.name: c.kind for c in self.columns}

    def is_column(self, name: str) -> bool:
        """A fixed column or, when the resource has custom attributes, ``custom.<name>``."""
        custom = self.custom is not None and name.startswith(self.prefix) and len(name) > len(self.prefix)
        return custom or name in self.kinds


def custom_name(column: str) -> str | None:
    """The attribute a custom column (``custom.<name>``, a ticket's ``attr.<name>``) holds, else None. No fixed
    column of any schema starts with one of those prefixes."""
    for prefix in _PREFIXES:
        if column.startswith(prefix) and len(column) > len(prefix):
            return column[len(prefix) :]
    return None


def _cols(kind: str, *names: str) -> list[Column]:
    return [col(name, kind) for name in names]


CONTACTS = Schema(
    "contacts",
    (
        *_cols(STRING, "id", "external_id", "workspace_id", "role", "email", "email_domain", "phone", "name",
               "owner_id"),
        *_cols(TIMESTAMP, "created_at", "updated_at", "signed_up_at", "last_seen_at", "last_replied_at",
               "last_contacted_at", "last_email_opened_at", "last_email_clicked_at"),
        *_cols(BOOL, "has_hard_bounced", "marked_email_as_spam", "unsubscribed_from_emails"),
        *_cols(STRING, "language_override", "browser", "browser_version", "browser_language", "os",
               "android_app_name", "android_app_version", "android_device", "android_os_version",
               "android_sdk_version"),
        col("android_last_seen_at", TIMESTAMP),
        *_cols(STRING, "ios_app_name", "ios_app_version", "ios_device", "ios_os_version", "ios_sdk_version"),
        col("ios_last_seen_at", TIMESTAMP),
        *_cols(STRING, "avatar.image_url", "location.country", "location.region", "location.city"),
        *embedded_list("tags"), *embedded_list("companies"), *embedded_list("notes"),
    ),
)  # fmt: skip

COMPANIES = Schema(
    "companies",
    (
        *_cols(STRING, "id", "company_id", "app_id", "name", "plan.id", "plan.name", "website", "industry"),
        col("size", INT), col("monthly_spend", FLOAT), col("session_count", INT), col("user_count", INT),
        *_cols(TIMESTAMP, "created_at", "updated_at", "remote_created_at", "last_request_at"),
        *embedded_list("tags")[:2], *embedded_list("segments")[:2],
    ),
)  # fmt: skip

ADMINS = Schema(
    "admins",
    (
        *_cols(STRING, "id", "name", "email", "job_title"),
        *_cols(BOOL, "away_mode_enabled", "away_mode_reassign", "has_inbox_seat"),
        col("team_ids", LIST), col("avatar", STRING),
    ),
    custom=None,
)  # fmt: skip

# Support data (the contract ``ik.support`` builds on): one row per conversation or ticket. Intercom's
# ``statistics`` durations are seconds and honour the workspace's office hours.
STAT_DURATIONS = ("time_to_assignment", "time_to_admin_reply", "time_to_first_close", "time_to_last_close",
                   "median_time_to_reply")  # fmt: skip
STAT_TIMES = ("first_contact_reply_at", "first_assignment_at", "first_admin_reply_at", "first_close_at",
               "last_assignment_at", "last_assignment_admin_reply_at", "last_contact_reply_at",
               "last_admin_reply_at", "last_close_at")  # fmt: skip
STAT_COUNTS = ("count_reopens", "count_assignments", "count_conversation_parts", "handling_time",
                "adjusted_handling_time")  # fmt: skip


def _stats(kind: str, names: tuple[str, ...]) -> list[Column]:
    return [col(name, kind, f"statistics.{name}") for name in names]


CONVERSATIONS = Schema(
    "conversations",
    (
        col("id", STRING), col("title", STRING),
        *_cols(TIMESTAMP, "created_at", "updated_at", "waiting_since", "snoozed_until"),
        col("state", STRING), col("open", BOOL), col("read", BOOL), col("priority", STRING),
        col("admin_assignee_id", STRING), col("team_assignee_id", STRING),
        col("contact_ids", LIST, "contacts.contacts[].id", fallback="contacts.data"),
        col("contact_id", STRING, "contacts.contacts[].id", fallback="contacts.data"),
        col("company_id", STRING, "company.id"),
        col("tag_ids", LIST, "tags.tags[].id", fallback="tags.data"),
        col("tag_names", LIST, "tags.tags[].name", fallback="tags.data"),
        col("source_type", STRING, "source.type"), col("source_delivered_as", STRING, "source.delivered_as"),
        col("source_author_type", STRING, "source.author.type"), col("source_author_id", STRING, "source.author.id"),
        col("source_subject", STRING, "source.subject"),
        col("channel", STRING, "channel.current", fallback="source.type"),
        *_stats(INT, STAT_DURATIONS), *_stats(TIMESTAMP, STAT_TIMES),
        col("last_closed_by_id", STRING, "statistics.last_closed_by_id"), *_stats(INT, STAT_COUNTS),
        col("rating", INT, "conversation_rating.rating"), col("rating_remark", STRING, "conversation_rating.remark"),
        col("rating_created_at", TIMESTAMP, "conversation_rating.created_at"),
        col("rating_teammate_id", STRING, "conversation_rating.teammate.id"),
        col("ai_agent_participated", BOOL),
        col("ai_agent_resolution_state", STRING, "ai_agent.resolution_state"),
        col("ai_agent_last_answer_type", STRING, "ai_agent.last_answer_type"),
        col("ai_agent_source_type", STRING, "ai_agent.source_type"), col("ai_agent_rating", INT, "ai_agent.rating"),
    ),
)  # fmt: skip

TICKETS = Schema(
    "tickets",
    (
        *_cols(STRING, "id", "ticket_id", "category"),
        col("ticket_type_id", STRING, "ticket_type.id"), col("ticket_type_name", STRING, "ticket_type.name"),
        # Before 2.14 ticket_state was a plain string, its category: read where the object is missing.
        col("ticket_state", STRING, "ticket_state.category", fallback="ticket_state"),
        col("ticket_state_id", STRING, "ticket_state.id"),
        col("ticket_state_label", STRING, "ticket_state.internal_label"), col("open", BOOL),
        col("admin_assignee_id", STRING), col("team_assignee_id", STRING),
        col("contact_ids", LIST, "contacts.contacts[].id", fallback="contacts.data"),
        col("contact_id", STRING, "contacts.contacts[].id", fallback="contacts.data"),
        *_cols(TIMESTAMP, "created_at", "updated_at", "snoozed_until"),
    ),
    custom="ticket_attributes",
    prefix="attr.",
)  # fmt: skip

# One row per conversation part, read from the flat rows ``_support_rows.part_rows`` makes (body as text, its
# HTML, the author and assignee flattened): the parts frame and the conversation_parts export.
PARTS = Schema(
    "conversation_parts",
    (
        *_cols(STRING, "conversation_id", "id", "part_type"), *_cols(TIMESTAMP, "created_at", "updated_at"),
        *_cols(STRING, "author_type", "author_id", "author_name"), col("author_from_ai_agent", BOOL),
        *_cols(STRING, "assigned_to_type", "assigned_to_id", "body", "body_html"), col("attachment_count", INT),
        col("redacted", BOOL), col("state", STRING),
    ),
    custom=None,
)  # fmt: skip

SCHEMAS: dict[str, Schema] = {
    s.resource: s for s in (CONTACTS, COMPANIES, ADMINS, CONVERSATIONS, TICKETS, PARTS)
}


# ------------------------------------------------------------------------------------------------ cleaning


def _string(v: Any) -> str | None:
    if v is None or type(v) is str:
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"), default=str)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return str(v)


def _timestamp(v: Any) -> int | None:
    if type(v) is int:
        return v if 0 < v < MAX_TIMESTAMP else None
    if type(v) is float and math.isfinite(v) and 0 < v < MAX_TIMESTAMP:
        return int(v)
    return None


def _int(v: Any) -> int | None:
    if type(v) is int:
        return v if _INT64_MIN <= v <= _INT64_MAX else None
    if type(v) is float and v.is_integer() and _INT64_MIN <= v <= _INT64_MAX:
        return int(v)
    return None


def _bool(v: Any) -> bool | None:
    return v if type(v) is bool else None


def _float(v: Any) -> float | None:
    if type(v) is bool or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


_CLEAN: dict[str, Callable[[Any], Any]] = {
    STRING: _string,
    TIMESTAMP: _timestamp,
    INT: _int,
    BOOL: _bool,
    FLOAT: _float,
}
# Values a column of that kind keeps as they are: a column of only these skips the per-value call.
_AS_IS: dict[str, set[type]] = {
    STRING: {str, type(None)},
    BOOL: {bool, type(None)},
    FLOAT: {float, type(None)},
}


def _finite(v: float | None) -> bool:
    return v is None or math.isfinite(v)


def _int64(v: int | None) -> bool:
    return v is None or _INT64_MIN <= v <= _INT64_MAX


def clean(kind: str, values: list[Any]) -> list[Any]:
    """``values`` as a column of ``kind`` (not ``list``: see :class:`Lists`) holds them (see the module's
    docstring); may return ``values`` itself."""
    types = set(map(type, values))
    if kind in _AS_IS and types <= _AS_IS[kind] and (kind != FLOAT or all(map(_finite, values))):
        return values
    if kind == TIMESTAMP and types <= {int, type(None)}:
        return [v if v is not None and 0 < v < MAX_TIMESTAMP else None for v in values]
    if kind == INT and types <= {int, type(None)} and all(map(_int64, values)):
        return values
    fn = _CLEAN[kind]
    return [fn(v) for v in values]


# --------------------------------------------------------------------------------- custom-attribute kinds


_TYPE_TAGS: dict[type, str] = {bool: "bool", float: "float", str: "str"}


def tags(values: list[Any]) -> set[str]:
    """The JSON types ``values`` took, as :func:`custom_kind` weighs them (nulls don't count): ``bool``, ``int``,
    ``bigint`` (an int past int64), ``float``, ``str`` or ``json`` (objects, arrays)."""
    out: set[str] = set()
    for kind in set(map(type, values)):
        if kind is int:
            ints = [v for v in values if type(v) is int]
            out.add("int" if _int64(min(ints)) and _int64(max(ints)) else "bigint")
        elif kind is not type(None):
            out.add(_TYPE_TAGS.get(kind, "json"))
    return out


def custom_kind(tags: Iterable[str]) -> str:
    """The column kind for a custom attribute whose values took these tags: all bools → ``bool``, all ints →
    ``int``, ints and floats → ``float``; anything else (text, mixed, nested, ints past int64 — an id stored as a
    number keeps every digit) → ``string``, so the column always survives Parquet."""
    tags = set(tags)
    if tags == {"bool"}:
        return BOOL
    if tags == {"int"}:
        return INT
    if tags and tags <= {"int", "float"}:
        return FLOAT
    return STRING


def observe(rows: Iterable[Any], seen: dict[str, set[str]]) -> None:
    """Add to ``seen`` (attribute name → tags) the :func:`tags` of each row's custom attributes (a non-dict row
    has none). An export observes page by page; its final kind per name is ``custom_kind(seen[name])``."""
    rows = [attrs for attrs in rows if type(attrs) is dict]
    # A page repeats the same few (name, type) pairs: collect those first, then tag each once.
    pairs = {(name, type(value)) for attrs in rows for name, value in attrs.items()}
    for name, kind in pairs:
        found = seen.setdefault(str(name), set())
        if kind is int:  # the range decides between int and bigint
            found.update(tags([attrs.get(name) for attrs in rows]))
        elif kind is not type(None):
            found.add(_TYPE_TAGS.get(kind, "json"))


# ------------------------------------------------------------------------------------------------ reading


@dataclass(frozen=True, slots=True)
class Lists:
    """A ``list`` column's values without a list object per row (see ``_CHUNK`` for why): row ``i`` is
    ``values[offsets[i]:offsets[i + 1]]``, or null where ``valid[i]`` is false."""

    values: list[str]
    offsets: list[int]
    valid: list[bool]

    def __len__(self) -> int:
        return len(self.valid)

    def rows(self) -> list[list[str] | None]:
        v, o = self.values, self.offsets
        return [v[o[i] : o[i + 1]] if ok else None for i, ok in enumerate(self.valid)]

    @classmethod
    def build(cls, lists: Iterable[Any], each: str | None = None) -> Lists:
        """Each item's list as strings (of every element's ``each`` key, elements without one skipped); null for
        anything but a list."""
        values: list[str] = []
        offsets, valid = [0], []
        for v in lists:
            if type(v) is list:
                if each is None:
                    values.extend(map(str, v))
                else:
                    values.extend([str(e[each]) for e in v if type(e) is dict and e.get(each) is not None])
                valid.append(True)
            else:
                valid.append(False)
            offsets.append(len(values))
        return cls(values, offsets, valid)


_NO_OBJECT: Mapping[str, Any] = MappingProxyType({})


def _obj(value: Any) -> Mapping[str, Any]:
    return value if type(value) is dict else _NO_OBJECT


def read(schema: Schema, records: list[dict[str, Any]], *, custom: bool = True) -> Columns:
    """The schema's columns of ``records`` (cleaned; ``list`` columns as :class:`Lists`), then with ``custom`` a
    ``custom.<name>`` column per custom attribute (sorted by name)."""
    out: Columns = {}
    top = _top_level(
        records,
        [c.name for c in schema.columns if c.path == (c.name,) and c.kind != LIST and c.summary is None],
    )
    objects: dict[tuple[str, ...], list[Mapping[str, Any]]] = {(): records}

    # Not recursive: a nested function that calls itself is a reference cycle, and would keep ``objects`` (a list
    # per nested path, a slot per record) alive until the cyclic GC finds it, which a frame of N contacts or an
    # export reading pages in worker threads should not wait for.
    def parents(path: tuple[str, ...]) -> list[Mapping[str, Any]]:
        for depth in range(1, len(path) + 1):
            if path[:depth] not in objects:
                objects[path[:depth]] = [_obj(o.get(path[depth - 1])) for o in objects[path[: depth - 1]]]
        return objects[path]

    embedded: dict[tuple[str, ...], tuple[list[Mapping[str, Any]], Lists]] = {}
    for column in schema.columns:
        if column.summary is not None:
            if column.path not in embedded:
                groups = parents(column.path)
                key = column.path[-1]
                embedded[column.path] = (
                    groups,
                    Lists.build((g.get("data", g.get(key)) for g in groups), "id"),
                )
            out[column.name] = (column.kind, _summary(column.summary, *embedded[column.path]))
            continue
        values = top.get(column.name)
        if values is None:
            values = [o.get(column.path[-1]) for o in parents(column.path[:-1])]
        if column.fallback is not None and None in values:
            other = [o.get(column.fallback[-1]) for o in parents(column.fallback[:-1])]
            values = [o if v is None else v for v, o in zip(values, other, strict=True)]
        if column.kind == LIST:
            out[column.name] = (LIST, Lists.build(values, column.each))
        elif column.each is not None:
            firsts = Lists.build(values, column.each)
            o = firsts.offsets
            picked = [firsts.values[o[i]] if o[i + 1] > o[i] else None for i in range(len(firsts))]
            out[column.name] = (column.kind, clean(column.kind, picked))
        else:
            out[column.name] = (column.kind, clean(column.kind, values))
    if custom and schema.custom is not None:
        out.update(custom_columns([_obj(r.get(schema.custom)) for r in records], schema.prefix))
    return out


# Records transposed per chunk: a row tuple per record, all alive at once, would each count towards the cyclic
# GC's next collection, and tens of thousands of them set off collections that walk every young column list and
# the records they point into (pausing the GC instead would flip it for the whole process, worker threads
# included). A chunk's tuples die before the next chunk's are made.
_CHUNK = 256


def _top_level(records: list[dict[str, Any]], keys: list[str]) -> dict[str, list[Any]]:
    """Top-level values for many keys at once: itemgetter + zip transpose in C, ~4x faster than one
    comprehension per key. Records missing a key take the slow path."""
    if len(keys) < 2:
        return {k: [d.get(k) for d in records] for k in keys}
    getter = itemgetter(*keys)

    def row(d: dict[str, Any]) -> tuple[Any, ...]:
        try:
            return getter(d)
        except KeyError:
            return tuple(d.get(k) for k in keys)

    columns: list[list[Any]] = [[] for _ in keys]
    for start in range(0, len(records), _CHUNK):
        for column, values in zip(
            columns, zip(*map(row, records[start : start + _CHUNK]), strict=True), strict=True
        ):
            column.extend(values)
    return dict(zip(keys, columns, strict=True))


def _summary(part: str, groups: list[Mapping[str, Any]], ids: Lists) -> Any:
    """An embedded list's ids, count or has_more; all null where the record has no such list. The count is
    Intercom's ``total_count``, or the list's length when the object has no ``total_count`` at all."""
    if part == "ids":
        return ids
    if part == "has_more":
        return [
            (h if type(h := g.get("has_more", False)) is bool else None) if ok else None
            for g, ok in zip(groups, ids.valid, strict=True)
        ]
    o = ids.offsets
    return [
        (t if type(t := g.get("total_count")) is int else o[i + 1] - o[i] if "total_count" not in g else None)
        if ok
        else None
        for i, (g, ok) in enumerate(zip(groups, ids.valid, strict=True))
    ]


def custom_columns(
    attrs: list[Mapping[str, Any]], prefix: str = CUSTOM_PREFIX, kinds: Mapping[str, str] | None = None
) -> Columns:
    """``custom.<name>`` columns (sorted by name) for each record's custom attributes: the kind ``kinds`` gives
    (the workspace's data attributes describe it), else by :func:`custom_kind` from the values."""
    names: dict[str, None] = {}
    for a in attrs:
        names.update(dict.fromkeys(a))
    out: Columns = {}
    for name in sorted(names, key=str):
        values = [a.get(name) for a in attrs]
        kind = (kinds or {}).get(name) or custom_kind(tags(values))
        out[f"{prefix}{name}"] = (kind, Lists.build(values) if kind == LIST else clean(kind, values))
    return out


# ----------------------------------------------------------------------------------------------- CSV text


def text(kind: str, value: Any) -> str:
    """A cleaned value as CSV text: ``""`` for null, timestamps ISO 8601 UTC (``2024-03-05T14:00:00Z``), bools
    ``true``/``false``, lists compact JSON, floats always with a ``.`` or exponent (``2.0``), so the text reads
    back as the same kind (:func:`text_kind`). The export renders whole columns with Arrow to the same text
    (a float's may be in another notation of the same value: ``1e-7`` for ``1e-07``)."""
    if value is None:
        return ""
    if kind == TIMESTAMP:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(value))
    if kind == BOOL:
        return "true" if value else "false"
    if kind == LIST:
        return json.dumps(value, separators=(",", ":"))
    if kind == FLOAT:
        return repr(value)
    return str(value)


_INT_TEXT = re.compile(r"-?\d+")
_FLOAT_TEXT = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def text_kind(texts: Sequence[str | None]) -> str:
    """The kind a CSV column's texts (None for empty) read back as, for columns the schema doesn't type
    (``custom.<name>``): the kind whose :func:`text` they all are, ``string`` when none fits. As in
    :func:`custom_kind`, an integer past int64 anywhere makes the column text."""
    present = [t for t in texts if t is not None]
    if not present:
        return STRING
    if all(t in ("true", "false") for t in present):
        return BOOL
    ints = [int(t) for t in present if _INT_TEXT.fullmatch(t)]
    if not all(map(_int64, ints)):
        return STRING
    if len(ints) == len(present):
        return INT
    if all(_FLOAT_TEXT.fullmatch(t) for t in present):
        return FLOAT
    return STRING


def parse_text(kind: str, value: str) -> Any:
    """:func:`text` read back (not for ``""``, which is null)."""
    if kind == TIMESTAMP:
        stamp = datetime.fromisoformat(value)
        return int((stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp())
    if kind == INT:
        return int(value)
    if kind == FLOAT:
        return float(value)
    if kind == BOOL:
        return value == "true"
    if kind == LIST:
        return json.loads(value)
    return value
