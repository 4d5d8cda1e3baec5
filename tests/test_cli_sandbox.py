"""`intercomkit sandbox serve` serves real HTTP that the client (and any HTTP tool) can walk."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import anyio
import httpx
import pytest

import intercomkit as ik


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served():
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "intercomkit.cli",
            "sandbox",
            "serve",
            "--port",
            str(port),
            "--contacts",
            "300",
            "--token",
            "t0k",
            "--conversations",
            "30",
            "--tickets",
            "7",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/me", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stderr.read().decode()) from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_served_sandbox_holds_the_asked_support_workspace(served):
    headers = {"Authorization": "Bearer t0k"}
    conversations = httpx.get(served + "/conversations", headers=headers).json()
    # 30 generated, index 5 deleted ("% 47 == 5")
    assert conversations["total_count"] == 29
    query = {"query": {"field": "created_at", "operator": ">", "value": 0}}
    tickets = httpx.post(served + "/tickets/search", headers=headers, json=query).json()
    assert tickets["total_count"] == 7


def test_served_sandbox_walks_300_contacts_in_two_pages(served):
    headers = {"Authorization": "Bearer t0k", "Accept": "application/json", "Intercom-Version": "2.16"}
    ids: list[str] = []
    pages = 0
    params: dict = {"per_page": 150}
    while True:
        body = httpx.get(served + "/contacts", params=params, headers=headers).json()
        pages += 1
        ids += [c["id"] for c in body["data"]]
        nxt = (body.get("pages") or {}).get("next")
        if not nxt:
            break
        params = {"per_page": 150, "starting_after": nxt["starting_after"]}
    assert pages == 2 and len(ids) == 300 == len(set(ids))
    assert httpx.get(served + "/contacts", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_client_against_served_sandbox(served):
    async def main():
        async with ik.AsyncClient(token="t0k", base_url=served) as client:
            me = await client.me()
            contacts = await client.contacts.list().to_list()
            with pytest.raises(ik.errors.NotFound):
                await client.contacts.get("does-not-exist")
        async with ik.AsyncClient(token="wrong", base_url=served) as client:
            with pytest.raises(ik.errors.Unauthorized):
                await client.me()
        return me, contacts

    me, contacts = anyio.run(main)
    assert me.type == "admin" and me.app["name"]
    assert len({c.id for c in contacts}) == 300
