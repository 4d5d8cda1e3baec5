"""The pure protocol rules, tested without any I/O."""

import random

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from intercomkit._protocol.headers import check_token, default_headers, redact
from intercomkit._protocol.numbers import is_int, is_number
from intercomkit._protocol.pages import (
    GIVE_UP,
    RAISE,
    RESTART,
    CursorList,
    PageNumber,
    PageRequest,
    Scroll,
    Search,
    WalkGuard,
    total_count,
)
from intercomkit._protocol.ratelimit import MAX_RESET_WAIT, RateLimit
from intercomkit._protocol.regions import resolve_base_url
from intercomkit._protocol.responses import decipher, error_from_response
from intercomkit._protocol.retry import RETRYABLE_STATUSES, RetryPolicy, is_repeatable
from intercomkit.errors import (
    BadRequest,
    ConfigurationError,
    Conflict,
    Forbidden,
    InvalidResponse,
    NotFound,
    PageLimitReached,
    PaginationError,
    RateLimited,
    ServerError,
    Unauthorized,
    UnprocessableEntity,
    UnsafeURL,
)


@pytest.mark.parametrize(
    ("region", "url"),
    [
        (None, "https://api.intercom.io"),
        ("us", "https://api.intercom.io"),
        ("EU", "https://api.eu.intercom.io"),
        ("au", "https://api.au.intercom.io"),
    ],
)
def test_regions(region, url):
    assert str(resolve_base_url(region)) == url


def test_unknown_region_lists_valid_ones():
    with pytest.raises(ValueError, match="'us', 'eu', 'au'"):
        resolve_base_url("mars")


@pytest.mark.parametrize("bad", ["api.intercom.io", "ftp://x", "", "   ", "http://", "https://u:p@host"])
def test_base_url_needs_scheme_and_host(bad):
    with pytest.raises(ConfigurationError):
        resolve_base_url(base_url=bad)


def test_base_url_with_prefix_joins_under_it():
    base = resolve_base_url(base_url="http://127.0.0.1:8765/proxy/")
    assert base.join("/contacts/1") == "http://127.0.0.1:8765/proxy/contacts/1"


@pytest.mark.parametrize(
    "path",
    [
        "https://evil.example/contacts",
        "//evil.example/x",
        "contacts",
        "/a/../../x",
        "/..",
        "/x\\y",
        "/x\ny",
        "http:/x",
        "/a#frag",
        " /x",
    ],
)
def test_join_refuses_paths_that_could_leave_the_host(path):
    with pytest.raises(UnsafeURL):
        resolve_base_url().join(path)


@given(st.text(max_size=60))
def test_join_never_leaves_the_host(path):
    base = resolve_base_url(base_url="https://api.intercom.io")
    try:
        url = base.join(path)
    except UnsafeURL:
        return
    import httpx

    parsed = httpx.URL(url)
    assert parsed.host == "api.intercom.io"
    assert parsed.scheme == "https"


def test_check_link_holds_next_links_to_the_host():
    base = resolve_base_url()
    assert base.check_link("https://api.intercom.io/contacts?starting_after=x").endswith(
        "/contacts?starting_after=x"
    )
    for link in [
        "https://evil.example/contacts",
        "http://api.intercom.io/contacts",
        "https://api.intercom.io.evil/x",
    ]:
        with pytest.raises(UnsafeURL):
            base.check_link(link)


@pytest.mark.parametrize("bad", ["", "   ", "abc\ndef", "abc\r\nX-Evil: 1", "tok en", "tök", 123, None])
def test_bad_tokens_refused_without_echo(bad):
    with pytest.raises(ConfigurationError) as info:
        check_token(bad)
    if isinstance(bad, str) and bad.strip():
        assert bad.strip() not in str(info.value)


def test_headers():
    headers = default_headers(check_token("  tok_123  "))
    assert headers["Authorization"] == "Bearer tok_123"
    assert headers["Intercom-Version"] == "2.16"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("intercomkit/")
    assert default_headers("t", "2.11")["Intercom-Version"] == "2.11"


