"""AsyncClient against httpx.MockTransport: headers, credentials, error mapping and retry rules with a fake clock."""

import json
import logging

import httpx
import pytest

import intercomkit as ik
from intercomkit.errors import (
    AuthenticationRequired,
    ConfigurationError,
    Conflict,
    InvalidResponse,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    UnsafeURL,
)

pytestmark = pytest.mark.anyio
TOKEN = "tok_SECRET_abc123"


class FakeTime:
    def __init__(self, now=1_700_000_000.0):
        self.now = now
        self.sleeps = []

    def clock(self):
        return self.now

    async def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def error(status, code, message, headers=None):
    body = {"type": "error.list", "request_id": "req-1", "errors": [{"code": code, "message": message}]}
    return httpx.Response(status, json=body, headers=headers or {})


def make(handler, **kw):
    fake = kw.pop("fake", None) or FakeTime()
    client = ik.AsyncClient(
        token=kw.pop("token", TOKEN),
        transport=httpx.MockTransport(handler),
        clock=fake.clock,
        sleep=fake.sleep,
        **kw,
    )
    return client, fake


async def test_headers_and_me():
    seen = {}

    def handler(request):
        seen.update(request.headers)
        seen["url"] = str(request.url)
        return httpx.Response(200, json={"type": "admin", "id": "1", "app": {"name": "Acme"}})

    client, _ = make(handler)
    async with client:
        me = await client.me()
    assert isinstance(me, ik.Admin) and me.app["name"] == "Acme" and me.raw["id"] == "1"
    assert seen["authorization"] == f"Bearer {TOKEN}"
    assert seen["intercom-version"] == "2.16"
    assert seen["accept"] == "application/json"
    assert seen["user-agent"] == f"intercomkit/{ik.__version__}"
    assert seen["url"] == "https://api.intercom.io/me"


async def test_region_and_version_override():
    urls = []

    def handler(request):
        urls.append((str(request.url), request.headers["intercom-version"]))
        return httpx.Response(200, json={})

    client, _ = make(handler, region="eu", version="2.15")
    async with client:
        await client.request("GET", "/admins")
    assert urls == [("https://api.eu.intercom.io/admins", "2.15")]


def test_token_from_environment_at_build_time():
    client = ik.AsyncClient(
        env={"INTERCOM_ACCESS_TOKEN": "env_token"}, transport=httpx.MockTransport(lambda r: None)
    )
    assert client._headers["Authorization"] == "Bearer env_token"


def test_no_token_says_how_to_connect(tmp_path, monkeypatch):
    monkeypatch.setenv("INTERCOMKIT_CONFIG_DIR", str(tmp_path))
    with pytest.raises(AuthenticationRequired, match="ik.connect|INTERCOM_ACCESS_TOKEN"):
        ik.AsyncClient(env={})


@pytest.mark.parametrize("bad", ["", "  ", "a\nb", "a\r\nX-Injected: 1"])
def test_bad_tokens_are_rejected(bad):
    with pytest.raises(ConfigurationError):
        ik.AsyncClient(token=bad)


def test_unknown_region_and_schemeless_base_url():
    with pytest.raises(ValueError, match="'us', 'eu', 'au'"):
        ik.AsyncClient(token="t", region="moon")
    with pytest.raises(ConfigurationError, match="scheme"):
        ik.AsyncClient(token="t", base_url="localhost:8765")


def test_repr_hides_token():
    client = ik.AsyncClient(token=TOKEN)
    assert TOKEN not in repr(client) and TOKEN not in str(vars(client).get("_base"))
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(client)


async def test_request_refuses_other_hosts():
    calls = []
    client, _ = make(lambda r: calls.append(r) or httpx.Response(200, json={}))
    async with client:
        for path in ["https://evil.example/me", "//evil.example/me", "/../../x", "me"]:
            with pytest.raises(UnsafeURL):
                await client.request("GET", path)
    assert calls == []


@pytest.mark.parametrize(
    ("status", "cls"), [(401, Unauthorized), (404, NotFound), (409, Conflict), (500, ServerError)]
)
async def test_errors_are_named(status, cls):
    client, _ = make(lambda r: error(status, "code_x", "went wrong"), max_retries=0)
    async with client:
        with pytest.raises(cls) as info:
            await client.request("GET", "/contacts/1")
    assert info.value.status == status and info.value.request_id == "req-1"


