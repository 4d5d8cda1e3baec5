"""The Connect widget, headless: set values, click, read what it shows, what got stored and what it kept."""

import json
import os
import stat

import httpx
import ipywidgets as W
import pytest

import intercomkit as ik
from intercomkit import _bridge
from intercomkit._credentials import SESSION, CredentialStore
from intercomkit.errors import AuthenticationRequired, ConfigurationError
from intercomkit.notebook import ConnectWidget
from intercomkit.sandbox import Sandbox

OAUTH_ID, OAUTH_SECRET = "sandbox-client", "sandbox-secret"
pytestmark = pytest.mark.usefixtures("isolated_session")


@pytest.fixture
def sb():
    return Sandbox(contacts=20, companies=3, token="tok_live_SECRET123")


@pytest.fixture
def store(tmp_path):
    return CredentialStore(tmp_path / "config" / "credentials.json")


def widget_for(sb, **kw):
    return ik.notebook.connect(base_url=sb.base_url, transport=sb.transport(), **kw)


def all_widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from all_widgets(child)


def assert_no_secret(w, *secrets):
    """No secret in any widget's state (what a saved notebook keeps) nor on the widget object."""
    states = [json.dumps(part.get_state(), default=str) for part in all_widgets(w.widget)]
    assert len(states) > 10
    kept = repr(vars(w)) + repr(vars(w._tasks))
    for secret in secrets:
        assert secret
        for state in states:
            assert secret not in state
        assert secret not in kept


def authorize_link(w):
    href = w.authorize_link.value.split('href="', 1)[1].split('"', 1)[0]
    return href.replace("&amp;", "&")


async def redirect_for(sb, url):
    """What the browser lands on after clicking Authorize: the sandbox answers 302 with code and state."""
    async with httpx.AsyncClient(transport=sb.transport()) as http:
        response = await http.get(url)
    assert response.status_code == 302
    return response.headers["location"]


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# -- access token tab


def test_connect_returns_the_widget_at_once(sb):
    w = widget_for(sb)
    assert isinstance(w, ConnectWidget)
    assert isinstance(w.widget, W.VBox)
    assert w.tabs.titles == ("Access token", "OAuth app")
    assert isinstance(w.token, W.Password) and isinstance(w.client_secret, W.Password)
    assert w.profile.value == "default" and w.save.value is True
    assert w.base_url.value == sb.base_url
    assert w.status.value == ""


def test_token_connects_saves_and_becomes_the_session_default(sb, store):
    w = widget_for(sb)
    w.token.value = sb.token
    w.connect_button.click()
    w.wait_idle_sync()

    assert "Connected to <b>intercomkit sandbox</b> as Ada Lovelace" in w.status.value
    assert "ada.lovelace@sandbox.intercomkit.invalid" in w.status.value
    assert "Saved as profile <b>default</b>" in w.status.value
    assert w.connection.workspace == "intercomkit sandbox"
    assert w.token.value == ""
    assert not w.connect_button.disabled

    saved = store.get("default")
    assert saved.token == sb.token and saved.base_url == sb.base_url
    assert saved.admin_email == "ada.lovelace@sandbox.intercomkit.invalid"
    if os.name == "posix":
        assert mode_of(store.path) == 0o600
        assert mode_of(store.path.parent) == 0o700

    # New clients in this session need no token; the in-process sandbox still needs its transport.
    assert SESSION.default.profile == "default"
    assert ik.AsyncClient(transport=sb.transport()).sync.me().type == "admin"
    assert ik.notebook.client(transport=sb.transport()).sync.me().type == "admin"
    assert w.client().sync.me().type == "admin"
    assert_no_secret(w, sb.token)


@pytest.mark.anyio
async def test_a_click_inside_the_loop_is_scheduled_not_awaited(sb, store):
    # Jupyter runs callbacks on the kernel's loop: the click must return before the work runs.
    w = widget_for(sb, profile="work")
    w.token.value = sb.token
    w.connect_button.click()
    assert "Checking the token" in w.status.value
    assert w.connect_button.disabled and w._tasks.busy
    with pytest.raises(RuntimeError, match="await widget.wait_idle"):
        w.wait_idle_sync()

    await w.wait_idle()
    assert "Connected to <b>intercomkit sandbox</b>" in w.status.value
    assert not w.connect_button.disabled
    assert store.names() == ["work"]
    async with ik.notebook.client(transport=sb.transport()) as client:
        assert (await client.me()).type == "admin"
    assert_no_secret(w, sb.token)


