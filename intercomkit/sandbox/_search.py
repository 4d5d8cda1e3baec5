"""Contact search: validation of Intercom's query language and a pure evaluator over contact dicts.

The rules follow the 2.16 reference: at most 2 levels of AND/OR nesting, at most 15 filters a group, ``~ !~ ^ $``
are for strings, ``>= <=`` for integers, ``IN``/``NIN`` need a list, ``tag_id`` takes only ``=``/``!=``.

Dates ("Searching for Timestamp Fields"): timestamp fields and Date custom attributes "are matched by calendar day"
and "The day boundary uses **your workspace's timezone**"; "The ``!=``, ``>=``, ``<=``, ``IN`` and ``NIN`` operators
are not supported on Date fields and return an error". So a date filter compares the *local day* (in the sandbox's
timezone) of the record's value with the local day of the filter's value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any

from .._protocol import days
from .._protocol.numbers import is_int, is_number
from .._protocol.query.fields import CONTACT_FIELDS
from .._protocol.query.validate import MAX_FILTERS_PER_GROUP, MAX_NESTING
from ._errors import SandboxAPIError

__all__ = [
    "CONTACTS",
    "DATE_ATTRIBUTES",
    "FIELD_TYPES",
    "Dialect",
    "field_value",
    "matches",
    "reject_invalid_query",
]

# The sandbox workspace's Date custom attributes (data_type "date" in its data attribute catalogue). Generated
# contacts carry none; contacts created or updated with one do.
DATE_ATTRIBUTES = frozenset({"trial_ends_at"})

# Intercom's "Accepted Fields" table of POST /contacts/search has one copy, in the client's protocol layer; the
# sandbox reads it (its operator rules and whole-day matching below are its own model of the server).
FIELD_TYPES: dict[str, str] = {
    name: ("tag" if kind == "tag_id" else kind) for name, kind in CONTACT_FIELDS.items()
}

_OPERATORS = {"=", "!=", "IN", "NIN", "<", "<=", ">", ">=", "~", "!~", "^", "$"}
_ALLOWED = {
    "string": {"=", "!=", "IN", "NIN", "~", "!~", "^", "$"},
    "date": {"=", "<", ">"},
    "boolean": {"=", "!=", "IN", "NIN"},
    "tag": {"=", "!="},
    # custom attributes are typed by the value the query carries
    "custom": _OPERATORS,
}


@dataclass(frozen=True)
class Dialect:
    """One search endpoint's rules: its Accepted Fields and Operators tables and how it reads dates.

    ``day_dates``: dates match by workspace-local calendar day (contacts' "Searching for Timestamp Fields"); when
    False a date compares as the instant it is, and ``>``/``<`` are inclusive where the endpoint's table says
    "Greater (or equal) than" / "Lower (or equal) than" (``inclusive``).
    """

    name: str
    fields: dict[str, str]
    allowed: dict[str, frozenset[str]]
    operators: frozenset[str] = frozenset(_OPERATORS)
    day_dates: bool = True
    inclusive: bool = False
    custom_prefix: str = "custom_attributes."
    date_attributes: frozenset[str] = frozenset()
    # fields whose record value is a list: a filter matches when any element does
    list_fields: frozenset[str] = field(default_factory=frozenset)
    # operators a single field takes beyond its type's (tickets: ">=" and "<=" on created_at only)
    field_operators: dict[str, frozenset[str]] = field(default_factory=dict)


CONTACTS = Dialect(
    "contact",
    FIELD_TYPES,
    {k: frozenset(v) for k, v in _ALLOWED.items()},
    date_attributes=DATE_ATTRIBUTES,
)


def _invalid(message: str) -> SandboxAPIError:
    return SandboxAPIError(400, "query_invalid", message)


def reject_invalid_query(query: Any, *, depth: int = 0, dialect: Dialect = CONTACTS) -> None:
    """Raise a 400 ``query_invalid`` SandboxAPIError for anything Intercom's search would refuse (the server's side;
    the client checks the same rules before sending, as :class:`~intercomkit.errors.InvalidQuery`)."""
    if not isinstance(query, dict):
        raise _invalid("query must be an object")
    op = query.get("operator")
    if op in ("AND", "OR"):
        if depth >= MAX_NESTING:
            raise _invalid(f"Queries can nest at most {MAX_NESTING} levels of AND/OR")
        value = query.get("value")
        if not isinstance(value, list) or not value:
            raise _invalid(f"{op} needs a non-empty list of filters as its value")
        if len(value) > MAX_FILTERS_PER_GROUP:
            raise _invalid(
                f"An {op} group can hold at most {MAX_FILTERS_PER_GROUP} filters, got {len(value)}"
            )
        for sub in value:
            reject_invalid_query(sub, depth=depth + 1, dialect=dialect)
        return
    _validate_filter(query, dialect)


def _field_type(field: Any, dialect: Dialect = CONTACTS) -> str:
    if not isinstance(field, str) or not field:
        raise _invalid("Each filter needs a field")
    prefix = dialect.custom_prefix
    if field.startswith(prefix) and len(field) > len(prefix):
        return _custom_kind(field, dialect)
    kind = dialect.fields.get(field)
    if kind is None:
        raise _invalid(f"'{field}' is not a searchable {dialect.name} field")
    return kind


def _validate_filter(f: dict, dialect: Dialect = CONTACTS) -> None:
    unknown = set(f) - {"field", "operator", "value"}
    if unknown:
        raise _invalid(f"Unexpected keys in filter: {', '.join(sorted(unknown))}")
    field, op = f.get("field"), f.get("operator")
    kind = _field_type(field, dialect)
    if op not in dialect.operators:
        raise _invalid(
            f"Operator {op!r} is not one of {', '.join(sorted(dialect.operators))} (or AND/OR for groups)"
        )
    if op not in dialect.allowed[kind] | dialect.field_operators.get(field, frozenset()):
        raise _invalid(f"Operator '{op}' is not supported on {kind} field '{field}'")
    if "value" not in f:
        raise _invalid(f"Filter on '{field}' has no value")
    value = f["value"]
    if op in ("IN", "NIN"):
        if not isinstance(value, list):
            raise _invalid(f"Operator '{op}' needs a list value for '{field}'")
        for v in value:
            _check_scalar(kind, field, op, v)
        return
    if isinstance(value, list):
        raise _invalid(f"Operator '{op}' does not take a list (field '{field}')")
    if value is None:
        if op not in ("=", "!="):
            raise _invalid(f"null can only be compared with = or != (field '{field}')")
        return
    _check_scalar(kind, field, op, value)


def _check_scalar(kind: str, field: str, op: str, v: Any) -> None:
    if op in ("~", "!~", "^", "$") and not isinstance(v, str):
        raise _invalid(f"Operator '{op}' needs a string value (field '{field}')")
    if op in ("<", ">", "<=", ">=") and not is_number(v):
        raise _invalid(f"Operator '{op}' needs a number value (field '{field}')")
    if kind in ("string", "tag") and not isinstance(v, str):
        raise _invalid(f"'{field}' is a string field; got {type(v).__name__} value {v!r}")
    if kind == "date" and not is_int(v):
        raise _invalid(f"'{field}' is a date field and needs a UNIX timestamp integer; got {v!r}")
    if kind == "boolean" and not isinstance(v, bool):
        raise _invalid(f"'{field}' is a boolean field; got {v!r}")
    if kind == "integer" and not is_int(v):
        raise _invalid(f"'{field}' is an integer field; got {v!r}")
    if kind == "custom" and not (v is None or isinstance(v, str | int | float | bool)):
        raise _invalid(f"Unsupported value for '{field}': {v!r}")


def field_value(contact: dict, field: str, dialect: Dialect = CONTACTS) -> Any:
    """The value a filter on ``field`` looks at (``None`` when missing)."""
    if dialect is not CONTACTS:
        return _path_value(contact, field, dialect)
    if field == "tag_id":
        tags = contact.get("_tags")
        if tags is None:
            tags = [t.get("id") for t in (contact.get("tags") or {}).get("data", [])]
        return tags
    if field == "segment_id":
        return None
    if field == "formatted_phone":
        return contact.get("phone")
    cur: Any = contact
    if field.startswith("custom_attributes."):
        return (contact.get("custom_attributes") or {}).get(field[len("custom_attributes.") :])
    for part in field.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _path_value(record: dict, field: str, dialect: Dialect) -> Any:
    # Records of the other dialects are API-shaped and carry the searched lists under the field's own name
    # (``tag_ids``, ``contact_ids`` ...: see the record builders); custom attributes are one level deep.
    prefix = dialect.custom_prefix
    if field.startswith(prefix):
        return (record.get(prefix.rstrip(".")) or {}).get(field[len(prefix) :])
    cur: Any = record
    for part in field.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _custom_kind(field: str, dialect: Dialect = CONTACTS) -> str:
    return "date" if field[len(dialect.custom_prefix) :] in dialect.date_attributes else "custom"


def matches(query: dict, contact: dict, tz: tzinfo = UTC, dialect: Dialect = CONTACTS) -> bool:
    """Whether ``contact`` (a contact dict as the API returns it) satisfies the search ``query``.

    Pure and I/O free, so property tests can check the sandbox's search against it. The query is assumed valid
    (see ``reject_invalid_query``). Date fields compare by calendar day in the workspace timezone ``tz``. Strings
    compare ignoring case for every operator (``= != IN NIN`` as ``~ !~ ^ $``): the description says nothing on case,
    and the client's post filter (``intercomkit._protocol.query.evaluate``) follows the same one rule.
    """
    op = query.get("operator")
    if op == "AND":
        return all(matches(q, contact, tz, dialect) for q in query["value"])
    if op == "OR":
        return any(matches(q, contact, tz, dialect) for q in query["value"])
    field = query["field"]
    value = query.get("value")
    actual = field_value(contact, field, dialect)
    kind = dialect.fields.get(field) or _custom_kind(field, dialect)
    if kind == "tag":
        ids = actual or []
        return (value in ids) if op == "=" else (value not in ids)
    if field in dialect.list_fields:
        return _compare_list(op, actual or [], value)
    if kind == "date" and dialect.day_dates:
        return _compare_day(op, actual, value, tz)
    if dialect.inclusive and op in (">", "<"):
        # "Greater (or equal) than" / "Lower (or equal) than" (the endpoint's Accepted Operators table)
        op += "="
    return _compare(op, actual, value)


def _compare_list(op: str, actual: list, value: Any) -> bool:
    """A list-valued field (``tag_ids``, ``contact_ids``, the words of ``source.body``): positive operators hold
    when some element matches, negative ones when none does."""
    if op in ("!=", "NIN", "!~"):
        positive = {"!=": "=", "NIN": "IN", "!~": "~"}[op]
        return not any(_compare(positive, a, value) for a in actual)
    if value is None and op == "=":
        return not actual
    return any(_compare(op, a, value) for a in actual)


def _compare_day(op: str, actual: Any, value: Any, tz: tzinfo) -> bool:
    if value is None:
        return (actual is None) if op == "=" else (actual is not None)
    if not is_number(actual):
        return False
    # "truncates that value to" the start of its day: both sides become workspace-local calendar days.
    a, v = days.day_number(actual, tz), days.day_number(value, tz)
    if op == "=":
        return a == v
    if op == ">":
        return a > v
    return a < v  # "<"


def _compare(op: str, actual: Any, value: Any) -> bool:
    if op == "=":
        return _eq(actual, value)
    if op == "!=":
        return not _eq(actual, value)
    if op == "IN":
        return any(_eq(actual, v) for v in value)
    if op == "NIN":
        return not any(_eq(actual, v) for v in value)
    if op in ("~", "!~", "^", "$"):
        if not isinstance(actual, str):
            return op == "!~"
        a, v = actual.casefold(), value.casefold()
        if op == "~":
            return v in a
        if op == "!~":
            return v not in a
        if op == "^":
            return a.startswith(v)
        return a.endswith(v)
    if not is_number(actual):
        return False
    if op == "<":
        return actual < value
    if op == ">":
        return actual > value
    if op == "<=":
        return actual <= value
    return actual >= value  # ">="


def _eq(actual: Any, value: Any) -> bool:
    # bool is an int in Python; True must not equal 1 here.
    if isinstance(actual, bool) or isinstance(value, bool):
        return isinstance(actual, bool) and isinstance(value, bool) and actual is value
    if isinstance(actual, str) and isinstance(value, str):
        return actual.casefold() == value.casefold()  # one rule on case: see ``matches``
    if isinstance(actual, int) and isinstance(value, str):
        # ids the model answers as integers and the search table types as strings (tickets' admin_assignee_id)
        return str(actual) == value
    return actual == value
