"""Guarantee 6: a known token appears nowhere it should not: CLI output (successes and every error exit), DEBUG
logs (httpx and httpcore included), reprs, error messages and tracebacks, widget state, export files, saved
notebooks. The credentials file is 0600 in a 0700 directory."""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import stat
import subprocess
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fake_clock import FakeClock

import intercomkit as ik
from intercomkit._credentials import CredentialStore
from intercomkit._session import SESSION
from intercomkit.errors import IntercomError
from intercomkit.sandbox import Faults, Sandbox, serve_in_thread

pytestmark = [pytest.mark.anyio, pytest.mark.slow, pytest.mark.usefixtures("isolated_session")]

SECRET = "tok_SECRET_" + secrets.token_hex(12)
WRONG = "tok_SECRET_wrong_" + secrets.token_hex(12)
NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def assert_clean(text: str, where: str) -> None:
    for secret in (SECRET, WRONG):
        assert secret not in text, f"token found in {where}"
        assert secret[len("tok_SECRET_") :] not in text, f"token body found in {where}"


def _files_text(root: Path) -> str:
    parts = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes().decode("latin-1"))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def served():
    sb = Sandbox(contacts=400, companies=20, seed=5, token=SECRET)
    url, stop = serve_in_thread(sb, port=0)
    yield sb, url
    stop()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_output_and_files_never_show_the_token(served, tmp_path):
    sb, url = served
    env = {**os.environ, "IK_TOKEN": SECRET, "INTERCOMKIT_CONFIG_DIR": str(tmp_path / "config")}
    env.pop("INTERCOM_ACCESS_TOKEN", None)
    out = tmp_path / "out"
    out.mkdir()
    closed = f"http://127.0.0.1:{_closed_port()}"
    runs = {  # name: (arguments, expected exit code)
        "token-env": (["--base-url", url, "--token-env", "IK_TOKEN", "--out", f"{out}/a.csv"], 0),
        "token": (["--base-url", url, "--token", SECRET, "--out", f"{out}/b.parquet"], 0),
        "wrong token": (["--base-url", url, "--token", WRONG, "--out", f"{out}/c.csv"], 3),
        "bad base url": (["--base-url", "ftp://x/", "--token", SECRET, "--out", f"{out}/d.csv"], 2),
        "closed port": (["--base-url", closed, "--token", SECRET, "--out", f"{out}/e.csv"], 4),
        "unset env": (["--base-url", url, "--token-env", "IK_NOPE", "--out", f"{out}/f.csv"], 3),
        "bad query": (["--base-url", url, "--token", SECRET, "--query", "{", "--out", f"{out}/g.csv"], 2),
        "usage": (["--token", SECRET, "--out", f"{out}/h.txt", "--base-url", url], 2),
    }

    def run(name):
        args, code = runs[name]
        cmd = [sys.executable, "-m", "intercomkit.cli", "-vv", "export", "contacts", "--no-progress", *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
        return name, code, done

    with ThreadPoolExecutor(max_workers=2) as pool:
        for name, code, done in pool.map(run, runs):
            assert done.returncode == code, (name, done.stderr[-2000:])
            assert_clean(done.stdout + done.stderr, f"CLI output ({name})")
    assert_clean(_files_text(out), "export files")
    assert {p.name for p in out.iterdir()} >= {"a.csv", "b.parquet"}


def _scan_exception(exc: BaseException, where: str) -> None:
    text = "".join(traceback.format_exception(exc)) + repr(exc) + str(exc)
    if isinstance(exc, IntercomError):
        text += repr(vars(exc))
    assert_clean(text, where)


async def test_debug_logs_errors_reprs_and_tracebacks_never_show_the_token(served, tmp_path):
    sb, url = served
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record) + repr(record.args))

    root = logging.getLogger()
    handler, old_level = Keep(logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    caught: list[BaseException] = []
    try:
        # Over a real socket, through the lean transport and through httpx's own (whose httpcore logs at DEBUG too).
        for lean in (True, False):
            async with ik.AsyncClient(token=SECRET, base_url=url, lean_transport=lean) as client:
                await client.me()
                await client.contacts.list().to_list(limit=300)
                for call in (
                    lambda: client.request("GET", "https://evil.example/me"),
                    lambda: client.request("GET", "/nope/x"),
                    lambda: client.contacts.get("missing"),
                    lambda: client.request("POST", "/contacts", json={"email": 1}),
                ):
                    try:
                        await call()
                    except IntercomError as exc:
                        caught.append(exc)
                assert_clean(
                    repr(client) + str(client) + repr(client.contacts) + repr(client.export), "reprs"
                )
        async with ik.AsyncClient(token=WRONG, base_url=url) as client:
            with pytest.raises(ik.errors.Unauthorized) as info:
                await client.me()
            caught.append(info.value)
        async with ik.AsyncClient(
            token=SECRET, base_url=f"http://127.0.0.1:{_closed_port()}", sleep=FakeClock().sleep
        ) as client:
            with pytest.raises(ik.errors.TransportError) as info:
                await client.me()
            caught.append(info.value)
        # Retries, truncated bodies and dropped connections, in-process.
        clock = FakeClock()
        faulty = Sandbox(
            contacts=300,
            seed=2,
            token=SECRET,
            faults=Faults(rate=0.5, seed=3),
            clock=clock,
            sleep=clock.sleep,
        )
        async with faulty.client(clock=clock, sleep=clock.sleep, max_retries=2) as client:
            for _ in range(10):
                try:
                    await client.contacts.list(per_page=50).to_list()
                except IntercomError as exc:
                    caught.append(exc)
            try:
                await client.messages.send(
                    to=faulty.contact_ids()[0], body="x", from_admin=faulty.admin_ids[0]
                )
            except IntercomError as exc:
                caught.append(exc)
            try:
                await client.export.contacts(tmp_path / "x.csv", progress=False)
            except IntercomError as exc:
                caught.append(exc)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert len(records) > 20 and any("httpcore" in r or "HTTP Request" in r for r in records)
    assert_clean("\n".join(records), "DEBUG logs")
    assert len(caught) >= 5
    for exc in caught:
        _scan_exception(exc, f"{type(exc).__name__}")
    assert_clean(repr(sb) + repr(faulty), "sandbox reprs")
    assert_clean(_files_text(tmp_path), "files")  # export parts, manifests, results


def _all_widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _all_widgets(child)


def _widget_state(root) -> str:
    return "\n".join(json.dumps(w.get_state(), default=str) for w in _all_widgets(root))


async def test_connect_profiles_and_credentials_file(tmp_path):
    sb = Sandbox(contacts=10, companies=1, token=SECRET)
    store = CredentialStore(tmp_path / "config" / "credentials.json")
    connection = await ik.connect(SECRET, base_url=sb.base_url, transport=sb.transport(), store=store)
    assert_clean(
        repr(connection)
        + str(connection)
        + repr(store)
        + repr(store.all())
        + repr(ik.profiles(store=store))
        + repr(SESSION)
        + repr(ik.oauth.STATES),
        "profiles",
    )
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.path.parent).st_mode) == 0o700
    with pytest.raises(IntercomError) as info:
        await ik.connect(WRONG, profile="other", base_url=sb.base_url, transport=sb.transport(), store=store)
    _scan_exception(info.value, "refused connect")


