"""The paste-the-code OAuth flow, offline: authorize page and token endpoint served by the sandbox routes."""

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from intercomkit import oauth
from intercomkit._session import SESSION, Session
from intercomkit.errors import (
    ConfigurationError,
    InvalidResponse,
    OAuthError,
    OutcomeUnknown,
    ServerError,
    StateMismatch,
    TransportError,
)
from intercomkit.sandbox._http import Request, Response, json_response
from intercomkit.sandbox._oauth import DEFAULT_REDIRECT_URI, OAuthProvider, install_oauth

CLIENT, SECRET = "sandbox-client", "sandbox-secret"
URL_CHARS = st.text(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", min_size=1, max_size=40
)


class StubSandbox:
    """The contract install_oauth needs from the sandbox core, as a tiny ASGI app: ``tokens`` (accepted
    bearer tokens) and ``add_route(method, pattern, handler, public=...)``; non-public routes need a token."""

    def __init__(self) -> None:
        self.tokens: set[str] = {"sandbox-token"}
        self.routes = {}
        self.public = set()
        install_oauth(self)

    def add_route(self, method, pattern, handler, *, public=False):
        self.routes[(method, pattern)] = handler
        if public:
            self.public.add((method, pattern))

    def handle(self, request: Request) -> Response:
        key = (request.method, request.path)
        if key not in self.public:
            auth = request.headers.get("authorization", "")
            if auth.removeprefix("Bearer ") not in self.tokens:
                return json_response({"type": "error.list", "errors": [{"code": "unauthorized"}]}, 401)
        if key in self.routes:
            return self.routes[key](request)
        if request.path == "/me":
            me = {"type": "admin", "id": "1", "email": "a@example.com", "app": {"name": "S"}}
            return json_response(me)
        return json_response({"type": "error.list", "errors": [{"code": "not_found"}]}, 404)

    async def __call__(self, scope, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = Request(
            scope["method"],
            scope["path"],
            scope["query_string"].decode(),
            {k.decode().lower(): v.decode() for k, v in scope["headers"]},
            body,
            sandbox=self,
        )
        response = self.handle(request)
        headers = [(k.encode(), v.encode()) for k, v in response.headers.items()]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})


@pytest.fixture
def sandbox():
    return StubSandbox()


@pytest.fixture
def transport(sandbox):
    return httpx.ASGITransport(app=sandbox)


@pytest.fixture
def states():
    return oauth.PendingStates()


@pytest.fixture(autouse=True)
def _clean_session():
    SESSION.reset()
    oauth.STATES.reset()
    yield
    SESSION.reset()
    oauth.STATES.reset()


async def click_authorize(transport, url, **extra):
    """What the user's browser does: open the link, get redirected; returns the address to paste."""
    if extra:
        url = f"{url}&{urlencode(extra)}"
    async with httpx.AsyncClient(transport=transport) as http:
        response = await http.get(url)
    assert response.status_code == 302, response.text
    return response.headers["location"]


# -- authorize_url ------------------------------------------------------------------------------------------------


def test_pending_states_are_bounded_and_single_use():
    states = oauth.PendingStates()
    for i in range(states.MAX_PENDING + 5):
        states.add(f"s{i}")
    assert states.pending == states.MAX_PENDING
    assert states.consume("s0") is False  # evicted
    last = f"s{states.MAX_PENDING + 4}"
    assert states.consume(last) is True
    assert states.consume(last) is False
    assert "s1" not in repr(states)


def test_authorize_url_shape_and_state_is_kept(states):
    url = oauth.authorize_url(CLIENT, states=states)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "app.intercom.com", "/oauth")
    query = parse_qs(parts.query)
    assert query["client_id"] == [CLIENT] and len(query["state"][0]) >= 32
    assert states.consume(query["state"][0])


def test_authorize_url_states_differ(states):
    assert oauth.authorize_url(CLIENT, states=states) != oauth.authorize_url(CLIENT, states=states)


def test_authorize_url_custom_state_and_redirect(states):
    url = oauth.authorize_url(CLIENT, "my-state", "https://example.com/cb?x=1", states=states)
    query = parse_qs(urlsplit(url).query)
    assert query["state"] == ["my-state"] and query["redirect_uri"] == ["https://example.com/cb?x=1"]
    assert states.consume("my-state")


