"""The Connect widget: paste an access token or run the OAuth paste-the-code flow, check it with ``GET /me``.

``connect()`` returns the widget at once; a click schedules the work (see ``_tasks``) and never blocks the
kernel. On success the token is saved in the profile (when "Save" is ticked) and becomes the session's
connection, so later cells just call ``ik.notebook.client()`` or ``ik.AsyncClient()``.

Secrets never stay on the widget: password fields are cleared the moment they are read and the token only lives
in the coroutine that validates it, so a saved notebook (widget state) holds none.
"""

from __future__ import annotations

import asyncio
import html
import socket
from typing import Any

import httpx
import ipywidgets as W

from .. import oauth
from .._connection import Connection
from .._connection import connect as _connect
from .._credentials import DEFAULT_PROFILE, CredentialStore, resolve_token
from .._protocol.regions import AUTHORIZE_BASES, REGIONS, TOKEN_PATH, resolve_base_url
from .._session import SESSION, Session
from ..errors import (
    AuthenticationRequired,
    BaseURLUnreachable,
    ConfigurationError,
    CredentialsError,
    Forbidden,
    IntercomError,
    OAuthError,
    RateLimited,
    ServerError,
    StateMismatch,
    TransportError,
    Unauthorized,
)
from ._tasks import Tasks

__all__ = ["ConnectWidget", "client", "connect"]

NOT_CONNECTED = (
    "Not connected to Intercom yet. Run ik.notebook.connect() in a cell above, paste a token (or use the "
    "OAuth tab) and click Connect; then call ik.notebook.client() again."
)


def connect(
    profile: str = DEFAULT_PROFILE,
    *,
    base_url: str | None = None,
    region: str = "us",
    save: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
    store: CredentialStore | None = None,
    session: Session | None = None,
    states: oauth.PendingStates | None = None,
) -> ConnectWidget:
    """The Connect widget, returned at once (display it as a cell's last expression).

    ``base_url`` points it at another host (a served sandbox: ``ik.sandbox.serve_in_thread(sb)``);
    ``save`` is the initial state of its *Save* box (``False`` for a sandbox: nothing worth keeping);
    ``transport`` is for tests (``sb.transport()``); ``store`` is where the profile is saved.
    """
    return ConnectWidget(
        profile,
        base_url=base_url,
        region=region,
        save=save,
        transport=transport,
        store=store,
        session=session,
        states=states,
    )


def client(**kwargs: Any) -> Any:
    """``AsyncClient(**kwargs)`` on the session's connection; ``AuthenticationRequired`` before connecting.

    When the connection comes with a saved base URL (a served sandbox, a proxy) and nothing in ``kwargs``
    overrides it, that host is tried first: a dead one raises ``BaseURLUnreachable`` naming the profile and URL,
    rather than a connection error at the first request."""
    from .._client import AsyncClient

    try:
        if all(kwargs.get(k) is None for k in ("token", "base_url", "region", "transport")):
            _check_saved_host(kwargs.get("profile"))
        return AsyncClient(**kwargs)
    except AuthenticationRequired as exc:
        raise AuthenticationRequired(f"{NOT_CONNECTED}\n\n{exc.message}") from None


def _check_saved_host(profile: str | None) -> None:
    resolved = resolve_token(profile=profile)
    if resolved.base_url is None:
        return  # a region's Intercom host: nothing saved that could have gone away
    base_url = str(resolve_base_url(resolved.region, resolved.base_url))
    url = httpx.URL(base_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.host, port), timeout=3):
            pass
    except OSError as exc:
        name = resolved.profile
        where = f"profile {name!r}" if resolved.source.startswith("profile:") else "this session's connection"
        if resolved.source.startswith("profile:"):
            fix = f"ik.notebook.connect(profile={name!r}) again, or forget it with ik.disconnect({name!r})"
        else:
            fix = "ik.notebook.connect() again"
        raise BaseURLUnreachable(
            f"{where} points at {base_url}, which does not answer ({exc.strerror or exc}). A sandbox served on "
            f"a port stops with the kernel that served it: start it again, or connect with {fix}.",
            profile=name,
            base_url=base_url,
        ) from None


