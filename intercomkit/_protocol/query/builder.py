"""The query builder: ``field(...)`` comparisons make :class:`Filter` objects, ``&``/``|`` group them.

:func:`build_query` turns one into the JSON Intercom accepts verbatim (validated by :mod:`.validate`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from ...errors import InvalidQuery
from .fields import field_type
from .validate import validated_json
from .values import DATE_VALUE, WHOLE_DAY, convert, is_datelike

__all__ = ["Field", "Filter", "Group", "Query", "build_query", "field", "sort_spec", "to_json"]


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
        """Intercom's JSON for this query, validated for ``resource`` ("contacts", "companies", "conversations",
        "tickets")."""
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
        self.whole_day = _is_day(value)
        self.dated = is_datelike(value)
        self.value = convert(value)

    def _json(self, annotate: bool = False) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, list) else self.value
        node = {"field": self.field, "operator": self.operator, "value": value}
        if annotate and self.whole_day:
            node[WHOLE_DAY] = True
        if annotate and self.dated:
            node[DATE_VALUE] = True  # a Date custom attribute; on any other non-date field, a mistake
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


def _is_day(value: Any) -> bool:
    """A ``date`` (not a datetime), or a list holding one: a whole day, which no single instant can stand for."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_is_day(v) for v in value)
    return isinstance(value, date) and not isinstance(value, datetime)


def _as_list(values: Any, method: str) -> list[Any]:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise InvalidQuery(f"{method}() takes a list of values, got {type(values).__name__}")
    return list(values)


def field(name: str) -> Field:
    """A search field by its Intercom name, e.g. ``field("email")``, ``field("custom_attributes.plan")``."""
    return Field(name)


def build_query(q: Query | Mapping[str, Any], *, resource: str = "contacts") -> dict[str, Any]:
    """The validated JSON for a builder query or a raw dict, exactly as Intercom accepts it.

    Date values are converted to unix seconds (naive datetimes are UTC). Raises :class:`InvalidQuery`.
    """
    return validated_json(to_json(q, annotate=True), resource=resource)


def to_json(q: Query | Mapping[str, Any], annotate: bool = False) -> dict[str, Any]:
    """A builder query's JSON (``annotate``: with the date marks of :mod:`.values`) or a copy of a raw dict."""
    if isinstance(q, Query):
        return q._json(annotate)
    if isinstance(q, Field):
        raise InvalidQuery(f"{q!r} is a field, not a filter: compare it, e.g. field({q.name!r}) == ...")
    if isinstance(q, Mapping):
        return dict(q)
    raise InvalidQuery(f"a query is a filter built with field(...) or a dict, got {type(q).__name__}")


def sort_spec(field: str | Field, order: str = "descending", *, resource: str = "contacts") -> dict[str, str]:
    """The ``sort`` object of a search body; ``order`` is "ascending" or "descending" (Intercom's default)."""
    name = field.name if isinstance(field, Field) else field
    if not isinstance(name, str):
        raise InvalidQuery(f"sort field must be a name, got {type(name).__name__}")
    field_type(name, resource)
    if order not in ("ascending", "descending"):
        hint = {"asc": "ascending", "desc": "descending"}.get(str(order).lower())
        raise InvalidQuery(
            f"sort order must be 'ascending' or 'descending', got {order!r}"
            + (f" (use {hint!r})" if hint else "")
        )
    return {"field": name, "order": order}
