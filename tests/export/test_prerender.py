"""Window CSV lines rendered at commit time: the merge copies them only when they are exactly the final lines.

Seen from outside: the DEBUG records of ``intercomkit.export`` (each window's commit says how its lines were made,
``export_lines``; the merge says how many it copied, ``export_copied``), the checkpoint on disk, and the sandbox's
answers rewritten by a transport.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import httpx
import pytest

import intercomkit
from intercomkit._frames import read_contacts_csv
from intercomkit.errors import TransportError, WriteFailed
from intercomkit.export._plan import Plan
from intercomkit.export._sinks import ROW_GROUP
from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def _no_wait(seconds: float) -> None:
    pass


class Edit(httpx.AsyncBaseTransport):
    """The sandbox, with search answers rewritten by ``edit(contact)`` and an optional failure after N searches."""

    def __init__(self, sb: Sandbox, edit=None, fail_after: int | None = None) -> None:
        self.inner, self.edit, self.fail_after, self.searches = sb.transport(), edit, fail_after, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        search = request.url.path.endswith("/contacts/search")
        if search:
            self.searches += 1
            if self.fail_after is not None and self.searches > self.fail_after:
                raise httpx.ConnectError("network gone")
        response = await self.inner.handle_async_request(request)
        if not search or self.edit is None or response.status_code != 200:
            return response
        body = json.loads(await response.aread())
        for contact in body.get("data", []):
            self.edit(contact)
        return httpx.Response(200, headers=response.headers, content=json.dumps(body).encode())


async def _export(sb: Sandbox, out, transport=None, **kw) -> intercomkit.export.ExportResult:
    async with intercomkit.AsyncClient(
        token=sb.token,
        base_url=sb.base_url,
        transport=transport or sb.transport(),
        sleep=_no_wait,
        max_retries=1,
    ) as client:
        return await client.export.contacts(out, progress=False, **kw)


class FailRecount(httpx.AsyncBaseTransport):
    """``inner``, except that the count after the windows (a one-row search once window pages were asked for) fails:
    the run stops with every window committed in its checkpoint."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.walked = inner, False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/contacts/search"):
            per_page = json.loads(request.content)["pagination"]["per_page"]
            if per_page == 1 and self.walked:
                raise httpx.ConnectError("network gone")
            self.walked = self.walked or per_page > 1
        return await self.inner.handle_async_request(request)


def _lines(caplog) -> list[str]:
    """How each committed window's CSV lines were made, from the commits' DEBUG records."""
    return [r.export_lines for r in caplog.records if hasattr(r, "export_lines")]


def _copied(caplog) -> int:
    """How many windows' lines the last merge copied as rendered."""
    return [r.export_copied for r in caplog.records if hasattr(r, "export_copied")][-1]


async def _rendered_at_the_merge(
    sb: Sandbox, out: Path, transport, caplog, **kw
) -> intercomkit.export.ExportResult:
    """The export as the merge renders it from the Parquet parts alone (as it did before lines were pre-rendered):
    every window is committed, the rendered lines are removed from the checkpoint, and the rerun merges."""
    with pytest.raises(TransportError):
        await _export(sb, out, FailRecount(transport()), **kw)
    for lines in out.parent.glob(f"{out.name}.partial/*.csv"):
        lines.unlink()
    result = await _export(sb, out, transport(), **kw)
    assert result.resumed_windows == result.windows and _copied(caplog) == 0
    return result


def _float_seats(contact):
    # One contact in a thousand stores a float where the others store ints: the column becomes float for all.
    attrs = contact.get("custom_attributes") or {}
    if isinstance(attrs.get("seats"), int) and int(contact["id"][-3:], 16) % 997 == 0:
        attrs["seats"] = attrs["seats"] + 0.5


