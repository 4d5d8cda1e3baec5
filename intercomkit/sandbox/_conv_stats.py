"""A conversation's ``statistics`` computed from its parts, wall-clock (the shared support contract).

Intercom's own figures "Subtracts out of business hours" (conversation_statistics); the sandbox has no office hours,
so every duration here is plain wall-clock seconds. The rules are the contract's "Statistics, wall-clock" section
(/work/wt/_notes/support_contract.md), which the analytics ``clock="wall"`` metrics follow too: the two must agree
on every conversation. Pure: parts in, dict out.
"""

from __future__ import annotations

import statistics as pystats
from typing import Any

__all__ = ["STAT_FIELDS", "conversation_statistics"]

STAT_FIELDS = (
    "time_to_assignment",
    "time_to_admin_reply",
    "time_to_first_close",
    "time_to_last_close",
    "median_time_to_reply",
    "first_contact_reply_at",
    "first_assignment_at",
    "first_admin_reply_at",
    "first_close_at",
    "last_assignment_at",
    "last_assignment_admin_reply_at",
    "last_contact_reply_at",
    "last_admin_reply_at",
    "last_close_at",
    "last_closed_by_id",
    "count_reopens",
    "count_assignments",
    "count_conversation_parts",
    "handling_time",
    "adjusted_handling_time",
)


def _admin_reply(p: dict) -> bool:
    a = p["author"]
    return p["part_type"] == "comment" and a["type"] == "admin" and not a.get("from_ai_agent")


def _contact_reply(p: dict) -> bool:
    return p["part_type"] == "comment" and p["author"]["type"] in ("user", "lead")


def _assignment(p: dict) -> bool:
    return p["part_type"] in ("assignment", "assign_and_reopen") and p.get("assigned_to") is not None


def _diff(a: int | None, b: int) -> int | None:
    return None if a is None else a - b


def conversation_statistics(t0: int, parts: list[dict]) -> dict[str, Any]:
    """``statistics`` of a conversation whose source (a contact's message) is at ``t0``, from all its parts.

    A statistic with nothing to measure is None. ``count_conversation_parts`` counts every part, also those a GET
    leaves out ("we will return the 500 most recent conversation parts").
    """
    ordered = sorted(parts, key=lambda p: p["created_at"])  # stable: ties keep list order
    after = [p for p in ordered if p["created_at"] >= t0]
    admin = [p["created_at"] for p in after if _admin_reply(p)]
    contact = [p["created_at"] for p in ordered if _contact_reply(p)]
    assigned = [p["created_at"] for p in after if _assignment(p)]
    closes = [p for p in ordered if p["part_type"] == "close"]
    first_admin = admin[0] if admin else None
    if first_admin is not None:
        before_reply = [t for t in assigned if t <= first_admin]
        to_assign = before_reply[-1] if before_reply else None
    else:
        to_assign = assigned[-1] if assigned else None
    reopens, closed = 0, False
    waiting: int | None = t0
    recorded: list[int] = []
    for p in ordered:
        kind = p["part_type"]
        if kind == "close":
            closed = True
        elif kind in ("open", "assign_and_reopen") and closed:
            reopens += 1
            closed = False
        if _contact_reply(p):
            if waiting is None:
                waiting = p["created_at"]
        elif _admin_reply(p) and waiting is not None:
            recorded.append(p["created_at"] - waiting)
            waiting = None
    last_assign = assigned[-1] if assigned else None
    after_last_assign = [t for t in admin if last_assign is not None and t > last_assign]
    first_close = closes[0]["created_at"] if closes else None
    last_close = closes[-1]["created_at"] if closes else None
    handling = last_close - assigned[0] if closes and assigned else None
    return {
        "type": "conversation_statistics",
        "time_to_assignment": _diff(to_assign, t0),
        "time_to_admin_reply": _diff(first_admin, t0),
        "time_to_first_close": _diff(first_close, t0),
        "time_to_last_close": _diff(last_close, t0),
        "median_time_to_reply": pystats.median_low(recorded) if recorded else None,
        "first_contact_reply_at": t0,
        "first_assignment_at": assigned[0] if assigned else None,
        "first_admin_reply_at": first_admin,
        "first_close_at": first_close,
        "last_assignment_at": last_assign,
        "last_assignment_admin_reply_at": after_last_assign[0] if after_last_assign else None,
        "last_contact_reply_at": contact[-1] if contact else t0,
        "last_admin_reply_at": admin[-1] if admin else None,
        "last_close_at": last_close,
        "last_closed_by_id": closes[-1]["author"]["id"] if closes else None,
        "count_reopens": reopens,
        "count_assignments": len(assigned),
        "count_conversation_parts": len(parts),
        "handling_time": handling,
        "adjusted_handling_time": handling,
    }
