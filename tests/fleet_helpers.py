"""What the fleet tests share: the tokens, the expected id sets, reading a part."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from intercomkit.sandbox import Sandbox

distributed = pytest.importorskip("distributed")  # the fleet extra (part of dev)

# Distinctive, so a scan finds any copy of them.
TOKEN = "fleet-sekrit-7f3a9c"
SIZES = [300, 460, 200]


def exported_ids(sb: Sandbox) -> set[str]:
    """What an export of ``sb`` must hold: every contact search can see (archived ones leave search)."""
    return set(sb.contact_ids()) - sb.archived_contact_ids()


def part_ids(path) -> list[str]:
    return pq.read_table(path, columns=["id"]).column("id").to_pylist()


def rows(n: int = len(SIZES)) -> list[dict[str, str]]:
    return [{"name": f"ws{k}", "token_env": f"FLEET_TOKEN_{k}"} for k in range(1, n + 1)]


def committed_windows(out) -> dict[str, int]:
    """Per workspace, the contacts windows its checkpoint records. Not its part files: a part is renamed into place
    just before its manifest names it, and a kill in between leaves nothing a rerun resumes."""
    counts: dict[str, int] = {}
    for manifest in Path(out, "_state").glob("ws*/contacts.parquet.partial/manifest.json"):
        try:
            counts[manifest.parts[-3]] = len(json.loads(manifest.read_text())["windows"])
        except (OSError, ValueError, KeyError):
            pass  # replaced while read
    return counts
