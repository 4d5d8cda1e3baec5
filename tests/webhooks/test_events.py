from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from webhook_helpers import encode, notification

from intercomkit._models import Company, Contact
from intercomkit.errors import InvalidPayload
from intercomkit.webhooks import CompanyEvent, ContactEvent, Event, PingEvent, UnknownEvent, parse_event

COMPANY = {"type": "company", "id": "6630a1", "company_id": "acme", "name": "Acme", "created_at": 1714564000}


@pytest.mark.parametrize("action", ["created", "updated"])
def test_company_topics(action):
    event = parse_event(encode(notification(f"company.{action}", COMPANY, id="notif_9")))
    assert isinstance(event, CompanyEvent)
    assert event.action == action
    assert (event.id, event.topic, event.app_id) == ("notif_9", f"company.{action}", "abc123")
    assert event.created_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert event.first_sent_at == event.created_at
    assert event.delivery_attempts == 1
    assert (event.item_type, event.item_id) == ("company", "6630a1")
    assert isinstance(event.company, Company) and event.company.company_id == "acme"
    assert event.company.raw is event.item


@pytest.mark.parametrize("role", ["user", "lead"])
@pytest.mark.parametrize("action", ["created", "updated"])
def test_contact_topics(role, action):
    item = {"type": "contact", "id": "ct_1", "role": role, "email": "a@example.com"}
    event = parse_event(notification(f"contact.{role}.{action}", item))
    assert isinstance(event, ContactEvent)
    assert (event.role, event.action) == (role, action)
    assert isinstance(event.contact, Contact) and event.contact.email == "a@example.com"
    assert event.item_id == "ct_1"


def test_ping():
    event = parse_event(notification("ping", {"type": "ping", "message": "hello"}))
    assert isinstance(event, PingEvent) and event.message == "hello"


@pytest.mark.parametrize(
    "topic", ["conversation.user.created", "company.deleted", "contact.visitor.created", ""]
)
def test_unknown_topics_are_kept(topic):
    event = parse_event(notification(topic, {"type": "conversation", "id": "42"}))
    assert type(event) is UnknownEvent
    assert event.item_id == "42" and event.raw["topic"] == topic


def test_lenient_fields():
    event = parse_event(
        b'{"topic": "company.created", "created_at": "oops", "delivery_attempts": "2", "data": 5}'
    )
    assert isinstance(event, CompanyEvent)
    assert event.id is None and event.created_at is None and event.item is None and event.item_id is None
    assert event.delivery_attempts == 2
    assert parse_event(b"{}").topic is None


def test_repr_leaves_out_the_raw_body():
    event = parse_event(
        notification("company.created", {"type": "company", "id": "c", "name": "Secret Corp"})
    )
    assert "raw=" not in repr(event)


@pytest.mark.parametrize("raw", [b"", b"[]", b"null", b"42", b"{", b"\x80abc"])
def test_not_an_object(raw):
    with pytest.raises(InvalidPayload):
        parse_event(raw)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
    )
)
def test_any_json_object_parses_or_is_refused_by_name(value):
    import json

    raw = json.dumps(
        {"topic": "company.created", "id": value, "data": {"item": value}, "created_at": value}
    ).encode()
    assert isinstance(parse_event(raw), Event)
