"""Helpers the export tests share: a client on a sandbox that never really sleeps, and a snapshot of a folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import anyio
import httpx
import pytest

import intercomkit
from intercomkit.errors import TransportError
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


class FailLate(httpx.AsyncBaseTransport):
    """The network goes away after ``after`` searches: the run gives up with some windows committed."""

    def __init__(self, inner: httpx.AsyncBaseTransport, after: int) -> None:
        self.inner, self.after, self.searches = inner, after, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/contacts/search"):
            self.searches += 1
            if self.searches > self.after:
                raise httpx.ConnectError("network gone")
        return await self.inner.handle_async_request(request)


async def interrupted(sb: Sandbox, out) -> dict:
    """An export of ``sb``'s contacts to ``out`` that gives up after 25 searches, with windows committed: its
    checkpoint (the manifest, as JSON)."""
    async with sandbox_client(sb, FailLate(sb.transport(), after=25), max_retries=0) as client:
        with pytest.raises(TransportError):
            await client.export.contacts(out, progress=False, concurrency=1)
    manifest = json.loads((out.parent / f"{out.name}.partial" / "manifest.json").read_text())
    assert manifest["windows"]
    return manifest
