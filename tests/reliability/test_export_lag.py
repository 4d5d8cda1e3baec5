"""Guarantee: incremental exports against a search index that lags behind changes (Intercom: "This delay can take a
few minutes"), under injected faults, never lose a change. Between runs contacts are created, updated, deleted,
archived and tagged at random; once the lag has passed, one more ``since_last`` run holds every live contact in its
latest version exactly once, and a reconciling run leaves exactly the live contacts. 12 seeded runs on a fake clock.
"""

from __future__ import annotations

import random

import pytest
from fake_clock import FakeClock

import intercomkit
from intercomkit._frames import read_contacts_csv
from intercomkit.sandbox import Faults, Sandbox

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SEEDS = range(12)
LAG = 120.0


async def _change(client: intercomkit.AsyncClient, sb: Sandbox, rng: random.Random, label: str) -> None:
    """One random change through the API; under faults its outcome may be unknown, the sandbox is the truth."""
    ids = sb.contact_ids()
    cid = rng.choice(ids)
    action = rng.choices(["update", "create", "delete", "archive", "unarchive", "tag"], [6, 2, 1, 1, 1, 1])[0]
    try:
        if action == "update":
            await client.contacts.update(cid, name=f"Name {label}")
        elif action == "create":
            await client.contacts.create(email=f"new.{label}@example.com", name=f"New {label}")
        elif action == "delete":
            await client.contacts.delete(cid)
        elif action == "archive":
            await client.contacts.archive(cid)
        elif action == "unarchive" and sb.archived_contact_ids():
            await client.contacts.unarchive(rng.choice(sorted(sb.archived_contact_ids())))
        elif action == "tag":
            await client.request("POST", f"/contacts/{cid}/tags", json={"id": rng.choice(sb.tag_ids)})
    except intercomkit.errors.IntercomError:
        pass  # a fault the client gave up on, or a duplicate create retried after a dropped answer


def _name(value) -> str | None:
    return None if value is None or value != value else str(value)


def _rows(path) -> dict[str, dict]:
    frame = read_contacts_csv(path)
    assert frame["id"].is_unique, "duplicate rows"
    return {r["id"]: r for r in frame.to_dict("records")}


@pytest.mark.parametrize("seed", SEEDS)
async def test_incremental_runs_under_a_search_lag_and_faults_lose_no_change(tmp_path, seed):
    rng = random.Random(f"export-lag:{seed}")
    clock = FakeClock(start=1_790_000_000.0)
    faults = Faults(
        rate=rng.uniform(0.05, 0.2), seed=seed, kinds=("500", "503", "drop", "truncate", "429burst")
    )
    sb = Sandbox(
        contacts=rng.randint(150, 600),
        seed=seed,
        clock=clock,
        sleep=clock.sleep,
        search_lag=LAG,
        faults=faults,
    )
    out = tmp_path / "contacts.csv"
    async with intercomkit.AsyncClient(
        token=sb.token, base_url=sb.base_url, transport=sb.transport(), clock=clock, sleep=clock.sleep,
        rng=random.Random(seed), max_retries=8,
    ) as client:  # fmt: skip
        await client.export.contacts(out, progress=False, concurrency=rng.choice([1, 4]))
        for run in range(rng.randint(2, 5)):
            for n in range(rng.randint(1, 8)):
                await _change(client, sb, rng, f"{seed}.{run}.{n}")
                clock.now += rng.uniform(0, LAG / 2)
            result = await client.export.contacts(out, progress=False, since_last=True, reconcile=False)
            assert result.complete, result.gaps
            clock.now += rng.uniform(0, LAG)
        clock.now += LAG + 1
        await client.export.contacts(out, progress=False, since_last=True, reconcile=False)
        rows = _rows(out)
        live = set(sb.contact_ids()) - sb.archived_contact_ids()
        for cid in live:
            assert cid in rows, f"{cid} lost"
            truth = sb.get_contact(cid)
            assert _name(rows[cid]["name"]) == _name(truth["name"]), cid
            assert rows[cid]["updated_at"].timestamp() == truth["updated_at"], cid
        reconciled = await client.export.contacts(out, progress=False, since_last=True, reconcile=True)
    assert reconciled.reconciled
    assert set(_rows(out)) == set(sb.contact_ids()) - sb.archived_contact_ids()