def test_save_unticked_connects_without_storing(sb, store):
    w = widget_for(sb)
    w.save.value = False
    w.token.value = sb.token
    w.connect_button.click()

    assert "Connected to" in w.status.value and "Not saved" in w.status.value
    assert not store.path.exists()
    assert SESSION.default is not None
    assert_no_secret(w, sb.token)


def test_refused_token_shows_401_and_stores_nothing(sb, store):
    w = widget_for(sb)
    w.token.value = "tok_wrong_SECRET999"
    w.connect_button.click()

    assert "That token was refused by Intercom (401 Unauthorized). Check it and try again." in w.status.value
    assert w.connection is None
    assert not store.path.exists()
    assert SESSION.default is None
    assert_no_secret(w, "tok_wrong_SECRET999")


@pytest.mark.parametrize("value", ["", "   \n"])
def test_empty_token_asks_for_one(sb, store, value):
    w = widget_for(sb)
    w.token.value = value
    w.connect_button.click()
    assert "Paste an access token first." in w.status.value
    assert not store.path.exists() and SESSION.default is None


def test_malformed_token_and_bad_profile_name_are_plain_messages(sb, store):
    w = widget_for(sb)
    w.token.value = "tok with SPACES123"
    w.connect_button.click()
    assert "Check the settings" in w.status.value and "spaces" in w.status.value
    assert "SPACES123" not in w.status.value

    w.profile.value = "no spaces allowed"
    w.token.value = sb.token
    w.connect_button.click()
    assert "Invalid profile name" in w.status.value
    assert not store.path.exists() and SESSION.default is None
    assert_no_secret(w, "SPACES123", sb.token)


def test_client_before_connecting_says_how(sb):
    with pytest.raises(AuthenticationRequired, match=r"ik\.notebook\.connect\(\)"):
        ik.notebook.client()
    w = widget_for(sb)
    with pytest.raises(AuthenticationRequired, match="Not connected"):
        w.client()


def test_served_sandbox_reaches_later_clients_by_base_url(sb, store):
    # The notebook path: the sandbox on a local port, so a later ik.notebook.client() needs no transport.
    url, stop = ik.sandbox.serve_in_thread(sb)
    try:
        w = ik.notebook.connect(base_url=url)
        w.token.value = sb.token
        w.connect_button.click()
        assert "Connected to" in w.status.value
        with ik.notebook.client().sync as client:
            assert client.me().type == "admin"
            assert len(client.contacts.frame()) == 20
    finally:
        stop()
    assert store.get("default").base_url == url


def test_settings(sb):
    with pytest.raises(ConfigurationError, match="Unknown region"):
        ik.notebook.connect(region="mars")
    w = ik.notebook.connect(region="eu")
    assert w.region.value == "eu" and w.base_url.value == ""
    w.client_id.value = "my-app"
    w.authorize_button.click()
    assert authorize_link(w).startswith("https://app.eu.intercom.com/oauth?client_id=my-app&state=")
    assert ik.notebook.allow_nested is _bridge.allow_nested


# -- OAuth tab


@pytest.mark.anyio
async def test_oauth_flow_connects_and_keeps_no_secret(sb, store):
    w = widget_for(sb, profile="customer-a")
    w.client_id.value = OAUTH_ID
    w.authorize_button.click()
    url = authorize_link(w)
    assert url.startswith(f"{sb.base_url}/oauth?client_id={OAUTH_ID}&state=")

    pasted = await redirect_for(sb, url)
    code = httpx.URL(pasted).params["code"]
    w.client_secret.value = OAUTH_SECRET
    w.redirect.value = pasted
    w.oauth_button.click()
    assert w.client_secret.value == "" and w.redirect.value == ""
    await w.wait_idle()

    assert "Connected to <b>intercomkit sandbox</b> as Ada Lovelace" in w.status.value
    saved = store.get("customer-a")
    assert saved.token.startswith("sbx_oauth_") and saved.token in sb.tokens
    assert w.authorize_link.value == ""
    async with ik.AsyncClient(transport=sb.transport()) as client:
        assert (await client.me()).type == "admin"
    assert_no_secret(w, OAUTH_SECRET, code, saved.token)


