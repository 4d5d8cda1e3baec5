"""The notebook API is the same everywhere: ``contacts.frame``, progress bars, ``me()``, contacts of a company,
companies by your own ``company_id`` or by name (issue 17, section 5)."""

from __future__ import annotations

import pytest

import intercomkit as ik
from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def test_contacts_frame_is_async_like_companies_frame(sb, client):
    every = await client.contacts.frame()
    assert len(every) == 200 and every["id"].is_unique
    some = await client.contacts.frame(limit=25)
    assert list(some["id"]) == list(every["id"][:25])
    email = every["email"].iloc[3]
    found = await client.contacts.frame(ik.field("email") == email)
    assert list(found["email"]) == [email]
    arrow = await client.contacts.frame(limit=3, dtype_backend="pyarrow")
    assert str(arrow["id"].dtype).startswith("string")


def test_the_sync_facade_has_no_special_case(sb):
    # client.sync.contacts.frame is the generic facade over the async method, not a hand-written copy.
    client = sb.client()
    assert client.sync.contacts.frame.__qualname__ == "Contacts.frame"
    email = ik.run_sync(sb.client().contacts.list().to_list(limit=1))[0].email
    assert list(client.sync.contacts.frame(ik.field("email") == email)["email"]) == [email]
    client.sync.close()


async def test_progress_true_shows_a_bar_of_rows_out_of_total_count(client, capsys):
    await client.contacts.list(per_page=150).frame(progress=True)
    err = capsys.readouterr().err
    assert "contacts" in err and "200/200" in err and "rows" in err


async def test_progress_false_never_and_by_default_only_for_long_walks(client, capsys):
    await client.contacts.list(per_page=10).frame(progress=False)  # 20 pages, but asked for none
    assert capsys.readouterr().err == ""
    await client.contacts.list(per_page=50).frame()  # 4 pages: short, no bar
    await client.companies.frame()
    assert capsys.readouterr().err == ""
    await client.contacts.list(per_page=10).to_list()  # 20 pages > 10: a bar by default
    assert "200/200" in capsys.readouterr().err
    await client.contacts.list(per_page=10).frame(limit=50)  # only 5 pages are walked
    assert capsys.readouterr().err == ""


async def test_a_walk_without_total_count_shows_its_bar_after_ten_pages(capsys):
    sb = Sandbox(contacts=10, companies=200, seed=1)  # the scroll serves 15 a page and no total_count
    async with sb.client() as client:
        frame = await client.companies.scroll().frame()
    assert len(frame) == 200
    err = capsys.readouterr().err
    assert "companies" in err and "200" in err


async def test_me_is_an_admin_with_its_workspace(sb, client):
    me = await client.me()
    assert isinstance(me, ik.Admin)
    assert me.type == "admin" and me.email and me.name
    assert me.app["name"] == "intercomkit sandbox" and me.app["id_code"]
    assert me.raw["app"] is me.app  # the raw dict is still there
    assert repr(me) == f"Admin(id={me.id!r}, email={me.email!r})"


async def test_contacts_of_a_company_from_the_contacts_side(sb, client):
    companies = await client.companies.list(per_page=60).to_list()
    company = max(companies, key=lambda c: c.user_count or 0)
    members = await client.contacts.of_company(company.id).to_list()
    assert members and {m.id for m in members} == {
        m.id for m in await client.companies.contacts_of(company.id).to_list()
    }
    for member in members:
        assert company.id in member.company_ids
    frame = await client.contacts.of_company(company.id).frame()
    assert len(frame) == len(members)


async def test_find_a_company_by_your_company_id_or_by_name(sb, client):
    acme = await client.companies.create_or_update(company_id="acme-42", name="Acme Forty Two")
    assert (await client.companies.find(company_id="acme-42")).id == acme.id
    assert (await client.companies.find(name="Acme Forty Two")).id == acme.id
    generated = (await client.companies.list(per_page=1).to_list(limit=1))[0]
    assert (await client.companies.find(company_id=generated.company_id)).id == generated.id
    assert await client.companies.find(company_id="no-such-company") is None
    assert await client.companies.find(name="No Such Company") is None
    with pytest.raises(TypeError):
        await client.companies.find()
    with pytest.raises(TypeError):
        await client.companies.find(company_id="a", name="b")
    with pytest.raises(TypeError):
        await client.companies.find(name="  ")


@pytest.mark.parametrize("name", ["company_id", "companies.id", "company.name"])
def test_searching_contacts_by_company_points_to_of_company(name):
    with pytest.raises(ik.errors.InvalidQuery, match=r"contacts\.of_company"):
        ik.build_query(ik.field(name) == "acme")