@pytest.mark.parametrize("redirect", ["http://localhost:8888/cb", "ftp://x/cb", "not a url", "https://"])
def test_redirect_must_be_https(redirect, states):
    with pytest.raises(ConfigurationError, match="https"):
        oauth.authorize_url(CLIENT, redirect_uri=redirect, states=states)
    assert states.pending == 0


def test_http_only_with_explicit_flag(states):
    url = oauth.authorize_url(
        CLIENT,
        redirect_uri="http://127.0.0.1:8765/cb",
        base="http://127.0.0.1:8765",
        allow_http=True,
        states=states,
    )
    assert url.startswith("http://127.0.0.1:8765/oauth?")


@pytest.mark.parametrize("client_id", ["", "  ", None])
def test_authorize_url_needs_client_id(client_id):
    with pytest.raises(ConfigurationError):
        oauth.authorize_url(client_id)


# -- parse_redirect -----------------------------------------------------------------------------------------------


def test_parse_bare_code():
    assert oauth.parse_redirect("  abc123_-.  \n") == ("abc123_-.", None)


def test_parse_full_redirect_and_query_only():
    assert oauth.parse_redirect("https://example.com/cb?code=C1&state=S1") == ("C1", "S1")
    assert oauth.parse_redirect("?code=C1&state=S1") == ("C1", "S1")
    assert oauth.parse_redirect("code=C1&state=S1") == ("C1", "S1")
    assert oauth.parse_redirect("https://example.com/cb?code=C1") == ("C1", None)


def test_parse_denied_authorization():
    with pytest.raises(OAuthError, match="denied") as info:
        oauth.parse_redirect(
            "https://example.com/cb?error=access_denied&error_description=The+user+denied&state=s"
        )
    assert info.value.code == "access_denied"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "https://example.com/cb?state=s", "two words", "https://example.com/cb?code=a%20b", None],
)
def test_parse_refuses(text):
    with pytest.raises(OAuthError):
        oauth.parse_redirect(text)


@given(code=URL_CHARS, state=URL_CHARS, host=st.sampled_from(["https://example.com/cb", "https://a.b/x?y=1"]))
def test_parse_roundtrip(code, state, host):
    sep = "&" if "?" in host else "?"
    assert oauth.parse_redirect(f"{host}{sep}{urlencode({'code': code, 'state': state})}") == (code, state)


# -- the whole flow against the sandbox -------------------------------------------------------------------------


