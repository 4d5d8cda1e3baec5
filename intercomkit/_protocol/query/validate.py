"""Intercom's rules for a search query (``POST /contacts/search``, ``/companies/search``, ``/conversations/search``,
``/tickets/search``, API 2.16), checked before any request and reported as :class:`~intercomkit.errors.InvalidQuery`:

* groups (``AND``/``OR``) nest at most 2 levels: a group inside a group is fine, a third level is not;
* at most 15 filters in one group, and no empty group;
* the operator must suit the field's type (``operators_for``: ``OPERATORS_BY_TYPE`` for contacts and companies,
  ``INCLUSIVE_OPERATORS_BY_TYPE`` for conversations and tickets); a custom attribute accepts any operator;
* ``IN``/``NIN`` take a list; values must have the field's type; unknown fields get a did-you-mean.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ...errors import InvalidQuery
from ..numbers import is_int
from .fields import (
    BOOLEAN,
    CUSTOM,
    DATE,
    INCLUSIVE_BOUNDS,
    INTEGER,
    STRING,
    TAG,
    field_type,
    fields_for,
)
from .values import DATE_VALUE, WHOLE_DAY, convert, is_datelike

__all__ = [
    "MAX_FILTERS_PER_GROUP",
    "INCLUSIVE_OPERATORS_BY_TYPE",
    "MAX_NESTING",
    "OPERATORS_BY_TYPE",
    "leaf_type",
    "operators_for",
    "validate_node",
    "validated_json",
]

MAX_NESTING = 2
MAX_FILTERS_PER_GROUP = 15

# The "Accepted Operators" table, by the field types of the "Accepted Fields" table.
OPERATORS_BY_TYPE: dict[str, frozenset[str]] = {
    STRING: frozenset({"=", "!=", "IN", "NIN", "~", "!~", "^", "$"}),
    INTEGER: frozenset({"=", "!=", "IN", "NIN", "<", ">", "<=", ">="}),
    DATE: frozenset({"=", "<", ">"}),
    BOOLEAN: frozenset({"=", "!=", "IN", "NIN"}),
    TAG: frozenset({"=", "!="}),
    CUSTOM: frozenset({"=", "!=", "IN", "NIN", "<", ">", "<=", ">=", "~", "!~", "^", "$"}),
}
# The "Accepted Operators" table of the conversations and tickets searches: "=", "!=", "IN", "NIN" on "All" types,
# ">"/"<" ("Greater (or equal) than") on integers and dates, the text operators on strings; no ">=" or "<=".
INCLUSIVE_OPERATORS_BY_TYPE: dict[str, frozenset[str]] = {
    STRING: frozenset({"=", "!=", "IN", "NIN", "~", "!~", "^", "$"}),
    INTEGER: frozenset({"=", "!=", "IN", "NIN", "<", ">"}),
    DATE: frozenset({"=", "!=", "IN", "NIN", "<", ">"}),
    BOOLEAN: frozenset({"=", "!=", "IN", "NIN"}),
    CUSTOM: OPERATORS_BY_TYPE[CUSTOM],
}
_ALL_OPERATORS = OPERATORS_BY_TYPE[CUSTOM]


def operators_for(resource: str) -> dict[str, frozenset[str]]:
    """The operators each field type accepts in ``resource``'s search."""
    return INCLUSIVE_OPERATORS_BY_TYPE if resource in INCLUSIVE_BOUNDS else OPERATORS_BY_TYPE


_CONTACT_ROLES = frozenset({"user", "lead"})


def validated_json(
    query: Mapping[str, Any], *, resource: str = "contacts", allow_date_inclusive: bool = False
) -> dict[str, Any]:
    """A query dict checked against Intercom's rules (:class:`InvalidQuery` otherwise), normalised: dates as unix
    ints. ``allow_date_inclusive``: accept ``>=``/``<=`` on dates, which :mod:`.plan` rewrites."""
    fields_for(resource)
    return validate_node(query, resource, depth=0, inclusive=allow_date_inclusive)


def validate_node(
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
        "value": [validate_node(item, resource, depth + 1, inclusive, keep_day) for item in items],
    }


