"""Support metrics per group, from the conversations frame (``clock="intercom"``) or its parts (``clock="wall"``).

Every aggregate is one pandas groupby over all conversations at once (``quantile``, ``sum``, ``mean``): no
Python runs per group or per conversation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import ConfigurationError
from ._wall import STATISTIC_COLUMNS, wall_statistics

__all__ = ["DEFINITIONS", "GROUP_KEYS", "backlog", "csat", "metrics"]

# by= names → the conversation column they group on ("week"/"month" are computed from created_at).
GROUP_KEYS = {
    "week": "created_at",
    "month": "created_at",
    "admin": "admin_assignee_id",
    "team": "team_assignee_id",
    "channel": "channel",
}
_DURATIONS = {
    "time_to_assignment": "time_to_assignment",
    "time_to_admin_reply": "time_to_admin_reply",
    "time_to_first_close": "time_to_first_close",
    "time_to_last_close": "time_to_last_close",
    "time_to_reply": "median_time_to_reply",
    "handling_time": "handling_time",
}
_RESOLVED = ["assumed_resolution", "confirmed_resolution"]

# One line per output column: the README's table is this dict.
DEFINITIONS = {
    "conversations": "conversations created in the group (every row of the conversations frame)",
    "closed": "conversations whose state is closed now",
    "reopened": "conversations reopened at least once (count_reopens ≥ 1: an open or assign_and_reopen after a close)",
    "reopen_rate": "reopened ÷ conversations that were ever closed (first_close_at set)",
    "time_to_assignment_median/_p90": "seconds from the contact's first message to the last assignment before the"
    " first admin reply (or the last assignment if nobody replied); unassigned conversations are left out",
    "time_to_admin_reply_median/_p90": "seconds to the first admin reply: a comment by a teammate, never a note,"
    " a bot or the AI agent; unanswered conversations are left out",
    "time_to_first_close_median/_p90": "seconds to the first close",
    "time_to_last_close_median/_p90": "seconds to the last close",
    "time_to_reply_median/_p90": "of each conversation's median wait between a contact's message and the admin"
    " reply that answers it",
    "handling_time_median/_p90": "seconds from the first assignment to the last close",
    "ratings": "conversations the contact rated (CSAT)",
    "rating_rate": "ratings ÷ conversations ever closed or rated (Intercom asks for a rating on close)",
    "rating_mean": "mean rating (1–5)",
    "csat": "share of ratings that are 4 or 5",
    "ai_agent_participated": "conversations the AI agent (Fin) took part in",
    "ai_agent_participation_rate": "ai_agent_participated ÷ conversations",
    "ai_agent_resolution_rate": "of those, the share Fin resolved (resolution state assumed_ or confirmed_resolution)",
}


def _keys(conversations: pd.DataFrame, by: str | Sequence[str] | None) -> dict[str, pd.Series]:
    """Group name → its key per conversation. A name is a by= key above or any column of the frame."""
    names = [] if by is None else [by] if isinstance(by, str) else list(by)
    keys: dict[str, pd.Series] = {}
    for name in names:
        column = GROUP_KEYS.get(name, name)
        if column not in conversations.columns:
            known = ", ".join(GROUP_KEYS)
            raise ConfigurationError(
                f"cannot group by {name!r}: use {known} or a column of the conversations frame"
            )
        values = conversations[column]
        if name == "week":
            day = values.dt.floor("D")
            values = day - pd.to_timedelta(day.dt.day_of_week, unit="D")  # weeks start on Monday, UTC
        elif name == "month":
            day = values.dt.floor("D")
            values = day - pd.to_timedelta(day.dt.day - 1, unit="D")
        keys[name] = values
    return keys


def _grouped(frame: pd.DataFrame, keys: dict[str, pd.Series]):
    if not keys:
        return frame.groupby(np.zeros(len(frame), dtype=np.int8), sort=False)
    # dropna=False: unassigned conversations (no admin, no team) are a group of their own, never dropped.
    return frame.groupby([k.rename(name) for name, k in keys.items()], dropna=False, sort=True, observed=True)


def _finish(result: pd.DataFrame, keys: dict[str, pd.Series]) -> pd.DataFrame:
    if not keys:
        return result.reset_index(drop=True)
    return result.reset_index()


def _float(series: pd.Series) -> pd.Series:
    return series.astype("Float64").astype("float64")


def _csat_columns(frame: pd.DataFrame) -> pd.DataFrame:
    rating = _float(frame["rating"])
    # Intercom asks for a rating when a conversation closes: the rated ones were asked too, closed or not now.
    asked = frame["first_close_at"].notna() | rating.notna()
    return pd.DataFrame(
        {
            "asked": asked.to_numpy(dtype="int64"),
            "ever_closed": frame["first_close_at"].notna().to_numpy(dtype="int64"),
            "ratings": rating.notna().to_numpy(dtype="int64"),
            "rating_sum": rating.fillna(0).to_numpy(),
            "satisfied": (rating >= 4).to_numpy(dtype="int64"),
        },
        index=frame.index,
    )


def _csat_rates(sums: pd.DataFrame) -> pd.DataFrame:
    ratings = sums["ratings"]
    return pd.DataFrame(
        {
            "ratings": ratings.astype("int64"),
            "rating_rate": ratings / sums["asked"].where(sums["asked"] > 0),
            "rating_mean": sums["rating_sum"] / ratings.where(ratings > 0),
            "csat": sums["satisfied"] / ratings.where(ratings > 0),
        }
    )


def csat(conversations: pd.DataFrame, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Customer satisfaction per group: ``ratings`` (conversations rated), ``rating_rate`` (ratings ÷ conversations
    ever closed or rated), ``rating_mean`` (1–5) and ``csat`` (share of ratings that are 4 or 5). ``by`` as in ``metrics``
    (``by="rating_teammate_id"`` groups by the teammate the rating is for)."""
    keys = _keys(conversations, by)
    sums = _grouped(_csat_columns(conversations), keys).sum()
    return _finish(_csat_rates(sums), keys)


