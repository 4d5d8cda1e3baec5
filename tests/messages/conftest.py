import pytest

from intercomkit.sandbox import Sandbox


@pytest.fixture
def sb():
    return Sandbox(contacts=30, companies=3, seed=7)


@pytest.fixture
async def client(sb):
    async with sb.client() as c:
        yield c


@pytest.fixture
def admin_id(sb):
    return sb.admin_ids[0]
