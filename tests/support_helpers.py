"""Small conversations/parts frames for the support-metrics tests, with the contract's columns and dtypes.

Times are given as seconds after ``BASE`` (Monday 2026-01-05 09:00 UTC); every column a test does not name gets
its contract dtype and nulls (counts: 0).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from intercomkit.support import STATISTIC_COLUMNS, wall_statistics

BASE = pd.Timestamp("2026-01-05 09:00", tz="UTC")
TS = "datetime64[ns, UTC]"

CONVERSATION_DTYPES = {
    "id": "string",
    "created_at": TS,
    "state": "string",
    "admin_assignee_id": "string",
    "team_assignee_id": "string",
    "channel": "string",
    **{
        c: "Int64"
        for c in STATISTIC_COLUMNS
        if c.startswith(("time_", "median_", "count_", "handling", "adjusted"))
    },
    **{c: TS for c in STATISTIC_COLUMNS if c.endswith("_at")},
    "last_closed_by_id": "string",
    "count_conversation_parts": "Int64",
    "rating": "Int64",
    "rating_teammate_id": "string",
    "ai_agent_participated": "boolean",
    "ai_agent_resolution_state": "string",
}
PART_DTYPES = {
    "conversation_id": "string",
    "id": "string",
    "part_type": "string",
    "created_at": TS,
    "author_type": "string",
    "author_id": "string",
    "author_from_ai_agent": "boolean",
    "assigned_to_type": "string",
    "assigned_to_id": "string",
}


def at(seconds: float | None) -> pd.Timestamp | None:
    return None if seconds is None else BASE + pd.Timedelta(seconds=seconds)


def conversations(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """``rows`` name ``created`` (seconds after BASE) and any contract column; times ending ``_at`` are seconds."""
    records = []
    for row in rows:
        record = {c: None for c in CONVERSATION_DTYPES}
        for key, value in row.items():
            if key == "created":
                record["created_at"] = at(value)
            elif key.endswith("_at") and not isinstance(value, pd.Timestamp):
                record[key] = at(value)
            else:
                record[key] = value
        records.append(record)
    frame = pd.DataFrame(records, columns=list(CONVERSATION_DTYPES))
    for column, dtype in CONVERSATION_DTYPES.items():
        if dtype == TS:
            frame[column] = pd.to_datetime(frame[column], utc=True).astype(TS)
        else:
            frame[column] = frame[column].astype(dtype)
    return frame


def parts(rows: list[tuple]) -> pd.DataFrame:
    """``(conversation_id, seconds after BASE, part_type, author_type, author_id, assigned_to_id, from_ai_agent)``;
    the last two are optional."""
    records = []
    for i, row in enumerate(rows):
        cid, seconds, part_type, author_type, author_id, *rest = row
        assigned = rest[0] if rest else None
        fin = rest[1] if len(rest) > 1 else False
        records.append(
            {
                "conversation_id": cid,
                "id": str(1000 + i),
                "part_type": part_type,
                "created_at": at(seconds),
                "author_type": author_type,
                "author_id": author_id,
                "author_from_ai_agent": fin,
                "assigned_to_type": "admin" if assigned else None,
                "assigned_to_id": assigned,
            }
        )
    frame = pd.DataFrame(records, columns=list(PART_DTYPES))
    for column, dtype in PART_DTYPES.items():
        frame[column] = (
            pd.to_datetime(frame[column], utc=True).astype(TS) if dtype == TS else frame[column].astype(dtype)
        )
    return frame


def with_wall_statistics(convs: pd.DataFrame, prts: pd.DataFrame) -> pd.DataFrame:
    """The conversations as a wall-clock workspace (the sandbox) reports them: statistics = the parts' own."""
    wall = wall_statistics(convs, prts)
    return convs.assign(**{c: wall[c] for c in STATISTIC_COLUMNS})


def sandbox_frames(sb: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sandbox's conversations (every part: ``all_parts``) as contract frames, built straight from its JSON."""
    conv_rows, part_rows = [], []
    for cid in sb.conversation_ids():
        conv = sb.get_conversation(cid, all_parts=True)
        stats, rating, ai = (
            conv["statistics"],
            conv.get("conversation_rating") or {},
            conv.get("ai_agent") or {},
        )
        row = {
            "id": conv["id"],
            "created_at": _unix(conv["created_at"]),
            "state": conv["state"],
            "admin_assignee_id": _text(conv.get("admin_assignee_id")),
            "team_assignee_id": _text(conv.get("team_assignee_id")),
            "channel": (conv.get("channel") or {}).get("current") or conv["source"]["type"],
            "rating": rating.get("rating"),
            "rating_teammate_id": _text((rating.get("teammate") or {}).get("id")),
            "ai_agent_participated": conv.get("ai_agent_participated"),
            "ai_agent_resolution_state": ai.get("resolution_state"),
        }
        for name in STATISTIC_COLUMNS + ["count_conversation_parts"]:
            value = stats.get(name)
            row[name] = _unix(value) if name.endswith("_at") else value
        conv_rows.append(row)
        for part in conv["conversation_parts"]["conversation_parts"]:
            author, assigned = part.get("author") or {}, part.get("assigned_to") or {}
            part_rows.append(
                {
                    "conversation_id": conv["id"],
                    "id": part["id"],
                    "part_type": part["part_type"],
                    "created_at": _unix(part["created_at"]),
                    "author_type": author.get("type"),
                    "author_id": _text(author.get("id")),
                    "author_from_ai_agent": bool(author.get("from_ai_agent")),
                    "assigned_to_type": assigned.get("type"),
                    "assigned_to_id": _text(assigned.get("id")),
                }
            )
    return _typed(conv_rows, CONVERSATION_DTYPES), _typed(part_rows, PART_DTYPES)


def _unix(value: Any) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(int(value), unit="s", tz="UTC")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _typed(rows: list[dict], dtypes: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(dtypes))
    for column, dtype in dtypes.items():
        frame[column] = (
            pd.to_datetime(frame[column], utc=True).astype(TS) if dtype == TS else frame[column].astype(dtype)
        )
    return frame
