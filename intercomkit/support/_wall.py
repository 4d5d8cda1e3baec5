"""Intercom's conversation ``statistics`` recomputed from the parts, in wall-clock time (``clock="wall"``).

The rules are the support-data contract's, written once here, vectorised: the parts are put in
``(conversation, created_at, list order)`` order and every statistic is a reduction over contiguous runs of rows
(``ufunc.reduceat``) or a shift within them. No Python loop runs per conversation, so 10 M parts take seconds.

* admin reply: ``comment`` by an ``admin`` not ``from_ai_agent`` (notes, bots and Fin never count);
* contact reply: ``comment`` by a ``user`` or ``lead``;
* assignment: ``assignment`` or ``assign_and_reopen`` with an ``assigned_to``;
* close: ``close``; reopen: ``open`` or ``assign_and_reopen`` while the conversation is closed (its latest close or
  reopen before it was a close);
* ``t0`` = the conversation's ``created_at`` (its source is the contact's first message).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._columns import STAT_COUNTS, STAT_DURATIONS, STAT_TIMES

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["STATISTIC_COLUMNS", "first_response", "wall_statistics"]

_DURATIONS, _TIMES = STAT_DURATIONS, STAT_TIMES
# Intercom counts the parts it stored; the parts frame's rows are what is known, so that count is not replaced.
_COUNTS = [name for name in STAT_COUNTS if name != "count_conversation_parts"]
# Conversation columns that clock="wall" replaces, in the conversations frame's order.
STATISTIC_COLUMNS = [*_DURATIONS, *_TIMES, "last_closed_by_id", *_COUNTS]

_NONE = np.iinfo(np.int64).max  # "no such part" inside the int64 reductions; becomes <NA>/NaT on the way out
_LOW = np.iinfo(np.int64).min
_CONTACTS = ["user", "lead"]
_ASSIGNMENTS = ["assignment", "assign_and_reopen"]
_REOPENS = ["open", "assign_and_reopen"]


def _seconds(column: pd.Series) -> np.ndarray:
    """Unix seconds as int64 (NaT → _NONE), whatever the datetime unit of the frame."""
    values = column.to_numpy(dtype="datetime64[s]", na_value=np.datetime64("NaT")).view("int64").copy()
    values[values == _LOW] = _NONE
    return values


def _arrow(column: pd.Series) -> pa.Array:
    """The column as Arrow (zero-copy for the frames' Arrow-backed strings): string tests then run in Arrow's
    kernels instead of on 10 M Python objects."""
    values = pa.array(column, from_pandas=True)
    return values.dictionary_decode() if pa.types.is_dictionary(values.type) else values


def _is(column: pa.Array, values: list[str] | str) -> np.ndarray:
    # pc.equal is ~3× faster than pc.is_in (no hashing) and the lists here hold one or two names.
    found = None
    for value in [values] if isinstance(values, str) else values:
        test = pc.equal(column, pa.scalar(value, type=column.type))
        found = test if found is None else pc.or_(found, test)
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def _bools(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype=bool, na_value=False)


class _Runs:
    """Rows sorted by conversation code: one reduction per run of equal codes, scattered back to every conversation."""

    def __init__(self, codes: np.ndarray, n: int) -> None:
        self.starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.arange(0)
        self.keys = codes[self.starts]
        self.n = n
        self.rows = np.arange(len(codes))

    def reduce(self, ufunc: Callable, values: np.ndarray, fill: int) -> np.ndarray:
        out = np.full(self.n, fill, dtype=np.int64)
        if len(self.starts):
            out[self.keys] = ufunc.reduceat(values, self.starts)
        return out

    def first(self, mask: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self.reduce(np.minimum, np.where(mask, t, _NONE), _NONE)

    def last_row(self, mask: np.ndarray) -> np.ndarray:
        """Position of the last row matching ``mask`` per conversation (ties in time: the later one in the list)."""
        return self.reduce(np.maximum, np.where(mask, self.rows, -1), -1)

    def count(self, mask: np.ndarray) -> np.ndarray:
        return self.reduce(np.add, mask.astype(np.int64), 0)


def _ordered(conversations: pd.DataFrame, parts: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The parts of known conversations in (conversation, created_at, list order) order, their conversation codes
    (row numbers in ``conversations``) and their times in seconds."""
    codes = _codes(conversations["id"], parts["conversation_id"])
    t = _seconds(parts["created_at"])
    known = codes >= 0
    if not known.all():
        parts, codes, t = parts[known], codes[known], t[known]
    # Stable sort: parts keep their list order where conversation and time tie. Already-ordered input (an export
    # writes parts conversation by conversation, in order) skips the sort.
    if len(codes) > 1 and not _is_sorted(codes, t):
        order = np.lexsort((t, codes))
        parts, codes, t = parts.iloc[order], codes[order], t[order]
    return parts, codes, t


def _codes(ids: pd.Series, part_ids: pd.Series) -> np.ndarray:
    """Row number in ``ids`` of each part's conversation (-1: unknown). Parts come in runs of one conversation, so
    only the first of each run is looked up: 1 M hash lookups for 10 M parts."""
    values = _arrow(part_ids)
    n = len(values)
    if not n:
        return np.zeros(0, dtype=np.int64)
    differs = pc.not_equal(values.slice(1), values.slice(0, n - 1)).fill_null(True)
    starts = np.flatnonzero(np.r_[True, differs.to_numpy(zero_copy_only=False)])
    found = pd.Index(ids.to_numpy(dtype=object)).get_indexer(
        values.take(starts).to_numpy(zero_copy_only=False)
    )
    return np.repeat(found, np.diff(np.r_[starts, n])).astype(np.int64)


def _is_sorted(codes: np.ndarray, t: np.ndarray) -> bool:
    step = np.diff(codes)
    return bool((step >= 0).all() and (np.diff(t)[step == 0] >= 0).all())


def _median_low(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """``statistics.median_low`` of ``values`` per conversation code (_NONE where there is none)."""
    out = np.full(n, _NONE, dtype=np.int64)
    if not len(values):
        return out
    low, span = values.min(), int(values.max()) - int(values.min())
    if span < 2**31 and len(values) < 2**31:
        # one int64 key (conversation, value) sorts about twice as fast as a two-key lexsort
        order = np.argsort((codes.astype(np.int64) << 32) | (values - low), kind="stable")
    else:
        order = np.lexsort((values, codes))
    codes, values = codes[order], values[order]
    runs = _Runs(codes, n)
    sizes = np.diff(np.r_[runs.starts, len(codes)])
    out[runs.keys] = values[runs.starts + (sizes - 1) // 2]
    return out


def _reply_waits(
    codes: np.ndarray, t: np.ndarray, contact: np.ndarray, admin: np.ndarray, t0: np.ndarray, n: int
):
    """The contract's walk, without walking: ``waiting = t0``; a contact reply starts waiting if nobody waits; an
    admin reply records ``reply - waiting`` and clears it. With a virtual contact reply at ``t0`` before every
    conversation's parts, an admin reply records iff the reply before it (same conversation) is a contact's, and
    ``waiting`` is the time of the first contact reply of that run."""
    keep = contact | admin
    codes, t, is_contact = codes[keep], t[keep], contact[keep]
    if not len(codes):
        return _median_low(codes, t, n)
    first = np.r_[True, codes[1:] != codes[:-1]]
    prev_contact = np.r_[False, is_contact[:-1]] & ~first
    run_start = np.where(first, t0[codes], np.where(is_contact & ~prev_contact, t, _NONE))
    # Every conversation's first row has a value, so a global forward fill never crosses into another one.
    filled = np.where(run_start != _NONE, np.arange(len(t)), 0)
    waiting = run_start[np.maximum.accumulate(filled)]
    records = ~is_contact & (first | prev_contact)
    return _median_low(codes[records], t[records] - waiting[records], n)


def _reopens(codes: np.ndarray, types: pa.Array, runs_n: int) -> np.ndarray:
    """Reopens per conversation: an ``open``/``assign_and_reopen`` whose latest close-or-reopen before it is a close."""
    close, reopen = _is(types, "close"), _is(types, _REOPENS)
    events = close | reopen
    c, is_close = codes[events], close[events]
    counted = ~is_close & np.r_[False, is_close[:-1] & (c[1:] == c[:-1])]
    return _Runs(c, runs_n).count(counted)


def wall_statistics(conversations: pd.DataFrame, parts: pd.DataFrame) -> pd.DataFrame:
    """Intercom's ``statistics`` per conversation, recomputed from ``parts`` in wall-clock seconds.

    One row per conversation of ``conversations`` (same order), columns ``id`` then ``STATISTIC_COLUMNS`` with the
    conversations frame's dtypes. Parts of conversations not in ``conversations`` are ignored; a conversation
    without parts has only ``first_contact_reply_at``/``last_contact_reply_at`` (= its ``created_at``) and zero
    counts. Needs every part: a conversation fetched with Intercom's "at most 500" most recent parts has
    ``count_conversation_parts`` larger than its rows in ``parts``.
    """
    n = len(conversations)
    t0 = _seconds(conversations["created_at"])
    parts, codes, t = _ordered(conversations, parts)
    runs = _Runs(codes, n)
    types, authors = _arrow(parts["part_type"]), _arrow(parts["author_type"])
    after_t0 = t >= t0[codes]
    comment = _is(types, "comment")
    admin = comment & _is(authors, "admin") & ~_bools(parts["author_from_ai_agent"])
    contact = comment & _is(authors, _CONTACTS)
    assignment = _is(types, _ASSIGNMENTS) & parts["assigned_to_id"].notna().to_numpy() & after_t0
    close = _is(types, "close")

    first_admin = runs.first(admin & after_t0, t)
    first_assignment = runs.first(assignment, t)
    last_assignment_row = runs.last_row(assignment)
    last_assignment = _take(t, last_assignment_row, _NONE)
    far = first_admin[codes]
    before_reply = runs.last_row(assignment & ((far == _NONE) | (t <= far)))
    assigned_for_reply = _take(t, before_reply, _NONE)
    first_close = runs.first(close, t)
    last_close_row = runs.last_row(close)
    last_close = _take(t, last_close_row, _NONE)
    last_contact_row = runs.last_row(contact)
    last_admin_row = runs.last_row(admin)
    la = last_assignment[codes]
    stats = {
        "time_to_assignment": _minus(assigned_for_reply, t0),
        "time_to_admin_reply": _minus(first_admin, t0),
        "time_to_first_close": _minus(first_close, t0),
        "time_to_last_close": _minus(last_close, t0),
        "median_time_to_reply": _reply_waits(codes, t, contact, admin, t0, n),
        "first_contact_reply_at": t0,
        "first_assignment_at": first_assignment,
        "first_admin_reply_at": first_admin,
        "first_close_at": first_close,
        "last_assignment_at": last_assignment,
        "last_assignment_admin_reply_at": runs.first(admin & (la != _NONE) & (t > la), t),
        "last_contact_reply_at": np.where(last_contact_row >= 0, _take(t, last_contact_row, _NONE), t0),
        "last_admin_reply_at": _take(t, last_admin_row, _NONE),
        "last_close_at": last_close,
        "count_reopens": _reopens(codes, types, n),
        "count_assignments": runs.count(assignment),
        "handling_time": _minus(last_close, first_assignment),
    }
    stats["adjusted_handling_time"] = stats["handling_time"]
    last_closed_by = _take_text(parts["author_id"], last_close_row)
    columns: dict[str, object] = {"id": conversations["id"]}
    for name in STATISTIC_COLUMNS:
        if name == "last_closed_by_id":
            columns[name] = pd.array(last_closed_by, dtype="string")
        elif name in _TIMES:
            columns[name] = _timestamps(stats[name], conversations["created_at"].dtype)
        else:
            columns[name] = _ints(stats[name])
    return pd.DataFrame(columns, index=conversations.index)


def _take(values: np.ndarray, rows: np.ndarray, missing: object) -> np.ndarray:
    """``values[rows]`` with ``missing`` where the row is _NONE or negative (no such part)."""
    found = (rows != _NONE) & (rows >= 0)
    out = np.full(len(rows), missing, dtype=values.dtype if missing is not None else object)
    out[found] = values[rows[found]]
    return out


def _take_text(column: pd.Series, rows: np.ndarray) -> np.ndarray:
    """``column`` at ``rows`` as Python strings (None where there is no such row), without converting the column."""
    found = (rows != _NONE) & (rows >= 0)
    out = np.full(len(rows), None, dtype=object)
    out[found] = column.iloc[rows[found]].to_numpy(dtype=object, na_value=None)
    return out


def _minus(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where((a == _NONE) | (b == _NONE), _NONE, a - b)


def _ints(values: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(values == _NONE, 0, values), values == _NONE)


def _timestamps(seconds: np.ndarray, dtype: object) -> pd.arrays.DatetimeArray:
    """Unix seconds → a UTC datetime array in ``dtype``'s unit (ns when ``dtype`` is not a UTC datetime)."""
    unit = dtype.unit if isinstance(dtype, pd.DatetimeTZDtype) else "ns"
    values = np.where(seconds == _NONE, _LOW, seconds).view("datetime64[s]").astype(f"datetime64[{unit}]")
    return pd.array(values).tz_localize("UTC")


def first_response(parts: pd.DataFrame, conversations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each conversation's first admin reply: ``conversation_id``, ``first_admin_reply_at``, ``admin_id`` (its
    author) and, given ``conversations``, ``time_to_admin_reply`` in seconds from ``created_at`` (wall clock).

    An admin reply is a ``comment`` by an ``admin`` that is not the AI agent; conversations nobody answered are
    absent without ``conversations`` and have nulls with it."""
    if conversations is None:
        ids = pd.unique(parts["conversation_id"].dropna())
        conversations = pd.DataFrame(
            {
                "id": pd.array(ids, dtype="string"),
                "created_at": pd.Series(pd.NaT, index=range(len(ids)), dtype="datetime64[ns, UTC]"),
            }
        )
        keep_all = False
    else:
        keep_all = True
    n = len(conversations)
    t0 = _seconds(conversations["created_at"])
    ordered, codes, t = _ordered(conversations, parts)
    runs = _Runs(codes, n)
    admin = (
        _is(_arrow(ordered["part_type"]), "comment")
        & _is(_arrow(ordered["author_type"]), "admin")
        & ~_bools(ordered["author_from_ai_agent"])
    )
    after = admin & ((t0[codes] == _NONE) | (t >= t0[codes]))
    # the first admin reply's row: the smallest position among them (rows are in time order)
    row = runs.reduce(np.minimum, np.where(after, np.arange(len(t)), _NONE), _NONE)
    found = row != _NONE
    when = _take(t, row, _NONE)
    frame = pd.DataFrame(
        {
            "conversation_id": pd.array(conversations["id"].to_numpy(), dtype="string"),
            "first_admin_reply_at": _timestamps(when, parts["created_at"].dtype),
            "admin_id": pd.array(_take_text(ordered["author_id"], row), dtype="string"),
        }
    )
    if keep_all:
        frame["time_to_admin_reply"] = _ints(_minus(when, t0))
        return frame
    return frame[found].reset_index(drop=True)