def test_widgets_state_never_holds_the_token(tmp_path):
    sb = Sandbox(contacts=10, companies=1, token=SECRET)
    store = CredentialStore(tmp_path / "config" / "credentials.json")
    for token in (WRONG, SECRET):  # a refused connect, then a good one
        w = ik.notebook.connect(base_url=sb.base_url, transport=sb.transport(), store=store)
        w.token.value = token
        w.connect_button.click()
        w.wait_idle_sync()
        assert_clean(_widget_state(w.widget) + repr(w) + repr(vars(w)), "Connect widget")
    assert "Connected" in w.status.value

    async def form_state():
        async with sb.client() as client:
            form = ik.notebook.send_message_form(client=client)
            await form.wait_idle()
            form.search.value = sb.get_contact(sb.contact_ids()[0])["email"]
            await form.wait_idle()
            return _widget_state(form.widget) + repr(form)

    import anyio

    assert_clean(anyio.run(form_state), "send form")


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet")
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_saved_notebooks_hold_no_token(notebook):
    text = notebook.read_text()
    data = json.loads(text)
    assert "Bearer " not in text and "tok_SECRET_" not in text
    assert "dG9rO" not in text  # the start of every base64 Intercom access token ("tok:")
    for state in (
        data.get("metadata", {})
        .get("widgets", {})
        .get("application/vnd.jupyter.widget-state+json", {})
        .get("state", {})
    ).values():
        if state.get("model_name") == "PasswordModel":
            assert not state.get("state", {}).get("value"), f"{notebook.name} saved a password field's value"
