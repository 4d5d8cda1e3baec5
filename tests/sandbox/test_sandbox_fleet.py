"""Many workspaces on one sandbox app, chosen by the bearer token (as Intercom chooses the workspace by token)."""

from __future__ import annotations

import httpx
import pytest

from intercomkit.sandbox import RateLimitConfig, Sandbox, SandboxFleet, serve_in_thread

pytestmark = pytest.mark.anyio


def _http(fleet: SandboxFleet, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=fleet.transport(),
        base_url=fleet.base_url,
        headers={"Authorization": f"Bearer {token}", "Intercom-Version": "2.16"},
    )


async def test_each_token_reaches_its_own_workspace_with_its_own_data(check):
    fleet = Sandbox.fleet(3, contacts=[5, 7, 9], companies=2, token="t", seed=40)
    assert fleet.tokens == ["t-1", "t-2", "t-3"]
    assert [ws.seed for ws in fleet] == [41, 42, 43]
    id_codes, id_sets = [], []
    for k in (1, 2, 3):
        async with _http(fleet, f"t-{k}") as http:
            me = check("GET", "/me", await http.get("/me"))
            id_codes.append(me["app"]["id_code"])
            listed = check("GET", "/contacts", await http.get("/contacts", params={"per_page": 50}))
            id_sets.append({c["id"] for c in listed["data"]})
    assert len(set(id_codes)) == 3
    assert [len(ids) for ids in id_sets] == [5, 7, 9]
    assert id_sets == [set(ws.contact_ids()) for ws in fleet]
    assert not (id_sets[0] & id_sets[1] or id_sets[1] & id_sets[2])


async def test_conversations_and_tickets_are_per_workspace_each_seeded_its_own(check):
    fleet = Sandbox.fleet(2, contacts=3, conversations=[4, 7], tickets=[2, 5], token="t", seed=40)
    listed = []
    for k in (1, 2):
        async with _http(fleet, f"t-{k}") as http:
            page = check("GET", "/conversations", await http.get("/conversations", params={"per_page": 20}))
            body = {
                "query": {"field": "created_at", "operator": ">", "value": 0},
                "pagination": {"per_page": 20},
            }
            tickets = check("POST", "/tickets/search", await http.post("/tickets/search", json=body))
        listed.append({c["id"]: c["created_at"] for c in page["conversations"]})
        assert set(listed[-1]) == set(fleet[k].conversation_ids())
        assert {t["id"] for t in tickets["tickets"]} == set(fleet[k].ticket_ids())
    assert [len(fleet[k].ticket_ids()) for k in (1, 2)] == [2, 5]
    assert len(listed[0]) < len(listed[1])
    # Each workspace's own seed: the same ids hold other conversations (created at other times).
    assert any(listed[0][i] != listed[1][i] for i in listed[0])


async def test_a_token_of_no_workspace_is_refused_like_intercom(check):
    fleet = Sandbox.fleet(2, contacts=3, token="t")
    for token in ("t", "t-3", "t-0", "sandbox"):
        async with _http(fleet, token) as http:
            response = await http.get("/me")
        assert response.status_code == 401
        assert check("GET", "/me", response)["errors"][0]["message"] == "Access Token Invalid"


async def test_rate_limits_are_per_workspace():
    now = [2_000_003.0]
    fleet = Sandbox.fleet(
        2, contacts=3, token="t", rate_limit=RateLimitConfig(limit=2, window=10.0), clock=lambda: now[0]
    )
    async with _http(fleet, "t-1") as one, _http(fleet, "t-2") as two:
        assert [(await one.get("/me")).status_code for _ in range(3)] == [200, 200, 429]
        assert [(await two.get("/me")).status_code for _ in range(2)] == [200, 200]


def test_fleet_arguments_are_checked():
    with pytest.raises(ValueError, match="n >= 1"):
        Sandbox.fleet(0)
    with pytest.raises(ValueError, match="2 sizes for 3"):
        Sandbox.fleet(3, contacts=[1, 2])
    with pytest.raises(ValueError, match="tickets names 1 sizes for 2"):
        Sandbox.fleet(2, contacts=1, tickets=[1])
    with pytest.raises(IndexError, match="1..2"):
        Sandbox.fleet(2, contacts=1)[3]
    assert "t-1" not in repr(Sandbox.fleet(2, contacts=1, token="t"))


async def test_a_served_fleet_answers_each_workspace_over_http():
    fleet = Sandbox.fleet(2, contacts=4, token="t")
    url, stop = serve_in_thread(fleet)
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            codes = [
                (await http.get("/me", headers={"Authorization": f"Bearer t-{k}"})).json()["app"]["id_code"]
                for k in (1, 2)
            ]
    finally:
        stop()
    assert codes == [ws._store.ws.app_id for ws in fleet]
