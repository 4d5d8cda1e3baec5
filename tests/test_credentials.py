import json
import os
import stat
import sys

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from intercomkit._connection import connect, connect_sync, disconnect, profiles
from intercomkit._credentials import (
    ENV_CONFIG_DIR,
    ENV_TOKEN,
    CredentialStore,
    ResolvedCredentials,
    check_profile_name,
    default_config_dir,
    resolve_token,
)
from intercomkit._protocol.headers import check_token
from intercomkit._session import SESSION, Session
from intercomkit.errors import AuthenticationRequired, ConfigurationError, CredentialsError, Unauthorized

GOOD = "tok_good_0123456789"
ME = {
    "type": "admin",
    "id": "991",
    "name": "Ada Admin",
    "email": "ada@example.com",
    "app": {"type": "app", "id_code": "abc123", "name": "Acme", "region": "US"},
}
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
pytestmark = pytest.mark.usefixtures("isolated_session")


@pytest.fixture
def store(tmp_path):
    return CredentialStore(tmp_path / "cfg" / "credentials.json")


def me_transport(calls=None):
    def handler(request: httpx.Request) -> httpx.Response:
        if calls is not None:
            calls.append(request)
        assert request.url.path == "/me"
        if request.headers.get("authorization") != f"Bearer {GOOD}":
            body = {
                "type": "error.list",
                "errors": [{"code": "unauthorized", "message": "Access Token Invalid"}],
            }
            return httpx.Response(401, json=body)
        return httpx.Response(200, json=ME)

    return httpx.MockTransport(handler)


# -- config dir -------------------------------------------------------------------------------------------------


def test_config_dir_override_wins():
    assert default_config_dir({ENV_CONFIG_DIR: "/x/y", "XDG_CONFIG_HOME": "/xdg"}) == default_config_dir(
        {ENV_CONFIG_DIR: "/x/y"}
    )
    assert str(default_config_dir({ENV_CONFIG_DIR: "/x/y"})) == "/x/y"


def test_config_dir_xdg_and_home():
    assert default_config_dir({"XDG_CONFIG_HOME": "/xdg"}, platform="linux").as_posix() == "/xdg/intercomkit"
    assert default_config_dir({}, platform="darwin").parts[-2:] == (".config", "intercomkit")


def test_config_dir_windows_appdata():
    path = default_config_dir({"APPDATA": "C:/Users/ada/AppData/Roaming"}, platform="win32")
    assert path.as_posix().endswith("AppData/Roaming/intercomkit")


def test_default_store_path_read_at_call_time(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_CONFIG_DIR, str(tmp_path / "elsewhere"))
    assert CredentialStore().path == tmp_path / "elsewhere" / "credentials.json"


# -- store ------------------------------------------------------------------------------------------------------


def test_save_get_names_delete(store):
    assert store.names() == [] and store.get("default") is None
    store.save("default", GOOD, workspace="Acme", region="eu")
    store.save("eu.team-2", "tok_other")
    assert store.names() == ["default", "eu.team-2"]
    p = store.get("default")
    assert p.token == GOOD and p.workspace == "Acme" and p.region == "eu" and p.created_at
    assert store.delete("eu.team-2") is True
    assert store.delete("eu.team-2") is False
    assert store.names() == ["default"]


@posix_only
def test_file_is_0600_and_dir_0700(store):
    store.save("default", GOOD)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert [p.name for p in store.path.parent.iterdir()] == ["credentials.json"]  # no temp file left


def test_saved_file_layout(store):
    store.save("default", GOOD, admin_email="ada@example.com")
    data = json.loads(store.path.read_text())
    assert data["version"] == 1
    assert data["profiles"]["default"]["token"] == GOOD


def test_token_never_in_reprs(store):
    p = store.save("default", GOOD, workspace="Acme")
    assert GOOD not in repr(p) and GOOD not in repr(store) and GOOD not in str(p.summary())
    assert GOOD not in repr(ResolvedCredentials(GOOD, "argument"))


