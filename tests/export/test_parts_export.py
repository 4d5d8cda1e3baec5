"""The conversation_parts export against the sandbox, through the public API and the CLI: every part of every
conversation exactly once (the 500-part conversations named), a conversation deleted mid-run counted and the run a
success, faults and kill -9 changing nothing, and since_last replacing every part of a conversation changed since."""

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

from intercomkit._support_rows import PART_SPEC
from intercomkit.errors import ConfigurationError, ExportIncomplete
from intercomkit.sandbox import Faults, Sandbox

pytestmark = pytest.mark.anyio


def _written(path) -> list[tuple[str, str]]:
    table = pq.read_table(path, columns=["conversation_id", "id"])
    return list(zip(table.column("conversation_id").to_pylist(), table.column("id").to_pylist(), strict=True))


def _served(sb: Sandbox) -> set[tuple[str, str]]:
    """Every part a GET of each live conversation answers (the 500 most recent of the big ones)."""
    return {
        (cid, p["id"])
        for cid in sb.conversation_ids()
        for p in sb.get_conversation(cid)["conversation_parts"]["conversation_parts"]
    }


class Searches(httpx.AsyncBaseTransport):
    """Delegates to the sandbox; ``after(body)`` sees each conversation search page the walk gets."""

    def __init__(self, inner: httpx.AsyncBaseTransport, after) -> None:
        self.inner, self.after = inner, after

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/conversations/search") and response.status_code == 200:
            await response.aread()
            if json.loads(request.content)["pagination"]["per_page"] > 1:  # a walk's page, not a count
                self.after(json.loads(response.content))
        return response


async def test_every_part_of_every_conversation_once_and_the_truncated_named(tmp_path):
    sb = Sandbox(contacts=30, conversations=150, tickets=0, seed=3)
    out = tmp_path / "parts.parquet"
    async with _client(sb) as client:
        result = await client.export.conversation_parts(out, progress=False)
        frame = await client.conversations.parts_frame(ids=sb.conversation_ids()[:20])
    written = _written(out)
    assert len(written) == len(set(written)) and set(written) == _served(sb)
    big = sb.big_conversation_ids()
    assert big and sorted(result.parts_truncated) == sorted(big) and result.deleted == []
    # "we will return the 500 most recent conversation parts": named, not a gap; the file holds those 500.
    whole = sb.get_conversation(big[0], all_parts=True)["conversation_parts"]["conversation_parts"]
    assert len(whole) > 500 and {i for c, i in written if c == big[0]} == {p["id"] for p in whole[-500:]}
    assert result.complete and result.gaps == [] and result.rows == len(written)
    assert result.expected == len(sb.conversation_ids()) and result.parts_expected == sum(
        sb.get_conversation(c)["statistics"]["count_conversation_parts"] for c in sb.conversation_ids()
    )
    assert f"{len(big)} conversation(s) have more parts than Intercom returns" in str(result)
    # The file and the parts frame are one column model: same columns, same values.
    table = pq.read_table(out)
    assert table.column_names == [name for name, _ in PART_SPEC] == list(frame.columns)
    mine = table.to_pandas().set_index("id").loc[list(frame["id"])].reset_index()
    for name in ("body", "body_html", "created_at", "author_id", "attachment_count"):
        pd.testing.assert_series_equal(mine[name], frame[name], check_dtype=False, check_names=False)


async def test_a_conversation_deleted_mid_run_is_counted_and_the_run_succeeds(tmp_path):
    sb = Sandbox(contacts=30, conversations=120, tickets=0, seed=4)
    victims: list[str] = []

    def delete_two(body):
        if not victims:  # listed by the search, gone before its GET: Intercom answers 404
            victims.extend(c["id"] for c in body["conversations"][-2:])
            for cid in victims:
                sb.delete_conversation(cid)

    out = tmp_path / "parts.parquet"
    async with _client(sb, Searches(sb.transport(), delete_two)) as client:
        result = await client.export.conversation_parts(out, progress=False)
    assert len(victims) == 2 and sorted(result.deleted) == sorted(victims)
    assert result.complete and set(_written(out)) == _served(sb)  # the live conversations' parts, exactly
    assert "2 conversation(s) deleted during the run" in str(result)


async def test_faults_and_rate_limits_change_nothing(tmp_path):
    clock = FakeClock()
    faults = Faults(rate=0.12, seed=6, kinds=("500", "503", "429burst", "drop", "truncate"))
    sb = Sandbox(
        contacts=30, conversations=120, tickets=0, seed=6, clock=clock, sleep=clock.sleep, rate_limit=40,
        faults=faults,
    )  # fmt: skip
    out = tmp_path / "parts.csv"
    async with sb.client(clock=clock, sleep=clock.sleep) as client:
        result = await client.export.conversation_parts(out, progress=False)
        await client.export.conversation_parts(tmp_path / "p.parquet", progress=False)
    written = _written(tmp_path / "p.parquet")
    assert len(written) == len(set(written)) and set(written) == _served(sb)
    assert result.complete and result.retries > 0 and result.rows == len(written)