class ConnectWidget:
    """Two ways in, an "Access token" tab and an "OAuth app" tab, plus profile, region and save settings.

    Parts are attributes (``token``, ``connect_button``, ``client_id``, ``client_secret``, ``authorize_button``,
    ``authorize_link``, ``redirect``, ``oauth_button``, ``profile``, ``region``, ``base_url``, ``save``,
    ``status``) so tests drive it headless with ``.value = …`` and ``.click()``, then ``await w.wait_idle()``.
    ``connection`` is the ``Connection`` of the last success (workspace and admin, never the token).
    """

    def __init__(
        self,
        profile: str = DEFAULT_PROFILE,
        *,
        base_url: str | None = None,
        region: str = "us",
        save: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        store: CredentialStore | None = None,
        session: Session | None = None,
        states: oauth.PendingStates | None = None,
    ) -> None:
        region = (region or "us").strip().lower()
        if region not in REGIONS:
            raise ConfigurationError(f"Unknown region {region!r}: use one of {', '.join(REGIONS)}.")
        self._transport = transport
        self._store = store
        self._session = SESSION if session is None else session
        self._states = oauth.STATES if states is None else states
        self._state: str | None = None
        self._tasks = Tasks(self._show_error)
        self.connection: Connection | None = None

        self.profile = W.Text(value=profile, description="Profile")
        self.region = W.Dropdown(
            options=[(r.upper(), r) for r in REGIONS], value=region, description="Region"
        )
        self.base_url = W.Text(
            value=base_url or "",
            description="Base URL",
            placeholder="Advanced: leave empty to use the region",
        )
        self.save = W.Checkbox(value=bool(save), description="Save the token in this profile", indent=False)

        self.token = W.Password(description="Token", placeholder="paste an access token")
        self.connect_button = W.Button(description="Connect", button_style="primary")
        token_tab = W.VBox(
            [
                W.HTML("Paste an access token from the Developer Hub (your app → Authentication)."),
                self.token,
                self.connect_button,
            ]
        )

        self.client_id = W.Text(description="Client id")
        self.client_secret = W.Password(description="Secret", placeholder="client secret")
        self.authorize_button = W.Button(description="Get authorize link")
        self.authorize_link = W.HTML()
        self.redirect = W.Text(description="Code / URL", placeholder="paste the code or the redirect address")
        self.oauth_button = W.Button(description="Connect", button_style="primary")
        oauth_tab = W.VBox(
            [
                self.client_id,
                self.client_secret,
                self.authorize_button,
                self.authorize_link,
                self.redirect,
                self.oauth_button,
            ]
        )

        self.tabs = W.Tab(children=[token_tab, oauth_tab], titles=("Access token", "OAuth app"))
        self.status = W.HTML()
        advanced = W.Accordion(children=[W.VBox([self.base_url])], titles=("Advanced",))
        advanced.selected_index = 0 if base_url else None
        self.widget = W.VBox(
            [self.tabs, W.HBox([self.profile, self.region]), self.save, advanced, self.status]
        )

        self.connect_button.on_click(self._on_token_connect)
        self.authorize_button.on_click(self._on_authorize)
        self.oauth_button.on_click(self._on_oauth_connect)
        current = self._session.default
        if current is not None:
            self.status.value = _note(
                f"This session is connected (profile {current.profile or '—'!r}); connect again to switch."
            )

    def __repr__(self) -> str:
        return f"<ConnectWidget profile={self.profile.value!r} connected={self.connection is not None}>"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- waiting (tests, scripts)

    async def wait_idle(self) -> None:
        """Wait until every click so far has been handled."""
        await self._tasks.wait_idle()

    def wait_idle_sync(self) -> None:
        """``wait_idle`` for sync code. Without a running loop a click already ran to completion on the sync
        bridge, so there is nothing to wait for; inside a running loop use ``await w.wait_idle()``."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._tasks.busy:
            raise RuntimeError("Inside a running event loop, use `await widget.wait_idle()`.")

    def client(self, **kwargs: Any) -> Any:
        """An ``AsyncClient`` on this widget's connection (and its transport, if one was given)."""
        if self._transport is not None:
            kwargs.setdefault("transport", self._transport)
        return client(**kwargs)

    # -- settings

    def _target(self) -> tuple[str | None, str]:
        """``(base_url or None, region)`` from the fields."""
        base = self.base_url.value.strip() or None
        return base, self.region.value

    def _oauth_urls(self) -> tuple[str, str, bool]:
        """``(authorize base, token URL, allow_http)``: a base URL (the sandbox) serves both itself."""
        base, region = self._target()
        if base is None:
            return AUTHORIZE_BASES[region], REGIONS[region] + TOKEN_PATH, False
        api = str(resolve_base_url(None, base))
        return api, api + TOKEN_PATH, api.startswith("http://")

    # -- access token tab

    def _on_token_connect(self, _button: Any = None) -> None:
        token = self.token.value
        self.token.value = ""  # read once, never kept: nothing secret stays in the widget state
        if not token.strip():
            self._show_error("Paste an access token first.")
            return
        self._begin("Checking the token with GET /me …")
        self._tasks.spawn(self._finish(self._validate(token)))

    # -- OAuth tab

    def _on_authorize(self, _button: Any = None) -> None:
        client_id = self.client_id.value.strip()
        if not client_id:
            self._show_error("Enter the app's client id first.")
            return
        try:
            authorize_base, _, allow_http = self._oauth_urls()
            url = oauth.authorize_url(
                client_id, base=authorize_base, allow_http=allow_http, states=self._states
            )
        except IntercomError as exc:
            self._show_error(_plain(exc))
            return
        self._state = _state_of(url)
        link = html.escape(url, quote=True)
        self.authorize_link.value = (
            f'<a href="{link}" target="_blank" rel="noopener">Open the authorize page</a> — click '
            "<i>Authorize</i>, then copy the address you land on (or the code) into the field below."
        )
        self.status.value = ""

    def _on_oauth_connect(self, _button: Any = None) -> None:
        secret = self.client_secret.value
        pasted = self.redirect.value
        self.client_secret.value = ""
        self.redirect.value = ""  # the code is single-use but still a credential until spent
        client_id = self.client_id.value.strip()
        if not client_id:
            self._show_error("Enter the app's client id first.")
        elif not secret.strip():
            self._show_error("Enter the app's client secret first.")
        elif not pasted.strip():
            self._show_error("Paste the code or the address Intercom redirected you to first.")
        else:
            self._begin("Exchanging the code for a token …")
            self._tasks.spawn(self._finish(self._exchange(pasted, client_id, secret)))

    async def _exchange(self, pasted: str, client_id: str, secret: str) -> None:
        _, token_url, allow_http = self._oauth_urls()
        try:
            token = await oauth.exchange_code(
                pasted,
                client_id,
                secret,
                state=self._state,
                token_url=token_url,
                allow_http=allow_http,
                transport=self._transport,
                states=self._states,
            )
        except IntercomError as exc:
            if exc.status is not None or isinstance(exc, TransportError):
                # The token endpoint answered: our state is spent, so this link cannot be used again.
                self._state = None
                self.authorize_link.value = ""
            self._show_error(_plain(exc, secrets=(secret, pasted)))
            return
        self._state = None
        self.authorize_link.value = ""
        self.status.value = _note("Got a token; checking it with GET /me …")
        await self._validate(token)

    # -- shared: validate with GET /me, save, make it the session's connection

    async def _validate(self, token: str) -> None:
        base, region = self._target()
        try:
            conn = await _connect(
                token,
                profile=self.profile.value.strip(),
                region=region,
                base_url=base,
                save=self.save.value,
                transport=self._transport,
                store=self._store,
                session=self._session,
            )
        except IntercomError as exc:
            self._show_error(_plain(exc, secrets=(token,)))
            return
        self.connection = conn
        who = conn.admin_name or conn.admin_email or "an unknown admin"
        if conn.admin_name and conn.admin_email:
            who = f"{conn.admin_name} ({conn.admin_email})"
        where = conn.workspace or conn.app_id or "the workspace"
        saved = (
            f"Saved as profile <b>{html.escape(conn.profile)}</b>."
            if conn.saved
            else "Not saved: this connection lasts until the kernel restarts."
        )
        self.status.value = (
            f'<span style="color:#1a7f37">✔ Connected to <b>{html.escape(where)}</b> as {html.escape(who)}.</span> '
            f"{saved} New clients in this session use it: <code>ik.notebook.client()</code>."
        )

    def _begin(self, text: str) -> None:
        self.connect_button.disabled = self.oauth_button.disabled = True
        self.status.value = _note(text)

    async def _finish(self, work: Any) -> None:
        try:
            await work
        finally:
            self.connect_button.disabled = self.oauth_button.disabled = False

    def _show_error(self, error: BaseException | str) -> None:
        text = error if isinstance(error, str) else _plain(error)
        self.status.value = f'<span style="color:#b42318">✘ {html.escape(text, quote=False)}</span>'