@pytest.mark.anyio
async def test_oauth_state_mismatch_is_a_message(sb, store):
    w = widget_for(sb)
    w.client_id.value = OAUTH_ID
    w.authorize_button.click()
    pasted = await redirect_for(sb, authorize_link(w))
    forged = str(httpx.URL(pasted).copy_set_param("state", "forged-state"))

    w.client_secret.value = OAUTH_SECRET
    w.redirect.value = forged
    w.oauth_button.click()
    await w.wait_idle()
    assert "state mismatch" in w.status.value and "Get authorize link" in w.status.value
    assert not store.path.exists() and SESSION.default is None
    assert_no_secret(w, OAUTH_SECRET)

    # The link's own state is still good: pasting the real address then works.
    w.client_secret.value = OAUTH_SECRET
    w.redirect.value = pasted
    w.oauth_button.click()
    await w.wait_idle()
    assert "Connected to" in w.status.value


@pytest.mark.anyio
async def test_oauth_reused_code_and_wrong_secret_are_messages(sb, store):
    w = widget_for(sb)
    w.save.value = False
    w.client_id.value = OAUTH_ID
    w.authorize_button.click()
    first = await redirect_for(sb, authorize_link(w))
    w.client_secret.value, w.redirect.value = OAUTH_SECRET, first
    w.oauth_button.click()
    await w.wait_idle()
    assert "Connected to" in w.status.value

    # A fresh link, but the old (spent) code pasted on its own.
    w.authorize_button.click()
    w.client_secret.value, w.redirect.value = OAUTH_SECRET, httpx.URL(first).params["code"]
    w.oauth_button.click()
    await w.wait_idle()
    assert "already used" in w.status.value and "authorize again" in w.status.value
    assert w.authorize_link.value == ""  # that link's state is spent

    w.authorize_button.click()
    second = await redirect_for(sb, authorize_link(w))
    w.client_secret.value, w.redirect.value = "not-the-secret", second
    w.oauth_button.click()
    await w.wait_idle()
    assert "client_id / client_secret pair was refused" in w.status.value
    assert not store.path.exists()
    assert_no_secret(w, OAUTH_SECRET, "not-the-secret")


def test_oauth_empty_fields_are_messages(sb, store):
    w = widget_for(sb)
    w.authorize_button.click()
    assert "Enter the app's client id first." in w.status.value
    w.client_id.value = OAUTH_ID
    w.redirect.value = "abc"
    w.oauth_button.click()
    assert "Enter the app's client secret first." in w.status.value
    w.client_secret.value = OAUTH_SECRET
    w.oauth_button.click()
    assert "Paste the code or the address" in w.status.value
    assert w.client_secret.value == ""
    assert not store.path.exists() and SESSION.default is None


def _closed_port_url():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_client_with_a_dead_saved_base_url_names_the_profile_and_url(sb, store):
    # The README's old recipe: a served sandbox connected and saved; the kernel restarts and the port is gone.
    url, stop = ik.sandbox.serve_in_thread(sb)
    try:
        ik.connect_sync(sb.token, profile="default", base_url=url)
        with ik.notebook.client().sync as client:
            assert client.me().type == "admin"
    finally:
        stop()
    SESSION.reset()  # a new kernel: only the saved profile is left
    with pytest.raises(ik.errors.BaseURLUnreachable) as dead:
        ik.notebook.client()
    assert dead.value.profile == "default" and dead.value.base_url == url
    assert "profile 'default'" in str(dead.value) and url in str(dead.value)
    assert "ik.disconnect('default')" in str(dead.value) and sb.token not in str(dead.value)
    assert isinstance(dead.value, ik.errors.TransportError)

    dead_url = _closed_port_url()
    ik.connect_sync(sb.token, profile="sandbox", base_url=dead_url, validate=False, save=False)
    with pytest.raises(ik.errors.BaseURLUnreachable, match="this session's connection") as dead:
        ik.notebook.client()
    assert dead.value.base_url == dead_url
    # Overriding the host skips the check (the caller chose it), and a region's host is never probed.
    assert ik.notebook.client(transport=sb.transport()) is not None
    ik.connect_sync(sb.token, profile="us", validate=False, save=False)
    assert ik.notebook.client().base_url == "https://api.intercom.io"


def test_the_widget_can_start_with_save_unticked(sb, store):
    w = widget_for(sb, profile="sandbox", save=False)
    assert w.save.value is False
    w.token.value = sb.token
    w.connect_button.click()
    assert "Not saved" in w.status.value
    assert store.get("sandbox") is None and store.get("default") is None
