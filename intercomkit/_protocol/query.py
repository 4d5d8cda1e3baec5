"""Search queries: a small builder, Intercom's validation rules, and exact date semantics. No I/O.

Build::

    q = field("email").endswith("@acme.com") & (field("created_at") > datetime(2024, 3, 5, 14))
    build_query(q)          # the JSON Intercom expects under "query"

Rules mirrored from Intercom (``POST /contacts/search``, API 2.16), checked before any request and reported as
:class:`~intercomkit.errors.InvalidQuery`:

* groups (``AND``/``OR``) nest at most 2 levels: a group inside a group is fine, a third level is not;
* at most 15 filters in one group, and no empty group;
* the operator must suit the field's type (``FIELD_TYPES``); ``custom_attributes.<name>`` accepts any operator;
* ``IN``/``NIN`` take a list; values must have the field's type; unknown fields get a did-you-mean.

Dates. Datetimes and dates become unix seconds; a naive datetime is taken as UTC. Intercom matches date fields and
Date custom attributes "by calendar day", and "The day boundary uses your workspace's timezone" (2.16, "Searching for
Timestamp Fields"): ``> 14:00 on March 5`` silently means "from March 6", and ``> midnight March 5`` too.
:func:`plan_search` (used by ``client.contacts.search``, given the workspace timezone) makes a query mean what it says:

* a ``datetime`` or an ``int`` is an exact instant, midnight included: the bound is widened to whole workspace days
  for the server (a superset) and :attr:`SearchPlan.post_filter` keeps exactly the matching records;
* a ``datetime.date`` is a whole calendar day in UTC (the days of the UTC timestamps every frame shows). On a UTC
  workspace Intercom answers it exactly; elsewhere it is planned as the two exact instants that bound it. The
  :class:`Filter` remembers that its int value came from a date. Raw dict queries carry ints: exact instants.

=============  ==========================  ==================================
operator       ``date`` D (whole UTC day)  ``datetime``/int t (an instant)
=============  ==========================  ==================================
``=``          on day D                    exactly t (to the second)
``>``          after day D (from D+1)      after t
``<``          before day D                before t
``>=``         from day D                  at or after t
``<=``         through day D               at or before t
=============  ==========================  ==================================

Intercom refuses ``!=``, ``>=``, ``<=``, ``IN`` and ``NIN`` on date fields; :func:`plan_search` rewrites ``>=``/``<=``
to ``>``/``<`` (``>= D`` is ``> D-1``), while :func:`build_query`, which only emits what Intercom accepts verbatim (and
so keeps Intercom's day semantics for every value), refuses them and says so. Integer fields take ``>=``/``<=``.

A custom attribute compared with a ``datetime`` or ``date`` is a Date custom attribute and follows the same rules;
compared with an int it is sent as written (its type is not known here). Day arithmetic lives in :mod:`.days`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from ..errors import InvalidQuery
from . import days

__all__ = [
    "COMPANY_FIELDS",
    "CONTACT_FIELDS",
    "MAX_FILTERS_PER_GROUP",
    "MAX_NESTING",
    "OPERATORS_BY_TYPE",
    "Field",
    "Filter",
    "Group",
    "Query",
    "SearchPlan",
    "build_query",
    "evaluate",
    "field",
    "plan_search",
    "sort_spec",
    "to_unix",
    "validate_query",
]

MAX_NESTING = 2
MAX_FILTERS_PER_GROUP = 15
DAY = days.DAY
# Marks a date filter whose value was a ``datetime.date`` (a whole day) in the queries plan_search/evaluate see.
# Never sent to Intercom: build_query and SearchPlan.server_query carry plain filters only.
WHOLE_DAY = "whole_day"
# Marks a custom-attribute filter whose value was a ``datetime``/``date``: a Date custom attribute, which Intercom
# matches by calendar day like ``created_at``. Never sent to Intercom either.
DATE_VALUE = "date_value"

_STRING, _INTEGER, _DATE, _BOOLEAN, _TAG, _CUSTOM = "string", "integer", "date", "boolean", "tag_id", "custom"

OPERATORS_BY_TYPE: dict[str, frozenset[str]] = {
    _STRING: frozenset({"=", "!=", "IN", "NIN", "~", "!~", "^", "$"}),
    _INTEGER: frozenset({"=", "!=", "IN", "NIN", "<", ">", "<=", ">="}),
    _DATE: frozenset({"=", "<", ">"}),
    _BOOLEAN: frozenset({"=", "!=", "IN", "NIN"}),
    _TAG: frozenset({"=", "!="}),
    _CUSTOM: frozenset({"=", "!=", "IN", "NIN", "<", ">", "<=", ">=", "~", "!~", "^", "$"}),
}
_ALL_OPERATORS = OPERATORS_BY_TYPE[_CUSTOM]

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
        _STRING,
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
        _DATE,
    ),  # fmt: skip
    **dict.fromkeys(["unsubscribed_from_emails", "marked_email_as_spam", "has_hard_bounced"], _BOOLEAN),
    "tag_id": _TAG,
}

COMPANY_FIELDS: dict[str, str] = {
    **dict.fromkeys(
        ["id", "company_id", "name", "website", "industry", "plan", "plan.name", "segment_id"], _STRING
    ),
    **dict.fromkeys(["created_at", "updated_at", "remote_created_at", "last_request_at"], _DATE),
    **dict.fromkeys(["size", "monthly_spend", "session_count", "user_count"], _INTEGER),
    "tag_id": _TAG,
}

_FIELDS_BY_RESOURCE = {"contacts": CONTACT_FIELDS, "companies": COMPANY_FIELDS}
_CONTACT_ROLES = frozenset({"user", "lead"})


def _fields_for(resource: str) -> dict[str, str]:
    try:
        return _FIELDS_BY_RESOURCE[resource]
    except KeyError:
        raise InvalidQuery(f"unknown search resource {resource!r}: use 'contacts' or 'companies'") from None


def _field_type(name: str, resource: str) -> str:
    if name.startswith("custom_attributes.") and len(name) > len("custom_attributes."):
        return _CUSTOM
    fields = _fields_for(resource)
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


def to_unix(value: datetime | date | int) -> int:
    """Unix seconds for a datetime (naive = UTC), a date (its midnight UTC) or an int (unchanged).

    Sub-second precision is truncated (floored) to the second.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return math.floor(value.timestamp())
    if isinstance(value, date):
        return math.floor(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InvalidQuery(f"expected a datetime, date or unix seconds, got {type(value).__name__}")


def _is_datelike(value: Any) -> bool:
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_is_datelike(v) for v in value)
    return isinstance(value, (datetime, date))


