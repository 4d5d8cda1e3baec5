from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intercomkit._models import (
    Admin,
    Company,
    Contact,
    Conversation,
    ConversationPart,
    Message,
    Model,
    Ticket,
    check_contact_fields,
    updates,
)

RAW = {
    "type": "contact",
    "id": "c1",
    "email": "joe@example.com",
    "name": "Joe Secret",
    "phone": "+353",
    "created_at": 1709647200,
    "last_seen_at": None,
    "signed_up_at": "yesterday",
    "custom_attributes": {"plan": "pro"},
    "location": {"country": "Ireland"},
    "tags": {"data": [{"id": "1"}, {"id": 2}], "has_more": True},
    "future_field": 5,
}


def test_contact_fields_and_raw_fallback():
    c = Contact(RAW)
    assert c.id == "c1" and c.email == "joe@example.com" and c.raw is RAW
    assert c.created_at == datetime(2024, 3, 5, 14, tzinfo=UTC)
    assert c.last_seen_at is None and c.signed_up_at is None
    assert c.custom_attributes == {"plan": "pro"} and c.location["country"] == "Ireland"
    assert c.tag_ids == ["1", "2"] and c.tags_truncated
    assert c.future_field == 5 and c["future_field"] == 5 and "future_field" in c
    with pytest.raises(AttributeError):
        _ = c.nope


def test_repr_shows_id_and_email_only():
    text = repr(Contact(RAW))
    assert text == "Contact(id='c1', email='joe@example.com')"
    assert "Secret" not in repr(Contact(RAW)) and "353" not in text
    assert repr(Company({"id": "x", "name": "Acme"})) == "Company(id='x')"


def test_equality_by_raw():
    assert Contact(dict(RAW)) == Contact(dict(RAW))
    assert Contact({"id": "a"}) != Contact({"id": "b"})
    assert Contact({"id": "a"}) != Company({"id": "a"})


@given(
    st.dictionaries(
        st.sampled_from(list(RAW) + ["role", "owner_id", "size", "plan", "team_ids"]),
        st.none() | st.integers() | st.text() | st.lists(st.integers()) | st.floats() | st.booleans(),
    )
)
def test_models_never_raise_on_odd_records(raw):
    for cls in (Contact, Company, Admin, Message, Conversation, ConversationPart, Ticket):
        m = cls(raw)
        for name in dir(cls):
            if not name.startswith("_") and isinstance(getattr(cls, name, None), property):
                getattr(m, name)
        repr(m)


def test_models_accept_non_dicts():
    assert Model(None).raw == {} and Model("junk").id is None


def test_company_admin_message():
    co = Company(
        {"id": "1", "plan": {"name": "Pro"}, "size": 10, "monthly_spend": 5.5, "remote_created_at": 0}
    )
    assert co.plan == "Pro" and co.size == 10 and co.monthly_spend == 5.5 and co.remote_created_at is None
    assert Admin({"id": "9", "team_ids": [1, 2], "away_mode_enabled": False}).team_ids == ["1", "2"]
    assert Message({"id": "m", "message_type": "email"}).message_type == "email"


def test_updates_keeps_falsy_values_and_omits_unpassed():
    assert updates(unsubscribed_from_emails=False, name="", custom_attributes={"seats": 0}) == {
        "unsubscribed_from_emails": False,
        "name": "",
        "custom_attributes": {"seats": 0},
    }
    assert updates() == {}
    assert updates(phone=None) == {"phone": None}
    assert updates(signed_up_at=datetime(2024, 3, 5, 14)) == {"signed_up_at": 1709647200}


def test_check_contact_fields_types():
    with pytest.raises(TypeError, match="email must be a str"):
        check_contact_fields({"email": 5})
    with pytest.raises(TypeError, match="custom_attributes must be a dict"):
        check_contact_fields({"custom_attributes": ["x"]})
    with pytest.raises(TypeError, match="unsubscribed_from_emails must be a bool"):
        check_contact_fields({"unsubscribed_from_emails": 1})
    with pytest.raises(TypeError, match="last_seen_at must be unix seconds"):
        check_contact_fields({"last_seen_at": "2024-01-01"})
    with pytest.raises(TypeError, match=r"unknown contact field\(s\) 'plan'.*known fields: role"):
        check_contact_fields({"plan": "pro"})
    with pytest.raises(TypeError, match="email cannot be None"):
        check_contact_fields({"email": None})
    assert check_contact_fields({"owner_id": 42}) == {"owner_id": "42"}
