"""The export command: a SIGKILLed run resumes to the same id set; exit codes and the resume command."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest
from export_helpers import kill_after_a_commit

from intercomkit import errors
from intercomkit._frames import read_contacts_csv
from intercomkit.export import _cli
from intercomkit.sandbox import Sandbox


def _cli_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "intercomkit.cli", *args]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_mid_export_then_resume_gives_every_contact_once(tmp_path):
    out = tmp_path / "contacts.csv"
    args = [
        "export",
        "contacts",
        "--sandbox",
        "--sandbox-contacts",
        "9000",
        "--out",
        str(out),
        "--no-progress",
    ]
    proc = subprocess.Popen(
        _cli_cmd(*args, "--concurrency", "1", "--sandbox-latency-ms", "40"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    kill_after_a_commit(proc, out)
    assert not out.exists()
    done = subprocess.run(_cli_cmd(*args), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"wrote 9000 rows to {out}" in done.stdout
    ids = read_contacts_csv(out)["id"].tolist()
    assert len(ids) == len(set(ids))
    assert set(ids) == set(Sandbox(contacts=9000).contact_ids())
    assert not (tmp_path / "contacts.csv.partial").exists()


def test_cli_success_and_usage_errors(tmp_path):
    out = tmp_path / "c.parquet"
    ok = subprocess.run(
        _cli_cmd("export", "companies", "--sandbox", "--out", str(out)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0 and f"wrote 100 rows to {out}" in ok.stdout
    bad = subprocess.run(
        _cli_cmd("export", "contacts", "--sandbox", "--out", str(tmp_path / "c.txt")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "suffix" in bad.stderr


def _args(**kw):
    base = dict(
        what="contacts", out="c.csv", format=None, fields=None, query=None, since=None, since_last=False,
        overlap=None, reconcile=False, concurrency="auto", no_resume=False, allow_gaps=False, no_progress=True, sandbox=False,
        sandbox_contacts=1000, sandbox_companies=100, sandbox_seed=0, sandbox_latency_ms=0.0,
        sandbox_rate_limit=None, token="secret-token", token_env=None, profile=None, region="eu", base_url=None,
    )  # fmt: skip
    base.update(kw)
    return argparse.Namespace(**base)


def test_gave_up_exits_4_and_prints_the_resume_command_without_the_token(monkeypatch, capsys, tmp_path):
    async def boom(self, path, **options):
        raise errors.TransportError("POST /contacts/search failed: ConnectError")

    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.csv.partial").mkdir()
    (tmp_path / "c.csv.partial" / "manifest.json").write_text(json.dumps({"windows": {"1-2": {"rows": 7}}}))
    monkeypatch.setattr("intercomkit.export.Exporter.contacts", boom)
    code = _cli.export_command(_args(query='{"field":"role","operator":"=","value":"user"}'))
    err = capsys.readouterr().err
    assert code == 4
    assert "Could not reach https://api.eu.intercom.io: check your network" in err
    assert "1 finished window (7 rows) is kept" in err
    assert "intercomkit export contacts --out c.csv --query" in err and "--region eu" in err
    assert "secret-token" not in err
    assert "Set INTERCOM_ACCESS_TOKEN to your token, then resume with:" in err
    assert "--token-env INTERCOM_ACCESS_TOKEN" in err


def test_gave_up_with_nothing_saved_offers_no_resume(monkeypatch, capsys, tmp_path):
    async def boom(self, path, **options):
        raise errors.RateLimited("HTTP 429")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("intercomkit.export.Exporter.contacts", boom)
    assert _cli.export_command(_args()) == 4
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "api.eu.intercom.io kept answering 429" in err
    assert "Resume" not in err and "saved" not in err


def test_incomplete_exits_5(monkeypatch, capsys):
    async def short(self, path, **options):
        raise errors.ExportIncomplete("the export to c.csv is incomplete: 3 missing")

    monkeypatch.setattr("intercomkit.export.Exporter.contacts", short)
    assert _cli.export_command(_args()) == 5
    assert "incomplete" in capsys.readouterr().err