@pytest.mark.anyio
async def test_full_flow_token_works_on_the_sandbox(transport, sandbox, states):
    url = oauth.authorize_url(CLIENT, states=states)
    pasted = await click_authorize(transport, url)
    assert pasted.startswith(DEFAULT_REDIRECT_URI + "?")
    token = await oauth.exchange_code(pasted, CLIENT, SECRET, transport=transport, states=states)
    assert token.startswith("sbx_oauth_") and token in sandbox.tokens
    async with httpx.AsyncClient(transport=transport) as http:
        me = await http.get("https://api.intercom.io/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert states.pending == 0


@pytest.mark.anyio
async def test_flow_with_process_session(transport):
    pasted = await click_authorize(transport, oauth.authorize_url(CLIENT))
    assert await oauth.exchange_code(pasted, CLIENT, SECRET, transport=transport)


@pytest.mark.anyio
async def test_bare_code_with_state_argument(transport, states):
    pasted = await click_authorize(transport, oauth.authorize_url(CLIENT, states=states))
    code, state = oauth.parse_redirect(pasted)
    assert await oauth.exchange_code(code, CLIENT, SECRET, state=state, transport=transport, states=states)


@pytest.mark.anyio
async def test_wrong_state_is_refused_before_any_request(transport, sandbox, states):
    pasted = await click_authorize(transport, oauth.authorize_url(CLIENT, states=states))
    code, _ = oauth.parse_redirect(pasted)
    forged = f"{DEFAULT_REDIRECT_URI}?code={code}&state=forged"
    with pytest.raises(StateMismatch):
        await oauth.exchange_code(forged, CLIENT, SECRET, transport=transport, states=states)
    # the code was not spent: the genuine paste still works
    assert await oauth.exchange_code(pasted, CLIENT, SECRET, transport=transport, states=states)


@pytest.mark.anyio
async def test_state_conflict_between_paste_and_argument(transport, states):
    pasted = await click_authorize(transport, oauth.authorize_url(CLIENT, states=states))
    with pytest.raises(StateMismatch):
        await oauth.exchange_code(pasted, CLIENT, SECRET, state="other", transport=transport, states=states)


@pytest.mark.anyio
async def test_state_from_another_session_is_refused(transport, states):
    pasted = await click_authorize(transport, oauth.authorize_url(CLIENT, states=oauth.PendingStates()))
    with pytest.raises(StateMismatch):
        await oauth.exchange_code(pasted, CLIENT, SECRET, transport=transport, states=states)


@pytest.mark.anyio
async def test_reused_code_is_refused_and_revokes(transport, sandbox, states):
    pasted = await click_authorize(transport, oauth.authorize_url(CLIENT, states=states))
    code, state = oauth.parse_redirect(pasted)
    token = await oauth.exchange_code(pasted, CLIENT, SECRET, transport=transport, states=states)
    # same paste again: the state is single-use
    with pytest.raises(StateMismatch):
        await oauth.exchange_code(pasted, CLIENT, SECRET, transport=transport, states=states)
    # the bare code again: Intercom (the sandbox) refuses a used code
    with pytest.raises(OAuthError, match="already been used") as info:
        await oauth.exchange_code(code, CLIENT, SECRET, transport=transport, states=states)
    assert info.value.status == 400 and info.value.code == "invalid_grant"
    assert token not in sandbox.tokens


@pytest.mark.anyio
async def test_wrong_secret(transport, states):
    pasted = await click_authorize(transport, oauth.authorize_url(CLIENT, states=states))
    with pytest.raises(OAuthError) as info:
        await oauth.exchange_code(pasted, CLIENT, "wrong-secret-value", transport=transport, states=states)
    assert info.value.status == 401 and not isinstance(info.value, StateMismatch)
    assert "wrong-secret-value" not in str(info.value) and "client_secret" in str(info.value)


@pytest.mark.anyio
async def test_unknown_code(transport):
    with pytest.raises(OAuthError, match="invalid or expired"):
        await oauth.exchange_code("never-issued", CLIENT, SECRET, transport=transport)


@pytest.mark.anyio
async def test_denied_on_the_authorize_page(transport, states):
    pasted = await click_authorize(transport, oauth.authorize_url(CLIENT, states=states), decision="deny")
    with pytest.raises(OAuthError, match="denied"):
        await oauth.exchange_code(pasted, CLIENT, SECRET, transport=transport, states=states)


@pytest.mark.anyio
async def test_authorize_page_without_redirect_shows_the_code(transport, states):
    url = oauth.authorize_url(CLIENT, states=states) + "&auto_redirect=0"
    async with httpx.AsyncClient(transport=transport) as http:
        page = await http.get(url)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'id="code"' in page.text and DEFAULT_REDIRECT_URI in page.text


@pytest.mark.anyio
async def test_authorize_page_unknown_client(transport):
    async with httpx.AsyncClient(transport=transport) as http:
        page = await http.get("https://app.intercom.com/oauth?client_id=nope&state=s")
    assert page.status_code == 400


def test_token_endpoint_accepts_json_body():
    provider = OAuthProvider()
    location = provider.authorize({"client_id": CLIENT, "state": "s"}).headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    body = f'{{"code": "{code}", "client_id": "{CLIENT}", "client_secret": "{SECRET}"}}'.encode()
    response = provider.token_from_body(body, "application/json")
    assert response.status == 200
    assert provider.token_from_body(b"[1]", "application/json").status == 400
    assert provider.token_from_body(b"code=x", "application/x-www-form-urlencoded").status == 400


def test_code_from_another_client_is_refused():
    provider = OAuthProvider({CLIENT: SECRET, "other": "other-secret"})
    location = provider.authorize({"client_id": CLIENT}).headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    assert provider.token({"code": code, "client_id": "other", "client_secret": "other-secret"}).status == 400


# -- exchange_code against odd token endpoints ------------------------------------------------------------------


def mock(handler):
    return httpx.MockTransport(handler)


@pytest.mark.anyio
async def test_request_is_form_encoded_with_the_three_fields():
    seen = {}

    def handler(request):
        seen.update(parse_qs(request.content.decode()))
        seen["ctype"] = request.headers["content-type"]
        seen["url"] = str(request.url)
        return httpx.Response(200, json={"token": "t1", "token_type": "Bearer"})

    assert await oauth.exchange_code("c0de", CLIENT, SECRET, transport=mock(handler)) == "t1"
    assert seen["url"] == oauth.TOKEN_URL and seen["ctype"] == "application/x-www-form-urlencoded"
    assert seen["code"] == ["c0de"] and seen["client_id"] == [CLIENT] and seen["client_secret"] == [SECRET]


@pytest.mark.anyio
async def test_non_json_answer(states):
    transport = mock(lambda r: httpx.Response(200, text=f"<html>{SECRET}</html>"))
    with pytest.raises(InvalidResponse) as info:
        await oauth.exchange_code("c0de", CLIENT, SECRET, transport=transport)
    assert SECRET not in info.value.excerpt and SECRET not in str(info.value)


@pytest.mark.anyio
async def test_json_without_token():
    with pytest.raises(InvalidResponse, match="no access_token"):
        await oauth.exchange_code(
            "c0de", CLIENT, SECRET, transport=mock(lambda r: httpx.Response(200, json={}))
        )


@pytest.mark.anyio
async def test_server_error_and_oauth_style_error():
    with pytest.raises(ServerError):
        await oauth.exchange_code(
            "c0de", CLIENT, SECRET, transport=mock(lambda r: httpx.Response(503, text="x"))
        )
    body = {"error": "invalid_grant", "error_description": f"bad code c0de for {SECRET}"}
    with pytest.raises(OAuthError) as info:
        await oauth.exchange_code(
            "c0de", CLIENT, SECRET, transport=mock(lambda r: httpx.Response(400, json=body))
        )
    assert (
        info.value.code == "invalid_grant" and SECRET not in str(info.value) and "c0de" not in str(info.value)
    )


@pytest.mark.anyio
async def test_transport_failures():
    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    def lose(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(TransportError) as info:
        await oauth.exchange_code("c0de", CLIENT, SECRET, transport=mock(refuse))
    assert not isinstance(info.value, OutcomeUnknown)
    with pytest.raises(OutcomeUnknown):
        await oauth.exchange_code("c0de", CLIENT, SECRET, transport=mock(lose))


@pytest.mark.anyio
@pytest.mark.parametrize("url", ["http://api.intercom.io/auth/eagle/token", "ftp://x/y", "nope"])
async def test_token_url_must_be_https(url):
    def handler(request):  # pragma: no cover - must not be reached
        raise AssertionError("request sent")

    with pytest.raises(ConfigurationError):
        await oauth.exchange_code("c0de", CLIENT, SECRET, token_url=url, transport=mock(handler))


@pytest.mark.anyio
@pytest.mark.parametrize("cid,secret", [("", SECRET), (CLIENT, ""), (CLIENT, "  ")])
async def test_empty_client_credentials(cid, secret):
    with pytest.raises(ConfigurationError):
        await oauth.exchange_code("c0de", cid, secret, transport=mock(lambda r: httpx.Response(200)))


# -- the real sandbox ---------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_full_flow_on_the_real_sandbox_then_connect(tmp_path):
    from intercomkit import connect
    from intercomkit._credentials import CredentialStore
    from intercomkit.sandbox import Sandbox

    sb = Sandbox(contacts=3, companies=1)  # the real sandbox serves the OAuth pages itself
    states, session = oauth.PendingStates(), Session()
    url = oauth.authorize_url(CLIENT, base=sb.base_url, states=states)
    pasted = await click_authorize(sb.transport(), url)
    token = await oauth.exchange_code(
        pasted,
        CLIENT,
        SECRET,
        token_url=sb.base_url + "/auth/eagle/token",
        transport=sb.transport(),
        states=states,
    )
    store = CredentialStore(tmp_path / "credentials.json")
    conn = await connect(token, base_url=sb.base_url, transport=sb.transport(), store=store, session=session)
    assert conn.admin_email and store.names() == ["default"]


def test_every_region_names_its_authorize_page_and_token_host():
    from intercomkit._protocol.regions import AUTHORIZE_BASES, REGIONS

    assert AUTHORIZE_BASES.keys() == REGIONS.keys()
    assert AUTHORIZE_BASES["us"] == oauth.AUTHORIZE_BASE and oauth.TOKEN_URL.startswith(REGIONS["us"] + "/")
