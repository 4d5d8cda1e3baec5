"""Issue 22 §1: each committed window is written once, as an uncompressed Arrow IPC part read back memory-mapped at
the merge; a checkpoint of the previous on-disk format (snappy Parquet parts) still resumes to the same file."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from export_helpers import interrupted
from export_helpers import sandbox_client as _client

from intercomkit._frames import read_contacts_csv
from intercomkit.export._sinks import read_part, read_part_schema
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