def test_redact():
    assert redact("token tok_1 here", "tok_1") == "token *** here"


def test_rate_limit_from_headers():
    rl = RateLimit.from_headers(
        {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "105"}
    )
    assert rl == RateLimit(1000, 0, 105.0)
    assert rl.exhausted(100.0) and not rl.exhausted(106.0)
    assert rl.seconds_until_reset(100.0) == 5.0
    assert RateLimit.from_headers({}) is None
    assert (
        RateLimit.from_headers(
            {"X-RateLimit-Limit": "x", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "1"}
        )
        is None
    )


@given(st.integers(min_value=-(10**12), max_value=10**12), st.floats(min_value=0, max_value=2e9))
def test_reset_wait_is_always_bounded(reset, now):
    rl = RateLimit.from_headers(
        {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "-3", "X-RateLimit-Reset": str(reset)}
    )
    assert rl is not None and rl.remaining == 0
    assert 0.0 <= rl.seconds_until_reset(now) <= MAX_RESET_WAIT


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/contacts", True),
        ("PUT", "/contacts/1", True),
        ("DELETE", "/contacts/1", True),
        ("POST", "/contacts/search", True),
        ("POST", "/companies/list", True),
        ("POST", "/contacts", False),
        ("POST", "/messages", False),
        ("POST", "/companies", False),
        ("PATCH", "/x", False),
        # each scroll page advances the scroll: a lost answer cannot be asked for again, only restarted
        ("GET", "/companies/scroll", False),
        ("GET", "/companies/scroll?scroll_param=abc", False),
        ("GET", "/companies/scroll/", False),
        ("GET", "/companies/abc", True),
    ],
)
def test_repeatable(method, path, expected):
    assert is_repeatable(method, path) is expected


def test_retry_decisions():
    policy = RetryPolicy(max_retries=2)
    rng = random.Random(0)
    rl = RateLimit(100, 0, 110.0)
    wait = policy.after_status(429, repeatable=False, attempt=1, rate_limit=rl, now=100.0, rng=rng)
    assert 10.0 < wait <= 10.5  # until the reset, plus jitter; even for a creating POST
    assert policy.after_status(503, repeatable=True, attempt=1, rate_limit=None, now=0, rng=rng) is not None
    assert policy.after_status(503, repeatable=True, attempt=3, rate_limit=None, now=0, rng=rng) is None
    assert policy.after_status(503, repeatable=False, attempt=1, rate_limit=None, now=0, rng=rng) is None
    for status in (400, 401, 403, 404, 409, 422):
        assert (
            policy.after_status(status, repeatable=True, attempt=1, rate_limit=None, now=0, rng=rng) is None
        )
    assert policy.after_transport_error(sent=True, repeatable=False, attempt=1, rng=rng) is None
    assert policy.after_transport_error(sent=False, repeatable=False, attempt=1, rng=rng) is not None
    assert policy.after_transport_error(sent=True, repeatable=True, attempt=3, rng=rng) is None


@given(
    status=st.integers(min_value=100, max_value=599),
    repeatable=st.booleans(),
    attempt=st.integers(min_value=1, max_value=30),
)
def test_retry_is_decided_by_the_status_alone(status, repeatable, attempt):
    # The send path asks this before building any error: a retried 5xx/429 never becomes an exception object.
    policy = RetryPolicy(max_retries=3, max_rate_limit_waits=5)
    wait = policy.after_status(
        status, repeatable=repeatable, attempt=attempt, rate_limit=None, now=0.0, rng=random.Random(0)
    )
    # A 429 was rejected unprocessed: even a creating POST may go again.
    expected = attempt <= 5 if status == 429 else status in RETRYABLE_STATUSES and repeatable and attempt <= 3
    assert (wait is not None) is expected
    assert wait is None or wait > 0