@pytest.mark.parametrize("fmt", ["csv", "csv.gz"])
@pytest.mark.parametrize("edit", [None, _float_seats], ids=["same-types", "a-type-changes"])
async def test_copied_lines_equal_lines_rendered_at_the_merge(tmp_path, caplog, fmt, edit):
    caplog.set_level(logging.DEBUG, logger="intercomkit.export")
    sb = Sandbox(contacts=4000, seed=5)
    fast = await _export(sb, tmp_path / f"fast.{fmt}", Edit(sb, edit))
    copied = _copied(caplog)
    slow = await _rendered_at_the_merge(sb, tmp_path / f"slow.{fmt}", lambda: Edit(sb, edit), caplog)
    assert fast.rows == slow.rows == 4000 and fast.windows > 1
    # Windows that saw only whole seats were rendered with an int column: those are rendered again.
    assert (copied == fast.windows) if edit is None else (0 < copied < fast.windows)
    frame = read_contacts_csv(tmp_path / f"fast.{fmt}")
    assert frame.equals(read_contacts_csv(tmp_path / f"slow.{fmt}"))
    if fmt == "csv":
        assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "slow.csv").read_bytes()
    if edit is not None:
        assert str(frame["custom.seats"].dtype) == "Float64"
        assert (frame["custom.seats"] % 1 == 0.5).sum() >= 1


async def test_rendered_lines_are_kept_per_window_and_checked(tmp_path):
    sb = Sandbox(contacts=3000, seed=6)
    out = tmp_path / "contacts.csv"
    with pytest.raises(intercomkit.errors.TransportError):
        await _export(sb, out, Edit(sb, fail_after=14), concurrency=1)
    partial = tmp_path / "contacts.csv.partial"
    manifest = json.loads((partial / "manifest.json").read_text())
    records = [w["csv"] for w in manifest["windows"].values()]
    assert records and all((partial / r["file"]).stat().st_size == r["size"] for r in records)
    # A damaged file is not copied: the merge renders that window from its Parquet part instead.
    damaged = partial / records[0]["file"]
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"XXXXXXXXXX")
    result = await _export(sb, out)
    assert result.resumed_windows == len(records) and result.complete
    assert b"XXXXXXXXXX" not in out.read_bytes()
    ids = read_contacts_csv(out)["id"].tolist()
    assert len(ids) == len(set(ids)) and set(ids) == set(sb.contact_ids())


async def test_incremental_and_parquet_runs_do_not_prerender(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="intercomkit.export")
    sb = Sandbox(contacts=1000, seed=7)
    await _export(sb, tmp_path / "c.parquet")
    assert _lines(caplog) and set(_lines(caplog)) == {"not rendered"}
    caplog.clear()
    await _export(sb, tmp_path / "c.csv")
    assert _lines(caplog) and "not rendered" not in _lines(caplog)
    caplog.clear()
    await _export(sb, tmp_path / "c.csv", since_last=True)
    assert set(_lines(caplog)) <= {"not rendered"}


class LateFloat(Edit):
    """In the first window to reach its 15th page (past its first row group), one record's seats become a float on
    that page and each later one (the first record with whole seats). A window needs more than ROW_GROUP rows for this: export with concurrency=1, which
    plans windows of 3,000 rows (20 pages)."""

    FROM_PAGE = ROW_GROUP // 150 + 2

    def __init__(self, sb: Sandbox) -> None:
        super().__init__(sb)
        self.pages: dict[str, int] = {}
        self.late: str | None = None  # the window whose seats turn float

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if not request.url.path.endswith("/contacts/search") or response.status_code != 200:
            return response
        window = json.dumps(json.loads(request.content)["query"], sort_keys=True)
        self.pages[window] = seen = self.pages.get(window, 0) + 1
        if seen >= self.FROM_PAGE and self.late is None:
            self.late = window
        body = json.loads(await response.aread())
        for contact in body.get("data") or [] if window == self.late else []:
            attrs = contact.get("custom_attributes") or {}
            if isinstance(attrs.get("seats"), int):
                attrs["seats"] += 0.5
                break
        return httpx.Response(200, headers=response.headers, content=json.dumps(body).encode())


async def test_lines_rendered_for_kinds_the_window_outgrew_are_rendered_again(tmp_path, caplog):
    # A window whose first row groups saw only whole seats rendered them with an int column; a later float makes the
    # column float, so those lines are dropped and the committed part is rendered instead (render_part).
    caplog.set_level(logging.DEBUG, logger="intercomkit.export")
    sb = Sandbox(contacts=6000, seed=5)
    fast = await _export(sb, tmp_path / "fast.csv", LateFloat(sb), concurrency=1)
    assert _lines(caplog).count("rendered from its part") == 1 < fast.windows
    slow = await _rendered_at_the_merge(
        sb, tmp_path / "slow.csv", lambda: LateFloat(sb), caplog, concurrency=1
    )
    assert fast.rows == slow.rows == 6000
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "slow.csv").read_bytes()


