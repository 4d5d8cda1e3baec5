"""The support kinds on a fleet: conversations, tickets and conversation parts, one Dask task per workspace, each
workspace's partition exactly its sandbox's rows, one schema across workspaces, the parts accounting per workspace,
failures and gaps isolated, reruns resumed, ``since_last`` per kind, no token anywhere."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from fleet_helpers import TOKEN, distributed, rows

import intercomkit as ik
from intercomkit.fleet import MANIFEST
from intercomkit.sandbox import Sandbox, serve_in_thread

pytestmark = pytest.mark.anyio

# Sizes differ between workspaces: conversation and ticket ids are numbered alike in every workspace, so equal
# sizes would let one workspace's rows pass for another's.
CONVERSATIONS = [45, 30, 20]
TICKETS = [12, 7, 4]


class CutParts:
    """The served fleet, except that ``GET /conversations/{id}`` of the (token, id) pairs in ``cut`` answers with
    its oldest part missing: a short answer the export must count as a gap (not truncated, not deleted)."""

    def __init__(self, fleet) -> None:
        self.fleet, self.cut, self.app = fleet, set(), self

    async def __call__(self, scope, receive, send) -> None:
        token = dict(scope.get("headers", [])).get(b"authorization", b"").decode().partition(" ")[2]
        path = scope.get("path", "")
        if (token, path.rpartition("/")[2]) not in self.cut or not path.startswith("/conversations/"):
            await self.fleet.app(scope, receive, send)
            return
        sent: list[dict] = []

        async def keep(message: dict) -> None:
            sent.append(message)

        await self.fleet.app(scope, receive, keep)
        data = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
        del data["conversation_parts"]["conversation_parts"][0]
        body = json.dumps(data).encode()
        headers = [(k, v) for k, v in sent[0]["headers"] if k.lower() != b"content-length"]
        await send({**sent[0], "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def support():
    sandboxes = Sandbox.fleet(
        3, contacts=20, companies=2, conversations=CONVERSATIONS, tickets=TICKETS, token=TOKEN, seed=20
    )
    served = CutParts(sandboxes)
    url, stop = serve_in_thread(served)
    sandboxes.url, sandboxes.cut = url, served.cut
    yield sandboxes
    stop()


@pytest.fixture
def env(monkeypatch):
    for k in (1, 2, 3):
        monkeypatch.setenv(f"FLEET_TOKEN_{k}", f"{TOKEN}-{k}")


def served_parts(sb: Sandbox) -> set[tuple[str, str]]:
    """Every part a GET of each live conversation answers (the 500 most recent of the big ones)."""
    return {
        (cid, p["id"])
        for cid in sb.conversation_ids()
        for p in sb.get_conversation(cid)["conversation_parts"]["conversation_parts"]
    }


def partition(out, kind: str, k: int, columns: list[str]) -> list[tuple]:
    table = pq.read_table(out / kind / f"workspace=ws{k}" / "part-0.parquet", columns=columns)
    return list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))


def expected(sb: Sandbox, kind: str) -> set:
    if kind == "conversations":
        return set(sb.conversation_ids())
    if kind == "tickets":
        return set(sb.ticket_ids())
    return served_parts(sb)


KEYS = {"conversations": ["id"], "tickets": ["id"], "conversation_parts": ["conversation_id", "id"]}
FOLDED = {"conversations": "custom_attributes", "tickets": "ticket_attributes", "conversation_parts": None}


def written(out, kind: str, k: int) -> list:
    keys = partition(out, kind, k, KEYS[kind])
    return [key[0] for key in keys] if len(KEYS[kind]) == 1 else keys


@pytest.mark.parametrize("kind", ["conversations", "tickets", "conversation_parts"])
async def test_each_support_kind_partition_equals_its_workspace(support, env, dask_client, tmp_path, kind):
    out = tmp_path / "fleet"
    result = await ik.fleet.export(
        kind, rows(), out=out, client=dask_client, base_url=support.url, progress=False
    )
    assert result.ok, str(result)
    for k, sb in enumerate(support, start=1):
        got = written(out, kind, k)
        assert len(got) == len(set(got)) and set(got) == expected(sb, kind), f"ws{k}"
    assert result.rows == sum(len(expected(sb, kind)) for sb in support)
    # One schema across workspaces: the dataset reads as one table, custom attributes folded into one column.
    table = ds.dataset(out / kind, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == result.rows and "workspace" in table.column_names
    assert not any(name.startswith(("custom.", "attr.")) for name in table.column_names)
    if FOLDED[kind]:
        assert FOLDED[kind] in table.column_names
        assert any(json.loads(v) for v in table.column(FOLDED[kind]).to_pylist())
    else:
        assert "custom_attributes" not in table.column_names
    records = json.loads((out / MANIFEST).read_text())["exports"][kind]["workspaces"]
    for k, sb in enumerate(support, start=1):
        record = records[f"ws{k}"]
        assert record["status"] == "done" and record["gaps"] == [] and record["part"].startswith(f"{kind}/")
        if kind != "conversation_parts":
            assert record["rows"] == record["expected"] == len(expected(sb, kind))
            assert "parts_truncated" not in record
            continue
        # The parts accounting, per workspace: Intercom's counts, the conversations cut at 500 named.
        assert record["expected"] == len(sb.conversation_ids())
        assert record["parts_expected"] == sum(
            sb.get_conversation(c)["statistics"]["count_conversation_parts"] for c in sb.conversation_ids()
        )
        assert record["parts_truncated_ids"] == sorted(sb.big_conversation_ids())
        assert record["parts_truncated"] == len(sb.big_conversation_ids()) and record["deleted"] == 0
    if kind == "conversation_parts":
        big = {k: sb.big_conversation_ids() for k, sb in enumerate(support, start=1)}
        assert any(big.values())  # the fixture must have some, or this proves nothing
        for k, ids in big.items():
            if ids:
                assert f"ws{k}: {len(ids)} conversation(s) have more parts than Intercom returns" in str(
                    result
                )


async def test_a_gap_fails_its_workspace_unless_gaps_are_allowed(support, env, dask_client, tmp_path):
    out = tmp_path / "fleet"
    short = support[2].conversation_ids()[3]
    support.cut.add((f"{TOKEN}-2", short))
    try:
        first = await ik.fleet.export(
            "conversation_parts", rows(), out=out, client=dask_client, base_url=support.url, progress=False
        )
        allowed = await ik.fleet.export(
            "conversation_parts",
            rows(),
            out=out,
            client=dask_client,
            base_url=support.url,
            progress=False,
            allow_gaps=True,
        )
    finally:
        support.cut.clear()
    record = first.workspaces["ws2"]
    assert not first.ok and sorted(first.failed) == ["ws2"]
    assert record["status"] == "incomplete" and record["missing"] == 1
    assert f"conversation {short}:" in record["gaps"][0]
    assert "ws2: incomplete: 1 missing" in str(first) and "its rows are published" in str(first)
    # allow_gaps: the workspace is still reported incomplete (and run again by the next run), the fleet is ok.
    assert allowed.ok and allowed.skipped == ["ws1", "ws3"] and sorted(allowed.failed) == ["ws2"]
    assert allowed.workspaces["ws2"]["status"] == "incomplete"
    # Once the answer is whole again, a rerun finishes it: every part of ws2, once.
    again = await ik.fleet.export(
        "conversation_parts", rows(), out=out, client=dask_client, base_url=support.url, progress=False
    )
    assert again.ok and again.skipped == ["ws1", "ws3"]
    got = written(out, "conversation_parts", 2)
    assert len(got) == len(set(got)) and set(got) == served_parts(support[2])


async def test_a_bad_token_is_isolated_a_rerun_resumes_and_no_token_is_anywhere(
    support, env, dask_client, tmp_path, monkeypatch, caplog
):
    out = tmp_path / "fleet"
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("FLEET_TOKEN_2", "revoked-sekrit-value")
    with distributed.get_task_stream(dask_client) as stream:
        first = await ik.fleet.export(
            "tickets", rows(), out=out, client=dask_client, base_url=support.url, progress=False
        )
    assert sorted(first.failed) == ["ws2"] and first.workspaces["ws2"]["error"]["reason"] == "auth"
    assert not (out / "tickets/workspace=ws2").exists()
    for k in (1, 3):
        assert set(written(out, "tickets", k)) == set(support[k].ticket_ids())
    keys = [str(task["key"]) for task in stream.data]
    assert any("tickets workspace=ws1" in key for key in keys), keys
    manifest = (out / MANIFEST).read_text()
    texts = [manifest, caplog.text, "\n".join(keys), str(first), repr(first)]
    assert all(TOKEN not in text and "revoked-sekrit-value" not in text for text in texts)

    monkeypatch.setenv("FLEET_TOKEN_2", f"{TOKEN}-2")
    before = (out / "tickets/workspace=ws1/part-0.parquet").stat().st_mtime_ns
    second = await ik.fleet.export(
        "tickets", rows(), out=out, client=dask_client, base_url=support.url, progress=False
    )
    assert second.ok and second.skipped == ["ws1", "ws3"]
    assert (out / "tickets/workspace=ws1/part-0.parquet").stat().st_mtime_ns == before
    got = written(out, "tickets", 2)
    assert len(got) == len(set(got)) and set(got) == set(support[2].ticket_ids())


async def test_since_last_is_per_kind(support, env, dask_client, tmp_path):
    out = tmp_path / "fleet"
    two = rows(2)
    for kind in ("conversations", "conversation_parts"):
        first = await ik.fleet.export(
            kind, two, out=out, client=dask_client, base_url=support.url, progress=False
        )
        assert first.ok, str(first)
    sb = support[1]
    opened = next(c for c in sb.conversation_ids() if sb.get_conversation(c)["state"] != "closed")
    async with support.client(1) as client:
        await client.conversations.close(opened, admin=sb.admin_ids[0])
    refreshed = await ik.fleet.export(
        "conversations",
        two,
        out=out,
        client=dask_client,
        base_url=support.url,
        since_last=True,
        progress=False,
    )
    assert refreshed.ok and refreshed.skipped == [] and refreshed.workspaces["ws1"]["since_last"] is True
    assert refreshed.workspaces["ws1"]["updated"] >= 1
    states = dict(partition(out, "conversations", 1, ["id", "state"]))
    assert states[opened] == "closed" and set(states) == set(sb.conversation_ids())
    # The parts' own incremental state: the close's part is there, every part still once.
    parts = await ik.fleet.export(
        "conversation_parts", two, out=out, client=dask_client, base_url=support.url, since_last=True,
        progress=False,
    )  # fmt: skip
    assert parts.ok and parts.workspaces["ws1"]["since_last"] is True
    got = written(out, "conversation_parts", 1)
    assert len(got) == len(set(got)) and set(got) == served_parts(sb)
    # Tickets were never exported here: since_last on them is a first, whole run (nothing to start from).
    tickets = await ik.fleet.export(
        "tickets", two, out=out, client=dask_client, base_url=support.url, since_last=True, progress=False
    )
    assert tickets.ok and tickets.workspaces["ws1"]["since_last"] is False
    with pytest.raises(ik.errors.ConfigurationError, match="companies have no incremental export"):
        await ik.fleet.export("companies", two, out=out, since_last=True)


async def test_the_bar_counts_workspaces_and_rows(support, env, dask_client, tmp_path, capsys):
    result = await ik.fleet.export(
        "tickets", rows(), out=tmp_path / "fleet", client=dask_client, base_url=support.url, progress=True
    )
    assert result.ok
    shown = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert shown.startswith("fleet tickets: 100%") and "3/3" in shown
    assert f"rows={result.rows:,}" in shown and "failed=0" in shown
    # A rerun skips them all: its bar starts (and ends) at every workspace and their rows.
    again = await ik.fleet.export(
        "tickets", rows(), out=tmp_path / "fleet", client=dask_client, base_url=support.url, progress=True
    )
    assert again.skipped == ["ws1", "ws2", "ws3"]
    shown = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert "3/3" in shown and f"rows={result.rows:,}" in shown
    # A shorter list: the bar counts its workspaces' rows, not every one _fleet.json remembers.
    fewer = await ik.fleet.export(
        "tickets", rows(2), out=tmp_path / "fleet", client=dask_client, base_url=support.url, progress=True
    )
    shown = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert "2/2" in shown and f"rows={fewer.rows:,}" in shown and fewer.rows < result.rows


@pytest.mark.slow
def test_the_cli_exits_7_on_a_gap_and_0_with_allow_gaps(support, tmp_path):
    listed = tmp_path / "workspaces.csv"
    listed.write_text(
        "name,token_env\nws3,FLEET_TOKEN_3\n"
    )  # the smallest: the CLI's own cluster is the cost
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEET_TOKEN_")}
    env["FLEET_TOKEN_3"] = f"{TOKEN}-3"
    args = [sys.executable, "-m", "intercomkit.cli", "fleet", "export", "conversation_parts"]
    args += ["--workspaces", str(listed), "--out", str(tmp_path / "out"), "--base-url", support.url]
    args += ["--workers", "1", "--no-progress"]
    short = support[3].conversation_ids()[1]
    support.cut.add((f"{TOKEN}-3", short))
    try:
        gap = subprocess.run(args, env=env, capture_output=True, text=True, timeout=240)
        allowed = subprocess.run(
            [*args, "--allow-gaps"], env=env, capture_output=True, text=True, timeout=240
        )
    finally:
        support.cut.clear()
    assert gap.returncode == 7, gap.stderr
    assert "fleet: 0 of 1 workspaces exported" in gap.stdout and "ws3: incomplete: 1 missing" in gap.stdout
    assert allowed.returncode == 0, allowed.stderr
    assert "ws3: incomplete: 1 missing" in allowed.stdout  # allowed, never silent
    for done in (gap, allowed):
        assert TOKEN not in done.stdout + done.stderr and "Traceback" not in done.stderr