def _validate_filter(
    node: Mapping[str, Any], resource: str, inclusive: bool, keep_day: bool = False
) -> dict[str, Any]:
    name, operator = node.get("field"), node.get("operator")
    if not isinstance(name, str):
        raise InvalidQuery(f"a filter's field must be a string, got {name!r}")
    if "value" not in node:
        raise InvalidQuery(f"filter on {name!r} has no 'value'")
    ftype = leaf_type(node, resource)
    if operator not in _ALL_OPERATORS:
        raise InvalidQuery(
            f"unknown operator {operator!r} on {name!r}; valid: {', '.join(sorted(_ALL_OPERATORS))}"
        )
    allowed = operators_for(resource)[ftype]
    # plan_search rewrites ">="/"<=" into what the search accepts: on dates for every resource, and on integers
    # too where ">"/"<" include the bound.
    rewritten = ftype == DATE or (ftype == INTEGER and resource in INCLUSIVE_BOUNDS)
    if rewritten and operator in ("<=", ">=") and inclusive:
        allowed = allowed | {"<=", ">="}
    if operator not in allowed:
        hint = ""
        if rewritten and operator in ("<=", ">="):
            hint = (
                "; Intercom matches dates by day: use > (day before) / < (day after), "
                "or search through plan_search()/client.contacts.search(), which rewrite it"
                if resource not in INCLUSIVE_BOUNDS
                else f"; Intercom's > and < include the bound on {resource}: search through plan_search()/"
                f"client.{resource}.search(), which rewrite it"
            )
        raise InvalidQuery(
            f"operator {operator!r} is not valid on {ftype} field {name!r}; valid: {', '.join(sorted(allowed))}{hint}"
        )
    if node.get(DATE_VALUE) is True and ftype != DATE:
        raise InvalidQuery(f"{name!r} is not a date field ({ftype}); got a date or datetime")
    value = _check_value(name, ftype, operator, node["value"])
    out = {"field": name, "operator": operator, "value": value}
    if keep_day and ftype == DATE and node.get(WHOLE_DAY) is True and value is not None:
        out[WHOLE_DAY] = True
    if keep_day and ftype == DATE and node.get(DATE_VALUE) is True:
        out[DATE_VALUE] = True
    return out


def leaf_type(node: Mapping[str, Any], resource: str) -> str:
    """A filter's field type; a custom attribute compared with a date or datetime is a date."""
    ftype = field_type(node["field"], resource)
    return DATE if ftype == CUSTOM and node.get(DATE_VALUE) is True else ftype


def _check_value(name: str, ftype: str, operator: str, value: Any) -> Any:
    if ftype not in (DATE, CUSTOM) and is_datelike(value):
        # convert() would make it unix seconds, which an integer field would take as a number.
        raise InvalidQuery(f"{name!r} is not a date field ({ftype}); got a date or datetime")
    value = convert(value)
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
    if ftype == CUSTOM:
        if operator in ("~", "!~", "^", "$") and not isinstance(value, str):
            raise InvalidQuery(f"{operator!r} on {name!r} needs a string, got {type(value).__name__}")
        if (
            not isinstance(value, (str, int, float, bool))
            or isinstance(value, float)
            and not math.isfinite(value)
        ):
            raise InvalidQuery(f"value for {name!r} must be a string, number or boolean, got {value!r}")
        return value
    if ftype in (STRING, TAG):
        if not isinstance(value, str):
            raise InvalidQuery(f"{name!r} is a string field; got {type(value).__name__} {value!r}")
        if name == "role" and value not in _CONTACT_ROLES:
            raise InvalidQuery(f"role is 'user' or 'lead', got {value!r}")
        return value
    if ftype == BOOLEAN:
        if not isinstance(value, bool):
            raise InvalidQuery(f"{name!r} is a boolean field; got {type(value).__name__} {value!r}")
        return value
    if ftype == INTEGER:
        if not is_int(value):
            raise InvalidQuery(f"{name!r} is an integer field; got {type(value).__name__} {value!r}")
        return value
    # date: unix seconds; Intercom also accepts them as digit strings (its own examples do).
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if not is_int(value):
        raise InvalidQuery(
            f"{name!r} is a date field: give a datetime, a date or unix seconds, got {type(value).__name__} {value!r}"
        )
    return value