async def test_an_id_twice_in_a_page_is_deduped_in_the_copied_lines(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="intercomkit.export")
    sb = Sandbox(contacts=2000, seed=9)

    class Twice(Edit):
        async def handle_async_request(self, request):
            response = await super().handle_async_request(request)
            if not request.url.path.endswith("/contacts/search") or response.status_code != 200:
                return response
            body = json.loads(await response.aread())
            if len(body.get("data", [])) > 2:
                # The first record again, older: the newer one must win.
                body["data"].append(
                    dict(body["data"][0], updated_at=body["data"][0]["updated_at"] - 5, name="Old")
                )
            return httpx.Response(200, headers=response.headers, content=json.dumps(body).encode())

    result = await _export(sb, tmp_path / "c.csv", Twice(sb))
    assert result.rows == 2000 and "rendered from its part" in _lines(caplog)
    frame = read_contacts_csv(tmp_path / "c.csv")
    assert frame["id"].is_unique and "Old" not in set(frame["name"])


@pytest.mark.parametrize("duplicate", [False, True])
async def test_render_part_streams_row_groups_and_dedupes_like_the_merge(tmp_path, duplicate):
    from intercomkit.export._sinks import (
        PartWriter,
        base_columns,
        dedupe_newest,
        expand_custom,
        items_table,
        read_part,
        render_csv,
        render_part,
    )

    sb = Sandbox(contacts=50, seed=8)
    async with sb.client() as client:
        items = list((await client.contacts.list(per_page=50).first_page()).items)
    if duplicate:
        newer = dict(items[3], updated_at=items[3]["updated_at"] + 10, name="Newer Name")
        items.append(newer)
    columns = base_columns("contacts")
    table = items_table("contacts", items, columns)
    part = str(tmp_path / "w.arrow")
    writer = PartWriter(part, table.schema, row_group=16)
    for start in range(0, table.num_rows, 10):
        writer.write(table.slice(start, 10))
    writer.commit()
    custom = {
        "plan_tier": "string",
        "seats": "int",
        "mrr": "float",
        "beta_tester": "bool",
        "signup_source": "string",
    }
    out = [*columns, *(f"custom.{n}" for n in sorted(custom))]
    record = render_part(part, out, custom)
    lines = (tmp_path / record["file"]).read_bytes()
    assert lines == render_csv(expand_custom(dedupe_newest(read_part(part)), custom, out), out)
    assert record["rows"] == 50 and record["size"] == len(lines)
    assert (b"Newer Name" in lines) is duplicate


@pytest.mark.parametrize("where", ["as-written", "after-commit"])
async def test_a_failed_render_fails_the_export_and_the_rerun_redoes_that_window(tmp_path, where):
    # Lines are rendered as row groups are written, or (when those are not final: a type that changes mid-window)
    # from the committed part in the background while the worker fetches the next window: a render that cannot be
    # written must still stop the export with its error, and leave that window uncommitted. The disk refuses the
    # lines of the windows still to walk: a directory stands where each one's lines would go.
    # With concurrency=1 windows hold 3,000 rows (20 pages), more than a row group, as LateFloat needs.
    sb = Sandbox(contacts=6000, seed=8)
    out = tmp_path / "contacts.csv"
    partial = tmp_path / "contacts.csv.partial"
    first = Edit(sb, fail_after=28) if where == "as-written" else LateFloat(sb)
    first.fail_after = 28
    with pytest.raises(TransportError):
        await _export(sb, out, first, concurrency=1)
    manifest = json.loads((partial / "manifest.json").read_text())
    todo = Plan.from_json(manifest["plan"]).todo(manifest["windows"])
    assert manifest["windows"] and todo
    for window in todo:
        (partial / f"{window.key}.csv").mkdir()
    with pytest.raises(WriteFailed) as failed:
        await _export(sb, out, sb.transport() if where == "as-written" else LateFloat(sb), concurrency=2)
    assert any(f"{w.key}.csv" in failed.value.path for w in todo)  # the lines of a window still to walk
    manifest = json.loads((partial / "manifest.json").read_text())
    assert not {w.key for w in todo} & set(manifest["windows"])
    for window in todo:
        shutil.rmtree(partial / f"{window.key}.csv")
    result = await _export(sb, out)
    assert result.complete and result.rows == 6000
    assert sorted(read_contacts_csv(out)["id"]) == sorted(sb.contact_ids())