def _convert(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return to_unix(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_convert(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------------- builder


class Query:
    """A filter or a group of filters. Combine with ``&`` (AND) and ``|`` (OR)."""

    __slots__ = ()

    def __and__(self, other: Query) -> Group:
        return _combine("AND", self, other)

    def __or__(self, other: Query) -> Group:
        return _combine("OR", self, other)

    def __bool__(self) -> bool:
        # `a and b`, `not a` and chained comparisons (`1 < f < 5`) would silently drop a filter.
        raise TypeError("combine filters with & and |, not `and`/`or`/`not`, and don't chain comparisons")

    def to_dict(self, resource: str = "contacts") -> dict[str, Any]:
        """Intercom's JSON for this query, validated for ``resource`` ("contacts" or "companies")."""
        return build_query(self, resource=resource)

    def _json(self, annotate: bool = False) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError


class Filter(Query):
    """One ``{"field", "operator", "value"}`` condition."""

    __slots__ = ("field", "operator", "value", "whole_day", "dated")

    def __init__(self, field: str, operator: str, value: Any) -> None:
        self.field = field
        self.operator = operator
        # A ``date`` (not a datetime) means a whole calendar day; it becomes an int below, so remember it. A custom
        # attribute compared with a date or datetime is a Date custom attribute: remember that too.
        self.whole_day = isinstance(value, date) and not isinstance(value, datetime)
        self.dated = _is_datelike(value)
        self.value = _convert(value)

    def _json(self, annotate: bool = False) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, list) else self.value
        node = {"field": self.field, "operator": self.operator, "value": value}
        if annotate and self.whole_day:
            node[WHOLE_DAY] = True
        if annotate and self.dated and self.field.startswith("custom_attributes."):
            node[DATE_VALUE] = True
        return node

    def __repr__(self) -> str:
        return (
            f"Filter({self.field!r} {self.operator} {self.value!r}{' (whole day)' if self.whole_day else ''})"
        )


class Group(Query):
    """``AND`` or ``OR`` over filters and groups."""

    __slots__ = ("operator", "items")

    def __init__(self, operator: str, items: Iterable[Query]) -> None:
        self.operator = operator
        self.items: tuple[Query, ...] = tuple(items)

    def _json(self, annotate: bool = False) -> dict[str, Any]:
        return {"operator": self.operator, "value": [item._json(annotate) for item in self.items]}

    def __repr__(self) -> str:
        return f"Group({self.operator}, {list(self.items)!r})"


def _combine(operator: str, left: Any, right: Any) -> Group:
    if not isinstance(left, Query) or not isinstance(right, Query):
        raise TypeError(f"cannot combine a query with {type(right).__name__}")
    items: list[Query] = []
    for part in (left, right):
        # Flatten (a & b) & c into one AND group: fewer nesting levels, same meaning.
        if isinstance(part, Group) and part.operator == operator:
            items.extend(part.items)
        else:
            items.append(part)
    return Group(operator, items)


class Field:
    """A search field; comparison operators and methods build :class:`Filter` objects."""

    __slots__ = ("name",)
    __hash__ = None  # type: ignore[assignment]  # == builds a filter, so a Field is not a dict key

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise InvalidQuery("a field name must be a non-empty string")
        self.name = name

    def __repr__(self) -> str:
        return f"field({self.name!r})"

    def __eq__(self, value: Any) -> Filter:  # type: ignore[override]
        return Filter(self.name, "=", value)

    def __ne__(self, value: Any) -> Filter:  # type: ignore[override]
        return Filter(self.name, "!=", value)

    def __lt__(self, value: Any) -> Filter:
        return Filter(self.name, "<", value)

    def __gt__(self, value: Any) -> Filter:
        return Filter(self.name, ">", value)

    def __le__(self, value: Any) -> Filter:
        """``<=``: native on integer fields; on date fields only through :func:`plan_search` (rewritten)."""
        return Filter(self.name, "<=", value)

    def __ge__(self, value: Any) -> Filter:
        """``>=``: native on integer fields; on date fields only through :func:`plan_search` (rewritten)."""
        return Filter(self.name, ">=", value)

    def isin(self, values: Iterable[Any]) -> Filter:
        return Filter(self.name, "IN", _as_list(values, "isin"))

    def not_in(self, values: Iterable[Any]) -> Filter:
        return Filter(self.name, "NIN", _as_list(values, "not_in"))

    def contains(self, text: str) -> Filter:
        return Filter(self.name, "~", text)

    def not_contains(self, text: str) -> Filter:
        return Filter(self.name, "!~", text)

    def startswith(self, text: str) -> Filter:
        return Filter(self.name, "^", text)

    def endswith(self, text: str) -> Filter:
        return Filter(self.name, "$", text)


def _as_list(values: Any, method: str) -> list[Any]:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise InvalidQuery(f"{method}() takes a list of values, got {type(values).__name__}")
    return list(values)


def field(name: str) -> Field:
    """A search field by its Intercom name, e.g. ``field("email")``, ``field("custom_attributes.plan")``."""
    return Field(name)


# ------------------------------------------------------------------------------------------------ validation


def build_query(q: Query | Mapping[str, Any], *, resource: str = "contacts") -> dict[str, Any]:
    """The validated JSON for a builder query or a raw dict, exactly as Intercom accepts it.

    Date values are converted to unix seconds (naive datetimes are UTC). Raises :class:`InvalidQuery`.
    """
    return validate_query(_to_json(q, annotate=True), resource=resource)


def _to_json(q: Query | Mapping[str, Any], annotate: bool = False) -> dict[str, Any]:
    if isinstance(q, Query):
        return q._json(annotate)
    if isinstance(q, Field):
        raise InvalidQuery(f"{q!r} is a field, not a filter: compare it, e.g. field({q.name!r}) == ...")
    if isinstance(q, Mapping):
        return dict(q)
    raise InvalidQuery(f"a query is a filter built with field(...) or a dict, got {type(q).__name__}")


def validate_query(
    query: Mapping[str, Any], *, resource: str = "contacts", allow_date_inclusive: bool = False
) -> dict[str, Any]:
    """Check a query dict against Intercom's rules; return a normalised copy (dates as unix ints)."""
    _fields_for(resource)
    return _validate(query, resource, depth=0, inclusive=allow_date_inclusive)


def _validate(
    node: Any, resource: str, depth: int, inclusive: bool, keep_day: bool = False
) -> dict[str, Any]:
    if not isinstance(node, Mapping):
        raise InvalidQuery(f"a query node must be a dict, got {type(node).__name__}")
    if "field" in node:
        return _validate_filter(node, resource, inclusive, keep_day)
    operator = node.get("operator")
    if operator not in ("AND", "OR"):
        if operator is None or "value" not in node:
            raise InvalidQuery(
                f"a query node needs 'field'/'operator'/'value' or an AND/OR group: {dict(node)!r}"
            )
        raise InvalidQuery(f"unknown group operator {operator!r}: use 'AND' or 'OR'")
    if depth >= MAX_NESTING:
        raise InvalidQuery(
            f"groups nest at most {MAX_NESTING} levels (a group inside a group); this query nests deeper"
        )
    items = node.get("value")
    if not isinstance(items, list):
        raise InvalidQuery(f"an {operator} group's value must be a list of filters")
    if not items:
        raise InvalidQuery(f"empty {operator} group")
    if len(items) > MAX_FILTERS_PER_GROUP:
        raise InvalidQuery(
            f"an {operator} group holds at most {MAX_FILTERS_PER_GROUP} filters, this one has {len(items)}; "
            "use isin()/not_in() for many values of one field, or split the search"
        )
    return {
        "operator": operator,
        "value": [_validate(item, resource, depth + 1, inclusive, keep_day) for item in items],
    }


def _validate_filter(
    node: Mapping[str, Any], resource: str, inclusive: bool, keep_day: bool = False
) -> dict[str, Any]:
    name, operator = node.get("field"), node.get("operator")
    if not isinstance(name, str):
        raise InvalidQuery(f"a filter's field must be a string, got {name!r}")
    if "value" not in node:
        raise InvalidQuery(f"filter on {name!r} has no 'value'")
    ftype = _leaf_type(node, resource)
    if operator not in _ALL_OPERATORS:
        raise InvalidQuery(
            f"unknown operator {operator!r} on {name!r}; valid: {', '.join(sorted(_ALL_OPERATORS))}"
        )
    allowed = OPERATORS_BY_TYPE[ftype]
    if ftype == _DATE and operator in ("<=", ">=") and inclusive:
        allowed = allowed | {"<=", ">="}
    if operator not in allowed:
        hint = ""
        if ftype == _DATE and operator in ("<=", ">="):
            hint = (
                "; Intercom matches dates by day: use > (day before) / < (day after), "
                "or search through plan_search()/client.contacts.search(), which rewrite it"
            )
        raise InvalidQuery(
            f"operator {operator!r} is not valid on {ftype} field {name!r}; valid: {', '.join(sorted(allowed))}{hint}"
        )
    value = _check_value(name, ftype, operator, node["value"])
    out = {"field": name, "operator": operator, "value": value}
    if keep_day and ftype == _DATE and node.get(WHOLE_DAY) is True and value is not None:
        out[WHOLE_DAY] = True
    if keep_day and ftype == _DATE and node.get(DATE_VALUE) is True:
        out[DATE_VALUE] = True
    return out


def _leaf_type(node: Mapping[str, Any], resource: str) -> str:
    """A filter's field type; a custom attribute compared with a date or datetime is a date."""
    ftype = _field_type(node["field"], resource)
    return _DATE if ftype == _CUSTOM and node.get(DATE_VALUE) is True else ftype


def _check_value(name: str, ftype: str, operator: str, value: Any) -> Any:
    value = _convert(value)
    if operator in ("IN", "NIN"):
        if not isinstance(value, list):
            raise InvalidQuery(f"{operator} on {name!r} needs a list of values, got {type(value).__name__}")
        if not value:
            raise InvalidQuery(f"{operator} on {name!r} needs at least one value")
        return [_check_scalar(name, ftype, operator, v) for v in value]
    if isinstance(value, list):
        raise InvalidQuery(f"a list value on {name!r} needs IN or NIN, not {operator!r}")
    if value is None:
        if operator in ("=", "!="):
            return None  # "has no value" / "has any value"
        raise InvalidQuery(f"null value on {name!r} only works with = or !=")
    return _check_scalar(name, ftype, operator, value)


def _check_scalar(name: str, ftype: str, operator: str, value: Any) -> Any:
    if ftype == _CUSTOM:
        if operator in ("~", "!~", "^", "$") and not isinstance(value, str):
            raise InvalidQuery(f"{operator!r} on {name!r} needs a string, got {type(value).__name__}")
        if (
            not isinstance(value, (str, int, float, bool))
            or isinstance(value, float)
            and not math.isfinite(value)
        ):
            raise InvalidQuery(f"value for {name!r} must be a string, number or boolean, got {value!r}")
        return value
    if ftype in (_STRING, _TAG):
        if not isinstance(value, str):
            raise InvalidQuery(f"{name!r} is a string field; got {type(value).__name__} {value!r}")
        if name == "role" and value not in _CONTACT_ROLES:
            raise InvalidQuery(f"role is 'user' or 'lead', got {value!r}")
        return value
    if ftype == _BOOLEAN:
        if not isinstance(value, bool):
            raise InvalidQuery(f"{name!r} is a boolean field; got {type(value).__name__} {value!r}")
        return value
    if ftype == _INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidQuery(f"{name!r} is an integer field; got {type(value).__name__} {value!r}")
        return value
    # date: unix seconds; Intercom also accepts them as digit strings (its own examples do).
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQuery(
            f"{name!r} is a date field: give a datetime, a date or unix seconds, got {type(value).__name__} {value!r}"
        )
    return value


def sort_spec(field: str | Field, order: str = "descending", *, resource: str = "contacts") -> dict[str, str]:
    """The ``sort`` object of a search body; ``order`` is "ascending" or "descending" (Intercom's default)."""
    name = field.name if isinstance(field, Field) else field
    if not isinstance(name, str):
        raise InvalidQuery(f"sort field must be a name, got {type(name).__name__}")
    _field_type(name, resource)
    if order not in ("ascending", "descending"):
        hint = {"asc": "ascending", "desc": "descending"}.get(str(order).lower())
        raise InvalidQuery(
            f"sort order must be 'ascending' or 'descending', got {order!r}"
            + (f" (use {hint!r})" if hint else "")
        )
    return {"field": name, "order": order}


# -------------------------------------------------------------------------------------------- date semantics


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """What to send and how to keep only exact matches.

    ``query`` is the validated query as written; ``server_query`` is what Intercom gets (sub-day date bounds widened
    to whole workspace days, ``>=``/``<=`` on dates rewritten); ``post_filter`` is ``None`` when the server's answer
    is already exact, else a predicate over raw API dicts (``evaluate(query, item)``). ``dated``: the query has date
    bounds, so ``server_query`` depends on ``tz``, the workspace timezone it was planned for.
    """

    query: dict[str, Any]
    server_query: dict[str, Any]
    post_filter: Callable[[Mapping[str, Any]], bool] | None
    tz: tzinfo = UTC
    dated: bool = False

    @property
    def widened(self) -> bool:
        return self.post_filter is not None


def plan_search(
    q: Query | Mapping[str, Any], *, resource: str = "contacts", tz: tzinfo | None = None
) -> SearchPlan:
    """Split a query into the server query (a superset) and an exact client-side post filter.

    ``tz`` is the workspace's timezone, where Intercom puts its day boundaries (default UTC; an
    :class:`~intercomkit._protocol.days.UnknownZone` plans every bound with two days' margin). Widening each date
    leaf toward a superset keeps every AND/OR combination a superset; the post filter then evaluates the whole
    original query.
    """
    zone = tz or UTC
    query = _validate(_to_json(q, annotate=True), resource, 0, inclusive=True, keep_day=True)
    widened = dated = False

    def widen(node: dict[str, Any], depth: int) -> list[dict[str, Any]]:
        nonlocal widened, dated
        if "field" not in node:
            parts = [widen(item, depth + 1) for item in node["value"]]
            return [{"operator": node["operator"], "value": _join(node["operator"], parts, depth + 1)}]
        if _leaf_type(node, resource) != _DATE or node["value"] is None:
            return [node]
        dated = True
        leaves, exact = _server_date_filter(node, zone)
        widened = widened or not exact
        return leaves

    def _join(operator: str, parts: list[list[dict[str, Any]]], depth: int) -> list[dict[str, Any]]:
        nonlocal widened
        out: list[dict[str, Any]] = []
        room = MAX_FILTERS_PER_GROUP - len(parts)
        for leaves in parts:
            if len(leaves) > 1 and operator == "AND" and room >= len(leaves) - 1:
                room -= len(leaves) - 1
                out.extend(leaves)  # the two bounds of a day join the AND they sit in: no new level
            elif len(leaves) > 1 and operator == "OR" and depth < MAX_NESTING:
                out.append({"operator": "AND", "value": leaves})
            elif len(leaves) > 1:
                out.append(leaves[0])  # no room for both bounds: one is still a superset
                widened = True
            else:
                out.extend(leaves)
        return out

    top = widen(query, 0)
    server_query = top[0] if len(top) == 1 else {"operator": "AND", "value": top}
    post_filter = None
    if widened:

        def post_filter(item: Mapping[str, Any], _query: dict[str, Any] = query) -> bool:
            return evaluate(_query, item, resource=resource)

    return SearchPlan(query=query, server_query=server_query, post_filter=post_filter, tz=zone, dated=dated)


def _server_date_filter(node: Mapping[str, Any], tz: tzinfo) -> tuple[list[dict[str, Any]], bool]:
    """The day-granular filters Intercom gets for one date leaf (ANDed: one, or two for a UTC day on a workspace
    in another timezone), and whether they are exact (no post filter needed).

    Intercom, "Searching for Timestamp Fields": "``=`` matches the whole day", "``>`` matches from the start of the
    *next* day", "``<`` matches everything before the start of that day" -- days of the workspace's timezone ``tz``.
    """
    name, op, v = node["field"], node["operator"], int(node["value"])
    if node.get(WHOLE_DAY):
        # A date means a whole UTC day; the same days as the workspace's when it runs on UTC.
        day = days.day_number(v)
        if days.is_utc(tz):
            if op in ("=", ">", "<"):
                return [_leaf(name, op, days.day_start(day))], True
            if op == ">=":
                return [_leaf(name, ">", days.day_start(day - 1))], True
            return [_leaf(name, "<", days.day_start(day + 1))], True  # "<=": through day D
        first, end = days.day_start(day), days.day_start(day + 1)  # the day is [first, end) in instants
        lower = {"=": first, ">": end, ">=": first}.get(op)
        upper = {"=": end, "<": first, "<=": end}.get(op)
        leaves: list[dict[str, Any]] = []
        exact = True
        if lower is not None:
            leaf, ok = _lower_bound(name, lower, tz)
            leaves.append(leaf)
            exact = exact and ok
        if upper is not None:
            leaf, ok = _upper_bound(name, upper, tz)
            leaves.append(leaf)
            exact = exact and ok
        return leaves, exact
    # An exact instant. On whole seconds, x > t is x >= t + 1 and x <= t is x < t + 1.
    if op == "=":
        # The server returns t's whole day (in any timezone that day holds t); the post filter keeps that second.
        return [_leaf(name, "=", v)], False
    if op in (">", ">="):
        leaf, exact = _lower_bound(name, v + 1 if op == ">" else v, tz)
    else:
        leaf, exact = _upper_bound(name, v + 1 if op == "<=" else v, tz)
    return [leaf], exact


def _leaf(name: str, operator: str, value: int) -> dict[str, Any]:
    return {"field": name, "operator": operator, "value": value}


def _lower_bound(name: str, lower: int, tz: tzinfo) -> tuple[dict[str, Any], bool]:
    """The server filter for ``x >= lower``: ``>`` any instant of the day before ``lower``'s day; exact when
    ``lower`` is a midnight of ``tz``."""
    if isinstance(tz, days.UnknownZone):
        # "> v" starts at the next local midnight after v, at most a 25-hour day later: two days back is safe.
        return _leaf(name, ">", lower - 2 * DAY), False
    day = days.day_number(lower, tz)
    return _leaf(name, ">", days.day_start(day - 1, tz)), days.day_start(day, tz) == lower


def _upper_bound(name: str, upper: int, tz: tzinfo) -> tuple[dict[str, Any], bool]:
    """The server filter for ``x < upper``: ``<`` the midnight at or after ``upper``; exact when ``upper`` is one."""
    if isinstance(tz, days.UnknownZone):
        return _leaf(name, "<", upper + 2 * DAY), False
    day = days.day_number(upper, tz)
    start = days.day_start(day, tz)
    if start == upper:
        return _leaf(name, "<", upper), True
    return _leaf(name, "<", days.day_start(day + 1, tz)), False


_MISSING = object()


def _lookup(item: Mapping[str, Any], name: str) -> Any:
    if name in item:
        return item[name]
    head, _, rest = name.partition(".")
    if rest:
        inner = item.get(head)
        if isinstance(inner, Mapping):
            # An attribute missing from a record's custom_attributes is unset (null), not unknown.
            return inner.get(rest) if head == "custom_attributes" else _lookup(inner, rest)
    return _MISSING


def evaluate(
    query: Query | Mapping[str, Any],
    item: Mapping[str, Any],
    *,
    resource: str = "contacts",
    server: bool = False,
    tz: tzinfo | None = None,
) -> bool:
    """Does the raw API dict ``item`` match the query JSON?

    ``server=False`` (default): the query's intended meaning (module docstring table: whole UTC days for filters
    built from a ``date``, exact instants for datetimes and ints). ``server=True``: Intercom's day-truncating
    behaviour in the workspace timezone ``tz`` (default UTC), as a fake server would match. String comparisons are case-insensitive, like Intercom's. Conditions that a record dict cannot answer
    (``segment_id``, a ``tag_id`` beyond the 10 listed tags, absent keys) count as matching: the server already
    applied them.
    """
    if isinstance(query, Query):
        query = query._json(annotate=True)
    result = _eval(query, item, _fields_for(resource), server, tz or UTC)
    return result is not False


def _eval(node: Mapping[str, Any], item: Mapping[str, Any], fields: dict[str, str], server: bool, tz: tzinfo):
    if "field" not in node:
        results = [_eval(child, item, fields, server, tz) for child in node["value"]]
        if node["operator"] == "AND":
            return False if False in results else (None if None in results else True)
        return True if True in results else (None if None in results else False)
    name, op, v = node["field"], node["operator"], node["value"]
    ftype = _CUSTOM if name.startswith("custom_attributes.") else fields.get(name, _STRING)
    if ftype == _CUSTOM and node.get(DATE_VALUE) is True:
        ftype = _DATE
    if ftype == _TAG:
        return _eval_tag(item, op, v)
    x = _lookup(item, name)
    if x is _MISSING:
        return None
    if ftype == _DATE and v is not None:
        v = int(v)
        if server:
            return _eval_day(x, op, days.day_number(v, tz), tz)
        if node.get(WHOLE_DAY):
            return _eval_day(x, op, days.day_number(v), UTC)
        return _eval_instant(x, op, v)
    return _compare(x, op, v)


def _eval_tag(item: Mapping[str, Any], op: str, v: Any) -> bool | None:
    tags = item.get("tags")
    if not isinstance(tags, Mapping):
        return None
    data = tags.get("data") or tags.get("tags") or []
    if not isinstance(data, list | tuple):
        return None  # not a list of tags: unknown, so the server's answer stands
    found = any(isinstance(t, Mapping) and str(t.get("id")) == str(v) for t in data)
    if not found and tags.get("has_more"):
        return None
    return found if op == "=" else not found


def _eval_day(x: Any, op: str, day: int, tz: tzinfo) -> bool:
    """Day semantics: ``day`` is the day number the filter names, in ``tz``."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return False
    mine = days.day_number(x, tz)
    if op == "=":
        return mine == day
    if op == ">":
        return mine > day
    if op == ">=":
        return mine >= day
    if op == "<":
        return mine < day
    return mine <= day  # "<="


def _eval_instant(x: Any, op: str, v: int) -> bool:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return False
    if op == "=":
        return math.floor(x) == v
    if op == ">":
        return x > v
    if op == ">=":
        return x >= v
    if op == "<":
        return x < v
    return x <= v


def _norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _compare(x: Any, op: str, v: Any) -> bool:
    if op in ("IN", "NIN"):
        hit = any(_equal(x, each) for each in v)
        return hit if op == "IN" else not hit
    if op == "=":
        return _equal(x, v)
    if op == "!=":
        return not _equal(x, v)
    if op in ("~", "!~", "^", "$"):
        if not isinstance(x, str):
            return op == "!~" and x is None
        xs, vs = x.casefold(), str(v).casefold()
        if op == "~":
            return vs in xs
        if op == "!~":
            return vs not in xs
        return xs.startswith(vs) if op == "^" else xs.endswith(vs)
    try:
        if op == "<":
            return x < v
        if op == ">":
            return x > v
        if op == "<=":
            return x <= v
        return x >= v
    except TypeError:
        return False


def _equal(x: Any, v: Any) -> bool:
    if v is None or x is None:
        return x is None and v is None
    if isinstance(x, bool) or isinstance(v, bool):
        return isinstance(x, bool) and isinstance(v, bool) and x == v
    if isinstance(x, str) != isinstance(v, str):
        return str(x).casefold() == str(v).casefold()
    return _norm(x) == _norm(v)
