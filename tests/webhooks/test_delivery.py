"""Sandbox delivery → receiver, over real HTTP (uvicorn on a free port in a thread)."""

from __future__ import annotations

import json

import httpx
import pytest
from webhook_helpers import SECRET

from intercomkit.sandbox._webhooks import USER_AGENT, WebhookDelivery
from intercomkit.webhooks import CompanyEvent, ContactEvent, Router, events_frame, serve_in_thread, verify

COMPANY = {"type": "company", "id": "66a1", "company_id": "acme", "name": "Acme", "created_at": 1714564800}


def test_delivery_builds_intercoms_payload_and_signs_the_bytes_it_sends():
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    delivery = WebhookDelivery(
        "https://example.test/hooks",
        SECRET,
        "app1",
        httpx.Client(transport=httpx.MockTransport(handler)),
        clock=lambda: 1714564800.5,
    )
    assert SECRET not in repr(delivery)
    notification_id = delivery("company.created", COMPANY)
    assert delivery.wait(timeout=5)
    (request,) = sent
    verify(request.content, request.headers["X-Hub-Signature"], SECRET)
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.content)
    assert body == {
        "type": "notification_event",
        "app_id": "app1",
        "data": {"type": "notification_event_data", "item": COMPANY},
        "links": {},
        "id": notification_id,
        "topic": "company.created",
        "delivery_status": "pending",
        "delivery_attempts": 1,
        "delivered_at": 0,
        "first_sent_at": 1714564800,
        "created_at": 1714564800,
        "self": None,
    }
    assert notification_id.startswith("notif_")
    assert [(d.id, d.status) for d in delivery.deliveries] == [(notification_id, 200)]
    delivery.close()


def test_unreachable_receiver_is_recorded_not_raised():
    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    delivery = WebhookDelivery(
        "http://nowhere.test/", SECRET, "app1", httpx.Client(transport=httpx.MockTransport(refuse))
    )
    delivery("ping", {"type": "ping", "message": "hi"})
    assert delivery.wait(timeout=5)
    assert delivery.deliveries[0].status is None and "ConnectError" in delivery.deliveries[0].error
    delivery.close()


@pytest.mark.slow
def test_end_to_end_over_real_http(tmp_path):
    log = tmp_path / "events.jsonl"
    router = Router(secret=SECRET, log=log)
    got = []

    @router.on("company.*")
    async def on_company(event):
        got.append(event)

    @router.on("contact.*.created")
    def on_contact(event):
        got.append(event)

    url, stop = serve_in_thread(router)
    try:
        assert httpx.get(url + "healthz").status_code == 200
        delivery = WebhookDelivery(url, SECRET, "app1")
        delivery("company.created", COMPANY)
        delivery("company.updated", {**COMPANY, "name": "Acme 2"})
        delivery("contact.lead.created", {"type": "contact", "id": "ct1", "role": "lead"})
        assert delivery.wait(timeout=10)
        assert [d.status for d in delivery.deliveries] == [200, 200, 200]
        assert router.wait_idle(timeout=10)
        # Intercom's retry of the same notification is acknowledged but not handled again.
        first = json.loads(log.read_text().splitlines()[0])["body"]
        resent = delivery.post(json.dumps({**first, "delivery_attempts": 2}).encode())
        assert resent.json() == {"status": "duplicate"}
        delivery.close()
    finally:
        stop()

    assert [type(e) for e in got] == [CompanyEvent, CompanyEvent, ContactEvent]
    assert got[0].company.name == "Acme" and got[1].action == "updated" and got[2].role == "lead"
    frame = events_frame(log)
    assert list(frame["topic"]) == ["company.created", "company.updated", "contact.lead.created"]
    assert list(frame["status"]) == ["handled"] * 3
