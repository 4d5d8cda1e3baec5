"""Helpers the export tests share: a client on a sandbox that never really sleeps, and a snapshot of a folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import anyio
import httpx

import intercomkit
from intercomkit.sandbox import Sandbox


async def no_wait(seconds: float) -> None:
    await anyio.sleep(0)


def sandbox_client(
    sb: Sandbox, transport: httpx.AsyncBaseTransport | None = None, **kw
) -> intercomkit.AsyncClient:
    """A client of ``sb`` (or of ``transport`` in front of it) whose retry waits take no time."""
    return intercomkit.AsyncClient(
        token=sb.token, base_url=sb.base_url, transport=transport or sb.transport(), sleep=no_wait, **kw
    )


def snapshot(directory) -> dict[str, bytes]:
    """Every file under ``directory`` by relative path, with its bytes: to show that nothing was written."""
    return {
        os.path.relpath(os.path.join(root, name), directory): open(os.path.join(root, name), "rb").read()
        for root, _dirs, files in os.walk(directory)
        for name in files
    }


def kill_after_a_commit(proc: subprocess.Popen, out, seconds: float = 60) -> None:
    """SIGKILL an export run (``proc``, writing ``out``) once its checkpoint holds a committed window; the run
    must still be going then."""
    manifest = f"{out}.partial/manifest.json"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with open(manifest, encoding="utf-8") as fh:
                if json.load(fh)["windows"]:
                    break
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    assert proc.poll() is None, proc.communicate()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
