"""``client.sync``: the sync facade over the bridge, from plain code and from inside a running loop."""

import asyncio

import pytest

import intercomkit as ik
from intercomkit._sync import SyncClient, SyncPaginator, SyncProxy
from intercomkit.errors import NotFound
from intercomkit.sandbox import Sandbox


@pytest.fixture(scope="module")
def sb():
    return Sandbox(contacts=200, companies=30, seed=3)


def test_facade_in_plain_code(sb, tmp_path):
    with sb.client().sync as client:
        assert isinstance(client, SyncClient)
        assert client.me().type == "admin"
        assert client.request("GET", "/me")["email"] == client.me().email

        frame = client.contacts.frame()
        assert len(frame) == 200
        assert "email" in frame.columns
        assert len(client.contacts.frame(limit=25)) == 25

        listing = client.contacts.list(per_page=50)
        assert isinstance(listing, SyncPaginator)
        assert [c.id for c in listing.to_list(limit=5)] == [r["id"] for r in listing.raw(limit=5)]
        assert len(listing.frame(limit=7)) == 7
        assert len(listing.first_page()) == 50
        assert listing.total_count == 200
        assert len(list(listing)) == 200

        assert len(client.companies.frame()) == 30
        assert len(client.admins.list()) == 3

        result = client.export.contacts(tmp_path / "contacts.csv", progress=False)
        assert result.rows == 200
        assert (tmp_path / "contacts.csv").exists()


def test_search_frame_matches_the_async_search(sb):
    email = ik.run_sync(sb.client().contacts.list().to_list(limit=1))[0].email
    query = ik.field("email") == email
    client = sb.client()
    found = client.sync.contacts.frame(query)
    assert list(found["email"]) == [email]
    assert len(client.sync.contacts.search(query).to_list()) == 1
    client.sync.close()


def test_errors_keep_their_type_and_plain_attributes_pass_through(sb):
    client = sb.client()
    with pytest.raises(NotFound):
        client.sync.contacts.get("no-such-contact")
    assert client.sync.base_url == sb.base_url
    assert client.sync.stats is client.stats
    assert client.sync is client.sync  # one facade per client
    assert isinstance(client.sync.export, SyncProxy)
    assert "contacts" in dir(client.sync)
    with pytest.raises(AttributeError):
        client.sync._token  # noqa: B018  (private attributes stay private)
    client.sync.close()


def test_every_call_runs_on_the_bridge_loop(sb):
    client = sb.client()
    loops = set()

    async def where():
        loops.add(asyncio.get_running_loop())
        return await client.me()

    client.sync.me()
    ik.run_sync(where())
    client.sync.contacts.frame(limit=3)
    assert len(loops) == 1
    client.sync.close()


@pytest.mark.anyio
async def test_facade_inside_a_running_loop(sb):
    # What a Jupyter cell without `await` does: sync calls while the kernel's loop is running in this thread.
    outer = asyncio.get_running_loop()
    client = sb.client()
    assert client.sync.me().type == "admin"
    assert len(client.sync.contacts.frame(limit=120)) == 120
    assert len(client.sync.companies.frame()) == 30
    assert asyncio.get_running_loop() is outer
    client.sync.close()
