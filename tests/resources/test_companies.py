"""``client.companies``: CRUD, contacts of a company, the capped list, the scroll and its one-at-a-time rules."""

from __future__ import annotations

import anyio
import httpx
import pytest

from intercomkit import AsyncClient, Company
from intercomkit.errors import (
    BadRequest,
    NotFound,
    PageLimitReached,
    PaginationError,
    ScrollExpired,
    ScrollInProgress,
)
from intercomkit.sandbox import Faults, Sandbox

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
    # 10 012 of its 11 100 companies have users (the list shows only those); the scroll shows all 11 100.
    return Sandbox(contacts=111_000, companies=11_100, seed=2)


async def test_list_stops_at_10000_and_says_scroll_frame_returns_all(huge, recorded):
    client, rec = recorded(huge)
    async with client:
        got: list[str] = []
        with pytest.raises(PageLimitReached, match=r"10,000.*scroll\(\)") as info:
            async for company in client.companies.list():
                got.append(company.id)
        assert "10,012" in str(info.value)
        assert len(got) == 10_000 and len(set(got)) == 10_000
        assert all(x.status == 200 for x in rec.to("POST", "/companies/list"))  # stopped before asking

        frame = await client.companies.frame()
        assert len(frame) == 11_100 and frame["id"].is_unique
        assert set(frame["id"]) == set(huge.company_ids())


async def test_a_list_of_9961_to_10000_companies_is_walked_to_its_end():
    # 60 a page ends at 9 960 and page 167 would pass the cap: the last page shrinks (page 250 of 40).
    sb = Sandbox(contacts=110_800, companies=11_080, seed=2)
    async with sb.client() as client:
        listed = await client.companies.list(per_page=60).to_list()
        assert len(listed) == len({c.id for c in listed}) == 9_998


async def test_the_servers_page_limit_400_becomes_page_limit_reached(huge):
    async with huge.client() as client:
        paginator = client.companies.list(per_page=60)
        paginator.style = type(paginator.style)("/companies/list", per_page=60, cap=1_000_000, start_page=167)
        with pytest.raises(PageLimitReached, match="scroll") as info:
            await paginator.to_list()
        assert info.value.status == 400 and info.value.code == "parameter_invalid"


async def test_the_list_leaves_out_companies_without_users_frame_does_not(sb, recorded):
    # "the API does not include companies who have no associated users in list responses" (list all companies)
    client, rec = recorded(sb)
    async with client:
        listed = {c.id for c in await client.companies.list().to_list()}
        frame = await client.companies.frame()
        assert set(frame["id"]) == set(sb.company_ids()) and len(frame) == 30
        without_users = set(frame["id"]) - listed
        assert without_users, "the sandbox has companies without users"
        for company_id in without_users:
            assert await client.companies.contacts_of(company_id).to_list() == []
        assert (await client.companies.list().first_page()).total_count == len(listed)

        # "Companies will be only visible in Intercom when there is at least one associated user" (create)
        made = await client.companies.create_or_update(company_id="new-co", name="New Co")
        assert made.id not in {c.id for c in await client.companies.list().to_list()}
        await client.companies.attach(sb.contact_ids()[0], made.id)
        assert made.id in {c.id for c in await client.companies.list().to_list()}
    assert rec.to("GET", "/companies/scroll")


async def test_the_list_follows_last_request_at_and_is_not_a_snapshot(sb):
    # "The company list is sorted by the `last_request_at` field and by default is ordered descending"
    async with sb.client() as client:
        listed = await client.companies.list().to_list()
        stamps = [c.raw["last_request_at"] for c in listed]
        assert stamps == sorted(stamps, reverse=True)

        last = listed[-1].id
        sb.company_activity(last)
        assert (await client.companies.list().to_list())[0].id == last

        # Companies move while a walk runs: a repeat is dropped, the company moved ahead of the walk is missed.
        seen: list[str] = []
        async for page in client.companies.list(per_page=5).pages():
            seen += [c["id"] for c in page.items]
            if page.number == 1:
                sb.company_activity(seen[0])  # pushes every other company one place down: page 2 repeats one
                behind = (await client.companies.list().to_list())[-1].id
                sb.company_activity(behind)  # jumps ahead of the walk
        assert len(seen) == len(set(seen)) and behind not in seen

        # The scroll is in creation order, which activity does not change: frame() has them all.
        frame = await client.companies.frame()
        assert set(frame["id"]) == set(sb.company_ids())


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
            with pytest.raises(ScrollInProgress, match="one at a time"):
                await client.companies.frame()  # every company: the scroll
            assert len(await client.companies.frame(limit=3)) == 3  # a sample: the list
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


# -- a scroll cannot be retried, only restarted --------------------------------------------------------------
# Intercom's description (scroll): "you will need to restart your scroll query: It is not possible to continue from
# a specific point". The sandbox advances a scroll when it answers, even when the answer is lost on the way.

LOST_ANSWERS = [
    Faults(rate=0.15, seed=4, kinds=("drop",)),  # the connection dies after the scroll advanced
    Faults(rate=0.15, seed=5, kinds=("truncate",)),  # the answer is cut in half
    Faults(
        rate=0.15, seed=6, kinds=("500", "502", "503"), error_after_effect=True
    ),  # "Please restart the scroll"
]


