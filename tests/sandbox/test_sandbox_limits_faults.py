"""Rate-limit windows on a fake clock, latency through an injected sleep, seeded faults."""

from __future__ import annotations

import httpx
import pytest

from intercomkit.sandbox import Faults, RateLimitConfig, Sandbox

pytestmark = pytest.mark.anyio


async def test_fixed_windows_on_the_sandbox_clock(make_client):
    now = [1_000_003.0]
    sb = Sandbox(
        contacts=5, companies=1, rate_limit=RateLimitConfig(limit=3, window=10.0), clock=lambda: now[0]
    )
    async with make_client(sb) as http:
        seen = [await http.get("/me") for _ in range(4)]
        assert [r.status_code for r in seen] == [200, 200, 200, 429]
        assert [r.headers["x-ratelimit-remaining"] for r in seen] == ["2", "1", "0", "0"]
        assert {r.headers["x-ratelimit-reset"] for r in seen} == {"1000010"}
        assert seen[3].json()["errors"][0]["code"] == "rate_limit_exceeded"
        assert "retry-after" not in seen[3].headers
        now[0] = 1_000_010.0  # the next aligned window
        r = await http.get("/me")
        assert r.status_code == 200 and r.headers["x-ratelimit-reset"] == "1000020"
    assert Sandbox(contacts=1, rate_limit=50).rate_limit == RateLimitConfig(limit=50, window=10.0)


async def test_default_headers_and_latency(make_client):
    slept = []

    async def fake_sleep(seconds):
        slept.append(seconds)

    sb = Sandbox(contacts=2, companies=1, latency=0.25, sleep=fake_sleep)
    async with make_client(sb) as http:
        r = await http.get("/contacts")
    assert r.headers["x-ratelimit-limit"] == "10000" and slept == [0.25]


async def run_with_faults(faults, n=60):
    sb = Sandbox(contacts=20, companies=2, faults=faults)
    outcomes = []
    async with httpx.AsyncClient(
        transport=sb.transport(), base_url=sb.base_url, headers={"Authorization": "Bearer sandbox"}
    ) as http:
        for _ in range(n):
            try:
                r = await http.get("/contacts")
            except httpx.ReadError:
                outcomes.append("drop")
                continue
            try:
                r.json()
                outcomes.append(r.status_code)
            except ValueError:
                outcomes.append(f"{r.status_code}:bad-body")
    return outcomes, sb


async def test_faults_are_reproducible_by_seed():
    a, sb = await run_with_faults(Faults(rate=0.3, seed=7))
    b, _ = await run_with_faults(Faults(rate=0.3, seed=7))
    c, _ = await run_with_faults(Faults(rate=0.3, seed=8))
    assert a == b and a != c
    assert {"drop", "200:bad-body", 500, "502:bad-body", "503:bad-body", 429} <= set(a)
    assert len(sb.request_log) == 60 and ("GET", "/contacts", 0) in sb.request_log


async def test_429_burst_and_truncate():
    burst, _ = await run_with_faults(Faults(rate=1.0, seed=1, kinds=("429burst",), burst=3), n=3)
    assert burst == [429, 429, 429]
    cut, _ = await run_with_faults(Faults(rate=1.0, kinds=("truncate",)), n=1)
    assert cut == ["200:bad-body"]


@pytest.mark.parametrize("after_effect", [True, False])
async def test_drop_on_post_and_side_effects(after_effect):
    sb = Sandbox(
        contacts=3, companies=1, faults=Faults(rate=1.0, kinds=("drop",), drop_after_effect=after_effect)
    )
    async with httpx.AsyncClient(
        transport=sb.transport(), base_url=sb.base_url, headers={"Authorization": "Bearer sandbox"}
    ) as http:
        with pytest.raises(httpx.ReadError):
            await http.post("/contacts", json={"email": "maybe@example.com"})
    assert (len(sb.contact_ids()) == 4) is after_effect
