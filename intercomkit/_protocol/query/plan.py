"""Exact date searches over Intercom's whole-day matching: :func:`plan_search`.

Intercom matches date fields and Date custom attributes "by calendar day", and "The day boundary uses your
workspace's timezone" (2.16, "Searching for Timestamp Fields"): ``> 14:00 on March 5`` silently means "from March 6".
The plan sends a superset (each sub-day bound widened to whole workspace days, ``>=``/``<=`` rewritten to ``>``/``<``)
and, where that is not exact, a post filter (:func:`.evaluate.evaluate` over the original query) that keeps exactly
the matching records. Day arithmetic lives in :mod:`..days`.

The conversations and tickets searches document another rule: ``>`` is "Greater (or equal) than" and ``<`` "Lower
(or equal) than" on integers and dates, to the second (no calendar-day matching is described there). There the plan
turns each bound into its inclusive form: ``> t`` is sent as ``> t+1``, ``>= t`` as ``> t``, ``< t`` as ``< t-1``,
``<= t`` as ``< t``; a ``date`` D is the UTC day's instants ``[D 00:00, D+1 00:00)``. Such plans are exact (no post
filter) and need no workspace timezone, except a custom attribute compared with ``>``/``<`` (its type, integer or
float, is unknown): it keeps its operator (a superset) and the post filter drops the bound itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

from ...errors import InvalidQuery
from .. import days
from .builder import Query, to_json
from .evaluate import evaluate
from .fields import CUSTOM, DATE, INCLUSIVE_BOUNDS, INTEGER
from .validate import MAX_FILTERS_PER_GROUP, MAX_NESTING, leaf_type, validate_node
from .values import WHOLE_DAY

__all__ = ["SearchPlan", "plan_search"]

DAY = days.DAY


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
    query = validate_node(to_json(q, annotate=True), resource, 0, inclusive=True, keep_day=True)
    inclusive = resource in INCLUSIVE_BOUNDS
    widened = dated = False

    def widen(node: dict[str, Any], depth: int) -> list[dict[str, Any]]:
        nonlocal widened, dated
        if "field" not in node:
            parts = [widen(item, depth + 1) for item in node["value"]]
            return [{"operator": node["operator"], "value": _join(node["operator"], parts, depth + 1)}]
        if inclusive:
            leaves, exact = _inclusive_filter(node, leaf_type(node, resource))
            widened = widened or not exact
            return leaves
        if leaf_type(node, resource) != DATE or node["value"] is None:
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


def _inclusive_filter(node: dict[str, Any], ftype: str) -> tuple[list[dict[str, Any]], bool]:
    """The filters (ANDed) for one leaf of a search whose ``>``/``<`` include the bound, and whether they are exact.

    Intercom (conversations, tickets): ">" "Greater (or equal) than", "<" "Lower (or equal) than".
    """
    name, op, v = node["field"], node["operator"], node["value"]
    if (
        ftype not in (DATE, INTEGER, CUSTOM)
        or v is None
        or op not in ("=", "!=", "<", ">", "<=", ">=", "IN", "NIN")
    ):
        return [node], True
    if ftype == CUSTOM:
        if op in (">=", "<="):
            return [_leaf(name, op[0], v)], True
        # An int bound on an attribute that may hold floats cannot be shifted by one: keep it, filter here.
        return [node], op not in (">", "<")
    if ftype == DATE and node.get(WHOLE_DAY):
        if op in ("!=", "IN", "NIN"):
            raise InvalidQuery(
                f"{op!r} on {name!r} with a date (a whole day) cannot be sent as one filter: compare with "
                "< and > for the day's bounds, or give a datetime (an exact second)"
            )
        first, end = days.day_start(days.day_number(int(v))), days.day_start(days.day_number(int(v)) + 1)
        lower = {"=": first, ">": end, ">=": first}.get(op)
        upper = {"=": end, "<": first, "<=": end}.get(op)
        leaves = []
        if lower is not None:
            leaves.append(_leaf(name, ">", lower))
        if upper is not None:
            leaves.append(_leaf(name, "<", upper - 1))
        return leaves, True
    # An exact second (or an integer): x > t is x >= t + 1, x < t is x <= t - 1.
    shifted = {">": (">", 1), ">=": (">", 0), "<": ("<", -1), "<=": ("<", 0)}.get(op)
    if shifted is None:
        return [{"field": name, "operator": op, "value": v}], True
    return [_leaf(name, shifted[0], int(v) + shifted[1])], True


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
