"""Issue 22 §1: each committed window is written once, as an uncompressed Arrow IPC part read back memory-mapped at
the merge; a checkpoint of the previous on-disk format (snappy Parquet parts) still resumes to the same file."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from export_helpers import interrupted
from export_helpers import sandbox_client as _client

from intercomkit._frames import read_contacts_csv
from intercomkit.export._page import read_page
from intercomkit.export._sinks import (
    base_columns,
    custom_kind,
    expand_custom,
    observe_attrs,
    read_part,
    read_part_schema,
)
from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio


def _as_previous_format(partial) -> int:
    """Rewrite the checkpoint as the previous version left it: each part a snappy Parquet file of the same rows and
    schema metadata, named so in the manifest. Returns the windows it holds."""
    manifest = json.loads((partial / "manifest.json").read_text())
    for record in manifest["windows"].values():
        part = partial / record["part"]
        assert part.suffix == ".arrow"
        old = part.with_suffix(".parquet")
        pq.write_table(read_part(str(part)), old, compression="snappy")
        part.unlink()
        record["part"] = old.name
    (partial / "manifest.json").write_text(json.dumps(manifest))
    return len(manifest["windows"])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
async def test_a_checkpoint_with_parquet_parts_resumes_to_the_same_file(tmp_path, fmt):
    sb = Sandbox(contacts=6000, seed=4)
    fresh = tmp_path / f"fresh.{fmt}"
    async with _client(sb) as client:
        await client.export.contacts(fresh, progress=False)
    out = tmp_path / f"contacts.{fmt}"
    await interrupted(sb, out)
    partial = tmp_path / f"contacts.{fmt}.partial"
    part = next(partial.glob("*.arrow"))
    assert b"intercomkit.workspace" in read_part_schema(str(part)).metadata
    kept = _as_previous_format(partial)
    assert b"intercomkit.workspace" in read_part_schema(str(part.with_suffix(".parquet"))).metadata
    async with _client(sb) as client:
        result = await client.export.contacts(out, progress=False)
    assert result.complete and result.rows == 6000 and result.resumed_windows == kept
    assert not partial.exists()
    if fmt == "parquet":
        assert pq.read_table(out).sort_by("id").equals(pq.read_table(fresh).sort_by("id"))
    else:
        got, want = read_contacts_csv(out), read_contacts_csv(fresh)
        assert (
            got.sort_values("id").reset_index(drop=True).equals(want.sort_values("id").reset_index(drop=True))
        )


async def test_lines_use_the_custom_attributes_the_page_reader_decoded():
    # The fast path decodes each record's custom attributes from the very text the part keeps (``PageRows.attrs``):
    # typing them spares the CSV lines a second decode and gives the same columns.
    sb = Sandbox(contacts=300, seed=8)
    query = {"query": {"field": "created_at", "operator": ">", "value": 0}, "pagination": {"per_page": 150}}
    async with _client(sb) as client:
        raw = await client.request_raw("POST", "/contacts/search", json=query)
    columns = base_columns("contacts")
    page = read_page(raw, columns)
    assert page.attrs is not None and any(page.attrs)
    seen: dict[str, set[str]] = {}
    observe_attrs(page.custom, seen)
    custom = {name: custom_kind(tags) for name, tags in seen.items()}
    out = [*columns, *(f"custom.{name}" for name in sorted(custom))]
    assert expand_custom(page.table, custom, out, page.attrs).equals(expand_custom(page.table, custom, out))
