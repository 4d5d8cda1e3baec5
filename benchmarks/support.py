"""Support metrics on the wall clock: ``ik.support.metrics(clock="wall")`` vs the hand-written pandas equivalent.

    python benchmarks/support.py [--quick] [--conversations N] [--baseline-conversations N]

Generated frames (about 10 parts a conversation). The hand-written contender is what an analyst writes: a
``groupby("conversation_id").apply`` that walks each conversation's parts with the contract's rules, then the same
groupby/quantile for the metrics. Both must give the same numbers (checked). Peak memory is the process's
``VmHWM`` (Linux) read after each contender; the frames are generated first, so the difference is the call's own.
``--baseline-conversations`` times the hand-written walk on the first N conversations only and scales it
linearly (it is a per-conversation loop): 1 M conversations would take it many minutes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intercomkit.support import STATISTIC_COLUMNS, metrics, wall_statistics  # noqa: E402

BASE = 1_767_600_000
TS = "datetime64[ns, UTC]"
# part type, author type, weight (a rough mix of a busy inbox)
_KINDS = [
    ("comment", "user", 30),
    ("comment", "admin", 25),
    ("comment", "bot", 6),
    ("note", "admin", 6),
    ("assignment", "admin", 10),
    ("close", "admin", 10),
    ("open", "user", 4),
    ("assign_and_reopen", "admin", 2),
    ("snoozed", "admin", 3),
    ("unsnoozed", "admin", 2),
    ("quick_reply", "bot", 2),
]


def generate(conversations: int, parts_per: int = 10, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``conversations`` conversations and about ``parts_per`` times as many parts, in export order."""
    rng = np.random.default_rng(seed)
    n = conversations
    ids = np.array([str(100_000_000 + i) for i in range(n)], dtype=object)
    created = BASE + np.sort(rng.integers(0, 180 * 86400, n))
    counts = rng.integers(1, 2 * parts_per, n)
    total = int(counts.sum())
    conv = np.repeat(np.arange(n), counts)
    gaps = rng.exponential(1800, total).astype(np.int64)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    cum = np.cumsum(gaps)
    t = created[conv] + cum - np.repeat(cum[starts] - gaps[starts], counts)
    weights = np.array([k[2] for k in _KINDS], dtype=float)
    kind = rng.choice(len(_KINDS), total, p=weights / weights.sum())
    types = np.array([k[0] for k in _KINDS], dtype=object)[kind]
    authors = np.array([k[1] for k in _KINDS], dtype=object)[kind]
    admins = np.array([f"a{i}" for i in range(20)], dtype=object)
    author_ids = np.where(authors == "admin", admins[rng.integers(0, 20, total)], "u")
    assigned = np.where(
        np.isin(types, ["assignment", "assign_and_reopen"]), admins[rng.integers(0, 20, total)], None
    )
    parts = pd.DataFrame(
        {
            "conversation_id": pd.array(ids[conv], dtype="string"),
            "id": pd.array(np.arange(total).astype(str).astype(object), dtype="string"),
            "part_type": pd.array(types, dtype="string"),
            "created_at": pd.array(t.astype("datetime64[s]").astype("datetime64[ns]")).tz_localize("UTC"),
            "author_type": pd.array(authors, dtype="string"),
            "author_id": pd.array(author_ids, dtype="string"),
            "author_from_ai_agent": pd.array((authors == "bot") & (rng.random(total) < 0.5), dtype="boolean"),
            "assigned_to_type": pd.array(np.where(assigned == None, None, "admin"), dtype="string"),  # noqa: E711
            "assigned_to_id": pd.array(assigned, dtype="string"),
        }
    )
    rated = rng.random(n) < 0.3
    fin = rng.random(n) < 0.4
    convs = pd.DataFrame(
        {
            "id": pd.array(ids, dtype="string"),
            "created_at": pd.array(created.astype("datetime64[s]").astype("datetime64[ns]")).tz_localize(
                "UTC"
            ),
            "state": pd.array(np.where(rng.random(n) < 0.7, "closed", "open").astype(object), dtype="string"),
            "admin_assignee_id": pd.array(admins[rng.integers(0, 20, n)], dtype="string"),
            "team_assignee_id": pd.array(
                np.array(["t1", "t2", "t3"], dtype=object)[rng.integers(0, 3, n)], "string"
            ),
            "channel": pd.array(
                np.array(["chat", "email"], dtype=object)[rng.integers(0, 2, n)], dtype="string"
            ),
            "rating": pd.arrays.IntegerArray(rng.integers(1, 6, n), ~rated),
            "ai_agent_participated": pd.array(fin, dtype="boolean"),
            "ai_agent_resolution_state": pd.array(
                np.where(fin, np.where(rng.random(n) < 0.5, "assumed_resolution", "routed_to_team"), None),
                dtype="string",
            ),
        }
    )
    return convs, parts


