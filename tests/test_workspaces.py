"""Per-workspace state (one open scroll, one rate budget) lives in one explicit registry, keyed by a digest."""

from __future__ import annotations

import pytest

from intercomkit import AsyncClient, WorkspaceRegistry
from intercomkit._limiter import RequestLimiter
from intercomkit.errors import ScrollInProgress
from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio

TOKEN = "tok_workspace_secret_1234567890"


def test_the_workspace_key_names_the_workspace_without_the_token():
    a = AsyncClient(token=TOKEN, base_url="https://api.intercom.io")
    b = AsyncClient(token=TOKEN, base_url="https://api.intercom.io")
    other_token = AsyncClient(token=TOKEN + "x", base_url="https://api.intercom.io")
    other_host = AsyncClient(token=TOKEN, base_url="https://api.eu.intercom.io")
    assert a.workspace_key == b.workspace_key
    assert len({a.workspace_key, other_token.workspace_key, other_host.workspace_key}) == 3
    assert TOKEN not in a.workspace_key and a.workspace_key not in repr(a)


def test_clients_of_one_workspace_share_a_budget_in_their_registry():
    registry = WorkspaceRegistry()
    a = AsyncClient(token=TOKEN, base_url="https://api.intercom.io", workspaces=registry)
    b = AsyncClient(token=TOKEN, base_url="https://api.intercom.io", workspaces=registry)
    isolated = AsyncClient(token=TOKEN, base_url="https://api.intercom.io", workspaces=WorkspaceRegistry())
    assert RequestLimiter(a).budget is RequestLimiter(b).budget
    assert RequestLimiter(isolated).budget is not RequestLimiter(a).budget
    limiter = RequestLimiter(a)
    registry.reset()
    assert RequestLimiter(b).budget is not limiter.budget


async def test_an_open_scroll_is_held_in_the_clients_registry_until_closed():
    registry = WorkspaceRegistry()
    sb = Sandbox(contacts=1, companies=30)
    async with sb.client(workspaces=registry) as client:
        pages = client.companies.scroll().pages()
        await pages.__anext__()
        with pytest.raises(ScrollInProgress, match="one at a time"):
            await client.companies.scroll().to_list()
        assert not registry.open_scroll(client.workspace_key)
        await pages.aclose()
        assert registry.open_scroll(client.workspace_key)  # closed: free again (and now marked by this test)
        registry.reset()
        assert registry.open_scroll(client.workspace_key)