def _note(text: str) -> str:
    return f'<span style="color:#555">{html.escape(text, quote=False)}</span>'


def _state_of(url: str) -> str | None:
    values = httpx.URL(url).params.get_list("state")
    return values[0] if values else None


def _plain(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """An error in plain words for the status line, with any secret we handled scrubbed out."""
    if isinstance(exc, StateMismatch):
        text = (
            "The pasted address does not match the authorize link from this widget (state mismatch), or it "
            "was already used. Click “Get authorize link” again and use the new link."
        )
    elif isinstance(exc, OAuthError) and exc.status is not None:
        text = f"{exc.message} Click “Get authorize link” and authorize again (the secret field was cleared)."
    elif isinstance(exc, OAuthError):
        text = exc.message
    elif isinstance(exc, Unauthorized):
        text = "That token was refused by Intercom (401 Unauthorized). Check it and try again."
    elif isinstance(exc, Forbidden):
        text = (
            "Intercom accepted the token but would not show the admin behind it (403 Forbidden). Give the app "
            "the “Read admins” permission and try again."
        )
    elif isinstance(exc, RateLimited):
        text = "Intercom is rate limiting this workspace (429). Wait a few seconds and try again."
    elif isinstance(exc, ServerError):
        text = f"Intercom had a server error (HTTP {exc.status}). Try again in a minute."
    elif isinstance(exc, TransportError):
        text = f"Could not reach Intercom: {exc.message} Check the network, the region and the base URL."
    elif isinstance(exc, CredentialsError):
        text = f"Nothing was connected: {exc.message}"
    elif isinstance(exc, ConfigurationError):
        text = f"Check the settings: {exc.message}"
    elif isinstance(exc, IntercomError):
        text = str(exc)
    else:
        text = f"Something went wrong: {type(exc).__name__}: {exc}"
    for secret in secrets:
        secret = secret.strip()
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