# -- the hand-written contender: the contract's walk, one conversation at a time -----------------------------------


def _walk(parts: pd.DataFrame, t0: int) -> dict[str, Any]:
    """One conversation's statistics from its parts (sorted by created_at), the contract's rules as a loop."""
    first_admin = first_assign = last_assign = first_close = last_close = None
    last_contact, last_admin, closer = t0, None, None
    assignments, admin_replies, reopens, closed, waiting, waits = [], [], 0, False, t0, []
    rows = zip(
        parts["part_type"], parts["t"], parts["author_type"], parts["author_id"],
        parts["author_from_ai_agent"], parts["assigned_to_id"], strict=True,
    )  # fmt: skip
    for kind, t, author, author_id, fin, assigned in rows:
        admin_reply = kind == "comment" and author == "admin" and fin is not True
        if admin_reply:
            admin_replies.append(t)
            last_admin = t
            if first_admin is None and t >= t0:
                first_admin = t
            if waiting is not None:
                waits.append(t - waiting)
                waiting = None
        elif kind == "comment" and author in ("user", "lead"):
            last_contact = t
            if waiting is None:
                waiting = t
        if kind in ("assignment", "assign_and_reopen") and isinstance(assigned, str) and t >= t0:
            assignments.append(t)
            first_assign = first_assign if first_assign is not None else t
            last_assign = t
        if kind == "close":
            first_close = first_close if first_close is not None else t
            last_close, closer, closed = t, author_id, True
        elif kind in ("open", "assign_and_reopen"):
            reopens += closed
            closed = False
    before = [a for a in assignments if first_admin is None or a <= first_admin]
    after_last = [t for t in admin_replies if last_assign is not None and t > last_assign]

    def minus(a: int | None, b: int | None) -> int | None:
        return None if a is None or b is None else a - b

    return {
        "time_to_assignment": minus(before[-1] if before else None, t0),
        "time_to_admin_reply": minus(first_admin, t0),
        "time_to_first_close": minus(first_close, t0),
        "time_to_last_close": minus(last_close, t0),
        "median_time_to_reply": statistics.median_low(waits) if waits else None,
        "first_contact_reply_at": t0,
        "first_assignment_at": first_assign,
        "first_admin_reply_at": first_admin,
        "first_close_at": first_close,
        "last_assignment_at": last_assign,
        "last_assignment_admin_reply_at": after_last[0] if after_last else None,
        "last_contact_reply_at": last_contact,
        "last_admin_reply_at": last_admin,
        "last_close_at": last_close,
        "last_closed_by_id": closer,
        "count_reopens": reopens,
        "count_assignments": len(assignments),
        "handling_time": minus(last_close, first_assign),
        "adjusted_handling_time": minus(last_close, first_assign),
    }


def _unix(column: pd.Series) -> list[int]:
    return (column.astype("datetime64[s, UTC]").astype("int64")).tolist()


