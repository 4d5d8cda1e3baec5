"""What the fleet tests share: the tokens, the expected id sets, reading a part."""

from __future__ import annotations

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
