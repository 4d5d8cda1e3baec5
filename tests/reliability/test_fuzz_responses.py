"""Guarantee 4: whatever a server answers, only ``intercomkit.errors`` escape, and no walk runs forever.

Hypothesis draws whole conversations (status, headers, body per request): random JSON, pages with wrong-typed
``data``/``pages``/``total_count``/``scroll_param``, truncated or non-UTF-8 bodies, huge pages, missing or absurd
rate-limit headers, redirects. The transport counts requests (a walk past ``MAX_REQUESTS`` is a runaway) and
checks that every request carrying the token went to the configured host.
"""

from __future__ import annotations

import json
import os
import random
import tempfile

import anyio
import httpx
import pytest
from fake_clock import FakeClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import intercomkit
from intercomkit.errors import IntercomError

pytestmark = pytest.mark.slow

BASE = "https://api.intercom.io"
TOKEN = "tok_fuzz_SECRET_0123456789"
MAX_REQUESTS = 600
EXAMPLES = int(os.environ.get("RELIABILITY_EXAMPLES", "40"))  # raise it to hunt for more

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=8),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
ids = st.one_of(
    st.text(max_size=4), st.integers(0, 5), st.none(), st.floats(), st.lists(st.integers(), max_size=2)
)
items = st.one_of(
    st.fixed_dictionaries({"id": ids}, optional={"type": st.text(max_size=5), "created_at": json_scalars}),
    json_values,
)
cursor = st.one_of(
    st.none(),
    st.text(max_size=6),
    st.integers(),
    st.sampled_from([f"{BASE}/contacts?starting_after=x", "https://evil.example/contacts?starting_after=x",
                     "//evil.example/x", "/contacts?starting_after=y", "javascript:alert(1)", ""]),
    st.fixed_dictionaries({}, optional={"starting_after": st.one_of(st.text(max_size=6), json_scalars), "page": json_scalars}),
    json_values,
)  # fmt: skip
pages = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "next": cursor,
            "page": json_scalars,
            "per_page": json_scalars,
            "total_pages": st.one_of(json_scalars, st.integers(0, 10**9)),
            "type": st.just("pages"),
        },
    ),
)
page_bodies = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["list", "company.list", "error.list", "contact"]),
        "data": st.one_of(st.lists(items, max_size=6), json_values),
        "companies": st.one_of(st.lists(items, max_size=3), json_values),
        "admins": st.one_of(st.lists(items, max_size=3), json_values),
        "pages": pages,
        "total_count": st.one_of(json_scalars, st.integers(-5, 10**12)),
        "scroll_param": st.one_of(st.text(max_size=6), json_scalars),
        "errors": st.one_of(
            st.lists(st.fixed_dictionaries({}, optional={"code": json_scalars, "message": json_scalars}), max_size=2),
            json_values,
        ),
        "request_id": json_scalars,
        "id": ids,
    },
)  # fmt: skip


@st.composite
def huge_page(draw):
    n = draw(st.sampled_from([1000, 5000]))
    start = draw(st.integers(0, 3))
    body = {
        "type": "list",
        "data": [{"id": str(start + i)} for i in range(n)],
        "total_count": draw(st.integers(-1, 20000)),
    }
    if draw(st.booleans()):
        body["pages"] = {"next": {"starting_after": str(start + n - 1)}, "total_pages": 9}
    if draw(st.booleans()):
        body["scroll_param"] = "sp"
    return json.dumps(body).encode()


def _encode(value) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


bodies = st.one_of(
    page_bodies.map(_encode),
    json_values.map(_encode),
    st.tuples(page_bodies.map(_encode), st.floats(0, 1)).map(lambda t: t[0][: int(len(t[0]) * t[1])]),
    st.binary(max_size=40),
    st.just(b"\xff\xfe{\x00}"),
    st.just(b'{"type": "list", "data": [' * 3000),
    st.just(b"[" * 100_000),
    huge_page(),
)
header_numbers = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["", "nan", "inf", "-inf", "1e309", "abc", " 5 ", "0x10", "9" * 400, "1.5"]),
)
rate_headers = st.fixed_dictionaries(
    {},
    optional={"X-RateLimit-Limit": header_numbers, "X-RateLimit-Remaining": header_numbers, "X-RateLimit-Reset": header_numbers},
)  # fmt: skip
extra_headers = st.fixed_dictionaries(
    {},
    optional={
        "Content-Type": st.sampled_from(
            ["application/json", "text/html", "application/json; charset=latin-1"]
        ),
        "Content-Encoding": st.sampled_from(["gzip", "br", "deflate", "identity", "zstd", "bogus"]),
        "Location": st.sampled_from(["https://evil.example/steal", "/contacts", "//evil.example/"]),
        "Retry-After": header_numbers,
    },
)
statuses = st.one_of(
    st.just(200),
    st.sampled_from([200, 200, 200, 201, 204, 301, 302, 307, 400, 401, 403, 404, 409, 410, 422, 429, 500, 502, 503, 504, 418]),
)  # fmt: skip
exchanges = st.one_of(
    st.tuples(statuses, st.tuples(rate_headers, extra_headers), bodies),
    # Plausible pages, plain 200s: where pagination loops hide.
    st.tuples(st.just(200), st.just(({}, {})), page_bodies.map(_encode)),
)
conversations = st.lists(exchanges, min_size=1, max_size=8)