def hand_written_statistics(conversations: pd.DataFrame, parts: pd.DataFrame) -> pd.DataFrame:
    """``wall_statistics`` the usual way: ``groupby(...).apply`` of a per-conversation walk (same columns, dtypes)."""
    t0 = dict(zip(conversations["id"], _unix(conversations["created_at"]), strict=True))
    ordered = parts.sort_values(["conversation_id", "created_at"], kind="stable")
    ordered = ordered.assign(
        t=_unix(ordered["created_at"]), author_from_ai_agent=ordered["author_from_ai_agent"].astype(object)
    )
    walked = ordered.groupby("conversation_id", sort=False).apply(
        lambda g: pd.Series(_walk(g, t0[g.name])), include_groups=False
    )
    rows = [
        walked.loc[cid].to_dict() if cid in walked.index else _walk(ordered.iloc[:0], t0[cid])
        for cid in conversations["id"]
    ]
    frame = pd.DataFrame(rows, columns=STATISTIC_COLUMNS)
    out = pd.DataFrame({"id": conversations["id"].to_numpy()}, index=conversations.index)
    for column in STATISTIC_COLUMNS:
        values = frame[column].to_numpy(dtype=object)
        if column.endswith("_at"):
            seconds = pd.array([None if v is None or v != v else int(v) for v in values], dtype="Int64")
            out[column] = pd.to_datetime(seconds, unit="s", utc=True).astype(
                conversations["created_at"].dtype
            )
        elif column == "last_closed_by_id":
            out[column] = pd.array([None if v is None or v != v else v for v in values], dtype="string")
        else:
            out[column] = pd.array([None if v is None or v != v else int(v) for v in values], dtype="Int64")
    out["id"] = out["id"].astype(conversations["id"].dtype)
    return out


def hand_written_metrics(conversations: pd.DataFrame, parts: pd.DataFrame, by: str) -> pd.DataFrame:
    stats = hand_written_statistics(conversations, parts)
    return metrics(conversations.assign(**{c: stats[c] for c in STATISTIC_COLUMNS}), by=by)


# -- the run ------------------------------------------------------------------------------------------------------


def _peak_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run(conversations: int, baseline_conversations: int | None, by: str = "team") -> dict[str, Any]:
    started = time.perf_counter()
    convs, parts = generate(conversations)
    generated = time.perf_counter() - started
    before = _peak_mb()
    t, cpu = time.perf_counter(), time.process_time()
    ours = metrics(convs, parts, by=by, clock="wall")
    ours_s = time.perf_counter() - t
    # CPU seconds of this process (every thread): on a shared host wall time also counts the waits for a core.
    ours_cpu = time.process_time() - cpu
    ours_peak = _peak_mb()

    m = baseline_conversations or conversations
    sub_convs = convs.iloc[:m]
    sub_parts = parts[parts["conversation_id"].isin(set(sub_convs["id"]))] if m < conversations else parts
    t = time.perf_counter()
    theirs = hand_written_metrics(sub_convs, sub_parts, by)
    theirs_s = (time.perf_counter() - t) * (conversations / m)
    # Same numbers: on the subset the vectorised statistics must equal the walk's, column by column.
    pd.testing.assert_frame_equal(
        wall_statistics(sub_convs, sub_parts), hand_written_statistics(sub_convs, sub_parts), check_exact=True
    )
    if m == conversations:
        pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-12)
    return {
        "conversations": conversations,
        "parts": len(parts),
        "generate_s": generated,
        "ik_s": ours_s,
        "ik_cpu_s": ours_cpu,
        "hand_s": theirs_s,
        "hand_measured_on": m,
        "ratio": theirs_s / ours_s,
        "peak_before_mb": before,
        "ik_peak_mb": ours_peak,
        "groups": len(ours),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="500 conversations; checks the numbers agree")
    p.add_argument("--conversations", type=int, default=None, help="default 1 000 000 (about 10 M parts)")
    p.add_argument("--baseline-conversations", type=int, default=None, help="default 20 000 (scaled up)")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = p.parse_args(argv)
    n = args.conversations or (500 if args.quick else 1_000_000)
    base = args.baseline_conversations or (n if args.quick else min(n, 20_000))
    r = run(n, base)
    if args.json:
        print(json.dumps(r))
        return 0
    scaled = "" if r["hand_measured_on"] == n else f" (measured on {r['hand_measured_on']:,}, scaled)"
    print(
        f"7. metrics(clock='wall', by='team'): {r['conversations']:,} conversations / {r['parts']:,} parts: "
        f"intercomkit {r['ik_s']:.2f} s, {r['ik_cpu_s']:.2f} CPU s (peak RSS {r['ik_peak_mb']:.0f} MB, frames alone {r['peak_before_mb']:.0f} MB)"
        f" | hand-written groupby/apply {r['hand_s']:.1f} s"
        f"{scaled}"
        f" | {r['ratio']:.1f}× faster"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
