"""``client.companies``: CRUD, contacts of a company, the capped list, the scroll and its one-at-a-time rules."""

from __future__ import annotations

import anyio
import pytest

from intercomkit import Company
from intercomkit.errors import NotFound, PageLimitReached, ScrollExpired, ScrollInProgress
from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def test_create_update_delete_and_membership(sb, recorded, spec_check):
    client, rec = recorded(sb)
    async with client:
        made = await client.companies.create_or_update(
            company_id="acme-1",
            name="Acme",
            plan="pro",
            size=0,
            monthly_spend=0,
            custom_attributes={"tier": ""},
        )
        assert isinstance(made, Company) and made.company_id == "acme-1" and made.name == "Acme"
        assert made.raw["size"] == 0 and made.raw["monthly_spend"] == 0
        again = await client.companies.create_or_update(company_id="acme-1", name="Acme Inc")
        assert again.id == made.id and again.name == "Acme Inc"
        assert (await client.companies.get(made.id)).name == "Acme Inc"
        assert (await client.companies.update(made.id, size=12)).raw["size"] == 12

        contact = sb.contact_ids()[0]
        attached = await client.companies.attach(contact, made.id)
        assert attached.id == made.id
        assert [c.id for c in await client.companies.contacts_of(made.id).to_list()] == [contact]
        assert made.id in [c.id for c in await client.contacts.companies(contact).to_list()]
        assert (await client.companies.detach(contact, made.id)).id == made.id
        assert await client.companies.contacts_of(made.id).to_list() == []

        deleted = await client.companies.delete(made.id)
        assert deleted.raw.get("deleted") is True
        for call in (
            client.companies.get(made.id),
            client.companies.update(made.id, name="x"),
            client.companies.delete(made.id),
        ):
            with pytest.raises(NotFound, match=made.id):
                await call
        with pytest.raises(NotFound, match="nope"):
            await client.companies.attach(contact, "nope")

        with pytest.raises(TypeError, match="size"):
            await client.companies.create_or_update(company_id="x", size="big")
        with pytest.raises(TypeError, match="unknown company field"):
            await client.companies.update(made.id, colour="red")

    for method, path, template in [
        ("POST", "/companies", "/companies"),
        ("GET", f"/companies/{made.id}", "/companies/{company_id}"),
        ("PUT", f"/companies/{made.id}", "/companies/{company_id}"),
        ("GET", f"/companies/{made.id}/contacts", "/companies/{company_id}/contacts"),
        ("POST", f"/contacts/{contact}/companies", "/contacts/{contact_id}/companies"),
        (
            "DELETE",
            f"/contacts/{contact}/companies/{made.id}",
            "/contacts/{contact_id}/companies/{company_id}",
        ),
    ]:
        exchanges = rec.to(method, path)
        assert exchanges, (method, path)
        spec_check(method, template, exchanges[0])
    assert not [x for x in rec.exchanges if x.status >= 500]


@pytest.fixture(scope="module")
def huge() -> Sandbox:
    return Sandbox(contacts=10, companies=10_050, seed=1)


async def test_list_stops_at_10000_and_says_scroll_frame_returns_all(huge, recorded):
    client, rec = recorded(huge)
    async with client:
        got: list[str] = []
        with pytest.raises(PageLimitReached, match=r"10,000.*scroll\(\)") as info:
            async for company in client.companies.list():
                got.append(company.id)
        assert "10,050" in str(info.value)
        assert len(got) == 10_000 and len(set(got)) == 10_000
        assert all(x.status == 200 for x in rec.to("POST", "/companies/list"))  # stopped before asking

        frame = await client.companies.frame()
        assert len(frame) == 10_050 and frame["id"].is_unique
        assert set(frame["id"]) == set(huge.company_ids())


async def test_the_servers_page_limit_400_becomes_page_limit_reached(huge):
    async with huge.client() as client:
        paginator = client.companies.list(per_page=60)
        paginator.style = type(paginator.style)("/companies/list", per_page=60, cap=1_000_000, start_page=167)
        with pytest.raises(PageLimitReached, match="scroll") as info:
            await paginator.to_list()
        assert info.value.status == 400 and info.value.code == "parameter_invalid"


async def test_frame_uses_the_list_when_it_can(sb, recorded):
    client, rec = recorded(sb)
    async with client:
        frame = await client.companies.frame()
    assert len(frame) == 30 and not rec.to("GET", "/companies/scroll")


def _clocked(total: int, clock) -> Sandbox:
    return Sandbox(contacts=5, companies=total, seed=2, clock=clock)


async def test_scroll_restarts_after_expiry_and_skips_what_it_returned(clock):
    sb = _clocked(100, clock)
    async with sb.client(clock=clock, sleep=clock.sleep) as client:
        ids = []
        async for page in client.companies.scroll(on_expired="restart").pages():
            ids += [c["id"] for c in page.items]
            if len(ids) == 30:
                clock.now += 61  # idle past Intercom's one-minute expiry
        assert len(ids) == 100 and set(ids) == set(sb.company_ids())


async def test_scroll_raises_on_expiry_when_asked(clock):
    sb = _clocked(100, clock)
    async with sb.client(clock=clock, sleep=clock.sleep) as client:
        seen = []
        with pytest.raises(ScrollExpired, match="30 companies"):
            async for company in client.companies.scroll(on_expired="raise"):
                seen.append(company.id)
                if len(seen) == 30:
                    clock.now += 61
        assert len(seen) == 30


async def test_a_second_scroll_in_this_process_is_refused(clock):
    sb = _clocked(30, clock)
    async with sb.client(clock=clock, sleep=clock.sleep) as client:
        first = client.companies.scroll().pages()
        await first.__anext__()
        try:
            with pytest.raises(ScrollInProgress, match="one at a time"):
                await client.companies.scroll().to_list()
            assert len(await client.companies.frame()) == 30  # fits the list: no scroll needed
        finally:
            await first.aclose()
        # The abandoned scroll stays open on the server for a minute: the next one waits it out.
        assert len(await client.companies.scroll().to_list()) == 30
        assert 60 <= sum(clock.slept) <= 70


async def test_scrolls_in_two_tasks_one_wins():
    async def checkpoint(seconds: float) -> None:
        await anyio.sleep(0)  # let the other task run between pages, without really waiting

    sb = Sandbox(contacts=5, companies=45, latency=1.0, sleep=checkpoint)
    client = sb.client()
    outcomes: list[object] = []

    async def walk() -> None:
        try:
            outcomes.append(len(await client.companies.scroll().to_list()))
        except ScrollInProgress as exc:
            outcomes.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(walk)
        tg.start_soon(walk)
    await client.aclose()
    assert sorted(map(type, outcomes), key=str) == sorted([int, ScrollInProgress], key=str)


async def test_a_scroll_left_open_by_a_crashed_run(clock):
    sb = _clocked(40, clock)
    async with sb.client(clock=clock, sleep=clock.sleep) as client:
        await client.request("GET", "/companies/scroll")  # a crashed run's scroll, never finished
        with pytest.raises(ScrollInProgress, match="already open"):
            await client.companies.scroll(on_exists="raise").to_list()
        assert clock.slept == []
        companies = await client.companies.scroll(on_exists="wait").to_list()
        assert len(companies) == 40
        assert 60 <= sum(clock.slept) <= 70  # waited out the minute on the client's (fake) sleep
