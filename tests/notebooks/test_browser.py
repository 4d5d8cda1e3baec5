"""The widgets where users click them: JupyterLab in headless Chromium, driven by Playwright.

JupyterLab runs on a free local port with a random token, private Jupyter directories and a temporary copy of
``notebooks/``. Chromium is Debian's (``/usr/bin/chromium``; Playwright's own download is not used). The test runs
``01-quickstart``, types the sandbox token into the Connect widget and clicks Connect; then runs
``04-send-messages``, fills the send form, sends, and checks in the kernel's sandbox that exactly that message
arrived.

Screenshots of both widgets go to ``artifacts/notebooks/`` (``INTERCOMKIT_ARTIFACTS`` to change it); with
``INTERCOMKIT_UPDATE_SCREENSHOTS=1`` they also replace the README's ``docs/screenshots/*.png``.

Without Chromium (or playwright) the test is skipped, except in CI (``CI`` or ``INTERCOMKIT_REQUIRE_BROWSER=1``
set), where it fails: ``.ci/run`` installs Chromium.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import NOTEBOOKS_DIR, isolated_env

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]

REPO = NOTEBOOKS_DIR.parent
CHROMIUM = os.environ.get("INTERCOMKIT_CHROMIUM", "/usr/bin/chromium")
# A closed network: without these Chromium keeps trying to reach Google services and floods refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
LONG = 120_000  # ms: kernel start and Run All on a slow CI machine
SHORT = 60_000


def _require_browser() -> None:
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "playwright is not installed (pip install playwright; its browser download is not needed)"
    if reason is None and not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
    if reason is None:
        return
    if os.environ.get("CI") or os.environ.get("INTERCOMKIT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"the browser test must run here (CI or INTERCOMKIT_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


# -- JupyterLab --------------------------------------------------------------------------------------------------


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def page_url(self, workspace: str, notebook: str) -> str:
        # A workspace of its own per notebook: nothing is restored from an earlier page.
        return f"{self.url}/lab/workspaces/{workspace}/tree/{notebook}?token={self.token}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_lab_settings(settings_dir: Path) -> None:
    settings = {
        # No news or update checks (they would reach the internet and pop up toasts over the widgets).
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        # Every cell in the DOM, so locators find cells below the fold; no "Select Kernel" dialog on opening.
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "autoStartDefaultKernel": True},
    }
    for name, values in settings.items():
        path = settings_dir / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    _require_browser()
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    env = {**os.environ, **isolated_env(base)}
    env.pop("INTERCOM_ACCESS_TOKEN", None)
    _write_lab_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    token = secrets.token_hex(16)
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = base / "jupyterlab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Lab(f"http://127.0.0.1:{port}", token, root, log)
    try:
        _wait_for_server(server, proc)
        yield server
    finally:
        _stop_server(server, proc)
        artifacts = _artifacts_dir()
        shutil.copy(log, artifacts / "jupyterlab.log")


def _wait_for_server(lab: Lab, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"JupyterLab exited with {proc.returncode}:\n{lab.log.read_text(errors='replace')[-4000:]}"
            )
        with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
            lab.api("GET", "/api/status")
            return
        time.sleep(0.25)
    pytest.fail(
        f"JupyterLab did not answer within {timeout}s:\n{lab.log.read_text(errors='replace')[-4000:]}"
    )


def _stop_server(lab: Lab, proc: subprocess.Popen[bytes]) -> None:
    # Kernels run in sessions of their own: shut them down through the API before the server goes.
    with contextlib.suppress(Exception):
        for kernel in lab.api("GET", "/api/kernels") or []:  # type: ignore[union-attr]
            lab.api("DELETE", f"/api/kernels/{kernel['id']}")
    with contextlib.suppress(Exception):
        lab.api("POST", "/api/shutdown")
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


# -- Chromium ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(lab: Lab) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # launch() gives a fresh temporary profile (user-data-dir) every time.
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    from playwright.sync_api import expect

    expect.set_options(timeout=SHORT)
    context = browser.new_context(viewport={"width": 1100, "height": 800}, device_scale_factor=1)  # type: ignore[attr-defined]
    context.set_default_timeout(SHORT)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    try:
        yield page
    finally:
        artifacts = _artifacts_dir()
        name = request.node.name
        with contextlib.suppress(Exception):
            page.screenshot(path=str(artifacts / f"{name}-page.png"), full_page=False)
        (artifacts / f"{name}-console.log").write_text("\n".join(console), encoding="utf-8")
        context.close()


def _artifacts_dir() -> Path:
    path = Path(os.environ.get("INTERCOMKIT_ARTIFACTS", REPO / "artifacts")) / "notebooks"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save_widget_screenshot(element: object, name: str) -> None:
    path = _artifacts_dir() / name
    element.screenshot(path=str(path), animations="disabled")  # type: ignore[attr-defined]
    if os.environ.get("INTERCOMKIT_UPDATE_SCREENSHOTS") == "1":
        docs = REPO / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, docs / name)


# -- driving a notebook ------------------------------------------------------------------------------------------

_ALL_RAN = """() => {
    const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
    if (!panel) return false;
    if (panel.querySelector('[data-mime-type="application/vnd.jupyter.error"]')) return 'error';
    const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
    return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""


def open_notebook(page: object, lab: Lab, name: str) -> object:
    from playwright.sync_api import expect

    page.goto(lab.page_url(name.split("-")[0], name), timeout=LONG)  # type: ignore[attr-defined]
    panel = page.locator(".jp-NotebookPanel").first  # type: ignore[attr-defined]
    expect(panel.locator(".jp-CodeCell").first).to_be_visible(timeout=LONG)
    # Ready when the server's kernel for this notebook is idle with the page connected, and the page says so:
    # cells run before that may be dropped.
    _wait_for_kernel(lab, name)
    expect(panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_be_attached(timeout=LONG)
    expect(page.locator("#jp-main-statusbar")).to_contain_text(re.compile(r"\| Idle"), timeout=LONG)  # type: ignore[attr-defined]
    return panel


def _wait_for_kernel(lab: Lab, name: str, timeout: float = LONG / 1000) -> None:
    deadline = time.monotonic() + timeout
    sessions: object = None
    while time.monotonic() < deadline:
        sessions = lab.api("GET", "/api/sessions")
        for session in sessions or []:  # type: ignore[union-attr]
            kernel = session.get("kernel") or {}
            if (
                session.get("path") == name
                and kernel.get("execution_state") == "idle"
                and kernel.get("connections")
            ):
                return
        time.sleep(0.25)
    pytest.fail(f"no idle kernel for {name} after {timeout}s: {sessions}")


def run_all_cells(page: object, panel: object) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    first_prompt = panel.locator(".jp-CodeCell .jp-InputPrompt").first  # type: ignore[attr-defined]
    for attempt in range(3):
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()  # type: ignore[attr-defined]
        page.locator(".lm-Menu-item:visible", has_text=re.compile(r"^Run All Cells")).first.click()  # type: ignore[attr-defined]
        try:  # started? (a click swallowed while the page settles is retried; nothing has run then)
            expect(first_prompt).to_have_text(re.compile(r"\[(\*|\d+)\]"), timeout=15_000)
            break
        except (AssertionError, PlaywrightTimeout):
            if attempt == 2:
                raise
    handle = page.wait_for_function(_ALL_RAN, timeout=LONG)  # type: ignore[attr-defined]
    if handle.json_value() == "error":
        error = panel.locator('[data-mime-type="application/vnd.jupyter.error"]').first.inner_text()  # type: ignore[attr-defined]
        pytest.fail(f"a notebook cell failed in JupyterLab:\n{error}")


def run_last_cell(page: object, panel: object) -> None:
    cell = panel.locator(".jp-CodeCell").last  # type: ignore[attr-defined]
    prompt = cell.locator(".jp-InputPrompt")
    before = prompt.inner_text()
    cell.locator(".jp-InputPrompt").click()  # selects the cell (command mode)
    page.keyboard.press("Shift+Enter")  # type: ignore[attr-defined]
    from playwright.sync_api import expect

    expect(prompt).not_to_have_text(before, timeout=SHORT)
    expect(prompt).to_have_text(re.compile(r"\[\d+\]"), timeout=SHORT)


def labelled(scope: object, kind: str, label: str) -> object:
    """The input of the ipywidget of class ``widget-<kind>`` inside ``scope`` whose label is ``label``."""
    page = scope.page  # type: ignore[attr-defined]
    box = scope.locator(f".widget-{kind}").filter(  # type: ignore[attr-defined]
        has=page.locator("label", has_text=re.compile(rf"^{re.escape(label)}$"))
    )
    return box.locator("select, input, textarea").first


# -- the tests ---------------------------------------------------------------------------------------------------


def test_connect_widget_connects_to_the_sandbox(lab: Lab, page: object) -> None:
    from playwright.sync_api import expect

    panel = open_notebook(page, lab, "01-quickstart.ipynb")
    run_all_cells(page, panel)
    expect(panel).to_contain_text("workspace 'intercomkit sandbox'")

    widget = panel.locator(".jp-OutputArea-output").filter(has=page.locator("input[type=password]")).first  # type: ignore[attr-defined]
    token_field = labelled(widget, "text", "Token")
    expect(token_field).to_be_visible()
    token_field.click()
    token_field.press_sequentially("sandbox", delay=20)
    expect(token_field).to_have_value("sandbox")
    widget.get_by_role("button", name="Connect", exact=True).click()

    status = widget.locator(".widget-html-content").filter(has_text="Connected to")
    expect(status).to_contain_text(re.compile(r"Connected to intercomkit sandbox as .+ \(\S+@\S+\)"))
    expect(status).to_contain_text("Not saved")  # the notebook unticks Save in the sandbox
    expect(token_field).to_have_value("")  # the kernel cleared the secret from the widget
    _save_widget_screenshot(widget, "connect-widget.png")


def test_send_form_sends_exactly_that_message(lab: Lab, page: object) -> None:
    from playwright.sync_api import expect

    panel = open_notebook(page, lab, "04-send-messages.ipynb")
    run_all_cells(page, panel)
    received = panel.locator(".jp-CodeCell").last.locator(".jp-OutputArea")
    expect(received).to_contain_text("The sandbox has received 6 messages.")

    form = panel.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-textarea")).first  # type: ignore[attr-defined]
    form.scroll_into_view_if_needed()

    # From: the admins load in the background; pick the second one.
    sender = labelled(form, "dropdown", "From")
    expect(sender).to_be_enabled(timeout=SHORT)
    admins = [t for t in sender.locator("option").all_text_contents() if "loading" not in t]
    assert len(admins) >= 2, admins
    sender.select_option(label=admins[1])
    admin_id = re.search(r"\((\d+)\)\s*$", admins[1]).group(1)  # type: ignore[union-attr]

    # To: search Intercom (Enter submits), then pick the first match.
    search = labelled(form, "text", "To")
    search.click()
    search.press_sequentially("globex", delay=20)
    search.press("Enter")
    recipient = labelled(form, "dropdown", "Recipient")
    expect(recipient.locator("option").first).to_contain_text("globex.test", timeout=SHORT)
    choice = recipient.locator("option").first.inner_text()
    recipient.select_option(label=choice)
    parsed = re.match(
        r"^(.+?) — (\S+@\S+) \((?:user|lead)\)$", choice.replace("\xa0", " ").strip()
    )  # ipywidgets uses no-break spaces
    assert parsed, f"unexpected recipient label {choice!r}"
    name, email = parsed.groups()

    nonce = secrets.token_hex(3)
    body = labelled(form, "textarea", "Body")
    body.click()
    body.press_sequentially(f"Hi {{{{ name }}}}, your report is ready ({nonce})", delay=5)
    expected_body = f"Hi {name}, your report is ready ({nonce})"
    expect(form).to_contain_text(expected_body)  # the preview: the kernel has the body and the recipient

    form.get_by_role("button", name="Send…", exact=True).click()
    expect(form).to_contain_text(f"Send an in-app message to {name}")
    form.get_by_role("button", name="Confirm send", exact=True).click()
    result = form.locator(".widget-html-content").filter(has_text="Message id")
    expect(result).to_contain_text("Sent. Message id", timeout=SHORT)
    message_id = result.locator("code").inner_text().strip()
    _save_widget_screenshot(form, "send-message-form.png")

    # What the sandbox (inside the kernel) received: one more message, exactly the one typed.
    run_last_cell(page, panel)
    expect(received).to_contain_text("The sandbox has received 7 messages.")
    headers = [h.strip() for h in received.locator("table thead th").all_inner_texts()]
    last = [c.strip() for c in received.locator("table tbody tr").last.locator("th, td").all_inner_texts()]
    row = dict(zip(headers, last, strict=True))
    assert row["id"] == message_id
    assert row["from.id"] == admin_id
    assert row["to.email"] == email
    assert row["message_type"] == "inapp"
    shown = row["body"]  # pandas shortens long cells to 50 characters, ending them with "..."
    assert shown == expected_body or (shown.endswith("...") and expected_body.startswith(shown[:-3])), shown