async def test_429_waits_for_reset_then_succeeds():
    fake = FakeTime(1000.0)
    calls = []

    def handler(request):
        calls.append(fake.now)
        if len(calls) == 1:
            return error(
                429,
                "rate_limit_exceeded",
                "Too many",
                {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1007"},
            )
        return httpx.Response(
            200,
            json={"ok": True},
            headers={"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "99", "X-RateLimit-Reset": "1010"},
        )

    client, _ = make(handler, fake=fake)
    async with client:
        assert await client.request("POST", "/contacts", json={"email": "a@b.c"}) == {"ok": True}
    assert 7.0 < fake.sleeps[0] <= 7.5
    assert client.rate_limit == ik.RateLimit(100, 99, 1010.0)
    assert client.stats.rate_limited == 1 and client.stats.retries == 1


async def test_429_gives_up_eventually_with_reset_time():
    fake = FakeTime(1000.0)
    headers = {"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1005"}
    client, _ = make(
        lambda r: error(429, "rate_limit_exceeded", "Too many", headers),
        fake=fake,
        retry_policy=ik.RetryPolicy(max_rate_limit_waits=3),
    )
    async with client:
        with pytest.raises(RateLimited) as info:
            await client.request("GET", "/contacts")
    assert info.value.reset_at == 1005.0
    assert len(fake.sleeps) == 3


async def test_5xx_retried_with_backoff_for_reads_only():
    statuses = iter([503, 502, 200])

    def handler(request):
        status = next(statuses)
        return httpx.Response(200, json={"ok": 1}) if status == 200 else error(status, "server_error", "x")

    client, fake = make(handler)
    async with client:
        assert await client.request("GET", "/contacts") == {"ok": 1}
    assert len(fake.sleeps) == 2 and fake.sleeps[1] >= fake.sleeps[0] * 0.5

    posts = []
    client, fake = make(lambda r: posts.append(r) or error(503, "server_error", "x"))
    async with client:
        with pytest.raises(ServerError):
            await client.request("POST", "/messages", json={})
    assert len(posts) == 1 and fake.sleeps == []


async def test_search_post_is_retried():
    statuses = iter([500, 200])
    client, _ = make(
        lambda r: error(500, "e", "x") if next(statuses) == 500 else httpx.Response(200, json={"data": []})
    )
    async with client:
        assert await client.request("POST", "/contacts/search", json={}) == {"data": []}


async def test_other_4xx_never_retried():
    calls = []
    client, fake = make(lambda r: calls.append(1) or error(422, "bad", "nope"))
    async with client:
        with pytest.raises(ik.errors.UnprocessableEntity):
            await client.request("PUT", "/contacts/1", json={})
    assert calls == [1] and fake.sleeps == []


async def test_read_errors_retried_for_get_but_outcome_unknown_for_create():
    attempts = []

    def flaky(request):
        attempts.append(request.method)
        if len(attempts) < 3:
            raise httpx.ReadError("connection dropped", request=request)
        return httpx.Response(200, json={"ok": 1})

    client, _ = make(flaky)
    async with client:
        assert await client.request("GET", "/contacts") == {"ok": 1}

    def dropped(request):
        attempts.append(request.method)
        raise httpx.RemoteProtocolError("peer closed", request=request)

    attempts.clear()
    client, _ = make(dropped)
    async with client:
        with pytest.raises(OutcomeUnknown, match="not retried"):
            await client.request("POST", "/contacts", json={"email": "a@b.c"})
    assert attempts == ["POST"]


async def test_connect_errors_are_safe_to_retry_even_for_creates():
    attempts = []

    def refused(request):
        attempts.append(1)
        if len(attempts) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"id": "1"})

    client, _ = make(refused)
    async with client:
        assert await client.request("POST", "/contacts", json={}) == {"id": "1"}


async def test_transport_error_after_retries():
    def refused(request):
        raise httpx.ConnectError("refused", request=request)

    client, fake = make(refused, max_retries=2)
    async with client:
        with pytest.raises(TransportError):
            await client.request("GET", "/me")
    assert len(fake.sleeps) == 2


async def test_truncated_body_retried_for_reads_and_named_otherwise():
    bodies = iter([b'{"type": "list", "da', b'{"type": "list", "data": []}'])
    client, _ = make(lambda r: httpx.Response(200, content=next(bodies)))
    async with client:
        assert await client.request("GET", "/contacts") == {"type": "list", "data": []}
    client, _ = make(lambda r: httpx.Response(200, content=b'{"id": "1", "ty'))
    async with client:
        with pytest.raises(InvalidResponse, match="HTTP 200"):
            await client.request("POST", "/contacts", json={})


