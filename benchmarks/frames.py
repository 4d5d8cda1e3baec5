"""contacts_frame vs pandas.json_normalize on the same Intercom-shaped contacts.

    python benchmarks/frames.py [--quick]

Prints a table of timings measured side by side in one run (best of a few repeats). No assertion on timing: the
target is contacts_frame ≥ 2× faster than json_normalize; the ratio column shows it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intercomkit._frames import contacts_frame  # noqa: E402

BASE = 1_600_000_000


def _generated_contact(i: int, rng: random.Random) -> dict[str, Any]:
    created = BASE + i * 600 + rng.randrange(600)
    n_tags = rng.choice([0, 0, 1, 3, 12])
    return {
        "type": "contact",
        "id": f"{0x65A0000000000000 + i:x}",
        "workspace_id": "ecahpwf5",
        "external_id": f"ext-{i}" if rng.random() < 0.7 else None,
        "role": "user" if rng.random() < 0.8 else "lead",
        "email": f"user{i}@example{i % 50}.com",
        "email_domain": f"example{i % 50}.com",
        "phone": "+1123456789" if rng.random() < 0.3 else None,
        "name": f"User {i}",
        "owner_id": str(rng.randrange(1, 20)) if rng.random() < 0.5 else None,
        "has_hard_bounced": False,
        "marked_email_as_spam": False,
        "unsubscribed_from_emails": rng.random() < 0.1,
        "created_at": created,
        "updated_at": created + rng.randrange(10**6),
        "signed_up_at": created if rng.random() < 0.8 else None,
        "last_seen_at": created + rng.randrange(10**7) if rng.random() < 0.7 else None,
        "last_replied_at": None,
        "last_contacted_at": None,
        "last_email_opened_at": None,
        "last_email_clicked_at": None,
        "language_override": None,
        "browser": "chrome",
        "browser_version": "120.0",
        "browser_language": "en",
        "os": "OS X",
        "android_app_name": None,
        "android_app_version": None,
        "android_device": None,
        "android_os_version": None,
        "android_sdk_version": None,
        "android_last_seen_at": None,
        "ios_app_name": None,
        "ios_app_version": None,
        "ios_device": None,
        "ios_os_version": None,
        "ios_sdk_version": None,
        "ios_last_seen_at": None,
        "custom_attributes": {
            "plan": rng.choice(["free", "pro", "team"]),
            "seats": rng.randrange(1, 50),
            "mrr": rng.random() * 100,
        },
        "avatar": {"type": "avatar", "image_url": None},
        "tags": {
            "type": "list",
            "data": [{"type": "tag", "id": str(t), "url": f"/tags/{t}"} for t in range(min(n_tags, 10))],
            "url": f"/contacts/{i}/tags",
            "total_count": n_tags,
            "has_more": n_tags > 10,
        },
        "notes": {
            "type": "list",
            "data": [],
            "url": f"/contacts/{i}/notes",
            "total_count": 0,
            "has_more": False,
        },
        "companies": {
            "type": "list",
            "data": [],
            "url": f"/contacts/{i}/companies",
            "total_count": 0,
            "has_more": False,
        },
        "location": {
            "type": "location",
            "country": "Ireland",
            "region": "Dublin",
            "city": "Dublin",
            "country_code": "IRL",
            "continent_code": "EU",
        },
        "social_profiles": {"type": "list", "data": []},
    }


def contacts(n: int) -> tuple[list[dict[str, Any]], str]:
    """n contact dicts: from the sandbox when it is available, else generated from the spec's shape."""
    try:
        from intercomkit.sandbox import Sandbox  # type: ignore[attr-defined]

        sb = Sandbox(contacts=n)
        return [sb.get_contact(cid) for cid in list(sb.contact_ids())[:n]], "sandbox"
    except Exception:  # the sandbox is optional here: fall back to generated records
        rng = random.Random(7)
        return [_generated_contact(i, rng) for i in range(n)], "generated"


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def run(quick: bool) -> list[dict[str, Any]]:
    sizes = [2_000, 10_000] if quick else [10_000, 100_000]
    repeat = 2 if quick else 3
    rows: list[dict[str, Any]] = []
    for n in sizes:
        items, source = contacts(n)
        pages = [{"type": "list", "data": items[i : i + 150]} for i in range(0, n, 150)]
        ours, df = _best(lambda pages=pages: contacts_frame(pages), repeat)
        theirs, ref = _best(lambda items=items: pd.json_normalize(items), repeat)
        assert len(df) == len(ref) == n
        assert df["id"].tolist() == ref["id"].astype(str).tolist()
        rows.append(
            {
                "benchmark": "frames",
                "case": f"contacts_frame vs json_normalize, {n} contacts ({source})",
                "n": n,
                "ours_s": round(ours, 4),
                "baseline_s": round(theirs, 4),
                "speedup": round(theirs / ours, 2),
                "columns_ours": df.shape[1],
                "columns_baseline": ref.shape[1],
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, runs in seconds")
    args = parser.parse_args(argv)
    rows = run(args.quick)
    print(f"pandas {pd.__version__}")
    print(
        f"{'contacts':>9} {'contacts_frame':>15} {'json_normalize':>15} {'speedup':>8}  (typed cols / normalize cols)"
    )
    for r in rows:
        print(
            f"{r['n']:>9} {r['ours_s']:>14.3f}s {r['baseline_s']:>14.3f}s {r['speedup']:>7.2f}x  "
            f"({r['columns_ours']} / {r['columns_baseline']})"
        )


if __name__ == "__main__":
    main()