class Scripted(httpx.AsyncBaseTransport):
    """Answers request i with exchange i (the last one again once they run out); records where requests went."""

    def __init__(self, exchanges) -> None:
        self.exchanges = exchanges
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if "authorization" in request.headers:
            assert (request.url.scheme, request.url.host) == ("https", "api.intercom.io"), request.url
        self.count += 1
        if self.count > MAX_REQUESTS:
            raise AssertionError(f"runaway: more than {MAX_REQUESTS} requests")
        status, (rate, extra), body = self.exchanges[min(self.count, len(self.exchanges)) - 1]
        # A stream, not content=: the client decodes (gzip, ...) as it reads, like a real response.
        return httpx.Response(status, headers={**rate, **extra}, stream=httpx.ByteStream(body))


def _walk(name: str):
    async def go(client):
        if name == "request":
            return await client.request("GET", "/tags")
        if name == "me":
            return await client.me()
        if name == "contacts.list":
            return await client.contacts.list(per_page=3).to_list()
        if name == "contacts.list.limit":
            return await client.contacts.list().to_list(limit=7)
        if name == "contacts.search":
            return await client.contacts.search(intercomkit.field("role") == "user").raw()
        if name == "contacts.frame":
            return await client.contacts.list().frame()
        if name == "contacts.get":
            return (await client.contacts.get("abc")).raw
        if name == "contacts.find_by_email":
            return await client.contacts.find_by_email("a@b.c")
        if name == "contacts.tags":
            return await client.contacts.tags("abc")
        if name == "contacts.companies":
            return await client.contacts.companies("abc").raw()
        if name == "companies.list":
            return await client.companies.list().raw()
        if name == "companies.scroll":
            return await client.companies.scroll(on_exists="raise").raw()
        if name == "companies.frame":
            return await client.companies.frame()
        if name == "admins":
            return await client.admins.list()
        if name in ("export.contacts", "export.companies"):
            with tempfile.TemporaryDirectory() as tmp:
                return await getattr(client.export, name.split(".")[1])(f"{tmp}/out.csv", progress=False)
        if name == "messages.send":
            return await client.messages.send(to="c1", body="hi", from_admin="1", message_type="inapp")
        raise AssertionError(name)

    return go


WALKS = [
    "request", "me", "contacts.list", "contacts.list.limit", "contacts.search", "contacts.frame", "contacts.get",
    "contacts.find_by_email", "contacts.tags", "contacts.companies", "companies.list", "companies.scroll",
    "companies.frame", "admins", "messages.send", "export.contacts", "export.companies",
]  # fmt: skip


async def _drive(name: str, conversation) -> Scripted:
    transport = Scripted(conversation)
    clock = FakeClock()
    async with intercomkit.AsyncClient(
        token=TOKEN, base_url=BASE, transport=transport, clock=clock, sleep=clock.sleep, rng=random.Random(0)
    ) as client:
        try:
            await _walk(name)(client)
        except IntercomError as exc:
            assert TOKEN not in str(exc) and TOKEN not in repr(exc)
    return transport


def _page(body: dict) -> list:
    return [(200, ({}, {}), json.dumps(body).encode())]


# Found by this fuzz, kept as regressions: a scroll (or a capped list) of non-object items looped; a body whose
# Content-Encoding lies escaped as a raw httpx.DecodingError.
REGRESSIONS = [
    ("companies.scroll", _page({"data": [1], "scroll_param": "a"}), 2),
    ("companies.frame", _page({"data": [1], "scroll_param": "a"}), 3),
    ("companies.list", _page({"data": [1], "pages": {"next": "x", "total_pages": 10**9}}), 2),
    ("request", [(200, ({}, {"Content-Encoding": "gzip"}), b"not gzip")], 6),
    (
        "contacts.list",
        [(429, ({"X-RateLimit-Reset": "-1"}, {"Content-Encoding": "br"}), b"x"), *_page({})],
        2,
    ),
]


@pytest.mark.parametrize(("name", "conversation", "requests"), REGRESSIONS)
def test_regressions_end_with_a_named_error_in_few_requests(name, conversation, requests):
    assert anyio.run(_drive, name, conversation).count == requests


@pytest.mark.parametrize("name", WALKS)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(conversation=conversations)
def test_any_server_answer_gives_data_or_a_named_error_and_stops(name, conversation):
    anyio.run(_drive, name, conversation)
