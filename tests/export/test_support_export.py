"""Conversations and tickets exports (issue 19 §3) against the sandbox: exactly the sandbox's ids in CSV and
Parquet, under injected faults, on window edge seconds, incrementally, and bound to their workspace."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pandas as pd
import pyarrow.parquet as pq
import pytest
from export_helpers import kill_after_a_commit
from export_helpers import sandbox_client as _client
from fake_clock import FakeClock

import intercomkit
from intercomkit import errors
from intercomkit._protocol import days
from intercomkit.cli import build_parser
from intercomkit.export import _cli
from intercomkit.sandbox import Faults, Sandbox

pytestmark = pytest.mark.anyio

# Enough conversations for several windows (a window holds at least 750 rows), few enough to stay fast.
N = 800


def _parquet_ids(path) -> list[str]:
    return pq.read_table(path, columns=["id"]).column("id").to_pylist()


def _csv_ids(path) -> list[str]:
    return pd.read_csv(path, dtype=str, usecols=["id"])["id"].tolist()


class Before(httpx.AsyncBaseTransport):
    """Delegates to the sandbox; ``before(n)`` runs before the n-th conversation search."""

    def __init__(self, inner: httpx.AsyncBaseTransport, before) -> None:
        self.inner, self.before, self.searches = inner, before, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/conversations/search"):
            self.searches += 1
            self.before(self.searches)
        return await self.inner.handle_async_request(request)


async def test_conversations_and_tickets_exports_hold_exactly_the_sandboxs_ids(tmp_path):
    sb = Sandbox(conversations=N, tickets=400, seed=5, timezone="America/Los_Angeles")
    conversations, tickets = set(sb.conversation_ids()), set(sb.ticket_ids())
    async with _client(sb) as client:
        parquet = await client.export.conversations(tmp_path / "c.parquet", progress=False)
        csv = await client.export.conversations(tmp_path / "c.csv", progress=False)
        gz = await client.export.tickets(tmp_path / "t.csv.gz", progress=False)
        tp = await client.export.tickets(tmp_path / "t.parquet", progress=False)
        frame = await client.conversations.frame()
        tickets_frame = await client.tickets.frame()
    for result, ids, expected in (
        (parquet, _parquet_ids(tmp_path / "c.parquet"), conversations),
        (csv, _csv_ids(tmp_path / "c.csv"), conversations),
        (gz, _csv_ids(tmp_path / "t.csv.gz"), tickets),
        (tp, _parquet_ids(tmp_path / "t.parquet"), tickets),
    ):
        assert len(ids) == len(set(ids)) == result.rows == len(expected)
        assert set(ids) == expected
        assert result.complete and result.expected == len(expected) and not result.filtered
    assert parquet.windows >= 2  # the edges between windows were crossed
    # The file and the frame are one column model: the same columns, and the same values.
    table = pq.read_table(tmp_path / "c.parquet").to_pandas().set_index("id").sort_index()
    frame = frame.set_index("id").sort_index()
    assert list(table.columns) == list(frame.columns)
    assert table["state"].tolist() == frame["state"].tolist()
    assert table["created_at"].tolist() == frame["created_at"].tolist()
    assert table["count_conversation_parts"].tolist() == frame["count_conversation_parts"].tolist()
    assert list(pq.read_schema(tmp_path / "t.parquet").names) == list(tickets_frame.columns)
    assert any(c.startswith("attr.") for c in tickets_frame.columns)


async def test_a_conversation_on_a_window_edge_second_is_neither_lost_nor_written_twice(tmp_path):
    """Conversation search's ``>``/``<`` include their bound: a window sent as contacts' day bounds would fetch a
    conversation created on its neighbour's first second too. Here every day's first and last second holds one."""
    zone = "Europe/Berlin"
    sb = Sandbox(conversations=N, seed=2, timezone=zone)
    tz = days.zone_from_name(zone)
    by_day: dict[int, list[tuple[int, str]]] = {}
    for cid in sb.conversation_ids():
        created = sb.get_conversation(cid)["created_at"]
        by_day.setdefault(days.day_number(created, tz), []).append((created, cid))
    moved = 0
    for day, convs in by_day.items():
        convs.sort()
        sb.move_conversation(convs[0][1], days.day_start(day, tz))  # the day's first second
        if len(convs) > 1:
            sb.move_conversation(convs[-1][1], days.day_start(day + 1, tz) - 1)  # and its last
        moved += min(len(convs), 2)
    assert moved > 500
    async with _client(sb) as client:
        result = await client.export.conversations(tmp_path / "c.parquet", progress=False)
    ids = _parquet_ids(tmp_path / "c.parquet")
    assert result.windows >= 2
    assert len(ids) == len(set(ids)) == result.rows == len(sb.conversation_ids())
    assert set(ids) == set(sb.conversation_ids())
    assert result.complete and result.expected == result.rows and not result.filtered


@pytest.mark.parametrize("seed", [1, 2])
async def test_conversations_export_is_exact_under_injected_faults(tmp_path, seed):
    faults = Faults(rate=0.08, seed=seed, drop_after_effect=True)
    sb = Sandbox(conversations=N, tickets=300, seed=seed, faults=faults)
    async with _client(sb) as client:
        result = await client.export.conversations(tmp_path / "c.csv", progress=False)
        tickets = await client.export.tickets(tmp_path / "t.parquet", progress=False)
    ids = _csv_ids(tmp_path / "c.csv")
    assert len(ids) == len(set(ids)) and set(ids) == set(sb.conversation_ids())
    assert result.complete and result.retries > 0
    assert sorted(_parquet_ids(tmp_path / "t.parquet")) == sorted(sb.ticket_ids()) and tickets.complete


async def test_a_conversation_deleted_during_the_run_is_counted_not_a_failure(tmp_path):
    sb = Sandbox(conversations=N, seed=3)
    victims = sb.conversation_ids()[:3]  # created first: in the first window, walked before they go

    def delete_late(n: int) -> None:
        if n == 8:
            for cid in victims:
                sb.delete_conversation(cid)

    async with _client(sb, Before(sb.transport(), delete_late)) as client:
        result = await client.export.conversations(tmp_path / "c.parquet", progress=False, concurrency=1)
    assert result.complete and result.vanished == len(victims)
    ids = set(_parquet_ids(tmp_path / "c.parquet"))
    assert set(sb.conversation_ids()) <= ids and ids - set(sb.conversation_ids()) <= set(victims)
    async with _client(sb) as client:  # a reconciling run drops them from the file
        again = await client.export.conversations(tmp_path / "c.parquet", progress=False, reconcile=True)
    assert again.removed == len(ids - set(sb.conversation_ids()))
    assert set(_parquet_ids(tmp_path / "c.parquet")) == set(sb.conversation_ids())


async def test_since_last_replaces_a_conversation_closed_since_the_last_run(tmp_path):
    clock = FakeClock(start=1_790_000_000.0)
    sb = Sandbox(conversations=400, seed=4, clock=clock, sleep=clock.sleep)
    client = intercomkit.AsyncClient(
        token=sb.token, base_url=sb.base_url, transport=sb.transport(), clock=clock, sleep=clock.sleep
    )
    out = tmp_path / "c.parquet"
    async with client:
        await client.export.conversations(out, progress=False)
        before = pq.read_table(out).to_pandas().set_index("id")
        target = before.index[before["state"] == "open"][0]
        clock.now += 60
        await client.conversations.close(target, admin=sb.admin_ids[0])
        clock.now += 60
        result = await client.export.conversations(out, progress=False, since_last=True)
    after = pq.read_table(out).to_pandas()
    assert after["id"].is_unique and set(after["id"]) == set(sb.conversation_ids())
    row = after.set_index("id").loc[target]
    assert row["state"] == "closed" and not row["open"]
    assert row["updated_at"] > before.loc[target, "updated_at"]
    assert result.updated and result.updated >= 1 and not result.added


async def test_since_last_against_another_workspace_is_refused(tmp_path):
    out = tmp_path / "t.csv"
    async with _client(Sandbox(tickets=200, seed=1)) as client:
        await client.export.tickets(out, progress=False)
    before = out.read_bytes()
    async with _client(Sandbox(tickets=200, seed=2)) as client:
        with pytest.raises(errors.WorkspaceMismatch):
            await client.export.tickets(out, progress=False, since_last=True)
    assert out.read_bytes() == before
    state = json.loads((tmp_path / "t.csv.export.json").read_text())
    assert state["kind"] == "tickets" and state["workspace"]["id_code"]


async def test_ticket_fields_use_their_attr_columns(tmp_path):
    async with _client(Sandbox(tickets=100)) as client:
        await client.export.tickets(
            tmp_path / "t.parquet", progress=False, fields=["id", "ticket_state", "attr.severity"]
        )
        with pytest.raises(errors.UnknownField):
            await client.export.tickets(tmp_path / "x.parquet", progress=False, fields=["id", "nope"])
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.column_names == ["id", "ticket_state", "attr.severity"]
    assert str(table.schema.field("attr.severity").type) == "int64"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_mid_conversations_export_then_rerun_gives_every_conversation_once(tmp_path):
    out = tmp_path / "conversations.parquet"
    args = [sys.executable, "-m", "intercomkit.cli", "export", "conversations", "--sandbox"]
    args += ["--sandbox-conversations", "1000", "--out", str(out), "--no-progress"]
    proc = subprocess.Popen(
        [*args, "--concurrency", "1", "--sandbox-latency-ms", "40"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    kill_after_a_commit(proc, out)
    assert not out.exists()
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    expected = set(Sandbox(conversations=1000).conversation_ids())
    assert f"wrote {len(expected)} rows to {out}" in done.stdout
    ids = _parquet_ids(out)
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert not (tmp_path / "conversations.parquet.partial").exists()


def test_cli_exports_tickets(tmp_path):
    out = tmp_path / "t.csv"
    command = [sys.executable, "-m", "intercomkit.cli", "export", "tickets", "--sandbox", "--no-progress"]
    ok = subprocess.run(
        [*command, "--sandbox-tickets", "80", "--out", str(out)], capture_output=True, text=True, timeout=120
    )
    assert ok.returncode == 0 and f"wrote 80 rows to {out}" in ok.stdout, ok.stderr
    assert sorted(_csv_ids(out)) == sorted(Sandbox(tickets=80).ticket_ids())


def test_cli_search_options_apply_to_the_searched_kinds_only():
    parser = build_parser()
    for kind in ("contacts", "conversations", "tickets", "conversation_parts"):
        args = parser.parse_args(["export", kind, "--out", "x.csv", "--since-last", "--query", "{}"])
        assert _cli._options(args)["since_last"] is True
    args = parser.parse_args(["export", "companies", "--out", "x.csv", "--since", "7d"])
    with pytest.raises(
        errors.ConfigurationError, match="contacts, conversations, tickets, conversation_parts only"
    ):
        _cli._options(args)


class Hide(httpx.AsyncBaseTransport):
    """Delegates to the sandbox, leaving one conversation out of every search page (Intercom still counts it)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, hidden: str) -> None:
        self.inner, self.hidden = inner, hidden

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not request.url.path.endswith("/conversations/search") or response.status_code != 200:
            return response
        await response.aread()
        body = json.loads(response.content)
        body["conversations"] = [c for c in body["conversations"] if c["id"] != self.hidden]
        return httpx.Response(200, headers=response.headers, content=json.dumps(body).encode())


async def test_a_conversation_the_search_never_returns_is_a_gap(tmp_path):
    sb = Sandbox(conversations=300, seed=6)
    hidden = sb.conversation_ids()[100]
    async with _client(sb, Hide(sb.transport(), hidden)) as client:
        with pytest.raises(errors.ExportIncomplete) as caught:
            await client.export.conversations(tmp_path / "c.csv", progress=False)
        result = await client.export.conversations(tmp_path / "c.csv", progress=False, allow_gaps=True)
    assert caught.value.result.missing == 1 and result.missing == 1 and result.gaps
    assert set(_csv_ids(tmp_path / "c.csv")) == set(sb.conversation_ids()) - {hidden}