def test_a_rate_limit_read_once_is_reused_by_the_error():
    limit = RateLimit(100, 0, 123.0)
    error = error_from_response(429, {}, _error_body("rate_limit_exceeded", "Too many"), rate_limit=limit)
    assert isinstance(error, RateLimited) and error.reset_at == 123.0


@given(st.integers(min_value=1, max_value=50))
def test_backoff_is_bounded(attempt):
    policy = RetryPolicy()
    assert 0 < policy.backoff(attempt, random.Random(attempt)) <= policy.backoff_max


def _error_body(code, message, request_id="r-1"):
    import json

    return json.dumps(
        {"type": "error.list", "request_id": request_id, "errors": [{"code": code, "message": message}]}
    ).encode()


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (409, Conflict),
        (422, UnprocessableEntity),
        (429, RateLimited),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_decipher_maps_statuses(status, cls):
    with pytest.raises(cls) as info:
        decipher(status, {}, _error_body("some_code", "Something happened"))
    err = info.value
    assert (err.status, err.code, err.request_id, err.message) == (
        status,
        "some_code",
        "r-1",
        "Something happened",
    )
    assert err.errors == [{"code": "some_code", "message": "Something happened"}]


def test_conflict_carries_existing_id():
    with pytest.raises(Conflict) as info:
        decipher(
            409, {}, _error_body("conflict", "A contact matching those details already exists with id=abc123")
        )
    assert info.value.existing_id == "abc123"


