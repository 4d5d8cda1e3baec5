"""The client-side evaluator: does a raw API dict match a query as the user meant it? The post filter of
:func:`.plan.plan_search` runs it over the records Intercom returned for the widened query."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .. import days
from ..numbers import is_number
from .builder import Query
from .fields import CUSTOM, DATE, STRING, TAG, custom_prefix, fields_for
from .values import DATE_VALUE, WHOLE_DAY

__all__ = ["evaluate"]


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
) -> bool:
    """Does the raw API dict ``item`` match the query JSON as meant (the package docstring's table: whole UTC days
    for filters built from a ``date``, exact instants for datetimes and ints)?

    Strings compare ignoring case, for every operator (``=``, ``!=``, ``IN``, ``NIN``, ``~``, ``!~``, ``^``, ``$``):
    the package docstring says why; the sandbox's matcher follows the same rule. Conditions that a record dict cannot answer
    (``segment_id``, a ``tag_id`` beyond the 10 listed tags, absent keys) count as matching: the server already
    applied them.
    """
    if isinstance(query, Query):
        query = query._json(annotate=True)
    result = _eval(query, item, fields_for(resource), custom_prefix(resource))
    return result is not False


def _eval(
    node: Mapping[str, Any], item: Mapping[str, Any], fields: dict[str, str], prefix: str
) -> bool | None:
    if "field" not in node:
        results = [_eval(child, item, fields, prefix) for child in node["value"]]
        if node["operator"] == "AND":
            return False if False in results else (None if None in results else True)
        return True if True in results else (None if None in results else False)
    name, op, v = node["field"], node["operator"], node["value"]
    ftype = CUSTOM if name.startswith(prefix) else fields.get(name, STRING)
    if ftype == CUSTOM and node.get(DATE_VALUE) is True:
        ftype = DATE
    if ftype == TAG:
        return _eval_tag(item, op, v)
    x = _lookup(item, name)
    if x is _MISSING:
        return None
    if ftype == DATE and v is not None:
        v = int(v)
        if node.get(WHOLE_DAY):
            return _eval_day(x, op, days.day_number(v))
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


def _eval_day(x: Any, op: str, day: int) -> bool:
    """Day semantics: ``day`` is the UTC day number the filter names."""
    if not is_number(x):
        return False
    mine = days.day_number(x)
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
    if not is_number(x):
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
