"""Guarantee 5: bad user input gets a named error, and the token only ever goes to the configured host.

Hypothesis feeds ``client.request`` paths (absolute URLs, ``//host``, ``..``, percent-encoded dots, backslashes,
other schemes, unicode, whitespace, CR/LF), methods, tokens, regions, base URLs, profile names, templates and raw
search queries. A recording transport checks every request that carries ``Authorization``.
"""

from __future__ import annotations

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import intercomkit
from intercomkit._credentials import check_profile_name
from intercomkit._protocol.query.plan import plan_search
from intercomkit.errors import ConfigurationError, IntercomError
from intercomkit.messages._templates import parse_template, render_rows

pytestmark = pytest.mark.slow

TOKEN = "tok_input_SECRET_0123456789"
BASES = ["https://api.intercom.io", "https://api.eu.intercom.io", "http://127.0.0.1:8765/prefix"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

hosts = st.sampled_from(
    ["evil.example", "api.intercom.io.evil.example", "127.0.0.1:1", "user@evil.example", ""]
)
schemes = st.sampled_from(["http", "https", "ftp", "javascript", "file", "data", "HTTPS", "ws", ""])
pieces = st.one_of(
    st.sampled_from(
        ["/", "//", "..", ".", "%2e%2e", "%2E%2E/", "%2f", "\\", "\\\\", "?", "#", "@", ":", ";", "%00", "%0d%0a",
         "\r\n", "\t", " ", "\x00", "\u2025", "\uff0e\uff0e", "contacts", "me", "?x=1&y=//evil.example", "~", "%"]
    ),
    st.text(max_size=6),
)  # fmt: skip
paths = st.one_of(
    st.text(max_size=30),
    st.lists(pieces, max_size=8).map("".join),
    st.lists(pieces, max_size=8).map(lambda p: "/" + "".join(p)),
    st.builds(lambda s, h, rest: f"{s}://{h}/{rest}", schemes, hosts, st.text(max_size=10)),
    st.builds(lambda h, rest: f"//{h}/{rest}", hosts, st.text(max_size=10)),
    st.builds(lambda s, rest: f"{s}:{rest}", schemes, st.text(max_size=10)),
)


class Recording(httpx.AsyncBaseTransport):
    def __init__(self, base: str) -> None:
        self.base = httpx.URL(base)
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return httpx.Response(200, json={"type": "ok"})

    def check(self) -> None:
        for request in self.sent:
            if "authorization" not in request.headers:
                continue
            url = request.url
            assert (url.scheme, url.host, url.port) == (self.base.scheme, self.base.host, self.base.port), url
            assert url.raw_path.startswith(self.base.raw_path.rstrip(b"/") + b"/"), url
            assert request.headers["authorization"] == f"Bearer {TOKEN}"


@FUZZ
@given(base=st.sampled_from(BASES), method=st.sampled_from(["GET", "post", "DELETE", "PUT"]), path=paths)
def test_any_path_stays_on_the_configured_host(base, method, path):
    transport = Recording(base)

    async def go():
        async with intercomkit.AsyncClient(token=TOKEN, base_url=base, transport=transport) as client:
            try:
                await client.request(method, path)
            except IntercomError as exc:
                assert isinstance(exc, ConfigurationError) and TOKEN not in str(exc)

    anyio.run(go)
    transport.check()


@FUZZ
@given(
    method=st.one_of(st.text(max_size=8), st.none(), st.integers()),
    params=st.dictionaries(
        st.text(max_size=4),
        st.one_of(st.none(), st.text(max_size=4), st.integers(), st.booleans()),
        max_size=3,
    ),
)
def test_methods_and_params_are_checked(method, params):  # fmt: skip
    transport = Recording(BASES[0])

    async def go():
        async with intercomkit.AsyncClient(token=TOKEN, base_url=BASES[0], transport=transport) as client:
            try:
                await client.request(method, "/contacts", params=params)
            except (IntercomError, ValueError, TypeError) as exc:
                assert TOKEN not in str(exc)

    anyio.run(go)
    transport.check()


@FUZZ
@given(token=st.one_of(st.text(max_size=40), st.none(), st.integers(), st.binary(max_size=10)))
def test_any_token_is_accepted_whole_or_refused_by_name(token):
    try:
        client = intercomkit.AsyncClient(token=token, base_url=BASES[0], env={})
    except (ConfigurationError, intercomkit.errors.AuthenticationRequired) as exc:
        if isinstance(token, str) and len(token.strip()) > 3:
            assert token.strip() not in str(exc)
        return
    value = client._headers["Authorization"]
    assert value == f"Bearer {token.strip()}" and "\n" not in value and "\r" not in value
    if len(token.strip()) > 8:
        assert token.strip() not in repr(client)


@FUZZ
@given(
    region=st.one_of(st.text(max_size=6), st.none(), st.integers(), st.sampled_from(["us", "EU", " au "])),
    base_url=st.one_of(st.none(), paths, st.builds(lambda s, h, p: f"{s}://{h}{p}", schemes, hosts, st.text(max_size=6))),
)  # fmt: skip
def test_regions_and_base_urls_are_valid_or_named_errors(region, base_url):
    try:
        client = intercomkit.AsyncClient(token=TOKEN, region=region, base_url=base_url)
    except ConfigurationError as exc:
        assert TOKEN not in str(exc)
        return
    url = httpx.URL(client.base_url)
    assert url.scheme in ("http", "https") and url.host and not url.userinfo


@FUZZ
@given(
    name=st.one_of(
        st.text(max_size=70), st.none(), st.integers(), st.just("../../etc/passwd"), st.just("a/b")
    )
)
def test_profile_names_are_valid_or_named_errors(name):
    try:
        checked = check_profile_name(name)
    except ConfigurationError:
        return
    assert checked == name and "/" not in name and "\\" not in name and name not in (".", "..")


@FUZZ
@given(
    source=st.one_of(st.text(max_size=30), st.lists(st.sampled_from(["{{", "}}", " name ", "|", '"x"', "'", "a.b", " ", "{", "}"]), max_size=8).map("".join)),
    row=st.dictionaries(st.sampled_from(["name", "a.b", "a", "x"]), st.one_of(st.none(), st.text(max_size=4), st.integers(), st.floats(), st.dictionaries(st.just("b"), st.text(max_size=3))), max_size=3),
)  # fmt: skip
def test_templates_render_or_raise_template_error(source, row):
    try:
        template = parse_template(source)
        out = render_rows({"body": template}, [(0, row)], columns=list(row))
    except intercomkit.errors.TemplateError:
        return
    assert isinstance(out[0]["body"], str)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=15,
)
query_like = st.recursive(
    st.fixed_dictionaries(
        {},
        optional={
            "field": st.one_of(st.sampled_from(["email", "role", "created_at", "custom_attributes.plan", "tag_id", ""]), json_values),
            "operator": st.one_of(st.sampled_from(["=", "!=", "IN", "NIN", "<", ">", "~", "!~", "^", "$", "AND", "OR", "<=", "x"]), json_values),
            "value": json_values,
        },
    ),
    lambda inner: st.fixed_dictionaries(
        {"operator": st.sampled_from(["AND", "OR", "and", "NOT", 1]), "value": st.one_of(st.lists(inner, max_size=4), json_values)}
    ),
    max_leaves=20,
)  # fmt: skip


@FUZZ
@given(query=st.one_of(query_like, json_values), resource=st.sampled_from(["contacts", "companies"]))
def test_raw_queries_plan_or_raise_named_errors(query, resource):
    try:
        plan = plan_search(query, resource=resource)
    except (intercomkit.errors.InvalidQuery, TypeError, ValueError):
        return
    assert isinstance(plan.server_query, dict)
