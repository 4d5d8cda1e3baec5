"""contacts_frame vs pandas.json_normalize on the same Intercom-shaped contacts (row 4 of ``python -m benchmarks``).

    python benchmarks/frames.py [--quick]

Prints a table of CPU seconds measured side by side in one run (best of a few repeats). No assertion on timing: the
target is contacts_frame ≥ 2× faster than json_normalize; the ratio column shows it.

Each contender is timed twice over: as it runs in a process that has just made the records (``as run``), and with
``gc.collect()`` before each timed call (``clean``). A full pass of the cyclic GC walks every object alive, the
caller's records included (about a dozen containers a contact), and CPython runs one once the objects promoted to
the oldest generation since the last one pass a quarter of those it holds. What promotes them is both the setup's
records and each call's own survivors (contacts_frame's three list cells a contact), so as run the pass falls in
whichever call crosses the line. ``clean`` starts both contenders from an empty backlog (as ``timeit`` pauses the
collector, but a pass a call sets off by itself is still counted); the number of full passes inside the timed
calls is printed next to each figure.
"""

from __future__ import annotations

import argparse
import gc
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


class _FullPasses:
    """Counts the cyclic GC's full (generation 2) passes while in use."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info["generation"] == 2:
            self.count += 1

    def __enter__(self) -> _FullPasses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def compare(
    contenders: dict[str, Callable[[], Any]], repeat: int
) -> tuple[dict[str, dict[str, dict[str, float]]], dict[str, Any]]:
    """Best-of-``repeat`` CPU seconds of each contender, the contenders taking turns, first as run then ``clean``
    (``gc.collect()`` before every timed call): ``{mode: {name: {"cpu_s", "wall_s", "full_gc"}}}`` (``full_gc``:
    full passes inside that contender's timed calls, all repeats) and each contender's last result."""
    results: dict[str, Any] = {}
    out: dict[str, dict[str, dict[str, float]]] = {}
    for mode in ("as_run", "clean"):
        best = {name: {"cpu_s": float("inf"), "wall_s": float("inf"), "full_gc": 0} for name in contenders}
        for _ in range(repeat):
            for name, fn in contenders.items():
                results.pop(name, None)  # the previous result is not part of the next call's heap
                if mode == "clean":
                    gc.collect()
                with _FullPasses() as passes:
                    cpu, wall = time.process_time(), time.perf_counter()
                    results[name] = fn()
                    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                b = best[name]
                b["cpu_s"], b["wall_s"] = min(b["cpu_s"], cpu), min(b["wall_s"], wall)
                b["full_gc"] += passes.count
        out[mode] = best
    return out, results


def run(quick: bool) -> list[dict[str, Any]]:
    sizes = [2_000, 10_000] if quick else [20_000, 100_000]
    repeat = 2 if quick else 3
    rows: list[dict[str, Any]] = []
    for n in sizes:
        items, source = contacts(n)
        pages = [{"type": "list", "data": items[i : i + 150]} for i in range(0, n, 150)]
        modes, (df, ref) = measure(pages, items, repeat)
        rows.append({"n": n, "source": source, "modes": modes, "columns": (df.shape[1], ref.shape[1])})
    return rows


def measure(
    pages: list[dict[str, Any]], items: list[dict[str, Any]], repeat: int
) -> tuple[dict[str, dict[str, dict[str, float]]], tuple[pd.DataFrame, pd.DataFrame]]:
    """Row 4: ``contacts_frame(pages)`` vs ``pd.json_normalize(items)`` (see :func:`compare`); the ids must come out
    identical and in the same order."""
    modes, out = compare(
        {"contacts_frame": lambda: contacts_frame(pages), "json_normalize": lambda: pd.json_normalize(items)},
        repeat,
    )
    df, ref = out["contacts_frame"], out["json_normalize"]
    assert len(df) == len(ref) == len(items)
    assert df["id"].astype(str).tolist() == ref["id"].astype(str).tolist()
    return modes, (df, ref)


def summary(modes: dict[str, dict[str, dict[str, float]]], repeat: int) -> dict[str, str]:
    """contender → "0.95 CPU s clean, 1.61 as run (full GC passes in its 3 calls: 0 clean, 3 as run)", and
    "speedup"."""
    text = {
        name: f"{modes['clean'][name]['cpu_s']:.2f} CPU s clean, {modes['as_run'][name]['cpu_s']:.2f} as run "
        f"(full GC passes in its {repeat} calls: {modes['clean'][name]['full_gc']:.0f} clean, "
        f"{modes['as_run'][name]['full_gc']:.0f} as run)"
        for name in modes["clean"]
    }
    ratio = {m: modes[m]["json_normalize"]["cpu_s"] / modes[m]["contacts_frame"]["cpu_s"] for m in modes}
    text["speedup"] = f"{ratio['clean']:.2f}× clean, {ratio['as_run']:.2f}× as run"
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, runs in seconds")
    args = parser.parse_args(argv)
    repeat = 2 if args.quick else 3
    print(f"pandas {pd.__version__}; CPU seconds of the process, best of {repeat}")
    for r in run(args.quick):
        text = summary(r["modes"], repeat)
        print(f"{r['n']:,} contacts ({r['source']}; typed cols / normalize cols: {r['columns']})")
        for key in ("contacts_frame", "json_normalize", "speedup"):
            print(f"  {key:>15}: {text[key]}")


if __name__ == "__main__":
    main()
