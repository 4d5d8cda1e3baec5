"""Issue 17 §1: a checkpoint and a state file belong to one workspace; nothing from another is ever merged."""

from __future__ import annotations

import json

import httpx
import pytest
from export_helpers import interrupted as _interrupted
from export_helpers import no_wait as _no_wait
from export_helpers import sandbox_client as _client
from export_helpers import snapshot as _snapshot

import intercomkit
from intercomkit.errors import ConfigurationError, WorkspaceMismatch
from intercomkit.export._sinks import read_part_schema
from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def test_sandboxes_with_other_data_are_other_workspaces():
    codes = set()
    for sb in (Sandbox(contacts=1000), Sandbox(contacts=5000), Sandbox(contacts=1000, seed=1)):
        async with sb.client() as client:
            codes.add((await client.me())["app"]["id_code"])
    assert len(codes) == 3
    async with Sandbox(contacts=1000).client() as client:  # same seed and sizes: the same workspace
        assert (await client.me())["app"]["id_code"] in codes


async def test_resume_against_another_workspace_is_refused_and_writes_nothing(tmp_path):
    out = tmp_path / "contacts.csv"
    manifest = await _interrupted(Sandbox(contacts=6000, seed=4), out)
    assert manifest["workspace"]["id_code"] and "token" not in json.dumps(manifest)
    before = _snapshot(tmp_path)
    other = Sandbox(contacts=1000, seed=4)
    async with _client(other) as client:
        with pytest.raises(WorkspaceMismatch) as caught:
            await client.export.contacts(out, progress=False)
    message = str(caught.value)
    assert "\n" not in message and "--no-resume" in message and "--out" in message
    assert manifest["workspace"]["id_code"] in message and caught.value.current["id_code"] in message
    assert isinstance(caught.value, ConfigurationError)
    assert _snapshot(tmp_path) == before and not out.exists()
    # The fix it names works: --no-resume starts over in the other workspace.
    async with _client(other) as client:
        result = await client.export.contacts(out, progress=False, resume=False)
    assert result.rows == 1000 and result.resumed_windows == 0


async def test_the_merge_refuses_a_part_from_another_workspace_whatever_the_manifest_says(tmp_path):
    out = tmp_path / "contacts.parquet"
    await _interrupted(Sandbox(contacts=6000, seed=4), out)
    partial = tmp_path / "contacts.parquet.partial"
    other = Sandbox(contacts=6000, seed=5)
    async with _client(other) as client:
        me = await client.me()
    # Someone "fixes" the checkpoint by hand so that it claims the other workspace: its parts still say otherwise.
    manifest = json.loads((partial / "manifest.json").read_text())
    manifest["workspace"] = {"api": other.base_url, "id_code": me["app"]["id_code"], "name": "x"}
    (partial / "manifest.json").write_text(json.dumps(manifest))
    before = _snapshot(tmp_path)
    async with _client(other) as client:
        with pytest.raises(WorkspaceMismatch, match="part"):
            await client.export.contacts(out, progress=False)
    assert not out.exists()
    assert {k for k in _snapshot(tmp_path) if k.endswith(".arrow")} >= {
        k for k in before if k.endswith(".arrow")
    }
    part = next(partial.glob("*.arrow"))
    assert b"intercomkit.workspace" in read_part_schema(str(part)).metadata


async def test_since_last_against_another_workspace_is_refused(tmp_path):
    out = tmp_path / "contacts.csv"
    async with _client(Sandbox(contacts=600, seed=1)) as client:
        await client.export.contacts(out, progress=False)
    state = json.loads((tmp_path / "contacts.csv.export.json").read_text())
    assert state["workspace"]["id_code"] and state["workspace"]["api"]
    before = _snapshot(tmp_path)
    async with _client(Sandbox(contacts=600, seed=2)) as client:
        with pytest.raises(WorkspaceMismatch, match="full export"):
            await client.export.contacts(out, progress=False, since_last=True)
    assert _snapshot(tmp_path) == before


async def test_another_host_is_another_workspace(tmp_path):
    out = tmp_path / "contacts.csv"
    sb = Sandbox(contacts=6000, seed=4)
    await _interrupted(sb, out)
    client = intercomkit.AsyncClient(
        token=sb.token, base_url="https://proxy.example.invalid", transport=sb.transport(), sleep=_no_wait
    )
    async with client:
        with pytest.raises(WorkspaceMismatch, match="proxy.example.invalid"):
            await client.export.contacts(out, progress=False)


class NoMe(httpx.AsyncBaseTransport):
    """A token that may not read /me: 403, as Intercom answers a missing scope."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/me"):
            body = {
                "type": "error.list",
                "errors": [{"code": "token_unauthorized", "message": "Not allowed"}],
            }
            return httpx.Response(403, json=body)
        return await self.inner.handle_async_request(request)


async def test_a_token_that_may_not_read_me_binds_the_checkpoint_to_the_host(tmp_path, caplog):
    sb = Sandbox(contacts=300, seed=2)
    out = tmp_path / "c.csv"
    async with _client(sb, NoMe(sb.transport())) as client:
        result = await client.export.contacts(out, progress=False)
    assert result.rows == 300
    state = json.loads((tmp_path / "c.csv.export.json").read_text())
    assert state["workspace"]["api"] == sb.base_url and state["workspace"]["id_code"] is None
    assert "names the API host only" in caplog.text


async def test_an_export_asks_get_me_once_for_both_the_workspace_and_its_timezone(tmp_path):
    sb = Sandbox(contacts=300, seed=2, timezone="America/Los_Angeles")
    async with _client(sb) as client:
        await client.export.contacts(tmp_path / "c.csv", progress=False)
    assert [path for method, path, _ in sb.request_log if path.endswith("/me")] == ["/me"]