async def test_a_short_answer_is_a_gap_unless_allowed(tmp_path):
    sb = Sandbox(contacts=30, conversations=60, tickets=0, seed=7)
    short = sb.conversation_ids()[3]

    class Cut(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            response = await sb.transport().handle_async_request(request)
            if request.url.path.endswith(f"/conversations/{short}"):
                await response.aread()
                body = json.loads(response.content)
                del body["conversation_parts"]["conversation_parts"][0]  # a part silently missing
                return httpx.Response(200, headers=response.headers, content=json.dumps(body).encode())
            return response

    async with _client(sb, Cut()) as client:
        with pytest.raises(ExportIncomplete) as caught:
            await client.export.conversation_parts(tmp_path / "p.csv", progress=False)
        allowed = await client.export.conversation_parts(tmp_path / "q.csv", progress=False, allow_gaps=True)
    result = caught.value.result
    assert (
        result.missing == 1
        and result.gaps == [allowed.gaps[0]]
        and f"conversation {short}:" in result.gaps[0]
    )


async def test_since_last_replaces_every_part_of_a_conversation_changed_since(tmp_path):
    sb = Sandbox(contacts=30, conversations=120, tickets=0, seed=8)
    out = tmp_path / "parts.parquet"
    admin = sb.admin_ids[0]
    opened = next(c for c in sb.conversation_ids() if sb.get_conversation(c)["state"] != "closed")
    async with _client(sb) as client:
        full = await client.export.conversation_parts(out, progress=False)
        before = _written(out)
        await client.conversations.close(opened, admin=admin)
        # A new part of a 500-part conversation pushes its oldest out of what GET returns: replacing the
        # conversation's parts by conversation_id drops it from the file too (by part id it would linger).
        big = sb.big_conversation_ids()[0]
        await client.conversations.reply(big, "<p>one more</p>", admin=admin)
        result = await client.export.conversation_parts(out, progress=False, since_last=True)
    after = _written(out)
    assert len(after) == len(set(after)) and set(after) == _served(sb)
    fell_out = {(c, i) for c, i in before if c == big} - set(after)
    assert len(fell_out) == 1 and len(set(after) - set(before)) == 2
    assert result.added == 1 and result.updated >= len([1 for c, _ in before if c in (opened, big)])
    assert result.parts_truncated == [big]
    async with _client(sb) as client:
        with pytest.raises(ConfigurationError, match="keep 'conversation_id' in fields"):
            await client.export.conversation_parts(
                out, progress=False, since_last=True, fields=["id", "body"]
            )
    closes = pq.read_table(out).to_pandas().query("conversation_id == @opened and part_type == 'close'")
    assert len(closes) >= 1 and full.complete and result.complete


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kill_9_then_rerun_writes_every_part_once(tmp_path):
    out = tmp_path / "parts.parquet"
    args = [sys.executable, "-m", "intercomkit.cli", "export", "conversation_parts", "--sandbox",
            "--sandbox-contacts", "50", "--sandbox-conversations", "800", "--sandbox-tickets", "0",
            "--out", str(out), "--no-progress"]  # fmt: skip
    # Answers 20 ms late: the run lasts seconds, so it cannot end between its first commit and the kill.
    slow = ["--concurrency", "2", "--sandbox-latency-ms", "20"]
    proc = subprocess.Popen([*args, *slow], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    kill_after_a_commit(proc, out, seconds=90)
    assert not out.exists()
    done = subprocess.run(args, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "resumed:" in done.stdout
    written = _written(out)
    sb = Sandbox(contacts=50, conversations=800, tickets=0)
    assert len(written) == len(set(written)) and set(written) == _served(sb)
    assert "have more than 500 parts" in done.stdout


def test_the_sync_facade_exports_parts_too(tmp_path):
    sb = Sandbox(contacts=10, conversations=30, tickets=0, seed=9)
    client = sb.client()
    try:
        result = client.sync.export.conversation_parts(tmp_path / "p.parquet", progress=False)
    finally:
        client.sync.close()
    assert result.complete and set(_written(tmp_path / "p.parquet")) == _served(sb)


async def test_the_progress_bar_counts_conversations_not_parts(tmp_path, capsys):
    sb = Sandbox(contacts=5, conversations=40, tickets=0, seed=3)
    async with _client(sb) as client:
        await client.export.conversation_parts(tmp_path / "parts.csv", progress=True)
    bar = capsys.readouterr().err
    assert "export conversation_parts" in bar
    total = len(sb.conversation_ids())
    assert f"{total}.0/{total}.0" in bar and "conversations/s" in bar and " rows" not in bar
