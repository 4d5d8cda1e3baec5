"""Issue 17 §1-§3 through the real console entry point: one-line errors, exit codes, honest resume messages."""

from __future__ import annotations

import json
import os
import resource
import shlex
import signal
import socket
import subprocess
import sys
import time

import pytest
from export_helpers import snapshot as _snapshot

from intercomkit.sandbox import Sandbox, serve_in_thread

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="signals, rlimits")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "intercomkit.cli", *args]


def _run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(_cli(*args), capture_output=True, text=True, timeout=120, **kw)


def _windows(manifest) -> int:
    try:
        return len(json.loads(manifest.read_text())["windows"])
    except (OSError, ValueError, KeyError):
        return 0


def _stop_after_a_window(args: list[str], out, sig: int) -> subprocess.Popen:
    """Start an export, send ``sig`` once one window is committed, wait for it to end."""
    proc = subprocess.Popen(_cli(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    manifest = out.parent / f"{out.name}.partial" / "manifest.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and _windows(manifest) < 1:
        time.sleep(0.02)
    assert proc.poll() is None, proc.communicate()
    os.kill(proc.pid, sig)
    proc.wait(timeout=60)
    return proc


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_killed_export_then_resume_against_another_workspace_is_refused_with_nothing_written(tmp_path):
    """The issue's reproduction: a served sandbox, killed after one window, then `--sandbox` to the same --out."""
    url, stop = serve_in_thread(Sandbox(contacts=9000, latency=0.04))
    out = tmp_path / "slow.csv"
    try:
        served = [
            "export",
            "contacts",
            "--base-url",
            url,
            "--token",
            "sandbox",
            "--out",
            str(out),
            "--no-progress",
        ]
        _stop_after_a_window([*served, "--concurrency", "1"], out, signal.SIGKILL)
    finally:
        stop()
    before = _snapshot(tmp_path)
    refused = _run("export", "contacts", "--sandbox", "--out", str(out), "--no-progress")
    assert refused.returncode == 2, refused.stderr
    line = _one_line(refused.stderr)
    recorded = json.loads((tmp_path / "slow.csv.partial" / "manifest.json").read_text())["workspace"]
    assert recorded["id_code"] in line and url in line and "sandbox.intercomkit.invalid" in line
    assert "--no-resume" in line and "--out" in line
    assert _snapshot(tmp_path) == before and not out.exists()


def test_ctrl_c_says_what_was_kept_and_the_printed_command_resumes(tmp_path):
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
    proc = _stop_after_a_window(
        [*args, "--concurrency", "1", "--sandbox-latency-ms", "40"], out, signal.SIGINT
    )
    err = proc.stderr.read()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err and "kept in" in err, err
    command = err.split("Resume with:\n", 1)[1].strip().splitlines()[0]
    words = shlex.split(command)
    assert words[:3] == ["intercomkit", "export", "contacts"]
    done = _run(*words[1:])
    assert done.returncode == 0, done.stderr
    assert f"wrote 9000 rows to {out}" in done.stdout
    assert (
        "resumed: " in done.stdout and "windows (" in done.stdout and "kept from the last run" in done.stdout
    )


def test_output_parent_is_a_file_is_a_write_error_and_leaves_nothing(tmp_path):
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "c.csv"
    done = _run("export", "contacts", "--sandbox", "--out", str(out))
    assert done.returncode == 6, done.stderr
    line = _one_line(done.stderr)
    assert line.startswith("intercomkit: cannot write ") and "Not a directory" in line
    assert "nothing was kept" in line and "Resume" not in line


def test_output_path_that_is_a_directory_is_refused_before_any_request(tmp_path):
    (tmp_path / "c.csv").mkdir()
    done = _run("export", "contacts", "--sandbox", "--out", str(tmp_path / "c.csv"))
    assert done.returncode == 6
    assert "directory" in _one_line(done.stderr)
    assert sorted(os.listdir(tmp_path)) == ["c.csv"]


def _small_files() -> None:
    # A disk that fills up: writes past 1 MB fail with EFBIG (the signal that would kill the process is ignored).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))


def test_disk_full_keeps_committed_windows_and_says_how_to_resume(tmp_path):
    out = tmp_path / "c.csv"
    args = [
        "export",
        "contacts",
        "--sandbox",
        "--sandbox-contacts",
        "5000",
        "--out",
        str(out),
        "--no-progress",
    ]
    full = _run(*args, preexec_fn=_small_files)
    assert full.returncode == 6, full.stderr
    assert "Traceback" not in full.stderr
    first = full.stderr.splitlines()[0]
    assert first.startswith("intercomkit: cannot write ") and "File too large" in first
    assert "kept in" in first and "Resume with:" in first
    assert not out.exists()
    done = _run(*args)
    assert done.returncode == 0 and "wrote 5000 rows" in done.stdout and "resumed: " in done.stdout


def test_authentication_failure_leaves_no_checkpoint(tmp_path):
    url, stop = serve_in_thread(Sandbox(contacts=50))
    try:
        done = _run(
            "export", "contacts", "--base-url", url, "--token", "wrong", "--out", str(tmp_path / "c.csv")
        )
    finally:
        stop()
    assert done.returncode == 3 and "authentication failed" in done.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["export", "contacts", "--sandbox", "--sandbox-contacts", "-5", "--out", "c.csv"],
            "--sandbox-contacts",
        ),
        (["sandbox", "serve", "--contacts", "-5"], "--contacts"),
        (["sandbox", "serve", "--port", "70000"], "--port"),
        # The same number parsers serve every subcommand (intercomkit._cli_common).
        (["webhooks", "serve", "--port", "-3"], "--port"),
        (
            ["fleet", "export", "contacts", "--workspaces", "w.csv", "--out", "o", "--workers", "0"],
            "--workers",
        ),
        (["export", "contacts", "--sandbox", "--out", "c.csv", "--format", "parquet"], "contradicts"),
        (["export", "contacts", "--sandbox", "--out", "c.csv", "--since", "last tuesday"], "yesterday"),
        (
            [
                "export",
                "contacts",
                "--sandbox",
                "--out",
                "c.csv",
                "--query",
                '{"field":"email","operator":"~~","value":1}',
            ],
            "unknown operator",
        ),
    ],
)
def test_usage_errors_exit_2_without_a_traceback(tmp_path, args, needle):
    done = _run(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert needle in done.stderr and "Traceback" not in done.stderr
    assert os.listdir(tmp_path) == []


def test_serve_on_a_port_in_use_says_so(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run("sandbox", "serve", "--port", str(port))
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert f"127.0.0.1:{port}" in line and "in use" in line and "--port" in line
    assert "authentication" not in line