def metrics(
    conversations: pd.DataFrame,
    parts: pd.DataFrame | None = None,
    *,
    by: str | Sequence[str] | None = None,
    clock: str = "intercom",
) -> pd.DataFrame:
    """Support metrics per group, one row per group: a tidy frame (definitions in ``DEFINITIONS`` and the README).

    ``by``: ``None`` (one row), ``"week"``/``"month"`` (of ``created_at``, UTC, weeks from Monday), ``"admin"``,
    ``"team"`` (the assignee now; unassigned conversations are the ``<NA>`` group), ``"channel"``, any column of the
    conversations frame, or a list of them. Groups partition the conversations: each is in exactly one group.

    ``clock="intercom"`` reads Intercom's ``statistics`` (first reply and closes "Subtracts out of business hours",
    as Intercom's reports show);
    ``clock="wall"`` recomputes every duration from ``parts`` in wall-clock seconds (as SQL packages such as
    dbt_intercom do). A reply at 09:00 Monday to a message sent 17:00 Friday is 64 hours of wall clock and, with
    office hours 09–17 on weekdays, 0 seconds of Intercom clock.
    """
    if clock not in ("intercom", "wall"):
        raise ConfigurationError(f"clock must be 'intercom' or 'wall', got {clock!r}")
    frame = conversations
    if clock == "wall":
        if parts is None:
            raise ConfigurationError(
                "clock='wall' computes durations from the parts: pass metrics(conversations, parts)"
            )
        wall = wall_statistics(conversations, parts)
        frame = conversations.assign(**{name: wall[name] for name in STATISTIC_COLUMNS})
    keys = _keys(frame, by)

    counts = pd.DataFrame(
        {
            "conversations": np.ones(len(frame), dtype="int64"),
            "closed": frame["state"].eq("closed").to_numpy(dtype="int64", na_value=0),
            "reopened": (_float(frame["count_reopens"]) > 0).to_numpy(dtype="int64"),
            "ai_agent_participated": frame["ai_agent_participated"].to_numpy(dtype="int64", na_value=0),
            "ai_agent_resolved": (
                frame["ai_agent_participated"].fillna(False)
                & frame["ai_agent_resolution_state"].isin(_RESOLVED)
            ).to_numpy(dtype="int64", na_value=0),
        },
        index=frame.index,
    ).join(_csat_columns(frame))
    sums = _grouped(counts, keys).sum()

    durations = pd.DataFrame(
        {name: _float(frame[col]) for name, col in _DURATIONS.items()}, index=frame.index
    )
    grouped = _grouped(durations, keys)
    median = grouped.quantile(0.5).add_suffix("_median")
    p90 = grouped.quantile(0.9).add_suffix("_p90")

    ever_closed = sums["ever_closed"].where(sums["ever_closed"] > 0)
    participated = sums["ai_agent_participated"]
    result = pd.DataFrame(
        {
            "conversations": sums["conversations"],
            "closed": sums["closed"],
            "reopened": sums["reopened"],
            "reopen_rate": sums["reopened"] / ever_closed,
        }
    )
    for name in _DURATIONS:
        result[f"{name}_median"] = median[f"{name}_median"]
        result[f"{name}_p90"] = p90[f"{name}_p90"]
    result = result.join(_csat_rates(sums))
    result["ai_agent_participated"] = participated
    result["ai_agent_participation_rate"] = participated / sums["conversations"]
    result["ai_agent_resolution_rate"] = sums["ai_agent_resolved"] / participated.where(participated > 0)
    return _finish(result, keys)


def backlog(conversations: pd.DataFrame, freq: str = "D") -> pd.DataFrame:
    """Open conversations over time, per period of ``freq`` (a pandas frequency, UTC): ``opened`` (created in it),
    ``closed`` (closed for good in it: the last close of a conversation closed now) and ``open`` (the backlog at the
    period's end: created by then and not closed for good by then; snoozed counts as open). ``period`` is pandas'
    resample label (the day for ``"D"``, the month's start for ``"MS"``, the Sunday ending it for ``"W"``)."""
    created = conversations["created_at"]
    closed_for_good = (
        conversations["state"].eq("closed").fillna(False) & conversations["last_close_at"].notna()
    )
    closed_at = conversations["last_close_at"][closed_for_good].astype(created.dtype)
    events = pd.DataFrame(
        {
            "period": pd.concat([created, closed_at], ignore_index=True),
            "opened": np.r_[np.ones(len(created), "int64"), np.zeros(len(closed_at), "int64")],
            "closed": np.r_[np.zeros(len(created), "int64"), np.ones(len(closed_at), "int64")],
        }
    ).dropna(subset=["period"])
    binned = events.resample(freq, on="period")[["opened", "closed"]].sum()
    binned["open"] = binned["opened"].cumsum() - binned["closed"].cumsum()
    return binned.astype("int64").reset_index()