@posix_only
def test_loose_permissions_refused_with_fix(store):
    store.save("default", GOOD)
    os.chmod(store.path, 0o644)
    with pytest.raises(CredentialsError) as info:
        store.get("default")
    assert "chmod 600" in str(info.value) and str(store.path) in str(info.value)
    assert GOOD not in str(info.value)


def test_corrupt_json_names_file(store):
    store.path.parent.mkdir(parents=True)
    fd = os.open(store.path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"{not json")
    os.close(fd)
    with pytest.raises(CredentialsError, match="not valid JSON") as info:
        store.names()
    assert str(store.path) in str(info.value)
    assert not isinstance(info.value.__cause__, json.JSONDecodeError)


def test_wrong_layout_refused(store):
    store.path.parent.mkdir(parents=True)
    fd = os.open(store.path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b'{"profiles": ["x"]}')
    os.close(fd)
    with pytest.raises(CredentialsError, match="expected layout"):
        store.get("default")


def test_unknown_meta_field_refused(store):
    with pytest.raises(ConfigurationError, match="Unknown profile field"):
        store.save("default", GOOD, password="x")


def test_bad_token_not_saved(store):
    with pytest.raises(ConfigurationError):
        store.save("default", "two\nlines")
    assert not store.path.exists()


@pytest.mark.parametrize("name", ["", "a" * 65, "has space", "slash/name", "dots..ok?", "naïve", None, 3])
def test_invalid_profile_names(name, store):
    with pytest.raises(ConfigurationError):
        check_profile_name(name)
    with pytest.raises(ConfigurationError):
        store.get(name)


@given(st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True).filter(lambda n: n.strip(".")))
def test_valid_profile_names(name):
    assert check_profile_name(name) == name


@pytest.mark.parametrize("dots", [".", "..", "..."])
def test_profile_names_of_only_dots_are_refused(dots):
    with pytest.raises(ConfigurationError, match="only dots"):
        check_profile_name(dots)


@pytest.mark.parametrize("bad", ["", "   ", "a\nb", "a\r\nX-Evil: 1", "tok en", "t\x00k", "tök", None])
def test_check_token_refuses(bad):
    with pytest.raises(ConfigurationError) as info:
        check_token(bad)
    if isinstance(bad, str) and bad.strip():
        assert bad.strip() not in str(info.value)


def test_check_token_strips():
    assert check_token(f"  {GOOD}\n") == GOOD


# -- resolution order -------------------------------------------------------------------------------------------


def test_nothing_found_says_how_to_connect(store):
    with pytest.raises(AuthenticationRequired) as info:
        resolve_token(env={}, store=store, session=Session())
    message = str(info.value)
    for hint in ("ik.connect(token=", "ik.notebook.connect()", ENV_TOKEN, "intercomkit connect"):
        assert hint in message


def test_order_explicit_profile_session_env_default(store):
    store.save("default", "tok_default", region="eu")
    store.save("work", "tok_work")
    session = Session()
    env = {ENV_TOKEN: " tok_env "}

    def resolved(**kw):
        r = resolve_token(env=env, store=store, session=session, **kw)
        return r.token, r.source

    assert resolved() == ("tok_env", f"env:{ENV_TOKEN}")
    session.set_default(ResolvedCredentials("tok_session", "session", profile="work"))
    assert resolved() == ("tok_session", "session")
    assert resolved(profile="work") == ("tok_work", "profile:work")
    assert resolved(token="tok_arg", profile="work") == ("tok_arg", "argument")
    session.reset()
    env.clear()
    r = resolve_token(env=env, store=store, session=session)
    assert (r.token, r.source, r.region, r.profile) == ("tok_default", "profile:default", "eu", "default")


def test_missing_named_profile_lists_known(store):
    store.save("default", GOOD)
    with pytest.raises(AuthenticationRequired, match="saved profiles: default"):
        resolve_token(profile="nope", env={}, store=store)