async def test_decode_reads_a_raw_body_as_request_does_and_hides_the_token():
    # The export reads request_raw's bytes itself (in a worker thread): client.decode is how, with the same errors.
    client, _ = make(lambda r: httpx.Response(200, content=f"<html>{TOKEN}</html>".encode()))
    async with client:
        raw = await client.request_raw("GET", "/contacts")
        assert client.decode(b'{"type": "list", "data": []}') == {"type": "list", "data": []}
        with pytest.raises(InvalidResponse, match="HTTP 200") as info:
            client.decode(raw)
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)


async def test_secret_never_in_errors_or_logs(caplog):
    caplog.set_level(logging.DEBUG, logger="intercomkit")

    def echo(request):
        return httpx.Response(401, content=f"bad token {TOKEN}".encode())

    client, _ = make(echo)
    async with client:
        with pytest.raises(Unauthorized) as info:
            await client.request("GET", "/me")
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    assert TOKEN not in caplog.text
    assert "GET /me -> 401" in caplog.text


async def test_proactive_wait_when_window_exhausted():
    fake = FakeTime(2000.0)
    responses = iter(
        [
            httpx.Response(
                200,
                json={},
                headers={"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2004"},
            ),
            httpx.Response(
                200,
                json={},
                headers={"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "2014"},
            ),
        ]
    )
    client, _ = make(lambda r: next(responses), fake=fake)
    async with client:
        await client.request("GET", "/a")
        await client.request("GET", "/b")
    assert len(fake.sleeps) == 1 and 4.0 <= fake.sleeps[0] <= 4.25


async def test_json_body_is_sent():
    seen = []
    client, _ = make(lambda r: seen.append(json.loads(r.content)) or httpx.Response(200, json={}))
    async with client:
        await client.request("POST", "/contacts", json={"email": "a@b.c", "unsubscribed_from_emails": False})
    assert seen == [{"email": "a@b.c", "unsubscribed_from_emails": False}]


async def test_every_request_gets_fresh_headers_and_gzip_answers_are_read():
    """Requests go straight to the transport with headers merged once: each still carries exactly its own headers
    (a POST's content headers never reach the next GET), asks for gzip, and a gzip answer is decoded."""
    import gzip

    seen = []

    def handler(request):
        seen.append(request)
        body = gzip.compress(json.dumps({"type": "list", "n": len(seen)}).encode())
        return httpx.Response(200, content=body, headers={"Content-Encoding": "gzip"})

    client, _ = make(handler)
    async with client:
        assert (await client.request("POST", "/contacts/search", json={"query": {}}))["n"] == 1
        assert (await client.request("GET", "/contacts", params={"per_page": 5, "x": None}))["n"] == 2
        assert json.loads(await client.request_raw("GET", "/contacts"))["n"] == 3
    post, get, raw = seen
    assert post.headers["content-type"] == "application/json" and json.loads(post.content) == {"query": {}}
    assert "content-type" not in get.headers and "content-length" not in get.headers
    assert str(get.url) == "https://api.intercom.io/contacts?per_page=5"
    for request in seen:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert "gzip" in request.headers["accept-encoding"]
        assert request.extensions["timeout"]["read"] == 30.0
    assert str(raw.url) == "https://api.intercom.io/contacts"


async def test_a_closed_client_sends_nothing():
    seen = []
    client, _ = make(lambda r: seen.append(r) or httpx.Response(200, json={}))
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await client.request("GET", "/me")
    assert seen == []


async def test_a_request_sent_again_after_a_429_spends_the_shared_budget_of_the_new_window():
    # The retry counts against the new window at Intercom; if the workspace's budget (shared with every export
    # task) did not count it, the budget would hand the whole window to other requests and overshoot it by one.
    fake = FakeTime(1000.0)
    calls = []
    headers = {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1007"}

    def handler(request):
        calls.append(fake.now)
        if len(calls) == 1:
            return error(429, "rate_limit_exceeded", "Too many", headers)
        return httpx.Response(200, json={"ok": True})  # no headers: only the retry's take changes the budget

    client, _ = make(handler, fake=fake)
    budget = client.workspaces.budget(client.workspace_key)  # held, as an export holds it
    budget.observe(ik.RateLimit(5, 0, 1007.0), fake.now)
    async with client:
        assert await client.request("GET", "/me") == {"ok": True}
    assert calls[1] >= 1007.0
    assert budget.remaining == 4  # the new window's allowance of 5, less the retry
