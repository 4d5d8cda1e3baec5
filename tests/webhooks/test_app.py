from __future__ import annotations

import json

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webhook_helpers import SECRET, encode, notification, signed_headers

from intercomkit.webhooks import Router, sign

pytestmark = pytest.mark.anyio


async def post(client, raw: bytes, headers=None):
    return await client.post(
        "/webhooks", content=raw, headers=signed_headers(raw) if headers is None else headers
    )


async def test_signed_notification_is_acknowledged_and_handled(router, client):
    got = []
    router.on("company.created")(got.append)
    raw = encode(notification("company.created", {"type": "company", "id": "c9"}))
    response = await post(client, raw)
    assert response.status_code == 200 and response.json() == {"status": "received"}
    await router.drain(timeout=5)
    assert [e.item_id for e in got] == ["c9"]
    assert [e.id for e in router.events] == ["notif_1"]


async def test_bad_or_missing_signature_is_401(router, client):
    raw = encode(notification("company.created"))
    calls = []
    router.on("*")(calls.append)
    assert (await post(client, raw, {})).status_code == 401
    assert (await post(client, raw, {"X-Hub-Signature": sign(raw, "wrong")})).status_code == 401
    reencoded = json.dumps(json.loads(raw), indent=1).encode()
    response = await post(client, reencoded, {"X-Hub-Signature": sign(raw, SECRET)})
    assert response.status_code == 401 and "raw bytes" in response.json()["error"]
    assert SECRET not in response.text
    assert calls == [] and router.events == [] and router.records() == []


async def test_non_json_is_400_only_when_signed(router, client):
    assert (await post(client, b"not json")).status_code == 400
    assert (await post(client, b"[1]")).status_code == 400
    assert (await post(client, b"not json", {})).status_code == 401


async def test_methods_and_health(client):
    assert (await client.get("/healthz")).status_code == 200
    response = await client.get("/webhooks")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert (await client.put("/", content=b"{}")).status_code == 405


async def test_body_over_the_limit_is_413_without_reading_it_all():
    router = Router(secret=SECRET, max_body=100_000)
    transport = httpx.ASGITransport(app=router.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
        raw = b"x" * 100_001
        assert (await post(client, raw)).status_code == 413
        exactly = encode(notification("ping")) + b" " * 10
        exactly += b" " * (100_000 - len(exactly))
        assert (await post(client, exactly)).status_code == 200

        produced = 0

        async def stream():  # chunked: no Content-Length to go by
            nonlocal produced
            for _ in range(160):
                produced += 1
                yield b"y" * 65_536

        response = await client.post("/", content=stream(), headers={"X-Hub-Signature": "sha1=" + "0" * 40})
        assert response.status_code == 413
        assert produced < 10


async def test_duplicate_ids_reach_handlers_once(router, client):
    got = []
    router.on("contact.user.updated")(got.append)
    raw = encode(notification("contact.user.updated", {"type": "contact", "id": "u1"}, id="notif_dup"))
    retry = encode(
        notification(
            "contact.user.updated", {"type": "contact", "id": "u1"}, id="notif_dup", delivery_attempts=2
        )
    )
    assert (await post(client, raw)).json() == {"status": "received"}
    assert (await post(client, retry)).json() == {"status": "duplicate"}
    await router.drain(timeout=5)
    assert len(got) == 1
    statuses = [r["status"] for r in router.records() if r["type"] == "received"]
    assert statuses == ["received", "duplicate"]


async def test_handler_failure_still_acknowledges_and_can_be_replayed(router, client):
    attempts = []

    @router.on("company.updated")
    async def fragile(event):
        attempts.append(event.id)
        if len(attempts) == 1:
            raise RuntimeError("first time fails")

    raw = encode(notification("company.updated", id="notif_x"))
    assert (await post(client, raw)).status_code == 200
    await router.drain(timeout=5)
    assert [e.id for e in router.failed()] == ["notif_x"]
    assert await router.replay("notif_x") == []
    assert attempts == ["notif_x", "notif_x"] and router.failed() == []


async def test_unrecordable_event_is_500_so_intercom_retries(tmp_path):
    router = Router(secret=SECRET, log=tmp_path / "dir.jsonl")
    (tmp_path / "dir.jsonl").mkdir()  # the disk refuses the write
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=router.app), base_url="http://h"
    ) as client:
        raw = encode(notification("ping"))
        assert (await post(client, raw)).status_code == 500
        assert router.events == []


async def test_lifespan_worker_runs_handlers_off_the_request():
    """Under a server that runs lifespan, the response does not wait for handlers."""
    router = Router(secret=SECRET)
    release = anyio.Event()
    done = []

    @router.on("ping")
    async def slow(event):
        await release.wait()
        done.append(event.id)

    app = router.app
    to_app, app_inbox = anyio.create_memory_object_stream(10)
    app_outbox, from_app = anyio.create_memory_object_stream(10)
    async with anyio.create_task_group() as tg:
        tg.start_soon(app, {"type": "lifespan"}, app_inbox.receive, app_outbox.send)
        await to_app.send({"type": "lifespan.startup"})
        assert (await from_app.receive())["type"] == "lifespan.startup.complete"

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://h") as client:
            raw = encode(notification("ping", id="notif_bg"))
            assert (await post(client, raw)).status_code == 200
        assert done == []  # answered while the handler is still waiting
        release.set()
        await to_app.send({"type": "lifespan.shutdown"})
        assert (await from_app.receive())["type"] == "lifespan.shutdown.complete"
    assert done == ["notif_bg"]
    await router.drain(timeout=5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.binary(max_size=400),
        st.builds(lambda d: json.dumps(d).encode(), st.dictionaries(st.text(max_size=5), st.integers())),
    ),
    header=st.one_of(
        st.none(),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
        st.just("sha1=" + "a" * 40),
    ),
)
def test_fuzz_unsigned_input_never_reaches_a_handler(body, header):
    router = Router(secret=SECRET, max_body=300)
    calls = []
    router.on("*")(calls.append)

    async def main():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=router.app), base_url="http://h"
        ) as client:
            headers = {} if header is None else {"X-Hub-Signature": header}
            return (await client.post("/", content=body, headers=headers)).status_code

    status = anyio.run(main)
    assert status in {400, 401, 413}
    assert calls == [] and router.records() == []
