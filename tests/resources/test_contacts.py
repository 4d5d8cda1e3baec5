"""``client.contacts`` through the public API against the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

import intercomkit as ik
from intercomkit import Contact
from intercomkit.errors import Conflict, NotFound

pytestmark = pytest.mark.anyio


async def test_create_get_update_delete_round_trip(sb, spec_check, recorded):
    client, rec = recorded(sb)
    async with client:
        created = await client.contacts.create(
            role="user",
            external_id="ext-1",
            email="ada@acme.com",
            phone="+44 20 7946 0000",
            name="Ada",
            avatar="https://example.com/ada.png",
            last_seen_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
            signed_up_at=1_700_000_000,
            owner_id=int(sb.admin_ids[0]),
            unsubscribed_from_emails=True,
            custom_attributes={"plan": "pro", "seats": 3, "trial": True},
        )
        assert isinstance(created, Contact) and created.id and created.email == "ada@acme.com"
        assert created.last_seen_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert created.signed_up_at.tzinfo is UTC and created.raw["signed_up_at"] == 1_700_000_000
        assert created.owner_id == sb.admin_ids[0]

        got = await client.contacts.get(created.id)
        assert got == created and got.custom_attributes == {"plan": "pro", "seats": 3, "trial": True}

        # False, 0 and "" survive a round trip (older clients dropped them as "unset").
        updated = await client.contacts.update(
            created.id,
            unsubscribed_from_emails=False,
            name="",
            custom_attributes={"seats": 0, "trial": False, "plan": ""},
        )
        sent = rec.to("PUT", f"/contacts/{created.id}")[-1].json
        assert sent == {
            "unsubscribed_from_emails": False,
            "name": "",
            "custom_attributes": {"seats": 0, "trial": False, "plan": ""},
        }
        fresh = await client.contacts.get(created.id)
        for contact in (updated, fresh):
            assert contact.raw["unsubscribed_from_emails"] is False
            assert contact.raw["name"] == ""
            assert contact.custom_attributes == {"seats": 0, "trial": False, "plan": ""}

        assert (await client.contacts.find_by_email("ADA@acme.com")).id == created.id
        assert (await client.contacts.find_by_external_id("ext-1")).id == created.id
        assert await client.contacts.find_by_email("nobody@nowhere.test") is None
        assert await client.contacts.find_by_external_id("no-such-ext") is None

        archived = await client.contacts.archive(created.id)
        assert archived.raw.get("archived") is True
        assert (await client.contacts.unarchive(created.id)).raw.get("archived") is False
        deleted = await client.contacts.delete(created.id)
        assert deleted.raw.get("deleted") is True and deleted.id == created.id
        with pytest.raises(NotFound, match=created.id):
            await client.contacts.get(created.id)

    checks = [
        ("POST", "/contacts", "/contacts"),
        ("GET", f"/contacts/{created.id}", "/contacts/{contact_id}"),
        ("PUT", f"/contacts/{created.id}", "/contacts/{contact_id}"),
        ("GET", "/contacts/find_by_external_id/ext-1", "/contacts/find_by_external_id/{external_id}"),
        ("POST", f"/contacts/{created.id}/archive", "/contacts/{contact_id}/archive"),
        ("POST", f"/contacts/{created.id}/unarchive", "/contacts/{contact_id}/unarchive"),
        ("DELETE", f"/contacts/{created.id}", "/contacts/{contact_id}"),
        ("POST", "/contacts/search", "/contacts/search"),
    ]
    for method, path, template in checks:
        exchanges = rec.to(method, path)
        assert exchanges, (method, path)
        for exchange in exchanges[:2]:
            spec_check(method, template, exchange)


async def test_wrong_types_raise_before_any_request(sb, recorded):
    client, rec = recorded(sb)
    async with client:
        some_id = sb.contact_ids()[0]
        for call in (
            client.contacts.create(email=42),
            client.contacts.create(role="user", unsubscribed_from_emails="no"),
            client.contacts.create(role="user", signed_up_at="yesterday"),
            client.contacts.create(role="user", nickname="x"),
            client.contacts.update(some_id, name=["Ada"]),
            client.contacts.update(some_id, custom_attributes="plan=pro"),
            client.contacts.update(some_id),
            client.contacts.create(name="no identity"),
            client.contacts.find_by_email(None),
        ):
            with pytest.raises(TypeError):
                await call
        with pytest.raises(TypeError):
            await client.contacts.get(123.0)
        with pytest.raises(ValueError, match="per_page"):
            client.contacts.list(per_page=151)
        with pytest.raises(ik.errors.InvalidQuery):
            client.contacts.search(ik.field("email") == 42)
    assert rec.exchanges == []


async def test_not_found_names_the_id_and_conflict_carries_the_existing_id(sb, client):
    missing = "000000000000000000000000"
    for call in (
        client.contacts.get(missing),
        client.contacts.update(missing, name="x"),
        client.contacts.delete(missing),
        client.contacts.archive(missing),
        client.contacts.tags(missing),
    ):
        with pytest.raises(NotFound, match=missing) as info:
            await call
        assert info.value.status == 404
    existing = await client.contacts.create(email="dup@acme.com", external_id="ext-dup")
    with pytest.raises(Conflict) as info:
        await client.contacts.create(email="other@acme.com", external_id="ext-dup")
    assert info.value.existing_id == existing.id and info.value.status == 409
    other = await client.contacts.create(email="other@acme.com")
    with pytest.raises(Conflict) as info:
        await client.contacts.update(other.id, external_id="ext-dup")
    assert info.value.existing_id == existing.id
    # An email is not a key: Intercom lets two contacts share one, so Conflict never guards against duplicates.
    twin = await client.contacts.create(email="dup@acme.com", external_id="ext-twin")
    assert twin.id != existing.id


async def test_tags_notes_and_companies_of_a_contact(sb, client):
    with_tags = next(
        c for c in (sb.get_contact(i) for i in sb.contact_ids()) if c["tags"]["data"] and c["notes"]["data"]
    )
    tags = await client.contacts.tags(with_tags["id"])
    assert {t.id for t in tags} >= {t["id"] for t in with_tags["tags"]["data"]}
    assert all(t.name for t in tags)
    notes = await client.contacts.notes(with_tags["id"]).to_list()
    assert {n.id for n in notes} >= {n["id"] for n in with_tags["notes"]["data"]}
    with_company = next(c for c in (sb.get_contact(i) for i in sb.contact_ids()) if c["companies"]["data"])
    companies = await client.contacts.companies(with_company["id"]).to_list()
    assert [c.id for c in companies] == [c["id"] for c in with_company["companies"]["data"]]


async def test_list_and_search_paginators(sb, client):
    everyone = sb.contact_ids()
    paginator = client.contacts.list(per_page=50)
    assert [c.id async for c in paginator] == everyone
    first = await paginator
    assert len(first) == 50 and first.total_count == len(everyone)
    sizes = [len(page) async for page in paginator.pages()]
    assert sum(sizes) == len(everyone) and max(sizes) == 50
    assert [c.id for c in await paginator.to_list(limit=3)] == everyone[:3]

    frame = await client.contacts.list(per_page=150).frame(limit=120)
    assert isinstance(frame, pd.DataFrame) and len(frame) == 120
    assert str(frame["created_at"].dtype) == "datetime64[ns, UTC]" or "UTC" in str(frame["created_at"].dtype)

    leads = client.contacts.search(ik.field("role") == "lead", sort="created_at", per_page=25)
    expected = [i for i in everyone if sb.get_contact(i)["role"] == "lead"]
    got = [c async for c in leads]
    assert {c.id for c in got} == set(expected) and len(got) == len(expected)
    assert all(isinstance(c, Contact) and c.role == "lead" for c in got)
    created = [c.raw["created_at"] for c in got]
    assert created == sorted(created)
    raw_dict = {"field": "role", "operator": "=", "value": "lead"}
    assert [c.id for c in await client.contacts.search(raw_dict).to_list()] == [c.id for c in got]


async def test_empty_results_are_empty_frames_with_the_full_schema(client):
    nobody = client.contacts.search(ik.field("email") == "nobody@nowhere.test")
    assert await nobody.to_list() == []
    assert [c async for c in nobody] == []
    frame = await nobody.frame()
    full = await client.contacts.list().frame(limit=1)
    assert len(frame) == 0 and list(frame.columns) == list(ik.CONTACT_COLUMNS)
    fixed = list(ik.CONTACT_COLUMNS)
    assert dict(frame.dtypes) == dict(full[fixed].dtypes)
    companies = await client.companies.list().frame(limit=0)
    assert len(companies) == 0 and list(companies.columns) == list(ik.COMPANY_COLUMNS)
