"""``intercomkit export reporting`` through the real console script, against the in-process sandbox."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from intercomkit.sandbox import Sandbox

INTERCOMKIT = str(Path(sys.executable).with_name("intercomkit"))


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([INTERCOMKIT, "export", "reporting", "--sandbox", "--no-progress", *args],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_export_reporting_writes_the_dataset_as_csv(tmp_path):
    out = tmp_path / "conversations.csv"
    done = _run("--dataset", "conversation", "--attributes", "conversation_id,first_response_time",
                "--since", "2000-01-01", "--until", "2030-01-01", "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["conversation.conversation_id", "conversation.first_response_time"]
    # the CLI's sandbox is the default one (seed 0): the same conversations
    assert sorted(r[0] for r in rows[1:]) == sorted(Sandbox(seed=0).conversation_ids())
    assert done.stdout.startswith(f"wrote {len(rows) - 1} rows to {out}")


def test_export_reporting_usage_errors_exit_2(tmp_path):
    out = str(tmp_path / "x.csv")
    missing = _run("--dataset", "conversation", "--since", "2024-01-01", "--out", out)
    assert missing.returncode == 2 and "needs --dataset, --since and --until" in missing.stderr
    unknown = _run("--dataset", "imaginary", "--since", "2024-01-01", "--until", "2024-02-01", "--out", out)
    assert unknown.returncode == 2 and "no reporting dataset 'imaginary'" in unknown.stderr
    attribute = _run("--dataset", "conversation", "--attributes", "nope", "--since", "2024-01-01",
                     "--until", "2024-02-01", "--out", out)  # fmt: skip
    assert attribute.returncode == 2 and "'nope' is not one of its attributes" in attribute.stderr
    assert not Path(out).exists()


def test_export_reporting_to_an_unwritable_path_exits_6_naming_it(tmp_path):
    out = tmp_path / "missing-dir" / "conversations.csv"
    done = _run(
        "--dataset", "conversation", "--since", "2024-01-01", "--until", "2024-02-01", "--out", str(out)
    )
    assert done.returncode == 6, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"intercomkit: cannot write {out}: No such file or directory; nothing was written"
    ]
    assert "Traceback" not in done.stderr
