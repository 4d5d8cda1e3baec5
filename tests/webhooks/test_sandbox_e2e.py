"""End to end: the client changes the sandbox, the sandbox signs and POSTs, the receiver routes typed events."""

from __future__ import annotations

import anyio
import pytest

import intercomkit as ik
from intercomkit.sandbox import Sandbox
from intercomkit.webhooks import CompanyEvent, ContactEvent, Router, serve_in_thread

SECRET = "sandbox-app-secret"


@pytest.mark.anyio
async def test_company_and_contact_changes_reach_the_receiver_over_http(tmp_path):
    router = Router(secret=SECRET, log=tmp_path / "events.jsonl")
    got: list = []
    router.on("company.*", "contact.*")(got.append)
    url, stop = serve_in_thread(router)
    sb = Sandbox(contacts=20, companies=5)
    delivery = sb.set_webhook(url, SECRET)
    try:
        async with sb.client() as client:
            company = await client.companies.create_or_update(company_id="acme-1", name="Acme")
            await client.companies.update(company.id, name="Acme Inc")
            lead = await client.contacts.create(role="lead", email="lead@example.com")
            await client.contacts.update(lead.id, name="Lena Lead")
        assert await anyio.to_thread.run_sync(delivery.wait, 10)
        assert await anyio.to_thread.run_sync(router.wait_idle, 10)
    finally:
        delivery.close()
        stop()

    topics = [e.topic for e in got]
    assert topics == ["company.created", "company.updated", "contact.lead.created", "contact.lead.updated"]
    created = got[0]
    assert isinstance(created, CompanyEvent) and created.company.id == company.id
    assert created.company["name"] == "Acme" and got[1].company["name"] == "Acme Inc"
    assert isinstance(got[2], ContactEvent) and got[2].role == "lead" and got[2].contact.id == lead.id
    frame = ik.webhooks.events_frame(tmp_path / "events.jsonl")
    assert list(frame["topic"]) == topics and set(frame["status"]) == {"handled"}


def test_unsigned_or_wrongly_signed_sandbox_delivery_is_refused(tmp_path):
    router = Router(secret=SECRET)
    handled: list = []
    router.on("*")(handled.append)
    url, stop = serve_in_thread(router)
    sb = Sandbox(contacts=5, companies=1)
    delivery = sb.set_webhook(url, "not-the-secret")
    try:
        anyio.run(_create_company, sb)
        assert delivery.wait(timeout=10)
        assert [d.status for d in delivery.deliveries] == [401]
        assert router.wait_idle(timeout=10)
    finally:
        delivery.close()
        stop()
    assert handled == []


async def _create_company(sb: Sandbox) -> None:
    async with sb.client() as client:
        await client.companies.create_or_update(company_id="x-1", name="X")
