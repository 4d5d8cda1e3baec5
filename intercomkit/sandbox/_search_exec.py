"""Running a validated contact search against the store.

Two paths. The export shape -- an AND of ``created_at``/``updated_at`` day-range filters and an optional ``role``
filter, sorted by ``created_at`` or unsorted -- bisects the created_at column and walks only the page it needs
(O(log n + per_page) when only created_at bounds are given). Everything else materialises the live contacts and
evaluates ``matches``; that is fine up to ~100 K contacts. Totals and sorted results are cached per store version.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

import numpy as np

from .._protocol import days
from ._cursor import decode_cursor, encode_cursor
from ._data import KIND_LEAD, KIND_USER
from ._errors import SandboxAPIError
from ._lag import Seen
from ._search import FIELD_TYPES, Dialect, field_value, matches
from ._store import Store

__all__ = ["SearchPage", "run_search", "search_collection"]


@dataclass
class SearchPage:
    indices: list[int]
    total: int
    page: int
    next_cursor: str | None
    # Contacts on the page that search sees in an earlier version than get does (see _lag): index -> record.
    records: dict[int, dict] | None = None


@dataclass
class _Plan:
    c_lo: int
    c_hi: int  # created_at in [c_lo, c_hi)
    u_lo: int | None
    u_hi: int | None
    kinds: frozenset[int]


_INF = 1 << 62


def _day_bounds(op: str, t: int, tz: tzinfo) -> tuple[int, int]:
    """The instants ``[lo, hi)`` a date filter matches: whole days of the workspace timezone ``tz``."""
    day = days.day_number(t, tz)
    if op == ">":
        return days.day_start(day + 1, tz), _INF
    if op == "<":
        return -_INF, days.day_start(day, tz)
    return days.day_start(day, tz), days.day_start(day + 1, tz)  # "="


def _plan(query: dict, sort_field: str | None, tz: tzinfo) -> _Plan | None:
    if sort_field not in (None, "created_at"):
        return None
    filters = query["value"] if query.get("operator") == "AND" else [query]
    if query.get("operator") == "OR" or any("field" not in f for f in filters):
        return None
    plan = _Plan(-_INF, _INF, None, None, frozenset((KIND_USER, KIND_LEAD)))
    for f in filters:
        field, op, value = f["field"], f["operator"], f.get("value")
        if field in ("created_at", "updated_at") and op in ("<", ">", "=") and isinstance(value, int):
            lo, hi = _day_bounds(op, value, tz)
            if field == "created_at":
                plan.c_lo, plan.c_hi = max(plan.c_lo, lo), min(plan.c_hi, hi)
            else:
                plan.u_lo = max(plan.u_lo if plan.u_lo is not None else -_INF, lo)
                plan.u_hi = min(plan.u_hi if plan.u_hi is not None else _INF, hi)
        elif field == "role" and op in ("=", "!=") and isinstance(value, str):
            wanted = {"user": KIND_USER, "lead": KIND_LEAD}.get(value.casefold())  # strings ignore case
            chosen = frozenset({wanted}) if wanted is not None else frozenset()
            plan.kinds &= chosen if op == "=" else frozenset((KIND_USER, KIND_LEAD)) - chosen
        else:
            return None
    return plan


def _sortable(v: Any) -> tuple:
    if v is None:
        return (3, 0)
    if isinstance(v, bool):
        return (0, int(v))
    if isinstance(v, int | float):
        return (1, v)
    return (2, str(v))


class SearchCache:
    """Totals and sorted match lists per (query, sort, store version); a handful of entries."""

    def __init__(self, size: int = 8) -> None:
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._size = size

    def get(self, key: tuple) -> Any:
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        return None

    def put(self, key: tuple, value: Any) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


def run_search(
    store: Store,
    cache: SearchCache,
    query: dict,
    *,
    per_page: int,
    starting_after: str | None,
    sort_field: str | None,
    descending: bool,
    tz: tzinfo = UTC,
) -> SearchPage:
    cursor = decode_cursor(starting_after) if starting_after else None
    page = cursor[2] + 1 if cursor else 1
    view = store.search_view()
    qkey = (json.dumps(query, sort_keys=True), sort_field, store.version, str(tz), store.lag.generation)
    plan = _plan(query, sort_field, tz)
    if plan is not None:
        found = _fast(store, cache, plan, qkey, per_page, cursor, descending, page, view)
    else:
        found = _general(store, cache, query, qkey, per_page, cursor, sort_field, descending, page, tz, view)
    if view:
        found.records = {i: view[i].record for i in found.indices if i in view and view[i].record is not None}
    return found


def _cursor_index(store: Store, cursor: tuple | None) -> int | None:
    if cursor is None:
        return None
    idx = store.position_of(cursor[1])
    if idx is None:
        raise SandboxAPIError(400, "parameter_invalid", "Invalid starting_after value")
    return idx


def _fast(
    store: Store,
    cache: SearchCache,
    plan: _Plan,
    qkey: tuple,
    per_page: int,
    cursor: tuple | None,
    descending: bool,
    page: int,
    view: dict[int, Seen],
) -> SearchPage:
    created, updated, kind = store.columns_snapshot()
    lo = bisect_left(created, plan.c_lo) if plan.c_lo > -_INF else 0
    hi = bisect_left(created, plan.c_hi) if plan.c_hi < _INF else len(created)
    kinds = plan.kinds
    u_lo = plan.u_lo if plan.u_lo is not None else -_INF
    u_hi = plan.u_hi if plan.u_hi is not None else _INF
    check_updated = plan.u_lo is not None or plan.u_hi is not None

    def ok(i: int) -> bool:
        return kind[i] in kinds and (not check_updated or u_lo <= updated[i] < u_hi)

    if view:  # some contacts are seen by search in an earlier version (or not at all): see _lag
        current = ok

        def ok(i: int) -> bool:
            seen = view.get(i)
            if seen is None:
                return current(i)
            return seen.kind in kinds and (not check_updated or u_lo <= seen.updated < u_hi)

    total = cache.get(("count", *qkey))
    if total is None:
        if hi <= lo or not kinds:
            total = 0
        elif view:
            total = sum(1 for i in range(lo, hi) if ok(i))
        elif not check_updated:
            total = sum(kind.count(k, lo, hi) for k in kinds)
        else:
            total = sum(
                1 for u, k in zip(updated[lo:hi], kind[lo:hi], strict=True) if k in kinds and u_lo <= u < u_hi
            )
        cache.put(("count", *qkey), total)

    at = _cursor_index(store, cursor)
    found: list[int] = []
    more = False
    if descending:
        start = hi - 1 if at is None else min(at - 1, hi - 1)
        i = start
        while i >= lo:
            if ok(i):
                if len(found) == per_page:
                    more = True
                    break
                found.append(i)
            i -= 1
    else:
        start = lo if at is None else max(at + 1, lo)
        for i in range(start, hi):
            if ok(i):
                if len(found) == per_page:
                    more = True
                    break
                found.append(i)
    nxt = None
    if more and found:
        last = found[-1]
        nxt = encode_cursor(created[last], store.ws.contact_id(created[last], last), page)
    return SearchPage(found, total, page, nxt)


def _general(
    store: Store,
    cache: SearchCache,
    query: dict,
    qkey: tuple,
    per_page: int,
    cursor: tuple | None,
    sort_field: str | None,
    descending: bool,
    page: int,
    tz: tzinfo,
    view: dict[int, Seen],
) -> SearchPage:
    keys = cache.get(("sorted", *qkey))
    if keys is None:
        keyed = []
        by_created = sort_field in (None, "created_at")
        for i in store.live_indices():
            seen = view.get(i)
            rec = store.contact_record(i) if seen is None else seen.record
            if rec is not None and matches(query, rec, tz):
                keyed.append((i,) if by_created else (_sortable(field_value(rec, sort_field)), i))
        keyed.sort()
        keys = keyed
        cache.put(("sorted", *qkey), keys)
    at = _cursor_index(store, cursor)
    if at is None:
        pos = len(keys) - 1 if descending else 0
    else:
        ckey = (at,) if sort_field in (None, "created_at") else (_sortable(cursor[0]), at)
        pos = bisect_left(keys, ckey) - 1 if descending else bisect_right(keys, ckey)
    if descending:
        chosen = [keys[p][-1] for p in range(pos, max(pos - per_page, -1), -1)]
        more = pos - per_page >= 0
    else:
        chosen = [k[-1] for k in keys[pos : pos + per_page]]
        more = pos + per_page < len(keys)
    nxt = None
    if more and chosen:
        last = chosen[-1]
        seen = view.get(last)
        rec = seen.record if seen is not None and seen.record is not None else store.contact_record(last)
        value = rec["created_at"] if sort_field in (None, "created_at") else field_value(rec, sort_field)
        nxt = encode_cursor(value, rec["id"], page)
    return SearchPage(chosen, len(keys), page, nxt)


def validate_sort(sort: Any) -> tuple[str | None, bool]:
    """(field, descending) from a search body's ``sort``; 400 for a bad field or order."""
    if sort is None:
        return None, False
    if not isinstance(sort, dict):
        raise SandboxAPIError(400, "parameter_invalid", "sort must be an object with field and order")
    field = sort.get("field")
    order = sort.get("order", "descending")
    if order not in ("ascending", "descending"):
        raise SandboxAPIError(
            400, "invalid_sort_order", f"Invalid sort order '{order}'. Must be one of: ascending, descending"
        )
    if field is None:
        return None, order == "descending"
    if (
        not isinstance(field, str)
        or (field not in FIELD_TYPES and not field.startswith("custom_attributes."))
        or field == "tag_id"
    ):
        raise SandboxAPIError(400, "invalid_sort_field", f"Cannot sort by '{field}'")
    return field, order == "descending"