def test_rate_limited_carries_reset():
    headers = {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000000"}
    with pytest.raises(RateLimited) as info:
        decipher(429, headers, _error_body("rate_limit_exceeded", "Too many"))
    assert info.value.reset_at == 1700000000.0


@pytest.mark.parametrize(
    "body", [b'{"type": "list", "data": [', b"<html>bad gateway</html>", b"[1, 2]", b"\xff\xfe"]
)
def test_non_json_bodies_become_named_errors(body):
    with pytest.raises(InvalidResponse) as info:
        decipher(200, {}, body)
    assert "HTTP 200" in str(info.value)


def test_non_json_error_bodies_keep_status_and_excerpt():
    with pytest.raises(ServerError) as info:
        decipher(502, {}, b"<html><body>502 Bad Gateway</body></html>")
    assert "502 Bad Gateway" in str(info.value) and info.value.status == 502


def test_secret_is_scrubbed_from_excerpts():
    with pytest.raises(Unauthorized) as info:
        decipher(401, {}, b"token tok_secret is invalid", secrets=("tok_secret",))
    assert "tok_secret" not in str(info.value)


@given(st.binary(max_size=200), st.integers(min_value=100, max_value=599))
def test_decipher_only_raises_named_errors(body, status):
    from intercomkit.errors import IntercomError

    try:
        result = decipher(status, {}, body)
    except IntercomError:
        return
    assert isinstance(result, dict)


def test_cursor_list_pages():
    style = CursorList("/contacts", per_page=150)
    first = style.first()
    assert first == PageRequest("GET", "/contacts", params={"per_page": 150})
    nxt = style.next(first, {"pages": {"next": {"starting_after": "abc"}}})
    assert nxt.params == {"per_page": 150, "starting_after": "abc"}
    assert style.next(nxt, {"pages": {"next": None}}) is None
    assert style.next(nxt, {"pages": {}}) is None


def test_cursor_list_legacy_next_link_is_host_checked():
    style = CursorList("/contacts", base=resolve_base_url())
    first = style.first()
    nxt = style.next(first, {"pages": {"next": "https://api.intercom.io/contacts?starting_after=zz"}})
    assert nxt.params["starting_after"] == "zz"
    with pytest.raises(UnsafeURL):
        style.next(first, {"pages": {"next": "https://evil.example/contacts?starting_after=zz"}})


def test_search_pages_carry_cursor_in_body():
    style = Search("/contacts/search", {"field": "role", "operator": "=", "value": "user"}, per_page=50)
    first = style.first()
    assert first.json["pagination"] == {"per_page": 50}
    nxt = style.next(first, {"pages": {"next": {"starting_after": "c1"}}})
    assert nxt.json["pagination"] == {"per_page": 50, "starting_after": "c1"}
    assert nxt.json["query"] == first.json["query"]


def test_page_number_stops_at_cap():
    style = PageNumber("/companies/list", per_page=5000)
    first = style.first()
    body = {"data": [{"id": "1"}], "pages": {"page": 1, "total_pages": 5}, "total_count": 25000}
    nxt = style.next(first, body)
    assert nxt.params["page"] == 2
    with pytest.raises(PageLimitReached, match="scroll"):
        style.next(nxt, {**body, "pages": {"page": 2, "total_pages": 5}})


def _list_server(total: int, cap: int = 10_000):
    """A pure ``POST /companies/list``: items by (page, per_page), refusing pages past the cap like Intercom."""

    def answer(request: PageRequest) -> dict:
        page, per_page = request.params["page"], request.params["per_page"]
        assert page * per_page <= cap, "Intercom would refuse this page"
        start = (page - 1) * per_page
        items = [{"id": str(i)} for i in range(start, min(start + per_page, total))]
        pages = {"page": page, "per_page": per_page, "total_pages": -(-total // per_page)}
        return {"data": items, "pages": pages, "total_count": total}

    return answer


def _walk_list(style: PageNumber, answer) -> list[str]:
    request, got = style.first(), []
    while request is not None:
        body = answer(request)
        got += [item["id"] for item in body["data"]]
        request = style.next(request, body)
    return got


@example(cap=10_000, total=9_998, per_page=60)  # page 167 of 60 would pass the cap: page 250 of 40 ends at it
@given(cap=st.integers(60, 700), total=st.integers(0, 700), per_page=st.integers(1, 60))
def test_page_number_reaches_every_item_up_to_the_cap(cap, total, per_page):
    style, answer = PageNumber("/companies/list", per_page=per_page, cap=cap), _list_server(total, cap)
    if total <= cap:
        assert _walk_list(style, answer) == [str(i) for i in range(total)]
    else:  # the first `cap` items, then a pointer to the scroll
        with pytest.raises(PageLimitReached, match="scroll"):
            _walk_list(style, answer)


def test_a_mutable_order_is_not_a_snapshot():
    # A search sorted by updated_at (or the companies list, by last_request_at) can legitimately repeat a page.
    assert Search("/contacts/search", {}, sort={"field": "updated_at", "order": "ascending"}).mutable_order
    assert not Search(
        "/contacts/search", {}, sort={"field": "created_at", "order": "ascending"}
    ).mutable_order
    assert not Search("/contacts/search", {}).mutable_order and PageNumber("/companies/list").mutable_order
    a, b = [{"id": "1"}], [{"id": "2"}]

    def at(cursor: str) -> PageRequest:
        return PageRequest("POST", "/x", json={"pagination": {"starting_after": cursor}})

    guard = WalkGuard(mutable=True)
    for page, cursor in ((a, "a"), (b, "b"), (a, "c")):  # page a again, later: a record that moved
        guard.observe(page, {"total_count": 3}, at(cursor))
    with pytest.raises(PaginationError, match="twice"):  # the same page right after itself: a stuck server
        guard.observe(a, {}, at("d"))
    with pytest.raises(PaginationError, match="repeated"):  # a cursor that repeats is still a loop
        guard.observe(b, {}, at("c"))
    with pytest.raises(PaginationError, match="runaway"):  # and a walk far past twice the total
        for i in range(200):
            guard.observe([{"id": str(i)}], {"total_count": 3}, None)


def test_scroll_stops_on_empty_data_not_on_repeated_param():
    style = Scroll()
    first = style.first()
    nxt = style.next(first, {"data": [{"id": "1"}], "scroll_param": "s"})
    again = style.next(nxt, {"data": [{"id": "2"}], "scroll_param": "s"})
    assert again.params == {"scroll_param": "s"}
    assert style.next(again, {"data": [], "scroll_param": "s"}) is None


def test_total_count_is_a_count_or_none():
    assert total_count({"total_count": 12}) == 12 and total_count({"total_count": 0}) == 0
    # JSON's true is not a count, nor is a string, a float, a negative number or nothing at all
    for odd in (True, False, "12", 12.0, -1, None):
        assert total_count({"total_count": odd}) is None
    assert total_count({}) is None


@given(st.one_of(st.integers(), st.booleans(), st.floats(allow_nan=False), st.text(), st.none()))
def test_is_int_and_is_number_never_take_a_bool(value):
    assert is_int(value) == (type(value) is int)
    assert is_number(value) == (type(value) in (int, float))


def test_a_failed_scroll_page_restarts_or_raises():
    """Intercom: "you will need to restart your scroll query: It is not possible to continue from a specific
    point". A failed scroll page restarts from the top; a refused first request, or another 4xx, is raised."""
    page = PageRequest("GET", "/companies/scroll", params={"scroll_param": "s"})
    first = Scroll().first()
    expired = NotFound("scroll_param not found", status=404, code="not_found")
    assert Scroll().after_failure(page, expired, fruitless=1) == RESTART
    assert Scroll().after_failure(page, ServerError("busy", status=503), fruitless=1) == RESTART
    assert (
        Scroll().after_failure(first, BadRequest("bad", status=400, code="parameter_invalid"), fruitless=1)
        == RAISE
    )
    assert Scroll().after_failure(page, BadRequest("unauthorized app", status=400), fruitless=1) == RAISE
    assert Scroll(restart=False).after_failure(page, expired, fruitless=0) == RAISE
    # ten restarts in a row that return nothing new, then it gives up
    assert Scroll(max_restarts=10).after_failure(page, expired, fruitless=10) == RESTART
    assert Scroll(max_restarts=10).after_failure(page, expired, fruitless=11) == GIVE_UP
    # a cursor can be sent again (the client retried it already): its failure is the walk's error
    assert (
        CursorList("/contacts").after_failure(CursorList("/contacts").first(), expired, fruitless=0) == RAISE
    )


def test_a_snapshot_walk_refuses_an_id_twice_in_one_pass():
    guard = Scroll().guard()
    guard.observe([{"id": "1"}, {"id": "2"}], {}, None)
    with pytest.raises(PaginationError, match="twice in one pass"):
        guard.observe([{"id": "2"}, {"id": "3"}], {}, None)
    Scroll().guard().observe([{"id": "2"}], {}, None)  # a new pass (a restart) starts afresh
    CursorList("/contacts").guard().observe([{"id": "2"}, {"id": "2"}], {}, None)  # a list is no snapshot


def test_guard_detects_a_repeated_page():
    guard = WalkGuard()
    page = [{"id": "1"}, {"id": "2"}]
    guard.observe(page, {}, PageRequest("POST", "/x", json={"pagination": {"starting_after": "a"}}))
    with pytest.raises(PaginationError, match="twice"):
        guard.observe(page, {}, PageRequest("POST", "/x", json={"pagination": {"starting_after": "b"}}))


def test_guard_detects_a_repeated_cursor_and_runaway_count():
    guard = WalkGuard()
    guard.observe([{"id": "1"}], {}, PageRequest("GET", "/x", params={"starting_after": "a"}))
    with pytest.raises(PaginationError, match="repeated"):
        guard.observe([{"id": "2"}], {}, PageRequest("GET", "/x", params={"starting_after": "a"}))
    guard = WalkGuard()
    with pytest.raises(PaginationError, match="runaway"):
        for i in range(100):
            guard.observe([{"id": f"{i}-{j}"} for j in range(10)], {"total_count": 20}, None)
