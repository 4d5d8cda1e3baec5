"""One client, one event loop: mixing ``await`` and ``.sync`` is a named error that states the rule."""

from __future__ import annotations

import asyncio

import pytest

from intercomkit.errors import ConfigurationError, EventLoopMismatch
from intercomkit.sandbox import Sandbox

RULE = "use it either with await or through client.sync"


@pytest.mark.anyio
async def test_await_then_sync_is_refused_with_the_rule():
    client = Sandbox(contacts=3).client()
    assert (await client.me())["type"] == "admin"
    with pytest.raises(EventLoopMismatch, match=RULE) as caught:
        client.sync.me()
    assert isinstance(caught.value, ConfigurationError)
    assert (await client.me())["type"] == "admin"  # still usable on its own loop
    await client.aclose()


def test_sync_then_await_is_refused_with_the_rule():
    client = Sandbox(contacts=3).client()
    assert client.sync.contacts.list().to_list()  # on the sync bridge's loop

    async def main():
        with pytest.raises(EventLoopMismatch, match=RULE):
            await client.me()

    asyncio.run(main())
    client.sync.close()


def test_each_asyncio_run_is_a_new_loop():
    client = Sandbox(contacts=3).client()
    asyncio.run(client.me())
    with pytest.raises(EventLoopMismatch, match=r"asyncio.run\(\) is a new loop"):
        asyncio.run(client.me())