# -- conversations and tickets -------------------------------------------------------------------------------------
# One path for both: numpy columns narrow the candidates by the query's top-level created_at/updated_at bounds (an
# export's windows), and only when other filters remain, or the sort is on another field, are the candidates'
# records generated and matched. Their dates compare as instants (see _search_support), so a bound is a mask.

_BOUND_OPS = {
    "=": np.equal,
    ">": np.greater_equal,
    "<": np.less_equal,
    ">=": np.greater_equal,
    "<=": np.less_equal,
}


def _strict(op: str, dialect: Dialect) -> Any:
    if op in (">", "<") and not dialect.inclusive:
        return np.greater if op == ">" else np.less
    return _BOUND_OPS[op]


def search_collection(
    coll: Any,
    cache: SearchCache,
    query: dict,
    dialect: Dialect,
    *,
    per_page: int,
    starting_after: str | None,
    sort_field: str | None,
    descending: bool,
    view: dict[int, Seen] | None = None,
) -> tuple[list[dict], int, int, str | None]:
    """(records of the page, total, page number, next cursor) over ``coll`` (Conversations or Tickets)."""
    view = view or {}
    cursor = decode_cursor(starting_after) if starting_after else None
    page = cursor[2] + 1 if cursor else 1
    qkey = (
        "collection",
        dialect.name,
        json.dumps(query, sort_keys=True),
        sort_field,
        coll.version,
        tuple(sorted((i, s.updated) for i, s in view.items())),
    )
    keys = cache.get(qkey)
    docs: dict[int, tuple[dict, dict] | None] = {}

    def record(i: int) -> tuple[dict, dict] | None:
        if i not in docs:
            seen = view.get(i)
            rec = coll.record(i) if seen is None else seen.record
            docs[i] = None if rec is None else (rec, coll.search_doc(rec))
        return docs[i]

    def doc(i: int) -> dict | None:
        found = record(i)
        return None if found is None else found[1]

    if keys is None:
        updated = coll.updated
        if view:
            updated = updated.copy()
            for i, seen in view.items():
                updated[i] = seen.updated
        mask = coll.live_mask().copy()
        for i, seen in view.items():
            if seen.record is None:
                mask[i] = False
        filters = query["value"] if query.get("operator") == "AND" else [query]
        rest = []
        for f in filters if query.get("operator") != "OR" else []:
            field, op, value = f.get("field"), f.get("operator"), f.get("value")
            if field in ("created_at", "updated_at") and op in _BOUND_OPS and type(value) is int:
                column = coll.created if field == "created_at" else updated
                mask &= _strict(op, dialect)(column, value)
            else:
                rest.append(f)
        if query.get("operator") == "OR":
            rest = [query]
        candidates = np.nonzero(mask)[0].tolist()
        if rest:
            residual = {"operator": "AND", "value": rest}
            candidates = [
                i for i in candidates if (d := doc(i)) is not None and matches(residual, d, UTC, dialect)
            ]
        if sort_field in (None, "created_at", "updated_at"):
            column = updated if sort_field == "updated_at" else coll.created
            keys = [(int(column[i]), i) for i in candidates]
        else:
            keys = [(_sortable(field_value(doc(i) or {}, sort_field, dialect)), i) for i in candidates]
        keys.sort()
        cache.put(qkey, keys)
    if cursor is None:
        pos = len(keys) - 1 if descending else 0
    else:
        at = coll.position_of(cursor[1])
        if at is None:
            raise SandboxAPIError(400, "parameter_invalid", "Invalid starting_after value")
        value = cursor[0] if sort_field in (None, "created_at", "updated_at") else _sortable(cursor[0])
        ckey = (value, at)
        pos = bisect_left(keys, ckey) - 1 if descending else bisect_right(keys, ckey)
    if descending:
        chosen = [keys[p] for p in range(pos, max(pos - per_page, -1), -1)]
        more = pos - per_page >= 0
    else:
        chosen = keys[pos : pos + per_page]
        more = pos + per_page < len(keys)
    nxt = None
    if more and chosen:
        value, last = chosen[-1]
        raw = (
            value
            if sort_field in (None, "created_at", "updated_at")
            else field_value(doc(last) or {}, sort_field, dialect)
        )
        nxt = encode_cursor(raw, coll.position_id(last), page)
    page_records = [found[0] for _, i in chosen if (found := record(i)) is not None]
    return page_records, len(keys), page, nxt
