"""``ik.fleet.export``: one Dask task per workspace into one Hive-partitioned Parquet dataset, with _fleet.json."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from fleet_helpers import TOKEN, distributed, exported_ids, part_ids, rows

import intercomkit as ik
from intercomkit.fleet import CUSTOM_COLUMN, MANIFEST

pytestmark = pytest.mark.anyio


async def test_every_partition_equals_its_workspace_and_duckdb_reads_it(fleet, tokens, dask_client, tmp_path):
    out = tmp_path / "fleet"
    result = await ik.fleet.export(
        "contacts", rows(), out=out, client=dask_client, base_url=fleet.url, progress=False
    )
    assert result.ok, str(result)
    assert result.rows == sum(len(exported_ids(sb)) for sb in fleet)
    for k, sb in enumerate(fleet, start=1):
        files = sorted((out / "contacts" / f"workspace=ws{k}").glob("*.parquet"))
        assert [f.name for f in files] == ["part-0.parquet"]
        ids = part_ids(files[0])
        assert len(ids) == len(set(ids)) and set(ids) == exported_ids(sb)
    manifest = json.loads((out / MANIFEST).read_text())["exports"]["contacts"]["workspaces"]
    assert {name: r["status"] for name, r in manifest.items()} == {
        "ws1": "done",
        "ws2": "done",
        "ws3": "done",
    }
    for name, record in manifest.items():
        assert record["rows"] == record["expected"] and record["gaps"] == [] and record["error"] is None
        assert record["started_at"] <= record["finished_at"] and isinstance(record["high_water"], int)
        assert record["part"] == f"contacts/workspace={name}/part-0.parquet"
    # One schema across workspaces: pyarrow reads the dataset as one table, the partition as a column.
    table = ds.dataset(out / "contacts", format="parquet", partitioning="hive").to_table()
    assert table.num_rows == result.rows and "workspace" in table.column_names
    assert CUSTOM_COLUMN in table.column_names
    assert not any(name.startswith("custom.") for name in table.column_names)
    duckdb = pytest.importorskip("duckdb")  # optional: read as the README says
    counted = duckdb.sql(
        f"select workspace, count(*), count(distinct id) from read_parquet('{out}/contacts/**/*.parquet', "
        "hive_partitioning=true) group by workspace order by workspace"
    ).fetchall()
    assert counted == [
        (f"ws{k}", len(exported_ids(sb)), len(exported_ids(sb))) for k, sb in enumerate(fleet, 1)
    ]
    plan = duckdb.sql(
        f"select custom_attributes->>'plan_tier' as tier from read_parquet('{out}/contacts/**/*.parquet', "
        "hive_partitioning=true) where workspace = 'ws1' and tier is not null limit 1"
    ).fetchall()
    assert plan and isinstance(plan[0][0], str)  # a custom attribute, from the one JSON column


async def test_a_bad_token_is_reported_and_the_others_complete_then_a_rerun_finishes_it(
    fleet, tokens, dask_client, tmp_path, monkeypatch
):
    out = tmp_path / "fleet"
    monkeypatch.setenv("FLEET_TOKEN_2", "revoked")
    monkeypatch.delenv("FLEET_TOKEN_3")
    first = await ik.fleet.export(
        "contacts", rows(), out=out, client=dask_client, base_url=fleet.url, progress=False
    )
    assert sorted(first.failed) == ["ws2", "ws3"]
    assert first.workspaces["ws2"]["error"]["reason"] == "auth"
    assert first.workspaces["ws2"]["error"]["type"] == "Unauthorized"
    assert first.workspaces["ws3"]["error"]["type"] == "AuthenticationRequired"
    assert "FLEET_TOKEN_3" in first.workspaces["ws3"]["error"]["message"]
    assert "ws2: failed (auth)" in str(first) and "revoked" not in str(first)
    assert set(part_ids(out / "contacts/workspace=ws1/part-0.parquet")) == exported_ids(fleet[1])
    assert not (out / "contacts/workspace=ws2").exists()

    monkeypatch.setenv("FLEET_TOKEN_2", f"{TOKEN}-2")
    monkeypatch.setenv("FLEET_TOKEN_3", f"{TOKEN}-3")
    before = (out / "contacts/workspace=ws1/part-0.parquet").stat().st_mtime_ns
    second = await ik.fleet.export(
        "contacts", rows(), out=out, client=dask_client, base_url=fleet.url, progress=False
    )
    assert second.ok and second.skipped == ["ws1"]
    assert (out / "contacts/workspace=ws1/part-0.parquet").stat().st_mtime_ns == before
    for k in (2, 3):
        ids = part_ids(out / f"contacts/workspace=ws{k}/part-0.parquet")
        assert len(ids) == len(set(ids)) and set(ids) == exported_ids(fleet[k])


async def test_memory_url_output_and_task_keys_name_workspaces_never_tokens(
    fleet, tokens, dask_client, tmp_path, caplog
):
    fsspec = pytest.importorskip("fsspec")
    caplog.set_level(logging.DEBUG)
    with distributed.get_task_stream(dask_client) as stream:
        result = await ik.fleet.export(
            "contacts",
            rows(2),
            out="memory://fleet-tests/run1",
            client=dask_client,
            base_url=fleet.url,
            state_dir=tmp_path / "state",
            progress=False,
        )
    assert result.ok and result.dataset == "memory://fleet-tests/run1/contacts"
    fs = fsspec.filesystem("memory")
    for k in (1, 2):
        with fs.open(f"/fleet-tests/run1/contacts/workspace=ws{k}/part-0.parquet", "rb") as fh:
            ids = pq.read_table(fh, columns=["id"]).column("id").to_pylist()
        assert len(ids) == len(set(ids)) and set(ids) == exported_ids(fleet[k])
    keys = [str(task["key"]) for task in stream.data]
    assert any("contacts workspace=ws1" in key for key in keys), keys
    # The secret scan: manifest, logs, task keys, result text, every file name and state file.
    manifest = fs.cat_file("/fleet-tests/run1/_fleet.json").decode()
    assert '"credential": "$FLEET_TOKEN_1"' in manifest
    texts = [manifest, caplog.text, "\n".join(keys), str(result), repr(result)]
    for root, _dirs, files in os.walk(tmp_path / "state"):
        for name in files:
            texts.append(os.path.join(root, name))
            if name.endswith(".json"):
                texts.append(Path(root, name).read_text())
    assert all(TOKEN not in text for text in texts)


async def test_since_last_refreshes_done_workspaces_with_what_changed(fleet, tokens, dask_client, tmp_path):
    out = tmp_path / "fleet"
    first = await ik.fleet.export(
        "contacts", rows(2), out=out, client=dask_client, base_url=fleet.url, progress=False
    )
    assert first.ok
    async with fleet.client(1) as client:
        new = await client.contacts.create(email="fleet-new@example.test", role="lead")
    refreshed = await ik.fleet.export(
        "contacts", rows(2), out=out, client=dask_client, base_url=fleet.url, since_last=True, progress=False
    )
    assert refreshed.ok and refreshed.skipped == []
    assert refreshed.workspaces["ws1"]["since_last"] is True and refreshed.workspaces["ws1"]["added"] == 1
    ids = part_ids(out / "contacts/workspace=ws1/part-0.parquet")
    assert new.id in ids and len(ids) == len(set(ids)) and set(ids) == exported_ids(fleet[1])
    async with fleet.client(1) as client:
        await client.contacts.delete(new.id)  # the module's sandbox is shared: leave it as it was


async def test_bad_arguments_are_named_errors(tmp_path):
    with pytest.raises(ik.errors.ConfigurationError, match="contacts, companies, conversations, tickets"):
        await ik.fleet.export("leads", rows(), out=tmp_path)
    with pytest.raises(ik.errors.ConfigurationError, match="not both"):
        await ik.fleet.export("contacts", rows(), out=tmp_path, region="eu", base_url="http://x")
    with pytest.raises(ik.errors.WorkspaceListError, match="no workspaces"):
        await ik.fleet.export("contacts", [], out=tmp_path)


async def test_companies_export_the_same_way(fleet, tokens, dask_client, tmp_path):
    out = tmp_path / "fleet"
    result = await ik.fleet.export(
        "companies", rows(2), out=out, client=dask_client, base_url=fleet.url, progress=False
    )
    assert result.ok, str(result)
    for k in (1, 2):
        ids = part_ids(out / f"companies/workspace=ws{k}/part-0.parquet")
        assert len(ids) == len(set(ids)) and set(ids) == set(fleet[k].company_ids())
    with pytest.raises(ik.errors.ConfigurationError, match="since_last is for contacts"):
        await ik.fleet.export("companies", rows(2), out=out, since_last=True)