@pytest.mark.parametrize("faults", LOST_ANSWERS, ids=["drop", "truncate", "5xx"])
async def test_re_sending_a_lost_scroll_page_skips_it_so_the_scroll_restarts(clock, faults):
    def faulty() -> Sandbox:
        return Sandbox(contacts=300, companies=100, seed=2, clock=clock, faults=faults)

    # What a retry of the same scroll_param does (the old behaviour): pages are skipped, silently.
    sb = faulty()
    async with sb.client(clock=clock, sleep=clock.sleep) as client:
        resent: list[str] = []
        param = None
        while True:
            params = {"scroll_param": param} if param else {}
            try:
                body = await client.request("GET", "/companies/scroll", params=params, repeatable=True)
            except BadRequest:  # the opening request was lost after it opened the scroll: wait it out
                assert param is None
                await clock.sleep(61)
                continue
            except NotFound:  # the lost answer was the empty last page: the scroll is closed
                break
            param = body["scroll_param"]
            if not body["data"]:
                break
            resent += [c["id"] for c in body["data"]]
        assert len(resent) < 100 and len(set(resent)) == len(resent)

    sb = faulty()
    async with sb.client(clock=clock, sleep=clock.sleep) as client:
        scroll = client.companies.scroll()
        ids = [c.id async for c in scroll]
        assert sorted(ids) == sorted(sb.company_ids()) and scroll.restarts > 0
    # a lost scroll stays open on Intercom until it has been idle a minute: a restart waits that out
    assert any(60 <= seconds <= 62 for seconds in clock.slept)


async def test_a_failed_scroll_page_raises_scroll_expired_when_asked_not_to_restart(clock):
    sb = Sandbox(contacts=300, companies=100, seed=2, clock=clock, faults=LOST_ANSWERS[0])
    async with sb.client(clock=clock, sleep=clock.sleep) as client:
        with pytest.raises(ScrollExpired, match="failed .*restart") as info:
            await client.companies.scroll(on_expired="raise").to_list()
    assert info.value.__cause__ is not None  # the lost page's own error


async def test_a_scroll_page_is_never_re_sent_with_its_scroll_param(clock):
    faults = Faults(rate=0.15, seed=1, kinds=("drop", "500"), error_after_effect=True)
    sb = Sandbox(contacts=100, companies=60, seed=1, clock=clock, faults=faults)
    sent: list[tuple[str | None, bool]] = []  # (scroll_param, whether the answer was lost)

    class Spy(httpx.AsyncBaseTransport):
        def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
            self.inner = inner

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path != "/companies/scroll":
                return await self.inner.handle_async_request(request)
            param = request.url.params.get("scroll_param")
            try:
                response = await self.inner.handle_async_request(request)
            except httpx.TransportError:
                sent.append((param, True))
                raise
            sent.append((param, response.status_code >= 500))
            return response

    async with AsyncClient(
        token=sb.token, base_url=sb.base_url, transport=Spy(sb.transport()), clock=clock, sleep=clock.sleep
    ) as client:
        ids = [c.id async for c in client.companies.scroll()]
    assert sorted(ids) == sorted(sb.company_ids())
    lost = [i for i, (_, failed) in enumerate(sent) if failed]
    assert lost, "the faults hit the scroll"
    # after a lost answer the next scroll request opens a new scroll: it never continues the lost one
    assert all(sent[i + 1][0] is None for i in lost)


async def test_a_scroll_that_comes_back_short_is_not_returned_as_every_company(clock):
    """The scroll has no count of its own (Intercom's example: total_count null); the list's count of companies
    with users is a floor it must reach. A server that skips a page is caught."""
    sb = Sandbox(contacts=300, companies=30, seed=0, clock=clock)

    class SkipAPage(httpx.AsyncBaseTransport):
        """Answers the first scroll_param request with the page after it: one page is never seen."""

        def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
            self.inner, self.skipped = inner, False

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.params.get("scroll_param") and not self.skipped:
                self.skipped = True
                await (await self.inner.handle_async_request(request)).aread()
            return await self.inner.handle_async_request(request)

    async with AsyncClient(
        token=sb.token,
        base_url=sb.base_url,
        transport=SkipAPage(sb.transport()),
        clock=clock,
        sleep=clock.sleep,
    ) as client:
        with pytest.raises(PaginationError, match="at least") as info:
            await client.companies.frame()
    assert "missing" in str(info.value)


async def test_every_company_is_the_scroll_checked_against_the_lists_count(clock):
    """``companies.every()`` is what ``frame()`` and the export walk: the scroll, then its check."""
    sb = Sandbox(contacts=300, companies=30, seed=0, clock=clock)
    async with sb.client(clock=clock, sleep=clock.sleep) as client:
        every = client.companies.every()
        ids = [c.id async for c in every]
        assert sorted(ids) == sorted(sb.company_ids()) and every.received == 30
        assert every.missing == 0 and every.expected is not None and every.expected <= 30
        assert every.listed_before == await client.companies.with_users_count()
