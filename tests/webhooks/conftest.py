from __future__ import annotations

import httpx
import pytest
from webhook_helpers import FIXED_NOW, SECRET

from intercomkit.webhooks import Router


@pytest.fixture
def router() -> Router:
    return Router(secret=SECRET, now=lambda: FIXED_NOW)


@pytest.fixture
async def client(router: Router):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=router.app), base_url="http://hooks") as c:
        yield c