def test_bad_env_token_is_a_configuration_error(store):
    with pytest.raises(ConfigurationError, match=ENV_TOKEN):
        resolve_token(env={ENV_TOKEN: "a\nb"}, store=store, session=Session())


def test_env_read_at_call_time(monkeypatch, store):
    monkeypatch.setenv(ENV_TOKEN, "tok_late")
    assert resolve_token(store=store, session=Session()).token == "tok_late"


# -- connect / disconnect / profiles ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_connect_validates_saves_and_sets_session(store):
    session = Session()
    conn = await connect(f" {GOOD} ", profile="acme", transport=me_transport(), store=store, session=session)
    assert (conn.profile, conn.workspace, conn.app_id, conn.admin_email) == (
        "acme",
        "Acme",
        "abc123",
        ME["email"],
    )
    assert GOOD not in repr(conn) and GOOD not in str(conn) and "Acme" in str(conn)
    saved = store.get("acme")
    assert saved.token == GOOD and saved.admin_name == "Ada Admin" and saved.region == "us"
    assert resolve_token(env={ENV_TOKEN: "tok_env"}, store=store, session=session).token == GOOD
    assert profiles(store=store) == [saved.summary()]
    assert GOOD not in str(profiles(store=store))


@pytest.mark.anyio
async def test_connect_rejected_token_saves_nothing(store):
    session = Session()
    with pytest.raises(Unauthorized, match="nothing was saved") as info:
        await connect("tok_bad", transport=me_transport(), store=store, session=session)
    assert "tok_bad" not in str(info.value)
    assert store.names() == [] and session.default is None


@pytest.mark.anyio
async def test_connect_without_validation_or_saving(store):
    calls = []
    session = Session()
    conn = await connect(
        GOOD, validate=False, save=False, transport=me_transport(calls), store=store, session=session
    )
    assert calls == [] and conn.saved is False and conn.workspace is None
    assert store.names() == [] and session.default.token == GOOD


@pytest.mark.anyio
async def test_connect_rejects_unknown_region_before_saving(store):
    with pytest.raises(ConfigurationError, match="region"):
        await connect(GOOD, region="mars", validate=False, store=store, session=Session())
    assert store.names() == []


@pytest.mark.anyio
async def test_connect_saved_profile_by_name(store):
    store.save("eu", GOOD, region="eu")
    session = Session()
    calls = []
    conn = await connect(profile="eu", transport=me_transport(calls), store=store, session=session)
    assert conn.region == "eu" and calls[0].url.host == "api.eu.intercom.io"
    assert session.default.profile == "eu"


@pytest.mark.anyio
async def test_connect_without_any_token(store):
    with pytest.raises(AuthenticationRequired):
        await connect(profile="nothing", store=store, session=Session())


@pytest.mark.anyio
async def test_connect_uses_process_session_by_default(store):
    await connect(GOOD, transport=me_transport(), store=store)
    assert SESSION.default.token == GOOD
    assert resolve_token(env={}, store=CredentialStore(store.path.parent / "other.json")).token == GOOD


def test_disconnect_removes_profile_and_session(store):
    session = Session()
    store.save("a", GOOD)
    session.set_default(ResolvedCredentials(GOOD, "session", profile="a"))
    assert disconnect("b", store=store, session=session) is False
    assert session.default is not None
    assert disconnect("a", store=store, session=session) is True
    assert store.names() == [] and session.default is None


def test_connect_sync_in_plain_code(store):
    conn = connect_sync(GOOD, transport=me_transport(), store=store, session=Session())
    assert conn.workspace == "Acme" and store.names() == ["default"]


@pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX")
def test_unreadable_dir_is_a_credentials_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = CredentialStore(blocker / "sub" / "credentials.json")
    with pytest.raises(CredentialsError, match="Cannot"):
        store.save("default", GOOD)
